"""The exceptions micropip raises.

Every error says what failed, where (package, file or URL) and what to do,
so a notebook user can act on the message without reading a traceback.

Where Pyodide's micropip raises ``ValueError`` (no compatible wheel, no matching
version, conflicts, an unknown package, a version change without ``reinstall``,
a file whose hash does not match),
ours raises a subclass of both our own class and ``ValueError``, so code written
for it (``except ValueError``) keeps working.
"""

from __future__ import annotations

import errno


class MicropipError(Exception):
    """Base class: catch this to handle every error micropip raises on purpose."""


class RequirementError(MicropipError, ValueError):
    """A requirement string or requirements file cannot be understood."""


class TransportError(MicropipError):
    """A network request failed (HTTP status, connection, short body)."""

    def __init__(self, message: str, *, url: str, status: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.permanent = permanent  # asking again cannot help (an invalid URL): never retried


class AuthenticationError(TransportError):
    """An index or file answered 401 or 403: credentials are missing, wrong or not allowed.

    The message names the index (never the secret) and how to give credentials.
    """


class LocalFileNotFoundError(TransportError, FileNotFoundError):
    """An ``emfs:`` or ``file:`` path (or a plain path) names no file.

    Also a ``FileNotFoundError`` (``errno`` ENOENT, ``filename`` the path), as Pyodide's
    micropip raises for a missing ``emfs:`` wheel.
    """

    def __init__(self, message: str, *, url: str, path: str = "") -> None:
        super().__init__(message, url=url, status=404)
        self.errno = errno.ENOENT
        self.filename = path or url

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class IndexFormatError(MicropipError):
    """An index page or JSON API answer is malformed."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class PackageNotFoundError(MicropipError, ValueError):
    """No configured index (nor the Pyodide lockfile) knows the package."""


class NotAMockError(MicropipError, ValueError):
    """``remove_mock_package`` was given a name that is not a mock (a ``ValueError``, as in Pyodide's micropip)."""


class HashMismatchError(MicropipError, ValueError):
    """A downloaded file does not have the hash the index or lock promised."""


class InvalidWheelError(MicropipError):
    """A wheel file breaks the wheel specification (PEP 427) or is unsafe."""


class MetadataError(MicropipError):
    """Core metadata (METADATA / .metadata file) is missing or malformed."""


class ResolutionError(MicropipError, ValueError):
    """No set of versions satisfies the requirements; the message explains why."""


class NoCompatibleWheelError(ResolutionError):
    """A package exists but has no wheel usable by the target interpreter."""


class VersionChangeError(ResolutionError):
    """An installed distribution would have to change version, and ``reinstall=True`` was not given.

    Modules already imported keep running the old code, so micropip (like Pyodide's)
    never swaps a version behind the user's back.
    """


class ResolutionBudgetError(ResolutionError):
    """The resolver used up its budget (``resolve_timeout`` seconds, or its rounds) without an
    answer; the message names the projects it went back and forth on and a pin that settles it."""


class InstallError(MicropipError):
    """Writing to the environment failed; what was written was rolled back."""


class LockfileMismatchError(MicropipError):
    """A lockfile targets another Python, ABI or platform than the running one."""


class InsecureIndexError(MicropipError, ValueError):
    """An index URL would be fetched over plain HTTP from a remote host (or redirected there)."""


class HashRequiredError(MicropipError):
    """``require_hashes`` is on and a planned file has no sha256 to verify it against."""


class BuildError(InstallError):
    """A source distribution could not be built into a pure-Python wheel (``build_sdists=True``).

    The subclasses in ``micropip.sdist.errors`` say what went wrong (an unsafe archive, a
    backend failure, a C extension that needs a Pyodide build, a timeout).
    """


class OptionalPartError(MicropipError, ImportError):
    """An optional part of micropip (``micropip-sdist``, ``micropip-pylock``) could not be loaded.

    The browser bundle ships them as wheels of their own that Pyodide's lock lists; a
    micropip loaded some other way finds them beside its own wheel, or not at all. The
    message names the part, what was tried and how to get it.
    """

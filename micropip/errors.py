"""The exceptions micropip raises.

Every error says what failed, where (package, file or URL) and what to do,
so a notebook user can act on the message without reading a traceback.
"""

from __future__ import annotations


class MicropipError(Exception):
    """Base class: catch this to handle every error micropip raises on purpose."""


class RequirementError(MicropipError, ValueError):
    """A requirement string or requirements file cannot be understood."""


class TransportError(MicropipError):
    """A network request failed (HTTP status, connection, short body)."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class IndexFormatError(MicropipError):
    """An index page or JSON API answer is malformed."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class PackageNotFoundError(MicropipError):
    """No configured index (nor the Pyodide lockfile) knows the package."""


class HashMismatchError(MicropipError):
    """A downloaded file does not have the hash the index or lock promised."""


class InvalidWheelError(MicropipError):
    """A wheel file breaks the wheel specification (PEP 427) or is unsafe."""


class MetadataError(MicropipError):
    """Core metadata (METADATA / .metadata file) is missing or malformed."""


class ResolutionError(MicropipError):
    """No set of versions satisfies the requirements; the message explains why."""


class NoCompatibleWheelError(ResolutionError):
    """A package exists but has no wheel usable by the target interpreter."""


class InstallError(MicropipError):
    """Writing to the environment failed; what was written was rolled back."""


class LockfileMismatchError(MicropipError):
    """A lockfile targets another Python, ABI or platform than the running one."""


class InsecureIndexError(MicropipError, ValueError):
    """An index URL would be fetched over plain HTTP from a remote host (or redirected there)."""


class HashRequiredError(MicropipError):
    """``require_hashes`` is on and a planned file has no sha256 to verify it against."""

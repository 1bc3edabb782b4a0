"""What can go wrong building an sdist, one class per thing the user can act on.

Every message names the sdist (or file) and says what to do next, because it ends up
in a notebook cell's traceback: "why not" and "now what" in one line or two.
"""

from __future__ import annotations

from ..errors import BuildError


class SdistBuildError(BuildError):
    """Base class: the sdist could not be turned into an installable wheel."""


class InvalidSdistError(SdistBuildError):
    """The file is not a usable sdist (unreadable archive, no single top folder, bad PKG-INFO,
    name or version that disagree with the file name)."""


class UnsafeArchiveError(InvalidSdistError):
    """The archive tries to write outside its folder (absolute path, ``..``, a link pointing
    out, a device file) or is ambiguous (the same path twice). Nothing was extracted."""


class ArchiveTooLargeError(UnsafeArchiveError):
    """The archive exceeds a size or count limit (too many members, a member or the total too
    big, a path too long or too deep). Nothing was extracted."""


class InvalidBuildSystemError(SdistBuildError):
    """pyproject.toml is unreadable or its ``[build-system]`` table breaks PEP 517/518."""


class BuildRequirementsError(SdistBuildError):
    """The build requirements could not be installed into the isolated prefix."""


class BackendError(SdistBuildError):
    """The build backend could not be imported, or one of its hooks raised or misbehaved.

    ``log`` holds what the backend printed (stdout and stderr), for the curious.
    """

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class BuildTimeoutError(BackendError):
    """The backend ran past the time allowed for the build."""


class NotPureError(SdistBuildError):
    """The build produced (or tried to compile) native code: such a project needs a wheel
    built for Pyodide (pyodide-build), it cannot be built inside the browser."""

    def __init__(self, message: str, extensions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.extensions = extensions


class InvalidBuiltWheelError(SdistBuildError):
    """The backend returned a wheel that is not a valid wheel of this sdist."""

"""Build pure-Python sdists inside Pyodide (issue 18): the build stage, imported only when a build happens.

Opt-in (``install(..., build_sdists=True)`` or ``micropip.set_build_sdists(True)``): when a
release has no usable wheel but an sdist, ``service.SdistBuilder`` downloads it (sha256
checked), reads its PEP 643 static metadata or builds it for its METADATA, and gives the
installer the wheel (cached by the sdist's sha256). ``build_sdist`` does one build: it
unpacks safely, installs the build requirements into an isolated prefix through the
caller's ``install_into`` callback, runs the PEP 517 backend in-process, and returns a
checked pure-Python wheel.

Modules: ``unpack`` (safe extraction), ``pkg_info`` (PEP 643 static metadata),
``backend`` (build-system table, isolated in-process hooks, timeout), ``wheel_check``
(pure-Python check), ``build`` (the steps in order), ``service`` (download, cache, memo),
``errors``.

May import: ``micropip.errors``, ``micropip.index`` and ``micropip.transport``. Never imports
``micropip.resolution`` or ``micropip.installation``: ``micropip.package_manager`` injects
``install_into`` (resolution + installation into the prefix) and the wheel cache.
"""

from __future__ import annotations

from .backend import DEFAULT_REQUIRES, LEGACY_BACKEND, BuildSystem, read_build_system, run_backend
from .build import BuiltWheel, build_sdist, static_pkg_info
from .errors import (
    ArchiveTooLargeError,
    BackendError,
    BuildRequirementsError,
    BuildTimeoutError,
    InvalidBuildSystemError,
    InvalidBuiltWheelError,
    InvalidSdistError,
    NotPureError,
    SdistBuildError,
    UnsafeArchiveError,
)
from .pkg_info import PkgInfo, StaticMetadata, parse_pkg_info, static_metadata
from .unpack import DEFAULT_LIMITS, Limits, read_pkg_info, unpack_sdist
from .wheel_check import PureWheel, check_pure_wheel

__all__ = [
    "DEFAULT_LIMITS", "DEFAULT_REQUIRES", "LEGACY_BACKEND", "ArchiveTooLargeError", "BackendError",
    "BuildRequirementsError", "BuildSystem", "BuildTimeoutError", "BuiltWheel", "InvalidBuildSystemError",
    "InvalidBuiltWheelError", "InvalidSdistError", "Limits", "NotPureError", "PkgInfo", "PureWheel",
    "SdistBuildError", "StaticMetadata", "UnsafeArchiveError", "build_sdist", "check_pure_wheel",
    "parse_pkg_info", "read_build_system", "read_pkg_info", "run_backend", "static_metadata",
    "static_pkg_info", "unpack_sdist",
]

"""From sdist bytes to a checked pure-Python wheel: the one entry point the installer calls.

The caller has already downloaded the sdist and checked its sha256. Steps, each timed:

1. ``unpack``: safe extraction into ``work_dir/src`` (unpack.py);
2. ``pkg_info``: PKG-INFO must exist and name the same project and version as the file;
3. ``requires``: read ``[build-system]`` (PEP 517/518 defaults for a setup.py-only project)
   and ``await install_into(prefix, requirements)``: the caller installs wheels only, from
   its indexes, into ``work_dir/prefix``, a folder that is never site-packages;
4. ``backend``: run the backend in-process (backend.py); when ``get_requires_for_build_wheel``
   asks for more, install that too (step 3 again) and run it once more;
5. ``check``: the wheel must be pure Python and of this release (wheel_check.py).

One deadline covers the whole build; the awaits on ``install_into`` are bounded with
``asyncio.wait_for`` and the backend by its watchdog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import parse_sdist_filename

from . import backend as _backend
from .errors import BackendError, BuildRequirementsError, BuildTimeoutError, InvalidSdistError
from .pkg_info import PkgInfo, check_identity, parse_pkg_info
from .unpack import DEFAULT_LIMITS, Limits, read_pkg_info, unpack_sdist
from .wheel_check import PureWheel, check_pure_wheel

InstallInto = Callable[[Path, list[str]], Awaitable[None]]

DEFAULT_TIMEOUT = 120.0
_MAX_REQUIRE_ROUNDS = 3


@dataclass
class BuiltWheel:
    """A wheel built from an sdist, checked, ready for the normal wheel installer."""

    wheel: PureWheel
    pkg_info: PkgInfo
    build_system: _backend.BuildSystem
    seconds: dict[str, float] = field(default_factory=dict)  # unpack, requires, backend.*, check, total
    log: str = ""

    @property
    def path(self) -> Path:
        return self.wheel.path


async def build_sdist(
    archive: bytes | Path,
    filename: str,
    *,
    work_dir: Path,
    install_into: InstallInto,
    timeout: float = DEFAULT_TIMEOUT,
    limits: Limits = DEFAULT_LIMITS,
    config_settings: dict | None = None,
    watchdog: bool = True,
) -> BuiltWheel:
    """Build the sdist ``filename`` (its bytes or path in ``archive``) into a pure wheel under ``work_dir/dist``.

    ``work_dir`` must be empty or missing; the caller deletes it when done with the wheel.
    Raises a SdistBuildError subclass (errors.py) with a message for the user.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    seconds: dict[str, float] = {}
    work_dir = Path(work_dir)
    try:
        project, version = parse_sdist_filename(filename)
    except ValueError as exc:
        raise InvalidSdistError(f"{filename} is not an sdist file name ({exc})") from None

    step = time.perf_counter()
    source = unpack_sdist(archive, work_dir / "src", filename=filename, limits=limits)
    seconds["unpack"] = time.perf_counter() - step

    pkg_info_path = source / "PKG-INFO"
    if not pkg_info_path.is_file():
        raise InvalidSdistError(f"{filename} has no PKG-INFO in its top folder; it is not a valid sdist")
    info = parse_pkg_info(pkg_info_path.read_bytes(), source=f"{filename}: PKG-INFO")
    check_identity(info, str(project), version, source=f"{filename}: PKG-INFO")

    build_system = _backend.read_build_system(source)
    prefix = work_dir / "prefix"
    prefix.mkdir(parents=True, exist_ok=True)
    await _install(install_into, prefix, list(build_system.requires), deadline, seconds, filename)

    log = ""
    for _round in range(_MAX_REQUIRE_ROUNDS):
        try:
            outcome = _backend.run_backend(
                build_system, source, prefix, work_dir / "dist", deadline=deadline, config_settings=config_settings,
                watchdog=watchdog,
            )
        except BuildTimeoutError as exc:
            raise BuildTimeoutError(f"{filename}: {exc} (the limit is {timeout:g} s)", exc.log) from None
        except BackendError as exc:
            raise type(exc)(f"{filename}: {exc}", exc.log) from None
        log += outcome.log
        for key, value in outcome.seconds.items():
            seconds[f"backend.{key}"] = seconds.get(f"backend.{key}", 0.0) + value
        if not outcome.needs:
            break
        await _install(install_into, prefix, outcome.needs, deadline, seconds, filename)
    else:
        raise BuildRequirementsError(
            f"{filename}: the backend still asks for {', '.join(outcome.needs)} after installing it; giving up"
        )
    if outcome.wheel is None:
        raise BackendError(f"{filename}: the backend returned no wheel", log)

    step = time.perf_counter()
    wheel = check_pure_wheel(outcome.wheel, project=str(project), version=version)
    seconds["check"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    return BuiltWheel(wheel, info, build_system, seconds, log)


async def _install(
    install_into: InstallInto, prefix: Path, requirements: list[str], deadline: float, seconds: dict, filename: str
) -> None:
    if not requirements:
        return
    step = time.perf_counter()
    left = deadline - time.monotonic()
    if left <= 0:
        raise BuildTimeoutError(f"{filename}: no time left to install the build requirements")
    try:
        await asyncio.wait_for(install_into(prefix, requirements), timeout=left)
    except asyncio.TimeoutError:
        raise BuildTimeoutError(f"{filename}: installing the build requirements ({', '.join(requirements)}) ran past the time limit") from None
    except BuildRequirementsError:
        raise
    except Exception as exc:
        raise BuildRequirementsError(
            f"{filename}: could not install the build requirements {', '.join(requirements)}: {exc}"
        ) from exc
    seconds["requires"] = seconds.get("requires", 0.0) + time.perf_counter() - step


def static_pkg_info(archive: bytes | Path, filename: str) -> PkgInfo | None:
    """PKG-INFO of an sdist without unpacking it (for PEP 643 checks before deciding to build)."""
    data = read_pkg_info(archive, filename=filename)
    return None if data is None else parse_pkg_info(data, source=f"{filename}: PKG-INFO")

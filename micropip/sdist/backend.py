"""Run a PEP 517 build backend in this interpreter, isolated from it as far as one process allows.

Pyodide has no subprocesses, so the backend cannot get a fresh interpreter the way pip
gives it one. Instead each call (``run_backend``) builds a temporary world and takes it
down again, whatever happens:

- ``sys.path`` is: the project's ``backend-path`` entries, the isolated build prefix, then
  the interpreter's own entries minus site-packages (and minus ``''``), so the backend sees
  its declared requirements and the standard library, never what the user installed;
- modules that would shadow the build's (same top-level name as something in the prefix,
  the source tree or ``backend-path``, or loaded from site-packages) are taken out of
  ``sys.modules`` for the call and put back afterwards; modules the build loaded from the
  prefix, source tree or output folder are removed afterwards, so nothing from a build
  leaks into the user's session or into the next build;
- ``sys.meta_path``, ``sys.path_hooks``, ``sys.path_importer_cache``, ``sys.argv``,
  ``os.environ``, the working directory (the source tree during the call), warning filters,
  the root logger's handlers, ``sys.dont_write_bytecode`` (True during the call) and
  stdout/stderr (captured into the build log) are restored;
- the call must be synchronous: no ``await`` happens inside it, so no other coroutine ever
  runs while the interpreter is in this state. That is also why the build requirements
  are installed (an async step) between calls, never during one.

Timeout. Pyodide has no threads and no asynchronous signals, so nothing can interrupt a
running hook from outside. The watchdog is a ``sys.settrace`` function: it sees every
Python function call, and every line of code that is not library code (not from the
build prefix or the standard library: setup.py, which setuptools exec()s as ``<string>``,
in-tree backends, the project's own modules), and once the deadline has passed it raises ``_Expired`` (a BaseException, so a
backend's ``except Exception`` does not swallow it). A C call that never returns, or a
tight loop in backend code that makes no Python calls, cannot be stopped; the deadline is
then still checked when the hook returns. When a debugger or coverage tool already traces,
ours is not installed (the deadline is only checked after the hook). Tracing costs time:
the measured overhead is in the report of tests/test_sdist_build_pyodide.py.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import logging
import os
import re
import site
import sys
import sysconfig
import time
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import BackendError, BuildTimeoutError, InvalidBuildSystemError, NotPureError

# PEP 517/518: what a project without (a complete) [build-system] gets.
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

_EXTENSION_IN_LOG = re.compile(r"building '([^']+)' extension")
_CHECK_EVERY = 200  # trace events between two clock reads


@dataclass(frozen=True)
class BuildSystem:
    """The ``[build-system]`` a build uses, with PEP 517/518 defaults filled in."""

    requires: tuple[str, ...]
    backend: str  # "module" or "module:object.attr"
    backend_path: tuple[str, ...] = ()  # relative to the source tree
    declared: bool = True  # False: no pyproject.toml / no [build-system] table (legacy setup.py)


def read_build_system(source_dir: Path) -> BuildSystem:
    """Read ``pyproject.toml``'s ``[build-system]``; the legacy setuptools defaults when it is absent.

    Raises InvalidBuildSystemError for what PEP 517/518 forbid: unparsable TOML,
    ``requires`` that is not a list of PEP 508 strings, a ``backend-path`` leaving the tree.
    """
    source_dir = Path(source_dir)
    pyproject = source_dir / "pyproject.toml"
    if not pyproject.is_file():
        return BuildSystem(DEFAULT_REQUIRES, LEGACY_BACKEND, (), declared=False)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidBuildSystemError(f"pyproject.toml cannot be parsed: {exc}") from None
    table = data.get("build-system")
    if table is None:
        return BuildSystem(DEFAULT_REQUIRES, LEGACY_BACKEND, (), declared=False)
    if not isinstance(table, dict):
        raise InvalidBuildSystemError("pyproject.toml: [build-system] must be a table")
    if "requires" not in table:
        raise InvalidBuildSystemError("pyproject.toml: [build-system] has no 'requires' (PEP 518 makes it mandatory)")
    requires = table["requires"]
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise InvalidBuildSystemError("pyproject.toml: [build-system] requires must be a list of strings")
    for item in requires:
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise InvalidBuildSystemError(f"pyproject.toml: build requirement {item!r} is invalid: {exc}") from None
    backend = table.get("build-backend", LEGACY_BACKEND)
    if not isinstance(backend, str) or not re.fullmatch(r"[\w.]+(:[\w.]+)?", backend):
        raise InvalidBuildSystemError(f"pyproject.toml: build-backend {backend!r} is not 'module' or 'module:object'")
    backend_path = table.get("backend-path", [])
    if not isinstance(backend_path, list) or not all(isinstance(p, str) for p in backend_path):
        raise InvalidBuildSystemError("pyproject.toml: backend-path must be a list of strings")
    root = source_dir.resolve()
    for entry in backend_path:
        resolved = (root / entry).resolve()
        if Path(entry).is_absolute() or not (resolved == root or resolved.is_relative_to(root)):
            raise InvalidBuildSystemError(f"pyproject.toml: backend-path entry {entry!r} leaves the source tree (PEP 517)")
    return BuildSystem(tuple(requires), backend, tuple(backend_path), declared=True)


def unsatisfied(requirements: Iterable[str], prefix: Path) -> list[str]:
    """The requirements (markers evaluated for this interpreter) that ``prefix`` does not satisfy yet."""
    have = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions(path=[str(prefix)])
        if d.metadata["Name"]
    }
    env = default_environment()
    missing = []
    for text in requirements:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        version = have.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            missing.append(text)
    return missing


@dataclass
class HookOutcome:
    """What one isolated backend session produced."""

    needs: list[str] = field(default_factory=list)  # get_requires_for_build_wheel asked for these, not in the prefix
    wheel: Path | None = None
    metadata_dir: Path | None = None  # from prepare_metadata_for_build_wheel, when asked and offered
    log: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # per step: import, get_requires, metadata, build_wheel


def run_backend(
    build_system: BuildSystem,
    source_dir: Path,
    prefix: Path,
    out_dir: Path,
    *,
    deadline: float,
    want: str = "wheel",
    config_settings: dict[str, Any] | None = None,
    watchdog: bool = True,
) -> HookOutcome:
    """One isolated session: import the backend, ask ``get_requires_for_build_wheel``, then
    (when the prefix already has all of it) ``build_wheel`` into ``out_dir`` (``want="wheel"``)
    or ``prepare_metadata_for_build_wheel`` (``want="metadata"``; ``metadata_dir`` stays None
    when the backend does not offer that optional hook).

    ``deadline`` is a ``time.monotonic()`` value; ``watchdog=False`` leaves the trace-based
    check out (the deadline is then only checked after the hook; for measuring its cost). When requirements are missing the session
    ends early with ``needs`` set: install them into ``prefix`` and call again.
    Raises BackendError (with the log), BuildTimeoutError, NotPureError (the log shows a
    C extension being compiled).
    """
    source_dir, prefix, out_dir = Path(source_dir).resolve(), Path(prefix).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = HookOutcome()
    backend_dirs = [str((source_dir / p).resolve()) for p in build_system.backend_path]
    log = io.StringIO()
    try:
        with _isolated(prefix, source_dir, backend_dirs, out_dir, log), _Watchdog(deadline, [prefix, *_stdlib_dirs()], enabled=watchdog):
            started = time.perf_counter()
            backend = _load_backend(build_system.backend, backend_dirs)
            outcome.seconds["import"] = time.perf_counter() - started

            started = time.perf_counter()
            hook = getattr(backend, "get_requires_for_build_wheel", None)
            extra = list(hook(config_settings)) if hook is not None else []
            outcome.seconds["get_requires"] = time.perf_counter() - started
            if extra:
                outcome.needs = unsatisfied(extra, prefix)
                if outcome.needs:
                    return outcome

            if want == "metadata":
                started = time.perf_counter()
                hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
                if hook is not None:
                    name = hook(str(out_dir), config_settings)
                    outcome.metadata_dir = _returned(out_dir, name, "prepare_metadata_for_build_wheel", ".dist-info")
                outcome.seconds["metadata"] = time.perf_counter() - started
                return outcome

            started = time.perf_counter()
            name = backend.build_wheel(str(out_dir), config_settings)
            outcome.wheel = _returned(out_dir, name, "build_wheel", ".whl")
            outcome.seconds["build_wheel"] = time.perf_counter() - started
        _check_deadline(deadline, log.getvalue())
        return outcome
    except _Expired:
        raise BuildTimeoutError(_timeout_message(deadline), log.getvalue()) from None
    except (BackendError, NotPureError):
        raise
    except BaseException as exc:  # the backend's own failure, whatever it is (SystemExit from setup.py too)
        text = log.getvalue()
        if isinstance(exc, KeyboardInterrupt):
            raise
        compiled = _EXTENSION_IN_LOG.findall(text)
        if compiled:
            raise NotPureError(
                f"the project compiles the C/C++ extension {', '.join(sorted(set(compiled)))}: it needs a Pyodide "
                "build (a wheel built with pyodide-build), it cannot be built inside Pyodide",
                tuple(sorted(set(compiled))),
            ) from None
        raise BackendError(
            f"the build backend {build_system.backend} failed: {type(exc).__name__}: {exc}{_tail(text)}", text
        ) from exc
    finally:
        outcome.log = log.getvalue()


def _returned(out_dir: Path, name: object, hook: str, suffix: str) -> Path:
    if not isinstance(name, str) or "/" in name or "\\" in name or not name.endswith(suffix):
        raise BackendError(f"the backend's {hook} returned {name!r}, not a {suffix} name in the output folder")
    path = out_dir / name
    if not path.exists():
        raise BackendError(f"the backend's {hook} returned {name!r} but wrote no such file")
    return path


def _load_backend(spec: str, backend_dirs: list[str]) -> ModuleType | Any:
    module_name, _, attrs = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendError(
            f"cannot import the build backend {module_name!r} ({exc}); is it in [build-system] requires?"
        ) from None
    if backend_dirs:
        origin = os.path.realpath(getattr(obj, "__file__", "") or "")
        if not any(origin.startswith(d + os.sep) for d in backend_dirs):
            raise BackendError(f"backend-path is set but {module_name} was not loaded from it (PEP 517)")
    for attr in filter(None, attrs.split(".")):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise BackendError(f"the build backend {spec!r} has no attribute {attr!r}") from None
    return obj


# ---- the deadline ----------------------------------------------------------------------------


class _Expired(BaseException):
    """Raised by the watchdog inside backend code; not an Exception, so it is not swallowed."""


def _check_deadline(deadline: float, log: str) -> None:
    if time.monotonic() > deadline:
        raise BuildTimeoutError(_timeout_message(deadline), log)


def _timeout_message(deadline: float) -> str:
    return (
        "the build ran past its time limit and was stopped; if this project is just slow to build, "
        "allow more with micropip.set_build_sdists(True, timeout=SECONDS)"
    )


class _Watchdog:
    """A ``sys.settrace`` function that raises _Expired once the deadline has passed."""

    def __init__(self, deadline: float, library_roots: list[Path], *, enabled: bool = True) -> None:
        self.deadline = deadline
        self.enabled = enabled
        self.library = tuple(str(r).rstrip(os.sep) + os.sep for r in library_roots) + ("<frozen ",)
        self.count = 0
        self.previous: Any = None
        self.active = False

    def __enter__(self) -> "_Watchdog":
        self.previous = sys.gettrace()
        if self.enabled and self.previous is None:  # never fight a debugger or coverage for the hook
            self.active = True
            sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            sys.settrace(self.previous)

    def _tick(self) -> None:
        self.count += 1
        if self.count >= _CHECK_EVERY:
            self.count = 0
            if time.monotonic() > self.deadline:
                raise _Expired()

    def _global(self, frame: FrameType, event: str, arg: object):
        self._tick()
        # Line events for everything but library code (the prefix, the standard library): a
        # loop in setup.py is stopped even when it calls nothing; library code is checked at calls.
        if frame.f_code.co_filename.startswith(self.library):
            return None
        return self._local

    def _local(self, frame: FrameType, event: str, arg: object):
        self._tick()
        return self._local


# ---- isolation -------------------------------------------------------------------------------


def _site_dirs() -> list[str]:
    dirs = set()
    with contextlib.suppress(AttributeError):
        dirs.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        dirs.add(site.getusersitepackages())
    paths = sysconfig.get_paths()
    dirs.update(p for p in (paths.get("purelib"), paths.get("platlib")) if p)
    return sorted({os.path.realpath(d) for d in dirs if d})


def _stdlib_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({os.path.realpath(p) for p in (paths.get("stdlib"), paths.get("platstdlib")) if p})


def _top_level_names(folder: Path) -> set[str]:
    names = set()
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.endswith((".dist-info", ".data", ".egg-info")) or entry.name == "__pycache__":
                continue
            if entry.is_dir():
                names.add(entry.name)
            elif entry.suffix == ".py":
                names.add(entry.stem)
    return names


def _origins(module: ModuleType) -> list[str]:
    found = []
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        found.append(file)
    path = getattr(module, "__path__", None)
    if path is not None:
        with contextlib.suppress(Exception):
            found.extend(p for p in path if isinstance(p, str))
    return [os.path.realpath(p) for p in found]


def _under(paths: list[str], roots: tuple[str, ...]) -> bool:
    return any(p.startswith(roots) for p in paths)


@contextlib.contextmanager
def _isolated(prefix: Path, source_dir: Path, backend_dirs: list[str], out_dir: Path, log: io.StringIO) -> Iterator[None]:
    site_dirs = _site_dirs()
    build_roots = tuple(os.path.realpath(str(p)) + os.sep for p in (prefix, source_dir, out_dir, *backend_dirs))
    site_roots = tuple(d + os.sep for d in site_dirs)
    shadowed = _top_level_names(prefix) | _top_level_names(source_dir)
    for d in backend_dirs:
        shadowed |= _top_level_names(Path(d))

    saved_modules = dict(sys.modules)
    saved = (
        list(sys.path), list(sys.meta_path), list(sys.path_hooks), dict(sys.path_importer_cache), list(sys.argv),
        dict(os.environ), os.getcwd(), list(warnings.filters), warnings.showwarning, sys.dont_write_bytecode,
        list(logging.root.handlers), logging.root.level,
    )
    hidden = [
        name for name, mod in saved_modules.items()
        if name.split(".", 1)[0] in shadowed or (mod is not None and _under(_origins(mod), site_roots))
    ]
    try:
        for name in hidden:
            sys.modules.pop(name, None)
        kept = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) not in site_dirs]
        sys.path[:] = [*backend_dirs, str(prefix), *kept]
        sys.path_importer_cache.clear()
        importlib.invalidate_caches()
        sys.dont_write_bytecode = True
        os.chdir(source_dir)
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), warnings.catch_warnings():
            warnings.simplefilter("default")
            yield
    finally:
        (path, meta_path, path_hooks, importer_cache, argv, environ, cwd, filters, showwarning, nobytecode,
         handlers, level) = saved
        os.chdir(cwd)
        sys.path[:] = path
        sys.meta_path[:] = meta_path
        sys.path_hooks[:] = path_hooks
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(importer_cache)
        sys.argv[:] = argv
        if dict(os.environ) != environ:
            os.environ.clear()
            os.environ.update(environ)
        warnings.filters[:] = filters
        warnings.showwarning = showwarning
        sys.dont_write_bytecode = nobytecode
        logging.root.handlers[:] = handlers
        logging.root.setLevel(level)
        # Decide first, delete after: a namespace package's __path__ is recomputed from its
        # parent, which must still be in sys.modules while we look.
        new = {name: mod for name, mod in sys.modules.items() if saved_modules.get(name) is not mod}
        drop = {
            name for name, mod in new.items()
            if name.split(".", 1)[0] in shadowed or mod is None or _under(_origins(mod), build_roots)
        }
        drop |= {name for name in new if any(name.startswith(parent + ".") for parent in drop)}
        for name in drop:
            sys.modules.pop(name, None)
        sys.modules.update(saved_modules)
        importlib.invalidate_caches()


def _tail(text: str, lines: int = 15) -> str:
    tail = text.strip().splitlines()[-lines:]
    return ("\n--- last lines of the build log ---\n" + "\n".join(tail)) if tail else ""

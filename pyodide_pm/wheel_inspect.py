"""Static analysis of one wheel file, and its verdicts against a target Pyodide.

``inspect_wheel`` reads a wheel once (target-independent: validity, metadata,
compiled modules, importable names); the ``check_*`` functions then judge that
reading against a ``TargetEnvironment``. Nothing here downloads or runs code, so
it works for any target, including ones we cannot boot.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import ExceptionGroup, Metadata
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from micropip.resolution.environment import TargetEnvironment
from micropip.errors import InvalidWheelError
from micropip.resolution.selection import explain_tags
from .wasm_module import WasmFormatError, WasmModule, parse_wasm_module
from micropip.installation.wheelfile import SHARED_LIBRARY, WheelFile, top_level_modules

_EMSCRIPTEN_PLATFORM = re.compile(r"^(pyemscripten|pyodide|emscripten)_")


@dataclass(frozen=True)
class Check:
    """One verdict about an item; ``skipped`` checks count as passed and say why they did not run."""

    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "ok" if self.ok else "fail"


@dataclass(frozen=True)
class SharedLibrary:
    """A ``.so`` inside the wheel: its parsed header, or why it is not WebAssembly."""

    path: str  # in the archive
    installed: str | None  # relative to site-packages (None for .data scripts/headers/data)
    module: WasmModule | None
    error: str | None

    @property
    def basename(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def search_dirs(self) -> list[str]:
        """Folders (relative to site-packages) where the loader looks for this module's needed libraries.

        Emscripten's loader tries the module's runtime paths (``$ORIGIN`` = the
        module's folder), then ``LD_LIBRARY_PATH``, which Pyodide sets to its
        library folder and site-packages itself; a library merely lying next
        to the module is *not* found.
        """
        dirs = []
        origin = posixpath.dirname(self.installed or "")
        for rpath in self.module.runtime_paths if self.module else ():
            if "$ORIGIN" in rpath:
                folder = posixpath.normpath(rpath.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", origin or "."))
                dirs.append("" if folder == "." else folder)
        return [*dirs, ""]


@dataclass(frozen=True)
class WheelReport:
    """Everything we learn from the bytes of one wheel; ``error`` set means nothing else is known."""

    filename: str
    source: str
    error: str | None = None
    name: str = ""
    version: str = ""
    tags: frozenset[Tag] = frozenset()
    metadata_problems: tuple[str, ...] = ()
    requires_python: str | None = None
    requires_dist: tuple[str, ...] = ()
    shared_libraries: tuple[SharedLibrary, ...] = ()
    top_level: tuple[str, ...] = ()
    installed_files: frozenset[str] = frozenset()  # paths relative to site-packages

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(t.platform for t in self.tags)

    @property
    def is_pure(self) -> bool:
        return bool(self.tags) and self.platforms == {"any"}

    @property
    def is_emscripten(self) -> bool:
        return any(_EMSCRIPTEN_PLATFORM.match(p) for p in self.platforms)


def inspect_wheel(path: Path) -> WheelReport:
    """Read a wheel file; every problem becomes part of the report, never an exception."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return WheelReport(path.name, str(path), error=f"cannot read {path}: {exc.strerror or exc}")
    return inspect_wheel_bytes(path.name, data, source=str(path))


def inspect_wheel_bytes(filename: str, data: bytes, *, source: str = "") -> WheelReport:
    """Like ``inspect_wheel`` for bytes already in memory (a downloaded locked wheel)."""
    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return WheelReport(filename, source, error=f"not a wheel file name: {exc}")
    try:
        wheel = WheelFile.from_bytes(filename, data, source=source)
    except InvalidWheelError as exc:
        return WheelReport(filename, source, error=str(exc))
    return WheelReport(
        filename=filename,
        source=source,
        name=wheel.name,
        version=str(wheel.version),
        tags=wheel.tags,
        metadata_problems=metadata_problems(wheel.metadata_bytes),
        requires_python=(wheel.metadata.get("Requires-Python") or "").strip() or None,
        requires_dist=tuple(str(r).strip() for r in wheel.requires_dist),
        shared_libraries=tuple(
            _read_shared_library(path, installed_path(wheel, path), data)
            for path, data in wheel.files()
            if SHARED_LIBRARY.search(path)
        ),
        top_level=top_level_names(wheel),
        installed_files=frozenset(p for p in (installed_path(wheel, path) for path in wheel.paths) if p),
    )


def installed_path(wheel: WheelFile, path: str) -> str | None:
    """Where an archive member lands relative to site-packages (``.data/purelib|platlib`` unpacked)."""
    if wheel.data_dir and path.startswith(wheel.data_dir + "/"):
        key, _, rest = path[len(wheel.data_dir) + 1 :].partition("/")
        return rest if key in ("purelib", "platlib") else None
    return path


def metadata_problems(metadata: bytes) -> tuple[str, ...]:
    """What ``packaging`` finds wrong with core metadata (each problem one line)."""
    try:
        Metadata.from_email(metadata, validate=True)
    except ExceptionGroup as group:
        return tuple(str(exc) for exc in group.exceptions)
    except (ValueError, UnicodeDecodeError) as exc:
        return (str(exc),)
    return ()


def _read_shared_library(path: str, installed: str | None, data: bytes) -> SharedLibrary:
    try:
        return SharedLibrary(path, installed, parse_wasm_module(data), None)
    except WasmFormatError as exc:
        return SharedLibrary(path, installed, None, str(exc))


def top_level_names(wheel: WheelFile) -> tuple[str, ...]:
    """Importable top-level modules: ``top_level.txt`` when present, else the file list."""
    listed = f"{wheel.dist_info}/top_level.txt"
    if listed in wheel.paths:
        text = wheel.read(listed).decode("utf-8", "replace")
        return tuple(sorted({line.strip() for line in text.splitlines() if line.strip().isidentifier()}))
    return top_level_modules(wheel.paths)


# ---- verdicts against a target -----------------------------------------------------------


def check_tags(report: WheelReport, env: TargetEnvironment) -> Check:
    ranks = sorted((env.tag_rank[t], str(t)) for t in report.tags if t in env.tag_rank)
    if ranks:
        kind = "pure Python" if report.is_pure else "built for this Pyodide"
        return Check("tags", True, f"{ranks[0][1]} ({kind})")
    return Check("tags", False, explain_tags(report.tags, env))


def check_metadata(report: WheelReport) -> Check:
    if report.metadata_problems:
        return Check("metadata", False, "invalid METADATA: " + "; ".join(report.metadata_problems))
    return Check("metadata", True, "valid core metadata")


def check_requires_python(report: WheelReport, env: TargetEnvironment) -> Check:
    if not report.requires_python:
        return Check("requires-python", True, "no Requires-Python")
    try:
        spec = SpecifierSet(report.requires_python)
    except InvalidSpecifier:
        return Check("requires-python", False, f"invalid Requires-Python {report.requires_python!r}")
    if spec.contains(env.python, prereleases=True):
        return Check("requires-python", True, f"Python {env.python_version} satisfies {report.requires_python}")
    return Check("requires-python", False, f"requires Python {report.requires_python}, Pyodide {env.pyodide_version} has Python {env.python_version}")


def check_shared_libraries(report: WheelReport, provided_by_lock: frozenset[str] | None, lock_label: str) -> Check | None:
    """Each ``.so`` must be a WebAssembly side module whose needed libraries can be found.

    ``provided_by_lock`` holds the library names the target's Pyodide ships
    (see ``lock_library_names``); None when the target's lock is not available.
    None is returned for wheels where the question does not arise (no ``.so``, or
    not built for Pyodide: the tag check already says so).
    """
    if not report.shared_libraries:
        return Check("shared-libraries", True, "no compiled modules") if report.is_emscripten else None
    if not (report.is_emscripten or report.is_pure):
        return None
    problems: list[str] = []
    notes: list[str] = []
    for lib in report.shared_libraries:
        module = lib.module
        if module is None:
            problems.append(f"{lib.path}: {lib.error}")
            continue
        if module.dylink_section is None:
            problems.append(f"{lib.path}: WebAssembly but not a side module (no dylink.0 section; link it with -sSIDE_MODULE)")
            continue
        if not module.dylink_first:
            problems.append(f"{lib.path}: the {module.dylink_section} section is not the first section, so Emscripten's loader ignores it")
            continue
        for needed in module.needed:
            problem, note = _find_needed(lib, needed, report, provided_by_lock, lock_label)
            problems += [problem] if problem else []
            notes += [note] if note else []
    if problems:
        return Check("shared-libraries", False, "; ".join(problems))
    count = len(report.shared_libraries)
    detail = f"{count} WebAssembly side module{'s' if count != 1 else ''}, needed libraries found"
    return Check("shared-libraries", True, "; ".join([detail, *notes]))


def _find_needed(
    lib: SharedLibrary, needed: str, report: WheelReport, provided_by_lock: frozenset[str] | None, lock_label: str
) -> tuple[str | None, str | None]:
    """(problem, note) for one needed library, searched the way the loader searches."""
    dirs = lib.search_dirs()
    if "/" not in needed and any(posixpath.join(d, needed) in report.installed_files for d in dirs):
        return None, None
    if provided_by_lock is not None and library_keys(needed) & provided_by_lock:
        return None, None
    elsewhere = sorted(p for p in report.installed_files if p.rsplit("/", 1)[-1] == needed.rsplit("/", 1)[-1])
    if elsewhere:
        looked = ", ".join(d or "site-packages" for d in dict.fromkeys(dirs))
        return (
            f"{lib.path} needs {needed}: the wheel ships {elsewhere[0]}, but the loader only looks in {looked} "
            "and Pyodide's library folder (give the module a runtime path such as $ORIGIN)"
        ), None
    if provided_by_lock is None:
        return None, f"{lib.path} needs {needed}: not in the wheel; cannot tell whether Pyodide ships it ({lock_label})"
    return f"{lib.path} needs {needed}, which neither the wheel nor Pyodide ({lock_label}) provides", None


def library_keys(filename: str) -> frozenset[str]:
    """Names a shared library may go by: ``libfoo.so.1`` -> {libfoo, foo}."""
    stem = SHARED_LIBRARY.sub("", filename.rsplit("/", 1)[-1]).lower()
    return frozenset({stem, stem[3:]} if stem.startswith("lib") and len(stem) > 3 else {stem})


def lock_library_names(packages: dict) -> frozenset[str]:
    """Library names a Pyodide lock provides, from entry names, file names and ``imports``.

    The lock does not list the files inside its shared-library archives, so the
    entry name (``libopenblas``) stands for ``libopenblas.so``.
    """
    names: set[str] = set()
    for key, entry in packages.items():
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name", key))
        stem = str(entry.get("file_name", "")).rsplit("/", 1)[-1].split("-", 1)[0]
        for value in (name, canonicalize_name(name), stem, *map(str, entry.get("imports") or ())):
            if value:
                names |= library_keys(value)
    return frozenset(names)

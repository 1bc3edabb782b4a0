"""Install validated wheels into a scheme: all of them, or nothing.

Everything that can be checked is checked before the first write: where each
file goes, whether another distribution owns it, whether a replaced
distribution can be removed. Writing then goes through a ``Journal``; any
exception - including ``CancelledError`` and ``KeyboardInterrupt`` - rolls the
file system back to the exact previous bytes.
"""

from __future__ import annotations

import base64
import contextlib
import _csv as csv  # see wheelfile.py
import hashlib
import importlib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from packaging.utils import canonicalize_name

from ..errors import InstallError
from .installed import InstalledDist, Scheme, owners_by_path, scan_distributions
from .uninstaller import Journal, RemovalPlan, UninstallError, UninstallReport, apply_removal, plan_removal
from .wheelfile import SHARED_LIBRARY, SIGNATURE_FILES, WheelFile

if TYPE_CHECKING:
    from ..transport import NativeArchive

logger = logging.getLogger("micropip")

__all__ = ["DistReport", "IncrementalInstall", "InstallItem", "InstallReport", "Scheme", "install_transaction", "install_wheels"]

# dist-info files the installer writes itself; copies inside a wheel are not installed.
_GENERATED = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json", *SIGNATURE_FILES)
_SHEBANG = re.compile(rb"#!pythonw?(?=\s|$)")


@dataclass(frozen=True)
class InstallItem:
    """A wheel to install and the facts to record about it.

    ``direct_url`` is the PEP 610 ``direct_url.json`` content (for URL installs);
    ``extra_dist_info`` adds files to the dist-info folder (listed in RECORD).
    """

    wheel: WheelFile
    requested: bool
    direct_url: dict | None = None
    installer: str = "micropip"
    extra_dist_info: Mapping[str, bytes] = field(default_factory=dict)


@dataclass
class DistReport:
    """One distribution written: its files, and the shared libraries Pyodide must load before import."""

    name: str
    version: str
    dist_info: Path
    files: list[str]  # absolute paths
    shared_libraries: list[Path]  # .so files, for Pyodide to load before import


@dataclass
class InstallReport:
    """What an install wrote and what it replaced."""

    distributions: list[DistReport]
    replaced: list[UninstallReport]

    @property
    def shared_libraries(self) -> list[Path]:
        return [p for d in self.distributions for p in d.shared_libraries]


class _File(NamedTuple):  # thousands per install: a tuple is the cheapest to build
    target: str  # absolute; plain strings, since pathlib costs add up over thousands of files
    data: bytes | None  # None: the bytes stay in JS memory, at ``native``
    executable: bool
    sha256: str | None = None  # RECORD-style, when already known
    size: int = 0  # for native files
    native: tuple[NativeArchive, int] | None = None

    @property
    def length(self) -> int:
        return len(self.data) if self.data is not None else self.size


@dataclass(frozen=True)
class _Dist:
    """One wheel checked and ready to write: where its ``.dist-info`` goes and its files, RECORD last."""

    item: InstallItem
    dist_info: Path
    files: tuple[_File, ...]  # RECORD last


def install_wheels(
    items: Sequence[InstallItem],
    scheme: Scheme,
    *,
    replace: Collection[str] = (),
    replace_owners: bool = False,
) -> InstallReport:
    """Install ``items`` atomically.

    A file owned by another installed distribution is a conflict unless that
    distribution's name is in ``replace`` (or ``replace_owners`` is true, what
    ``reinstall=True`` asks for); then it is uninstalled in the same transaction
    (so also restored if anything fails) and listed in ``InstallReport.replaced``.
    An installed distribution with the same name as an item must be in ``replace`` too.
    """
    report, journal = _apply(items, scheme, replace, replace_owners)
    journal.commit()
    importlib.invalidate_caches()
    return report


@contextlib.contextmanager
def install_transaction(
    items: Sequence[InstallItem],
    scheme: Scheme,
    *,
    replace: Collection[str] = (),
    replace_owners: bool = False,
) -> Iterator[InstallReport]:
    """``install_wheels``, kept undoable until the ``with`` block ends.

    The block does what must succeed for the install to count (in Pyodide: load the
    shared libraries). If it raises - an error, ``CancelledError``, ``KeyboardInterrupt`` -
    every change is undone, replaced distributions come back byte for byte, and the
    exception propagates (an ``Exception`` as ``InstallError``)::

        with install_transaction(items, scheme, replace=plan.replace) as report:
            await load_shared_libraries(report.shared_libraries)
    """
    report, journal = _apply(items, scheme, replace, replace_owners)
    with _undoable(report, journal):
        yield report


@contextlib.contextmanager
def _undoable(report: InstallReport, journal: Journal) -> Iterator[None]:
    """Commit ``journal`` when the block succeeds; otherwise undo it and raise (see install_transaction)."""
    try:
        yield
    except BaseException as exc:
        problems = journal.rollback()
        importlib.invalidate_caches()
        if not isinstance(exc, Exception):
            raise
        names = ", ".join(f"{d.name} {d.version}" for d in report.distributions)
        outcome = f"rollback incomplete: {'; '.join(problems)}" if problems else "nothing was changed"
        raise InstallError(f"installing {names} was undone: {exc} ({outcome})") from exc
    journal.commit()
    importlib.invalidate_caches()


def _apply(
    items: Sequence[InstallItem], scheme: Scheme, replace: Collection[str], replace_owners: bool
) -> tuple[InstallReport, Journal]:
    """Plan, then write; on failure roll back and raise. Returns the journal uncommitted."""
    planned, removals = _plan(items, scheme, {canonicalize_name(n) for n in replace}, replace_owners)

    journal = Journal()
    at = ["", ""]  # which distribution, doing what: for the error message
    try:
        replaced = []
        for removal in removals:
            at[:] = [removal.dist.name, f"removing the old {removal.dist.name} {removal.dist.version}"]
            replaced.append(apply_removal(removal, journal))
        reports = [_write_dist(dist, journal, at) for dist in planned]
    except BaseException as exc:
        raise _undone(exc, journal, at) from exc
    return InstallReport(reports, replaced), journal


def _write_dist(dist: _Dist, journal: Journal, at: list[str]) -> DistReport:
    """Write one planned distribution through the journal (``at`` tracks the step, for errors)."""
    at[:] = [f"{dist.item.wheel.name} {dist.item.wheel.version}", ""]
    # Natively held files first, in one call per archive that also makes their new folders
    # (faker: 730 of them, each an os.mkdir from wasm before); then the files Python holds.
    batches: dict[int, tuple[NativeArchive, list[str], list[tuple[int, int, str]]]] = {}
    for f in dist.files:
        if f.native is None:
            continue
        at[1] = f"writing {f.target}"
        archive, index = f.native
        _archive, folders, batch = batches.setdefault(id(archive), (archive, [], []))
        parent = os.path.dirname(f.target)
        journal.make_dirs(parent, defer=folders)
        journal.prepare_write(f.target, parent)
        batch.append((index, 0o755 if f.executable else 0, f.target))
    for archive, folders, batch in batches.values():
        at[1] = f"writing its {len(batch)} files"
        _write_members(archive, batch, folders)
    for f in dist.files:
        if f.native is not None:
            continue
        at[1] = f"writing {f.target}"
        parent = os.path.dirname(f.target)
        journal.make_dirs(parent)
        journal.prepare_write(f.target, parent)
        assert f.data is not None
        _write_file(f.target, f.data)
        if f.executable:
            os.chmod(f.target, 0o755)
    return _report(dist)


def _undone(exc: BaseException, journal: Journal, at: list[str]) -> BaseException:
    """Roll everything back; what to raise: ``exc`` itself unless it is an ``Exception``
    from writing (then an ``InstallError`` saying where it failed)."""
    problems = journal.rollback()
    importlib.invalidate_caches()
    if not isinstance(exc, Exception) or (isinstance(exc, InstallError) and not at[1]):
        return exc
    outcome = f"rollback incomplete: {'; '.join(problems)}" if problems else "nothing was changed"
    return InstallError(f"installing {at[0]} failed while {at[1]}: {exc} ({outcome})")


class IncrementalInstall:
    """An install whose wheels are planned and written one by one, as each arrives verified.

    Only for installs that replace nothing (no reinstall, nothing to upgrade): then no
    removal has to come first, and writing early overlaps the other downloads. The
    guarantees are ``install_transaction``'s: a refusal, a failed write, ``abort()`` or an
    exception in the ``transaction()`` block undoes every earlier write too.
    """

    def __init__(self, scheme: Scheme) -> None:
        self._planner = _Planner(scheme, set(), False)
        self._journal = Journal()
        self._reports: list[DistReport] = []
        self._failed = False

    def add(self, item: InstallItem) -> None:
        if self._failed:
            raise InstallError(f"not installing {item.wheel.name}: an earlier part of this install failed and was undone")
        at = ["", ""]
        try:
            dist = self._planner.add(item)
            self._planner.check_removals()
            self._reports.append(_write_dist(dist, self._journal, at))
        except BaseException as exc:
            self._failed = True
            raise _undone(exc, self._journal, at) from exc

    def abort(self) -> None:
        """Undo everything written so far (the install failed elsewhere, with its own error)."""
        self._failed = True
        problems = self._journal.rollback()
        importlib.invalidate_caches()
        if problems:
            logger.warning("undoing the failed install was incomplete: %s", "; ".join(problems))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[InstallReport]:
        """Like ``install_transaction``'s block, once every item is added."""
        report = InstallReport(self._reports, [])
        with _undoable(report, self._journal):
            yield report


def _write_file(path: str, data: bytes) -> None:
    """The one place file contents are written from Python (tests make it fail on purpose)."""
    with open(path, "wb") as fh:
        fh.write(data)


def _write_members(archive: NativeArchive, items: list[tuple[int, int, str]], folders: Sequence[str] = ()) -> None:
    """The one place natively held files are written: ``(member, mode or 0, path)``, after
    making ``folders`` (new ones, parents first; the others exist)."""
    archive.write(items, folders)


# ---- planning: no writes happen here -----------------------------------------------------------


def _plan(
    items: Sequence[InstallItem], scheme: Scheme, replace: set[str], replace_owners: bool = False
) -> tuple[list[_Dist], list[RemovalPlan]]:
    planner = _Planner(scheme, replace, replace_owners)
    planned = [planner.add(item) for item in items]
    roots = scheme.roots()
    try:
        removals = [plan_removal(dist, roots) for dist in planner.removing.values()]
    except UninstallError as exc:
        raise InstallError(f"cannot replace an installed distribution: {exc}") from exc
    return planned, removals


class _Planner:
    """Where each item's files go, checked against what is installed and what came before."""

    def __init__(self, scheme: Scheme, replace: set[str], replace_owners: bool) -> None:
        self.scheme = scheme
        self.replace = replace
        self.replace_owners = replace_owners
        self.installed = scan_distributions([str(p) for p in scheme.lib_dirs()])
        self.owners = {str(path): dist for path, dist in owners_by_path(self.installed).items()}
        self.removing: dict[Path, InstalledDist] = {}
        self.names: set[str] = set()
        self.targets: dict[str, str] = {}
        self.folders: dict[str, bool] = {}  # whether each target's folder exists

    def check_removals(self) -> None:
        if self.removing:  # IncrementalInstall: never with replace empty and replace_owners false
            raise AssertionError("an incremental install cannot replace distributions")

    def add(self, item: InstallItem) -> _Dist:
        name = item.wheel.canonical_name
        if name in self.names:
            raise InstallError(f"cannot install {name} twice in one transaction")
        self.names.add(name)
        for dist in self.installed:
            if dist.canonical_name == name:
                if name not in self.replace:
                    raise InstallError(
                        f"cannot install {item.wheel.name} {item.wheel.version}: {dist.name} {dist.version} "
                        f"is already installed in {dist.location}; reinstall to replace it"
                    )
                self.removing.setdefault(dist.dist_info, dist)
        planned = _plan_dist(item, self.scheme)
        label = f"{item.wheel.name} {item.wheel.version}"
        targets, folders = self.targets, self.folders
        for f in planned.files:
            if f.target in targets:
                raise InstallError(f"{label} and {targets[f.target]} would both install {f.target}")
            targets[f.target] = label
            owner = self.owners.get(f.target)
            if owner is not None and owner.dist_info not in self.removing:
                if owner.canonical_name not in self.replace and not self.replace_owners:
                    raise InstallError(
                        f"cannot install {label}: {f.target} belongs to the installed distribution "
                        f"{owner.name} {owner.version}; uninstall {owner.name} first, or install with "
                        f"reinstall=True to replace it"
                    )
                self.removing.setdefault(owner.dist_info, owner)
            parent = os.path.dirname(f.target)
            if parent not in folders:  # most targets go to folders that do not exist yet: one stat each,
                # none for a folder inside one known not to exist (faker: 730 locale folders)
                folders[parent] = folders.get(os.path.dirname(parent)) is not False and os.path.isdir(parent)
            if folders[parent] and os.path.isdir(f.target) and not os.path.islink(f.target):
                raise InstallError(f"cannot install {label}: {f.target} is an existing folder")
        return planned


def _plan_dist(item: InstallItem, scheme: Scheme) -> _Dist:
    wheel = item.wheel
    libdir = str(scheme.path("purelib" if wheel.root_is_purelib else "platlib"))
    dist_info = Path(libdir, wheel.dist_info)
    skip = {f"{wheel.dist_info}/{n}" for n in (*_GENERATED, *item.extra_dist_info)}
    files = []
    for path in wheel.paths:
        if path in skip:
            continue
        target, is_script = _target(path, wheel, scheme, libdir)
        if is_script:
            data = wheel.read(path)
            rewritten = _rewrite_shebang(data)
            files.append(_File(target, rewritten, True, wheel.sha256(path) if rewritten is data else None))
            continue
        native = wheel.native_member(path)
        data = None if native is not None else wheel.read(path)
        files.append(_File(target, data, wheel.is_executable(path), wheel.sha256(path), wheel.size(path), native))
    files += [_File(f"{dist_info}/{name}", data, False) for name, data in _generated(item).items()]
    record = f"{dist_info}/RECORD"
    files.append(_File(record, _record(files, libdir, record), False))
    return _Dist(item, dist_info, tuple(files))


def _target(path: str, wheel: WheelFile, scheme: Scheme, libdir: str) -> tuple[str, bool]:
    """Where an archive path (validated by WheelFile: relative, no ``..``) is installed, and whether it is a script."""
    if wheel.data_dir is None or not path.startswith(wheel.data_dir + "/"):
        return f"{libdir}/{path}", False
    key, _, rest = path[len(wheel.data_dir) + 1 :].partition("/")
    if key == "headers":
        return str(scheme.path("headers") / wheel.name / rest), False
    return str(scheme.path(key) / rest), key == "scripts"


def _generated(item: InstallItem) -> dict[str, bytes]:
    """INSTALLER, REQUESTED, direct_url.json and the caller's extra dist-info files."""
    out = {"INSTALLER": item.installer.encode()}  # no newline, as Pyodide's micropip writes it (readers strip it)
    if item.requested:
        out["REQUESTED"] = b""
    if item.direct_url is not None:
        if not isinstance(item.direct_url, dict) or not isinstance(item.direct_url.get("url"), str):
            raise InstallError(f"{item.wheel.name}: direct_url must be a dict with a 'url' string (PEP 610)")
        out["direct_url.json"] = json.dumps(item.direct_url, sort_keys=True).encode()
    for name, data in item.extra_dist_info.items():
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or "\\" in name or any(p in ("..", ".") for p in parts):
            raise InstallError(f"{item.wheel.name}: invalid extra dist-info file name {name!r}")
        if name == "RECORD":
            raise InstallError(f"{item.wheel.name}: RECORD is written by the installer")
        out[name] = bytes(data)
    return out


def _rewrite_shebang(data: bytes) -> bytes:
    """``#!python`` / ``#!pythonw`` -> the running interpreter (PEP 427); other scripts unchanged."""
    match = _SHEBANG.match(data)
    if not match:
        return data
    interpreter = sys.executable or "/usr/bin/env python3"
    return b"#!" + os.fsencode(interpreter) + data[match.end() :]


def _record(files: list[_File], libdir: str, record: str) -> bytes:
    """RECORD with paths relative to site-packages (``..`` for scripts and data outside it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    base = libdir.rstrip("/") + "/"
    writer.writerows([_relative(f.target, base), f.sha256 or _sha256(f.data or b""), f.length] for f in files)
    writer.writerow([_relative(record, base), "", ""])
    return out.getvalue().encode()


def _relative(path: str, base: str) -> str:
    if path.startswith(base):  # nearly every file: a plain prefix, no relpath walk
        return path[len(base) :]
    return PurePosixPath(os.path.relpath(path, base)).as_posix()


def _sha256(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _report(dist: _Dist) -> DistReport:
    paths = [f.target for f in dist.files]
    return DistReport(
        name=dist.item.wheel.name,
        version=str(dist.item.wheel.version),
        dist_info=dist.dist_info,
        files=paths,
        shared_libraries=[Path(p) for p in paths if SHARED_LIBRARY.search(p)],
    )

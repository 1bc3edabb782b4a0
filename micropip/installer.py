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
import csv
import hashlib
import importlib
import io
import json
import os
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from .errors import InstallError
from .installed import InstalledDist, Scheme, owners_by_path, scan_distributions
from .uninstaller import Journal, RemovalPlan, UninstallError, UninstallReport, apply_removal, plan_removal
from .wheelfile import SHARED_LIBRARY, SIGNATURE_FILES, WheelFile

__all__ = ["DistReport", "InstallItem", "InstallReport", "Scheme", "install_transaction", "install_wheels"]

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
    name: str
    version: str
    dist_info: Path
    files: list[Path]
    shared_libraries: list[Path]  # .so files, for Pyodide to load before import


@dataclass
class InstallReport:
    distributions: list[DistReport]
    replaced: list[UninstallReport]

    @property
    def shared_libraries(self) -> list[Path]:
        return [p for d in self.distributions for p in d.shared_libraries]


@dataclass(frozen=True)
class _File:
    target: Path
    data: bytes
    executable: bool
    sha256: str | None = None  # RECORD-style, when already known


@dataclass(frozen=True)
class _Dist:
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
    try:
        yield report
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
    current, where = "", ""
    try:
        replaced = []
        for removal in removals:
            current, where = removal.dist.name, f"removing the old {removal.dist.name} {removal.dist.version}"
            replaced.append(apply_removal(removal, journal))
        reports = []
        for dist in planned:
            current = f"{dist.item.wheel.name} {dist.item.wheel.version}"
            for f in dist.files:
                where = f"writing {f.target}"
                journal.make_dirs(f.target.parent)
                journal.prepare_write(f.target)
                _write_file(f.target, f.data)
                if f.executable:
                    os.chmod(f.target, 0o755)
            reports.append(_report(dist))
    except BaseException as exc:
        problems = journal.rollback()
        importlib.invalidate_caches()
        if not isinstance(exc, Exception):
            raise
        outcome = f"rollback incomplete: {'; '.join(problems)}" if problems else "nothing was changed"
        raise InstallError(f"installing {current} failed while {where}: {exc} ({outcome})") from exc
    return InstallReport(reports, replaced), journal


def _write_file(path: Path, data: bytes) -> None:
    """The one place file contents are written (tests make it fail on purpose)."""
    with open(path, "wb") as fh:
        fh.write(data)


# ---- planning: no writes happen here -----------------------------------------------------------


def _plan(
    items: Sequence[InstallItem], scheme: Scheme, replace: set[str], replace_owners: bool = False
) -> tuple[list[_Dist], list[RemovalPlan]]:
    names = [item.wheel.canonical_name for item in items]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise InstallError(f"cannot install {', '.join(duplicates)} twice in one transaction")

    installed = scan_distributions([str(p) for p in scheme.lib_dirs()])
    owners = owners_by_path(installed)
    removing: dict[Path, InstalledDist] = {}

    def remove(dist: InstalledDist) -> None:
        removing.setdefault(dist.dist_info, dist)

    for item in items:
        for dist in installed:
            if dist.canonical_name == item.wheel.canonical_name:
                if dist.canonical_name not in replace:
                    raise InstallError(
                        f"cannot install {item.wheel.name} {item.wheel.version}: {dist.name} {dist.version} "
                        f"is already installed in {dist.location}; reinstall to replace it"
                    )
                remove(dist)

    planned = [_plan_dist(item, scheme) for item in items]
    targets: dict[Path, str] = {}
    for dist in planned:
        label = f"{dist.item.wheel.name} {dist.item.wheel.version}"
        for f in dist.files:
            if f.target in targets:
                raise InstallError(f"{label} and {targets[f.target]} would both install {f.target}")
            targets[f.target] = label
            owner = owners.get(f.target)
            if owner is not None and owner.dist_info not in removing:
                if owner.canonical_name not in replace and not replace_owners:
                    raise InstallError(
                        f"cannot install {label}: {f.target} belongs to the installed distribution "
                        f"{owner.name} {owner.version}; uninstall {owner.name} first, or install with "
                        f"reinstall=True to replace it"
                    )
                remove(owner)
            if os.path.isdir(f.target) and not os.path.islink(f.target):
                raise InstallError(f"cannot install {label}: {f.target} is an existing folder")

    roots = scheme.roots()
    try:
        removals = [plan_removal(dist, roots) for dist in removing.values()]
    except UninstallError as exc:
        raise InstallError(f"cannot replace an installed distribution: {exc}") from exc
    return planned, removals


def _plan_dist(item: InstallItem, scheme: Scheme) -> _Dist:
    wheel = item.wheel
    libdir = scheme.path("purelib" if wheel.root_is_purelib else "platlib")
    dist_info = libdir / wheel.dist_info
    skip = {f"{wheel.dist_info}/{n}" for n in (*_GENERATED, *item.extra_dist_info)}
    files = []
    for path, data in wheel.files():
        if path in skip:
            continue
        target, is_script = _target(path, wheel, scheme, libdir)
        if is_script:
            rewritten = _rewrite_shebang(data)
            files.append(_File(target, rewritten, True, wheel.sha256(path) if rewritten is data else None))
        else:
            files.append(_File(target, data, wheel.is_executable(path), wheel.sha256(path)))
    files += [_File(dist_info / name, data, False) for name, data in _generated(item).items()]
    files.append(_File(dist_info / "RECORD", _record(files, libdir, dist_info / "RECORD"), False))
    return _Dist(item, dist_info, tuple(files))


def _target(path: str, wheel: WheelFile, scheme: Scheme, libdir: Path) -> tuple[Path, bool]:
    """Where an archive path is installed, and whether it is a script."""
    if wheel.data_dir is None or not path.startswith(wheel.data_dir + "/"):
        return libdir / path, False
    key, _, rest = path[len(wheel.data_dir) + 1 :].partition("/")  # validated by WheelFile
    if key == "headers":
        return scheme.path("headers") / wheel.name / rest, False
    return scheme.path(key) / rest, key == "scripts"


def _generated(item: InstallItem) -> dict[str, bytes]:
    """INSTALLER, REQUESTED, direct_url.json and the caller's extra dist-info files."""
    out = {"INSTALLER": f"{item.installer}\n".encode()}
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


def _record(files: list[_File], libdir: Path, record: Path) -> bytes:
    """RECORD with paths relative to site-packages (``..`` for scripts and data outside it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for f in files:
        digest = f.sha256 or _sha256(f.data)
        writer.writerow([_relative(f.target, libdir), digest, len(f.data)])
    writer.writerow([_relative(record, libdir), "", ""])
    return out.getvalue().encode()


def _relative(path: Path, libdir: Path) -> str:
    text, base = str(path), str(libdir).rstrip("/") + "/"
    if text.startswith(base):  # nearly every file: a plain prefix, no relpath walk
        return text[len(base) :]
    return PurePosixPath(os.path.relpath(path, libdir)).as_posix()


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
        shared_libraries=[p for p in paths if SHARED_LIBRARY.search(p.name)],
    )

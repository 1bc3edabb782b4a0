"""Remove distributions - exactly what their RECORD lists - as one transaction.

Also home of ``Journal``, the undo log the installer shares: every change to
the file system is recorded before it is made, so a failure (or a cancelled
task) can put back the exact previous bytes.
"""

from __future__ import annotations

import importlib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from ..errors import MicropipError
from .installed import InstalledDist, Scheme, distributions_by_name, real_path

__all__ = [
    "Journal",
    "RemovalPlan",
    "UninstallError",
    "UninstallReport",
    "apply_removal",
    "plan_removal",
    "uninstall_distribution",
    "uninstall_distributions",
]


class UninstallError(MicropipError):
    """A distribution cannot be removed; nothing was changed."""


@dataclass
class UninstallReport:
    """What removing one distribution did, and what it left (files already gone, folders still used)."""

    name: str
    version: str
    dist_info: Path
    removed_files: list[Path] = field(default_factory=list)
    removed_dirs: list[Path] = field(default_factory=list)
    # What the user may want to know (pip and Pyodide's micropip warn about both):
    missing_files: list[Path] = field(default_factory=list)  # RECORD lists them, but they were already gone
    remaining_dirs: list[Path] = field(default_factory=list)  # its folders still holding files it did not list


# ---- the journal -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Saved:
    """A file as it was: bytes (or symlink target), permissions and times."""

    data: bytes | None
    link: str | None
    mode: int
    times: tuple[int, int]

    @classmethod
    def capture(cls, path: Path) -> _Saved:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return cls(None, os.readlink(path), st.st_mode, (st.st_atime_ns, st.st_mtime_ns))
        with open(path, "rb") as fh:
            data = fh.read()
        return cls(data, None, st.st_mode, (st.st_atime_ns, st.st_mtime_ns))

    def restore(self, path: Path) -> None:
        if os.path.lexists(path):
            os.unlink(path)
        if self.link is not None:
            os.symlink(self.link, path)
            return
        with open(path, "wb") as fh:
            fh.write(self.data or b"")
        os.chmod(path, stat.S_IMODE(self.mode))
        os.utime(path, ns=self.times)


class Journal:
    """Undo log: each change is recorded before it is made; ``rollback`` undoes them in reverse.

    Old bytes are kept in memory (in Pyodide the file system is memory anyway),
    which restores content, permissions and times exactly.
    """

    def __init__(self) -> None:
        self._undo: list[tuple[str, str | Path, _Saved | int | None]] = []
        self._known_dirs: set[str] = set()  # folders seen or made in this transaction
        self._made_dirs: set[str] = set()  # folders made in this transaction: nothing else is in them

    def make_dirs(self, path: str | Path, defer: list[str] | None = None) -> None:
        """Create ``path`` and missing parents, remembering which ones were new.

        ``defer``: the new folders are recorded (undo included) but appended to it, parents
        first, instead of made: the caller makes them before writing anything into them (the
        native writer makes a wheel's folders with its files, in one call)."""
        path = os.fspath(path)
        if path in self._known_dirs:  # a wheel writes many files per folder: stat once
            return
        missing = []
        current = path
        # A folder whose parent this transaction made cannot exist yet unless it made that
        # one too (then it is known): no look. Faker's 730 locale folders took two stats each.
        while current not in self._known_dirs and (
            os.path.dirname(current) in self._made_dirs or not os.path.isdir(current)
        ):
            missing.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        self._known_dirs.add(path)
        for folder in reversed(missing):
            self._known_dirs.add(folder)
            self._undo.append(("mkdir", folder, None))  # undone only if it exists
            if defer is None:
                os.mkdir(folder)
            else:
                defer.append(folder)
            self._made_dirs.add(folder)

    def prepare_write(self, path: str | Path, parent: str | None = None) -> None:
        """Call before creating ``path``: an existing file is saved and removed first.

        Removing (rather than writing through) also replaces a symlink instead of
        modifying whatever it points to. A folder this journal made holds nothing
        else, so files in it need no look.
        """
        if (parent if parent is not None else os.path.dirname(path)) not in self._made_dirs and os.path.lexists(path):
            self.remove_file(path)
        self._undo.append(("created", path, None))

    def remove_file(self, path: Path) -> None:
        saved = _Saved.capture(path)
        self._undo.append(("removed", path, saved))
        os.unlink(path)

    def remove_dir(self, path: Path) -> None:
        self._known_dirs.clear()  # a removed folder may be needed again later
        self._made_dirs.clear()
        mode = os.stat(path).st_mode
        os.rmdir(path)
        self._undo.append(("rmdir", path, mode))

    def commit(self) -> None:
        """Forget the undo information (and the saved bytes)."""
        self._undo.clear()

    def rollback(self) -> list[str]:
        """Undo everything, newest first; returns what could not be undone (best effort)."""
        self._known_dirs.clear()
        self._made_dirs.clear()
        problems = []
        while self._undo:
            action, path, extra = self._undo.pop()
            try:
                if action == "created":
                    if os.path.lexists(path):
                        os.unlink(path)
                elif action == "removed":
                    assert isinstance(extra, _Saved)
                    extra.restore(path)
                elif action == "mkdir":
                    if os.path.isdir(path):
                        os.rmdir(path)
                elif action == "rmdir":
                    os.mkdir(path)
                    os.chmod(path, stat.S_IMODE(int(extra or 0o755)))
            except OSError as exc:
                problems.append(f"{action} {path}: {exc}")
        return problems


# ---- planning and removing -------------------------------------------------------------------


@dataclass(frozen=True)
class RemovalPlan:
    """Checked before anything is removed: the files and where empty-folder cleanup stops."""

    dist: InstalledDist
    files: tuple[Path, ...]
    roots: frozenset[Path]
    missing: tuple[Path, ...] = ()  # listed in RECORD but not on disk


def plan_removal(dist: InstalledDist, roots: Sequence[Path]) -> RemovalPlan:
    """What removing ``dist`` deletes; refuses RECORD paths outside ``roots`` or the dist's folder."""
    if not dist.has_record:
        raise UninstallError(
            f"cannot uninstall {dist.name} {dist.version}: {dist.dist_info} has no (readable) RECORD, "
            "so which files are its own is unknown; remove it by hand"
        )
    allowed = frozenset([dist.location, *(real_path(r) for r in roots)])
    parents: dict[Path, Path] = {}  # resolving each folder once keeps this cheap
    files: dict[Path, None] = {}
    missing: list[Path] = []
    for rel, listed in zip(dist.files, dist.record_paths()):
        # The folder is resolved (a symlinked folder could lead anywhere), the file is not:
        # a symlink RECORD lists is removed itself, never what it points to.
        parent = parents.get(listed.parent) or parents.setdefault(listed.parent, real_path(listed.parent))
        path = parent / listed.name
        if not any(path != root and path.is_relative_to(root) for root in allowed):
            raise UninstallError(
                f"refusing to uninstall {dist.name} {dist.version}: its RECORD lists {rel!r}, "
                f"which resolves to {path}, outside the installation folders; nothing was removed"
            )
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            files[path] = None
        elif not os.path.lexists(path) and not rel.endswith("/"):
            missing.append(path)
    for path in _bytecode_for(list(files)):
        files.setdefault(path, None)
    for folder, _dirs, names in os.walk(dist.dist_info):  # files in dist-info not in RECORD
        for n in names:
            files.setdefault(Path(folder) / n, None)
    return RemovalPlan(dist, tuple(files), allowed, tuple(missing))


def apply_removal(plan: RemovalPlan, journal: Journal) -> UninstallReport:
    """Remove the planned files, then the folders that this left empty (deepest first)."""
    report = UninstallReport(plan.dist.name, plan.dist.version, plan.dist.dist_info, missing_files=list(plan.missing))
    folders: set[Path] = set()
    for path in plan.files:
        if not os.path.lexists(path):  # vanished since planning: nothing to do
            continue
        journal.remove_file(path)
        report.removed_files.append(path)
        folders.update(_folders_up_to_root(path.parent, plan.roots))
    for path in plan.missing:  # its folders, even when the files in them were already gone
        folders.update(_folders_up_to_root(path.parent, plan.roots))
    folders.add(plan.dist.dist_info)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if os.path.isdir(folder) and not os.path.islink(folder) and not os.listdir(folder):
            journal.remove_dir(folder)
            report.removed_dirs.append(folder)
    # Folders it had files in that something else keeps alive: only the outermost of each
    # nest is named (a package folder, not every subfolder under it).
    left = [f for f in folders if os.path.isdir(f) and f not in plan.roots]
    report.remaining_dirs = sorted(f for f in left if f.parent not in left)
    return report


def uninstall_distribution(
    name: str, paths: Sequence[str] | None = None, *, scheme: Scheme | None = None
) -> UninstallReport:
    """Remove one distribution; on failure everything removed is put back."""
    return uninstall_distributions([name], paths, scheme=scheme)[0]


def uninstall_distributions(
    names: Sequence[str], paths: Sequence[str] | None = None, *, scheme: Scheme | None = None
) -> list[UninstallReport]:
    """Remove several distributions in one transaction: all of them, or none.

    ``paths`` is where to look for them (default ``sys.path``); ``scheme`` gives the
    folders RECORD paths may point into (default: the interpreter's).
    """
    roots = (scheme or Scheme.from_sysconfig()).roots()
    plans: list[RemovalPlan] = []
    installed = distributions_by_name(paths)
    for name in dict.fromkeys(names):
        dist = installed.get(canonicalize_name(name))
        if dist is None:
            raise UninstallError(f"cannot uninstall {name}: it is not installed")
        plans.append(plan_removal(dist, roots))

    journal = Journal()
    current = plans[0].dist.name if plans else ""
    try:
        reports = []
        for plan in plans:
            current = plan.dist.name
            reports.append(apply_removal(plan, journal))
    except BaseException as exc:
        problems = journal.rollback()
        if not isinstance(exc, Exception):
            raise
        detail = f"; could not restore: {'; '.join(problems)}" if problems else "; nothing was changed"
        raise UninstallError(f"uninstalling {current} failed: {exc}{detail}") from exc
    journal.commit()
    importlib.invalidate_caches()
    return reports


# ---- helpers ---------------------------------------------------------------------------------


def _folders_up_to_root(folder: Path, roots: frozenset[Path]) -> list[Path]:
    """``folder`` and its parents below the nearest root (roots themselves are never removed)."""
    if not any(folder.is_relative_to(r) for r in roots):
        return []
    out = []
    while folder not in roots and folder.parent != folder:
        out.append(folder)
        folder = folder.parent
    return out


def _bytecode_for(files: list[Path]) -> list[Path]:
    """Existing ``__pycache__`` files compiled from the given ``.py`` files (any optimization level)."""
    found = []
    listings: dict[Path, list[str]] = {}
    for path in files:
        if path.suffix != ".py":
            continue
        cache = path.parent / "__pycache__"
        if cache not in listings:
            try:
                listings[cache] = os.listdir(cache)
            except OSError:
                listings[cache] = []
        pattern = re.compile(re.escape(path.stem) + r"\.[^.]+(\.opt-\d+)?\.pyc")
        found += [cache / n for n in listings[cache] if pattern.fullmatch(n)]
    return found

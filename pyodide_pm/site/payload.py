"""The part every flavour shares: ``packages/`` with the site's lock, its index and its files.

::

    packages/pyodide-lock.json   the site's lock (Pyodide loads it; micropip reads its index from it)
    packages/simple/...          PEP 503 HTML pages (index.html) and PEP 691 JSON (index.json)
    packages/files/...           every wheel the site serves, with PEP 658 .metadata files
    packages/pypi/<name>/json    the PyPI JSON API form
    packages/all.json            JupyterLite's piplite index (jupyterlite only)

The lock holds our micropip (and its parts), the requirements' closure, and Pyodide's
packages: online, all of Pyodide's at the release's CDN (absolute URLs); offline, only
those the site resolved (requirements and ``--available``) and what they load with, in
``files/``. Its ``"micropip"`` entry names the site's index, relative to the lock, then
the public indexes when the site is online: micropip in the page searches the site first.
The index holds the resolved closure (requirements and ``--available``) that does not
come from Pyodide's lock; offline, Pyodide's wheels too, since nothing else serves them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from lockfile import LockPackage, PyodideLock, read_pyodide_lock

from index_server.catalog import Catalog
from index_server.static_build import write_index
from micropip.index.client import LOCK_SETTINGS_KEY
from micropip.plan import PlannedPackage

from ..catalog import LOCK_NAME
from ..lock import wheel_lock_entry
from .closure import Closure
from .options import SiteError

PACKAGES = "packages"  # the folder, relative to the site
FILES = "files/"  # relative to the lock


@dataclass
class Contents:
    """What goes into ``packages/``, decided from the resolution before anything is downloaded."""

    ours: dict[str, LockPackage]  # the bundle's entries: micropip, its parts and dependencies
    bundle_dir: Path
    indexed: list[PlannedPackage]  # wheels the site's index lists
    pyodide: dict[str, LockPackage]  # offline: Pyodide's entries the site carries (with their shared libraries)

    def downloads(self, closure: Closure, offline: bool) -> list[PlannedPackage]:
        """Every file to fetch: the indexed wheels, and offline Pyodide's files too."""
        wanted = {p.filename: p for p in self.indexed}
        if offline:
            for key, entry in self.pyodide.items():
                wanted.setdefault(_basename(entry), closure.packages.get(key) or _as_planned(key, entry))
        return list(wanted.values())


def _as_planned(key: str, entry: LockPackage) -> PlannedPackage:
    """A lock entry the resolver did not name (a shared library), as a file to fetch."""
    return PlannedPackage(key, entry.version, "lockfile", entry.file_name, _basename(entry), entry.sha256, False, ())


def _basename(entry: LockPackage) -> str:
    return entry.file_name.rsplit("/", 1)[-1]


def plan_contents(closure: Closure, bundle_lock: PyodideLock, bundle_dir: Path, offline: bool) -> Contents:
    """Sort the resolved packages into what the lock, the index and ``files/`` get."""
    ours = {k: e for k, e in bundle_lock.packages.items() if "://" not in e.file_name}
    from_pyodide = [p for p in closure.plan.install if p.source == "lockfile" and p.name not in ours]
    indexed = [p for p in closure.plan.install if p.source != "lockfile"]
    pyodide: dict[str, LockPackage] = {}
    if offline:
        todo = [p.name for p in from_pyodide]
        while todo:  # what loads with them: shared libraries and their dependencies
            key = canonicalize_name(todo.pop())
            entry = bundle_lock.packages.get(key)
            if key in pyodide or entry is None or key in ours:
                continue
            pyodide[key] = entry
            todo.extend(entry.depends)
        indexed += [p for p in from_pyodide if p.filename.endswith(".whl")]
    return Contents(ours, bundle_dir, indexed, dict(sorted(pyodide.items())))


def write_packages(
    site: Path,
    *,
    contents: Contents,
    closure: Closure,
    data: dict[str, bytes],
    bundle_lock: PyodideLock,
    offline: bool,
    public_indexes: list[str],
    piplite: bool,
) -> Path:
    """Write ``site/packages/``; returns the lock's path."""
    folder = site / PACKAGES
    source = site / ".index-source"
    source.mkdir(parents=True)
    for package in contents.indexed:
        (source / package.filename).write_bytes(data[package.filename])
    skipped: list[str] = []
    index = Catalog(source, report=skipped.append).contents()
    if skipped:
        raise SiteError("these wheels cannot be offered by the site's index:\n" + "\n".join(f"  - {s}" for s in skipped))
    write_index(index, folder, piplite=piplite)
    shutil.rmtree(source)
    files = folder / FILES
    files.mkdir(parents=True, exist_ok=True)
    for entry in contents.ours.values():
        shutil.copyfile(contents.bundle_dir / entry.file_name, files / entry.file_name)
    for entry in contents.pyodide.values():
        if not (files / _basename(entry)).exists():  # shared libraries: in the lock, not in the index
            (files / _basename(entry)).write_bytes(data[_basename(entry)])

    packages = {} if offline else {k: e for k, e in bundle_lock.packages.items() if k not in contents.ours}
    for key, entry in contents.ours.items():
        packages[key] = replace(entry, file_name=FILES + entry.file_name)
    for key, entry in contents.pyodide.items():
        packages[key] = replace(entry, file_name=FILES + _basename(entry))
    for package in closure.plan.install:
        if package.source != "lockfile" and closure.is_required(package):
            packages[package.name] = wheel_lock_entry(package, FILES + package.filename, _sha256(package, data), data[package.filename])
    settings = {"index_urls": ["simple/", *([] if offline else public_indexes)]}
    lock = PyodideLock(bundle_lock.info, dict(sorted(packages.items())), {**bundle_lock.extra, LOCK_SETTINGS_KEY: settings})
    lock.validate(source=f"the site's {LOCK_NAME}")
    path = folder / LOCK_NAME
    path.write_text(lock.to_json())
    return path


def _sha256(package: PlannedPackage, data: dict[str, bytes]) -> str:
    return package.sha256 or hashlib.sha256(data[package.filename]).hexdigest()


def read_bundle_lock(bundle_dir: Path) -> PyodideLock:
    return read_pyodide_lock((bundle_dir / LOCK_NAME).read_bytes(), source=str(bundle_dir / LOCK_NAME))


def manifest_text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"

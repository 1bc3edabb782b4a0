"""What is installed, where, and which files each distribution owns.

Read-only: the installer asks ``file_owners`` before it writes, so a wheel can
never silently overwrite another distribution's files; the uninstaller trusts
only what a RECORD lists. ``Scheme`` lives here because both need to know the
folders an installation may legally touch.
"""

from __future__ import annotations

import _csv as csv  # see wheelfile.py
import io
import os
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from ..index.metadata_headers import parse_headers


def real_path(path: str | os.PathLike[str]) -> Path:
    """Absolute path with symlinks resolved, so two spellings of a folder compare equal."""
    return Path(os.path.realpath(path))


@dataclass(frozen=True)
class Scheme:
    """Where each kind of wheel file goes (the keys of a ``.data`` folder); str paths are accepted.

    ``headers`` is a root: a distribution's headers go to ``headers/<name>/``,
    the layout pip and distutils use (``include/site/pythonX.Y/<name>``).
    """

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path

    def __post_init__(self) -> None:
        for key in ("purelib", "platlib", "scripts", "data", "headers"):
            object.__setattr__(self, key, Path(getattr(self, key)))

    @classmethod
    def from_sysconfig(cls) -> Scheme:
        """The running interpreter's scheme (in Pyodide purelib = platlib = site-packages)."""
        paths = sysconfig.get_paths()
        headers = os.path.join(paths["data"], "include", "site", f"python{sys.version_info[0]}.{sys.version_info[1]}")
        return cls(*(Path(paths[k]) for k in ("purelib", "platlib", "scripts", "data")), Path(headers))

    def path(self, key: str) -> Path:
        """The resolved folder for a scheme key."""
        return real_path(getattr(self, key))

    def lib_dirs(self) -> list[Path]:
        """Where ``.dist-info`` folders live (purelib, then platlib if different)."""
        return list(dict.fromkeys([self.path("purelib"), self.path("platlib")]))

    def roots(self) -> list[Path]:
        """Every folder an installation may write below."""
        return list(dict.fromkeys(self.path(k) for k in ("purelib", "platlib", "scripts", "data", "headers")))


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution, as its ``.dist-info`` folder describes it.

    RECORD is read on first use (``files``): the resolver asks only for names, versions
    and requirements, and a page with many packages loaded must not pay for every RECORD.
    """

    name: str
    canonical_name: NormalizedName
    version: str
    location: Path  # the folder holding the dist-info (site-packages), resolved
    dist_info: Path
    installer: str | None  # INSTALLER contents, stripped
    requested: bool  # REQUESTED exists: the user asked for it, not a dependency
    requires: tuple[str, ...]  # Requires-Dist strings

    @cached_property
    def _record(self) -> list[str] | None:
        text = _read_text(self.dist_info, "RECORD")
        return _record_files(text) if text is not None else None

    @property
    def files(self) -> tuple[str, ...]:
        """RECORD paths as written (relative to ``location``, or absolute); none without a RECORD."""
        return tuple(self._record or ())

    @property
    def has_record(self) -> bool:
        """A readable, valid RECORD: only then may an uninstall trust the file list."""
        return self._record is not None

    def record_paths(self) -> list[Path]:
        """The RECORD paths made absolute (``..`` folded, symlinks not followed)."""
        return [Path(os.path.normpath(os.path.join(self.location, f))) for f in self.files]


def installed_distributions(paths: Sequence[str] | None = None) -> list[InstalledDist]:
    """Visible distributions: for a name found twice, the first on ``paths`` (like import)."""
    seen: set[str] = set()
    out = []
    for dist in scan_distributions(paths):
        if dist.canonical_name not in seen:
            seen.add(dist.canonical_name)
            out.append(dist)
    return out


def find_distribution(name: str, paths: Sequence[str] | None = None) -> InstalledDist | None:
    """The installed distribution whose canonical name matches ``name``."""
    return distributions_by_name(paths).get(canonicalize_name(name))


def distributions_by_name(paths: Sequence[str] | None = None) -> dict[str, InstalledDist]:
    """Canonical name -> the installed distribution that import finds first (one scan).

    Looking many names up one ``find_distribution`` at a time reads every METADATA once per
    name: uninstalling 300 packages took 27 s in Pyodide that way.
    """
    found: dict[str, InstalledDist] = {}
    for dist in scan_distributions(paths):
        found.setdefault(dist.canonical_name, dist)
    return found


def file_owners(paths: Sequence[str] | None = None) -> dict[Path, str]:
    """Installed file -> name of the distribution whose RECORD lists it."""
    return {path: dist.name for path, dist in owners_by_path(scan_distributions(paths)).items()}


def owners_by_path(dists: Iterable[InstalledDist]) -> dict[Path, InstalledDist]:
    """Installed file -> the distribution whose RECORD lists it (the first wins)."""
    owners: dict[Path, InstalledDist] = {}
    for dist in dists:
        for path in dist.record_paths():
            owners.setdefault(path, dist)
    return owners


def scan_distributions(paths: Sequence[str] | None = None) -> list[InstalledDist]:
    """Every readable ``.dist-info``/``.egg-info`` folder on ``paths`` (shadowed ones included)."""
    found: list[InstalledDist] = []
    seen: set[Path] = set()
    for entry in sys.path if paths is None else paths:
        folder = real_path(entry or ".")
        if folder in seen:
            continue
        seen.add(folder)
        try:
            names = sorted(os.listdir(folder))
        except OSError:  # missing folder, zip file on sys.path, ...
            continue
        for child in names:
            if child.endswith((".dist-info", ".egg-info")) and os.path.isdir(folder / child):
                dist = _read_dist(folder, folder / child)
                if dist is not None:
                    found.append(dist)
    return found


def _read_dist(location: Path, dist_info: Path) -> InstalledDist | None:
    # METADATA (PKG-INFO in an .egg-info) read directly, not through importlib.metadata,
    # which imports the email package (~80 ms in Pyodide) on every first install.
    text = _read_text(dist_info, "METADATA")
    if text is None:
        text = _read_text(dist_info, "PKG-INFO")
    if text is None:  # missing or unreadable: nothing we could describe
        return None
    metadata = parse_headers(text)
    name = metadata.get("Name")
    if not name:
        return None
    installer = _read_text(dist_info, "INSTALLER")
    return InstalledDist(
        name=name,
        canonical_name=canonicalize_name(name),
        version=metadata.get("Version") or "",
        location=location,
        dist_info=dist_info,
        installer=installer.strip() if installer is not None else None,
        requested=(dist_info / "REQUESTED").is_file(),
        requires=tuple(metadata.get_all("Requires-Dist") or ()),
    )


def _read_text(dist_info: Path, name: str) -> str | None:
    try:
        return (dist_info / name).read_text(encoding="utf-8")
    except (OSError, ValueError):  # missing, unreadable or not UTF-8: as good as missing
        return None


def _record_files(text: str) -> list[str] | None:
    """RECORD paths, or None when the file is not valid CSV (so it cannot be trusted)."""
    try:
        return [row[0] for row in csv.reader(io.StringIO(text, newline="")) if row and row[0]]
    except csv.Error:
        return None

"""What a folder of wheels (and sdists) offers: projects, files, hashes, metadata, yanks.

The folder is re-listed on every request so a wheel dropped in shows up at once;
each file is opened and hashed only once per (filename, mtime, size), so a
listing stays cheap. A broken file is reported once on stderr and left out:
one bad file must not take the whole index down.

Source distributions (``.tar.gz``, and the legacy ``.zip``) are listed beside the
wheels with their sha256; their ``PKG-INFO`` gives Requires-Python and the JSON API's
info, but they get no PEP 658 metadata file: PEP 658/691 ``core-metadata`` is for
wheels here, since an sdist's PKG-INFO may be dynamic (PEP 643). Several folders can
be served as one index (``Catalog([wheels, sdists])``); a file name found in two of
them is served from the first and the second is reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from packaging.metadata import parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

YANKED_SIDECAR = "yanked.json"

_METADATA_PATH = re.compile(r"^[^/]+\.dist-info/METADATA$")
_HASH_CHUNK = 1 << 20
SDIST_SUFFIXES = (".tar.gz", ".zip")
_PKG_INFO_LIMIT = 1 << 20  # a PKG-INFO larger than this is not read (the sdist is still listed)

Reporter = Callable[[str], None]


class BrokenWheel(Exception):
    """A file named like a wheel or sdist that the index cannot offer; the message says why."""


def is_distribution_name(name: str) -> bool:
    """Whether a folder entry is something the index offers (a wheel or an sdist)."""
    return name.endswith(".whl") or name.endswith(SDIST_SUFFIXES)


@dataclass(frozen=True)
class WheelEntry:
    """One distribution file as the index describes it (a wheel, or an sdist when
    ``packagetype == "sdist"``; the name stays for the code that already uses it)."""

    filename: str
    path: Path
    project: NormalizedName
    version: Version
    size: int
    mtime_ns: int
    sha256: str
    metadata: bytes | None  # a wheel's METADATA, served as ``<filename>.metadata`` (PEP 658); None for sdists
    metadata_sha256: str | None
    requires_python: str | None
    summary: str | None
    requires_dist: tuple[str, ...] | None  # None when the wheel declares no dependencies
    yanked: str | None = None  # None: not yanked; "" yanked without a reason (PEP 592)
    packagetype: str = "bdist_wheel"  # or "sdist", as the PyPI JSON API names them

    @property
    def is_wheel(self) -> bool:
        return self.packagetype == "bdist_wheel"

    @property
    def has_metadata_file(self) -> bool:
        """Whether ``<filename>.metadata`` exists (PEP 658): wheels only."""
        return self.metadata is not None

    @property
    def version_key(self) -> str:
        """The release a file belongs to, as the JSON API names it."""
        return str(self.version)

    @property
    def upload_time(self) -> str:
        """ISO 8601 in UTC with microseconds, derived from mtime so it is stable across runs."""
        seconds, nanos = divmod(self.mtime_ns, 1_000_000_000)
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=nanos // 1000)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Project:
    name: NormalizedName
    files: tuple[WheelEntry, ...]  # sorted by filename, so pages are deterministic

    @property
    def versions(self) -> list[str]:
        """Every release, oldest first by PEP 440 order."""
        by_key = {f.version_key: f.version for f in self.files}
        return sorted(by_key, key=by_key.__getitem__)

    def release(self, version: str) -> tuple[WheelEntry, ...]:
        return tuple(f for f in self.files if f.version_key == version)


@dataclass(frozen=True)
class IndexContents:
    """A consistent view of the folder at one moment."""

    projects: Mapping[NormalizedName, Project]  # sorted by name
    files: Mapping[str, WheelEntry]  # by filename
    skipped: tuple[tuple[str, str], ...] = ()  # (filename, reason) of broken wheels


def report_to_stderr(message: str) -> None:
    print(f"index_server: {message}", file=sys.stderr, flush=True)


class Catalog:
    """Reads ``folder`` (or several folders, as one index) on demand; safe to share between server threads."""

    def __init__(self, folder: Path | Sequence[Path], *, report: Reporter = report_to_stderr) -> None:
        folders = [folder] if isinstance(folder, (str, Path)) else list(folder)
        if not folders:
            raise ValueError("Catalog needs at least one folder")
        self.folders = tuple(Path(f) for f in folders)
        self.folder = self.folders[0]
        self._report = report
        self._lock = threading.Lock()
        self._wheels: dict[Path, tuple[tuple[int, int], WheelEntry | BrokenWheel]] = {}
        self._duplicates_reported: set[tuple[str, Path]] = set()
        self._signature: tuple | None = None
        self._contents: IndexContents | None = None

    def contents(self) -> IndexContents:
        """The index as the folder is now (cached while nothing in it changed)."""
        with self._lock:
            listing = self._list_folder()
            if listing != self._signature or self._contents is None:
                self._contents = self._build(listing)
                self._signature = listing
            return self._contents

    def _list_folder(self) -> tuple[tuple[int, str, int, int], ...]:
        """(folder number, name, mtime_ns, size) of every wheel, sdist and yanked sidecar."""
        found = []
        for number, folder in enumerate(self.folders):
            with os.scandir(folder) as it:
                for item in it:
                    if not (is_distribution_name(item.name) or item.name == YANKED_SIDECAR):
                        continue
                    try:
                        if not item.is_file():
                            continue
                        st = item.stat()
                    except OSError:
                        continue  # vanished while listing
                    found.append((number, item.name, st.st_mtime_ns, st.st_size))
        return tuple(sorted(found))

    def _build(self, listing: tuple[tuple[int, str, int, int], ...]) -> IndexContents:
        yanks: dict[str, str] = {}
        entries: list[WheelEntry] = []
        skipped: list[tuple[str, str]] = []
        seen: set[Path] = set()
        names: set[str] = set()
        for number, name, mtime_ns, size in listing:
            folder = self.folders[number]
            if name == YANKED_SIDECAR:
                yanks.update(self._read_yanks(folder / name))
                continue
            if name in names:
                if (name, folder) not in self._duplicates_reported:
                    self._duplicates_reported.add((name, folder))
                    self._report(f"ignoring {folder / name}: a file of that name is already served from an earlier folder")
                continue
            names.add(name)
            seen.add(folder / name)
            entry = self._wheel(folder / name, (mtime_ns, size))
            if isinstance(entry, BrokenWheel):
                skipped.append((name, str(entry)))
            else:
                entries.append(entry)
        for gone in set(self._wheels) - seen:
            del self._wheels[gone]

        grouped: dict[NormalizedName, list[WheelEntry]] = {}
        for entry in entries:
            if entry.filename in yanks:
                entry = dataclasses.replace(entry, yanked=yanks[entry.filename])
            grouped.setdefault(entry.project, []).append(entry)
        projects = {
            name: Project(name, tuple(sorted(files, key=lambda f: f.filename)))
            for name, files in sorted(grouped.items())
        }
        files = {f.filename: f for p in projects.values() for f in p.files}
        return IndexContents(projects, files, tuple(skipped))

    def _wheel(self, path: Path, key: tuple[int, int]) -> WheelEntry | BrokenWheel:
        cached = self._wheels.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        reader = read_wheel if path.name.endswith(".whl") else read_sdist
        try:
            result: WheelEntry | BrokenWheel = reader(path, mtime_ns=key[0])
        except BrokenWheel as exc:
            result = exc
            self._report(f"skipping {path.name}: {exc}")
        self._wheels[path] = (key, result)
        return result

    def _read_yanks(self, path: Path) -> dict[str, str]:
        """``{"<wheel filename>": "<reason>"}``; a bad sidecar is reported and ignored."""
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            self._report(f"ignoring {path.name}: not readable JSON ({exc})")
            return {}
        if not isinstance(data, dict):
            self._report(f'ignoring {path.name}: expected an object {{"<wheel filename>": "<reason>"}}')
            return {}
        yanks = {}
        for filename, reason in data.items():
            if reason is True:
                reason = ""
            if not isinstance(reason, str):
                self._report(f"ignoring the {path.name} entry for {filename}: the reason must be a string")
                continue
            yanks[filename] = reason
        return yanks


def read_wheel(path: Path, *, mtime_ns: int | None = None) -> WheelEntry:
    """Describe one wheel, or raise BrokenWheel saying what is wrong with it."""
    try:
        project, version, _build, _tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise BrokenWheel(str(exc)) from None
    try:
        with zipfile.ZipFile(path) as zf:
            candidates = [n for n in zf.namelist() if _METADATA_PATH.match(n)]
            if not candidates:
                raise BrokenWheel("no *.dist-info/METADATA in the archive")
            if len(candidates) > 1:
                raise BrokenWheel(f"several METADATA files in the archive: {', '.join(sorted(candidates))}")
            metadata = zf.read(candidates[0])
        sha256, size = _hash_file(path)
        if mtime_ns is None:
            mtime_ns = path.stat().st_mtime_ns
    except zipfile.BadZipFile as exc:
        raise BrokenWheel(f"not a zip archive ({exc})") from None
    except (OSError, zipfile.LargeZipFile, RuntimeError, EOFError) as exc:
        raise BrokenWheel(f"cannot read the archive ({exc})") from None
    fields = _parse_metadata(metadata)
    return WheelEntry(
        filename=path.name,
        path=path,
        project=project,
        version=version,
        size=size,
        mtime_ns=mtime_ns,
        sha256=sha256,
        metadata=metadata,
        metadata_sha256=hashlib.sha256(metadata).hexdigest(),
        requires_python=fields.get("requires_python"),
        summary=fields.get("summary"),
        requires_dist=tuple(fields["requires_dist"]) if fields.get("requires_dist") else None,
    )


def read_sdist(path: Path, *, mtime_ns: int | None = None) -> WheelEntry:
    """Describe one source distribution, or raise BrokenWheel when it is not a readable archive.

    A missing or unreadable PKG-INFO is not fatal (old sdists exist without one): the
    file is still listed, only without Requires-Python and summary.
    """
    try:
        project, version = parse_sdist_filename(path.name)
    except InvalidSdistFilename as exc:
        raise BrokenWheel(str(exc)) from None
    try:
        pkg_info = _read_pkg_info(path)
        sha256, size = _hash_file(path)
        if mtime_ns is None:
            mtime_ns = path.stat().st_mtime_ns
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise BrokenWheel(f"not a readable {'zip' if path.name.endswith('.zip') else 'tar.gz'} archive ({exc})") from None
    except (OSError, zipfile.LargeZipFile, RuntimeError) as exc:
        raise BrokenWheel(f"cannot read the archive ({exc})") from None
    fields: dict = {}
    if pkg_info is not None:
        try:
            fields = _parse_metadata(pkg_info)
        except BrokenWheel:
            fields = {}
    return WheelEntry(
        filename=path.name,
        path=path,
        project=project,
        version=version,
        size=size,
        mtime_ns=mtime_ns,
        sha256=sha256,
        metadata=None,
        metadata_sha256=None,
        requires_python=fields.get("requires_python"),
        summary=fields.get("summary"),
        requires_dist=tuple(fields["requires_dist"]) if fields.get("requires_dist") else None,
        packagetype="sdist",
    )


def _read_pkg_info(path: Path) -> bytes | None:
    """The top folder's PKG-INFO (``<name>-<version>/PKG-INFO``), or None."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if _is_top_pkg_info(info.filename) and info.file_size <= _PKG_INFO_LIMIT:
                    return zf.read(info)
        return None
    with tarfile.open(path, mode="r:gz") as tf:
        for member in tf:
            if member.isfile() and _is_top_pkg_info(member.name) and member.size <= _PKG_INFO_LIMIT:
                stream = tf.extractfile(member)
                return stream.read() if stream is not None else None
    return None


def _is_top_pkg_info(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO" and parts[0] not in ("", ".", "..")


def _parse_metadata(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BrokenWheel("METADATA is not UTF-8") from None
    raw, _unparsed = parse_email(text)
    missing = [field for field in ("metadata_version", "name", "version") if not raw.get(field)]
    if missing:
        headers = ", ".join(f.replace("_", "-").title() for f in missing)
        raise BrokenWheel(f"METADATA cannot be parsed (missing {headers})")
    return dict(raw)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size

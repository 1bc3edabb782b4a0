"""Unpack an sdist (``.tar.gz`` or ``.zip``) safely, or refuse it before writing anything.

An sdist is code from the internet about to be run, but unpacking it must not be
the moment it gets to write where it likes. So the whole member list is checked
first and only then written, by our own code (never ``tarfile.extractall``):

- every path is relative, has no ``..``, no backslash, no NUL, no drive, and lies under
  the one top folder every sdist has (``<name>-<version>/``);
- the same path twice is refused (which copy wins would depend on the unpacker);
- regular files and folders are written with plain modes (no setuid, no owner);
- a symlink or hard link is kept only when it points at a regular file or folder of the
  same archive, and is written as a *copy* of its target: no link ever lands on disk,
  so nothing written later can be steered through one; a link pointing out (absolute,
  ``..`` past the top, or to a missing member) is refused; devices and FIFOs too;
- counts and sizes are bounded (``Limits``): members, one member, the total, path length
  and depth. Sizes come from the headers and are checked again while bytes are copied,
  so a lying header cannot write more than it declared.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ArchiveTooLargeError, InvalidSdistError, UnsafeArchiveError

_COPY_CHUNK = 1 << 16
_LINK_DEPTH = 8


@dataclass(frozen=True)
class Limits:
    """Bounds on what an sdist may unpack to. The defaults fit any real pure-Python sdist
    (large ones such as Django's are ~10 MB, ~9,000 files) with room to spare."""

    max_members: int = 20_000
    max_member_size: int = 64 << 20
    max_total_size: int = 256 << 20
    max_path_length: int = 1024
    max_depth: int = 48


DEFAULT_LIMITS = Limits()

FILE, DIR, LINK = "file", "dir", "link"


@dataclass(frozen=True)
class Member:
    """One archive entry, already checked: ``path`` is normalized and relative to the top folder."""

    path: str  # "" for the top folder itself
    kind: str  # FILE, DIR or LINK
    size: int = 0
    executable: bool = False
    link_target: str | None = None  # for LINK: normalized path (relative to the top folder) it points at
    raw_name: str = ""  # as stored in the archive, for messages and for reading


def sdist_format(filename: str) -> str:
    """``"tar.gz"`` or ``"zip"`` from an sdist file name; anything else is not an sdist we build."""
    lower = filename.lower()
    if lower.endswith(".tar.gz"):
        return "tar.gz"
    if lower.endswith(".zip"):
        return "zip"
    raise InvalidSdistError(
        f"{filename} is not a source distribution this installer can build: only .tar.gz (PEP 625) "
        "and legacy .zip sdists are supported"
    )


def unpack_sdist(archive: bytes | Path, dest: Path, *, filename: str, limits: Limits = DEFAULT_LIMITS) -> Path:
    """Check every member of ``archive`` and write the sdist under ``dest``; returns the source tree.

    ``dest`` is created if needed and must be empty (or missing): the source tree is
    ``dest / <top folder>``. Raises UnsafeArchiveError / ArchiveTooLargeError /
    InvalidSdistError before anything is written when a member breaks a rule.
    """
    fmt = sdist_format(filename)
    data = archive if isinstance(archive, bytes) else Path(archive).read_bytes()
    with _open(data, fmt, filename) as reader:
        top, members = _checked_members(reader, filename, limits)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise ValueError(f"unpack_sdist needs an empty folder, {dest} is not")
        root = dest / top
        root.mkdir()
        _write(reader, root, members, filename, limits)
    return root


def read_pkg_info(archive: bytes | Path, *, filename: str, limit: int = 1 << 20) -> bytes | None:
    """The top folder's PKG-INFO without unpacking anything else, or None when there is none.

    Meant for reading PEP 643 static metadata before deciding to build.
    """
    fmt = sdist_format(filename)
    data = archive if isinstance(archive, bytes) else Path(archive).read_bytes()
    with _open(data, fmt, filename) as reader:
        for entry in reader.entries():
            parts = entry.name.strip("/").split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and entry.kind == FILE:
                if entry.size > limit:
                    raise ArchiveTooLargeError(f"{filename}: PKG-INFO is {entry.size} bytes, more than {limit}")
                return reader.read(entry, limit)
    return None


# ---- reading either format -------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One member of a source archive, tar or zip alike, checked before anything is written."""

    name: str
    kind: str  # FILE, DIR, LINK, HARDLINK or "special: <what>"
    size: int
    mode: int
    link: str | None
    handle: object  # TarInfo or ZipInfo


HARDLINK = "hardlink"


class _Reader:
    def __init__(self, data: bytes, filename: str) -> None:
        self.data = data
        self.filename = filename

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def entries(self) -> Iterator[_Entry]:
        raise NotImplementedError

    def read(self, entry: _Entry, limit: int) -> bytes:
        buffer = io.BytesIO()
        self.copy(entry, buffer, limit)
        return buffer.getvalue()

    def copy(self, entry: _Entry, out, limit: int) -> None:
        raise NotImplementedError


class _TarReader(_Reader):
    def __init__(self, data: bytes, filename: str) -> None:
        super().__init__(data, filename)
        try:
            self.tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise InvalidSdistError(f"{filename} is not a readable .tar.gz archive ({exc})") from None

    def close(self) -> None:
        self.tf.close()

    def entries(self) -> Iterator[_Entry]:
        try:
            for info in self.tf:  # lazily: a bad header stops us before the rest is decompressed
                yield _Entry(info.name, _tar_kind(info), info.size, info.mode, info.linkname or None, info)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise InvalidSdistError(f"{self.filename} is a damaged .tar.gz archive ({exc})") from None

    def copy(self, entry: _Entry, out, limit: int) -> None:
        stream = self.tf.extractfile(entry.handle)  # type: ignore[arg-type]
        if stream is None:
            raise InvalidSdistError(f"{self.filename}: cannot read {entry.name}")
        _bounded_copy(stream, out, min(limit, entry.size), self.filename, entry.name)


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return FILE
    if info.isdir():
        return DIR
    if info.issym():
        return LINK
    if info.islnk():
        return HARDLINK
    what = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device", tarfile.FIFOTYPE: "FIFO"}
    return "special: " + what.get(info.type, f"tar type {info.type!r}")


class _ZipReader(_Reader):
    def __init__(self, data: bytes, filename: str) -> None:
        super().__init__(data, filename)
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InvalidSdistError(f"{filename} is not a readable .zip archive ({exc})") from None

    def close(self) -> None:
        self.zf.close()

    def entries(self) -> Iterator[_Entry]:
        for info in self.zf.infolist():
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                if info.file_size > 4096:
                    raise UnsafeArchiveError(f"{self.filename}: the link {info.filename} has an absurd target")
                target = self.zf.read(info).decode("utf-8", "replace")
                yield _Entry(info.filename, LINK, 0, mode, target, info)
            elif info.is_dir():
                yield _Entry(info.filename, DIR, 0, mode, None, info)
            elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a plain file
                yield _Entry(info.filename, f"special: file mode {oct(mode)}", info.file_size, mode, None, info)
            else:
                yield _Entry(info.filename, FILE, info.file_size, mode, None, info)

    def copy(self, entry: _Entry, out, limit: int) -> None:
        try:
            with self.zf.open(entry.handle) as stream:  # type: ignore[arg-type]
                _bounded_copy(stream, out, min(limit, entry.size), self.filename, entry.name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise InvalidSdistError(f"{self.filename}: {entry.name} is damaged ({exc})") from None


def _open(data: bytes, fmt: str, filename: str) -> _Reader:
    return _TarReader(data, filename) if fmt == "tar.gz" else _ZipReader(data, filename)


def _bounded_copy(stream, out, declared: int, filename: str, name: str) -> None:
    """Copy at most ``declared`` bytes; more data than the header said is an error, not a surprise."""
    left = declared
    while True:
        chunk = stream.read(min(_COPY_CHUNK, left + 1))
        if not chunk:
            return
        if len(chunk) > left:
            raise ArchiveTooLargeError(f"{filename}: {name} holds more bytes than its header declares")
        out.write(chunk)
        left -= len(chunk)


# ---- checking ------------------------------------------------------------------------------


def _checked_members(reader: _Reader, filename: str, limits: Limits) -> tuple[str, list[Member]]:
    """(top folder, members relative to it), or raise; reads headers only."""
    top: str | None = None
    members: list[Member] = []
    seen: dict[str, str] = {}
    total = 0
    for count, entry in enumerate(reader.entries(), start=1):
        if count > limits.max_members:
            raise ArchiveTooLargeError(
                f"{filename} has more than {limits.max_members} members; refusing to unpack it "
                "(raise Limits.max_members if this sdist is really that big)"
            )
        parts = _safe_parts(entry.name, filename, limits)
        if entry.kind.startswith("special"):
            raise UnsafeArchiveError(f"{filename}: {entry.name} is a {entry.kind[9:]}; an sdist holds only files, folders and links")
        if top is None:
            top = parts[0]
        elif parts[0] != top:
            raise InvalidSdistError(
                f"{filename}: {entry.name} is outside the top folder {top}/; an sdist keeps everything "
                "in one <name>-<version>/ folder"
            )
        rel = "/".join(parts[1:])
        if entry.kind == FILE:
            if entry.size > limits.max_member_size:
                raise ArchiveTooLargeError(
                    f"{filename}: {entry.name} is {entry.size} bytes, more than the {limits.max_member_size} allowed per file"
                )
            total += entry.size
            if total > limits.max_total_size:
                raise ArchiveTooLargeError(
                    f"{filename} unpacks to more than {limits.max_total_size} bytes; refusing to unpack it"
                )
        if rel == "":
            if entry.kind != DIR:
                raise InvalidSdistError(f"{filename}: the top entry {entry.name} is not a folder")
            continue
        previous = seen.get(rel)
        if previous is not None and not (previous == DIR and entry.kind == DIR):
            raise UnsafeArchiveError(
                f"{filename}: {entry.name} appears twice; which copy would be used depends on the unpacker"
            )
        seen[rel] = entry.kind
        members.append(_member(entry, rel, parts, filename))
    if top is None:
        raise InvalidSdistError(f"{filename} is empty")
    for m in members:  # folders that only exist as parents of other members
        parts = m.path.split("/")
        for i in range(1, len(parts)):
            seen.setdefault("/".join(parts[:i]), DIR)
    _check_parents(members, seen, filename, top)
    _resolve_links(members, seen, filename, top)
    total += _copied_by_links(members)
    if total > limits.max_total_size:
        raise ArchiveTooLargeError(
            f"{filename} unpacks to more than {limits.max_total_size} bytes once its links are copied; refusing to unpack it"
        )
    return top, members


def _check_parents(members: list[Member], kinds: dict[str, str], filename: str, top: str) -> None:
    """No member may sit "inside" a link or a file: writing it would go through the link."""
    for m in members:
        parts = m.path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if kinds.get(parent) in (LINK, FILE):
                what = "a link" if kinds[parent] == LINK else "a file"
                raise UnsafeArchiveError(f"{filename}: {top}/{m.path} lies inside {top}/{parent}, which is {what}")


def _copied_by_links(members: list[Member]) -> int:
    """Bytes the link copies add: a link to a folder copies every file under it."""
    by_path = {m.path: m for m in members}
    sizes = {m.path: m.size for m in members if m.kind == FILE}
    extra = 0
    for m in members:
        if m.kind != LINK:
            continue
        target = _final_target(m.path, by_path)
        if target in sizes:
            extra += sizes[target]
        else:
            prefix = target + "/"
            extra += sum(size for path, size in sizes.items() if path.startswith(prefix))
    return extra


def _safe_parts(name: str, filename: str, limits: Limits) -> list[str]:
    if len(name) > limits.max_path_length:
        raise ArchiveTooLargeError(f"{filename}: a member name is {len(name)} characters long (limit {limits.max_path_length})")
    if "\x00" in name or "\\" in name:
        raise UnsafeArchiveError(f"{filename}: the member name {name!r} has a NUL or a backslash")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{filename}: {name} is an absolute path; refusing to unpack it")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"{filename}: {name} climbs out with '..'; refusing to unpack it")
    if not parts:
        raise UnsafeArchiveError(f"{filename}: the member name {name!r} is empty")
    if len(parts) > limits.max_depth:
        raise ArchiveTooLargeError(f"{filename}: {name} is nested {len(parts)} folders deep (limit {limits.max_depth})")
    return parts


def _member(entry: _Entry, rel: str, parts: list[str], filename: str) -> Member:
    if entry.kind == FILE:
        return Member(rel, FILE, entry.size, bool(entry.mode & 0o111), raw_name=entry.name)
    if entry.kind == DIR:
        return Member(rel, DIR, raw_name=entry.name)
    link = entry.link or ""
    if entry.kind == HARDLINK:
        # Tar hard links name another member of the archive, from the archive root.
        target_parts = _link_parts(link, [], filename, entry.name, archive_path=True)
        if not target_parts or target_parts[0] != parts[0]:
            raise UnsafeArchiveError(f"{filename}: the hard link {entry.name} points outside the sdist ({link})")
        return Member(rel, LINK, link_target="/".join(target_parts[1:]), raw_name=entry.name)
    # A symlink is relative to the folder holding it.
    target_parts = _link_parts(link, parts[1:-1], filename, entry.name, archive_path=False)
    return Member(rel, LINK, link_target="/".join(target_parts), raw_name=entry.name)


def _link_parts(link: str, base: list[str], filename: str, name: str, *, archive_path: bool) -> list[str]:
    if not link or link.startswith("/") or "\x00" in link or "\\" in link or (len(link) > 1 and link[1] == ":"):
        raise UnsafeArchiveError(f"{filename}: the link {name} points to the absolute or odd path {link!r}")
    joined = posixpath.normpath(posixpath.join(*base, link) if base else link)
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        raise UnsafeArchiveError(f"{filename}: the link {name} points outside the sdist ({link})")
    return [] if joined == "." else joined.split("/")


def _resolve_links(members: list[Member], kinds: dict[str, str], filename: str, top: str) -> None:
    """Every link must end, through at most a few other links, at a file or folder of the archive."""
    targets = {m.path: m.link_target for m in members if m.kind == LINK}
    for path in targets:
        current = path
        for _ in range(_LINK_DEPTH):
            target = targets[current]
            if target is None or target == "":
                raise UnsafeArchiveError(f"{filename}: the link {top}/{path} points at the sdist's top folder itself")
            kind = kinds.get(target)
            if kind == DIR and (path + "/").startswith(target + "/"):
                raise UnsafeArchiveError(f"{filename}: the link {top}/{path} points at a folder that contains it")
            if kind in (FILE, DIR):
                break
            if kind == LINK:
                current = target
                continue
            raise UnsafeArchiveError(
                f"{filename}: the link {top}/{path} points at {target}, which is not in the archive; refusing to unpack it"
            )
        else:
            raise UnsafeArchiveError(f"{filename}: the link {top}/{path} is part of a loop or a chain too long")


def _final_target(path: str, members: dict[str, Member]) -> str:
    for _ in range(_LINK_DEPTH + 1):
        m = members.get(path)
        if m is None or m.kind != LINK:  # a file, or a folder (possibly implicit)
            return path
        path = m.link_target or ""
    raise AssertionError("checked in _resolve_links")


# ---- writing -------------------------------------------------------------------------------


def _write(reader: _Reader, root: Path, members: list[Member], filename: str, limits: Limits) -> None:
    by_path = {m.path: m for m in members}
    by_raw = {m.raw_name: m for m in members}
    for entry in reader.entries():  # a second pass: tar.gz can only be read in order
        m = by_raw.get(entry.name)
        if m is None or m.kind == LINK:
            continue
        target = root / m.path
        if m.kind == DIR:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:  # "x": never through something already there
            reader.copy(entry, out, limits.max_member_size)
        os.chmod(target, 0o755 if m.executable else 0o644)
    for m in members:
        if m.kind != LINK:
            continue
        source = root / _final_target(m.path, by_path)
        target = root / m.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
        else:
            shutil.copyfile(source, target)

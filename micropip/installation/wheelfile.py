"""A wheel read from memory and checked completely before anything is installed.

``WheelFile.from_bytes`` is the only way in: it rejects (``InvalidWheelError``)
anything PEP 427 forbids or that could harm the environment - corrupt zips,
unsafe paths, files RECORD does not vouch for, zip bombs - so the installer can
trust every path and byte it gets. Each member is decompressed once and hashed
from that same buffer; the bytes are kept for installation, so nothing is read
twice (CPU is scarce under WebAssembly).
"""

from __future__ import annotations

import base64
import _csv as csv  # csv.py's C core, same defaults; csv.py took ~15 ms to compile
import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from ..errors import InvalidWheelError
from ..index.metadata_headers import Headers, parse_headers

if TYPE_CHECKING:
    from ..transport import NativeArchive

SUPPORTED_WHEEL_VERSION = (1, 0)
DEFAULT_MAX_UNPACKED_SIZE = 1 << 30  # 1 GiB in total, as declared by the zip directory
RATIO_CHECK_MIN_SIZE = 10 * 1024 * 1024  # small files may compress well legitimately
MAX_COMPRESSION_RATIO = 200
WEAK_HASHES = frozenset({"md5", "sha1"})
# Digests of fixed length that every Python build has; shake_* need a length, so no.
RECORD_HASHES = frozenset(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake_")) - WEAK_HASHES
SIGNATURE_FILES = ("RECORD.jws", "RECORD.p7s")
DATA_KEYS = frozenset({"purelib", "platlib", "scripts", "data", "headers"})
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class RecordRow:
    """One RECORD line: ``hash`` is ``algo=urlsafe-b64`` or None, ``size`` may be None."""

    path: str
    hash: str | None
    size: int | None


class WheelFile:
    """A validated wheel: metadata plus the decompressed bytes of every file.

    The bytes live in Python memory, or - for a wheel opened with ``from_archive`` -
    in JS memory, where the installer writes them from without copying them into wasm.
    """

    def __init__(
        self,
        *,
        filename: str,
        source: str,
        name: str,
        version: Version,
        build: BuildTag,
        tags: frozenset[Tag],
        dist_info: str,
        data_dir: str | None,
        wheel_version: tuple[int, int],
        root_is_purelib: bool,
        metadata: Headers,
        files: dict[str, bytes | None],
        sizes: dict[str, int],
        executable: frozenset[str],
        record: tuple[RecordRow, ...],
        sha256: dict[str, str],
        native: NativeArchive | None = None,
        native_index: dict[str, int] | None = None,
    ) -> None:
        # Use from_bytes(): this constructor trusts its arguments.
        self.filename = filename
        self.source = source
        self.name = name
        self.canonical_name: NormalizedName = canonicalize_name(name)
        self.version = version
        self.build = build
        self.tags = tags
        self.dist_info = dist_info
        self.data_dir = data_dir
        self.wheel_version = wheel_version
        self.root_is_purelib = root_is_purelib
        self.metadata = metadata
        self.record = record
        self._files = files
        self._sizes = sizes
        self._executable = executable
        self._sha256 = sha256
        self._native = native
        self._native_index = native_index or {}

    def __repr__(self) -> str:
        return f"<WheelFile {self.filename} ({len(self._files)} files)>"

    @classmethod
    def from_bytes(
        cls,
        filename: str,
        data: bytes,
        *,
        source: str = "",
        max_unpacked_size: int = DEFAULT_MAX_UNPACKED_SIZE,
        proven: bool = False,
    ) -> WheelFile:
        """Check ``data`` completely; ``source`` (URL or path) only goes into messages.

        ``proven``: these very bytes (the caller checked their sha256) passed every check in an
        earlier install, so RECORD's hashes are taken as they are instead of hashing each file
        again (the same bytes give the same answer); everything else is checked as ever."""
        return _load(
            cls, filename, source, max_unpacked_size, lambda fail: _ZipMembers(_open_zip(data, fail), data, fail), proven
        )

    @classmethod
    def from_archive(
        cls,
        filename: str,
        archive: NativeArchive,
        *,
        source: str = "",
        max_unpacked_size: int = DEFAULT_MAX_UNPACKED_SIZE,
        proven: bool = False,
    ) -> WheelFile:
        """The same checks as ``from_bytes`` on a wheel inflated natively (``transport.open_archive``).

        The native side only saves work: every path, size and RECORD hash is checked here.
        """
        return _load(cls, filename, source, max_unpacked_size, lambda fail: _NativeMembers(archive, fail), proven)

    def release(self) -> None:
        """Free natively held bytes (a no-op for a wheel read in Python); the wheel is unusable after."""
        if self._native is not None:
            self._native.release()

    # ---- contents -------------------------------------------------------------------

    @property
    def metadata_bytes(self) -> bytes:
        return self.read(f"{self.dist_info}/METADATA")

    @property
    def requires_dist(self) -> list[str]:
        return list(self.metadata.get_all("Requires-Dist") or [])

    @property
    def paths(self) -> tuple[str, ...]:
        """Every file in the archive (directories left out), in archive order."""
        return tuple(self._files)

    def files(self) -> Iterator[tuple[str, bytes]]:
        """``(archive path, bytes)`` for every file, without decompressing again."""
        return ((path, self.read(path)) for path in self._files)

    def read(self, path: str) -> bytes:
        try:
            data = self._files[path]
        except KeyError:
            raise KeyError(f"{self.filename} has no file {path!r}") from None
        if data is None:
            assert self._native is not None
            data = self._native.read(self._native_index[path])
        return data

    def size(self, path: str) -> int:
        return self._sizes[path]

    def native_member(self, path: str) -> tuple[NativeArchive, int] | None:
        """Where a natively held file lives, so the installer can write it from JS memory."""
        if self._files.get(path, b"") is not None or self._native is None:
            return None
        return self._native, self._native_index[path]

    def is_executable(self, path: str) -> bool:
        """Whether the zip entry carries a Unix execute bit."""
        return path in self._executable

    def sha256(self, path: str) -> str:
        """RECORD-style sha256 of a file (reused from verification when RECORD had it)."""
        cached = self._sha256.get(path)
        if cached is None:
            cached = self._sha256[path] = _record_digest("sha256", hashlib.sha256(self.read(path)).digest())
        return cached


# ---- loading and validation ---------------------------------------------------------------


class _Fail:
    """Builds InvalidWheelError messages with the file (and where it came from) in front."""

    def __init__(self, filename: str, source: str) -> None:
        where = f" (from {source})" if source and source != filename else ""
        self.prefix = f"invalid wheel {filename}{where}"

    def __call__(self, message: str) -> InvalidWheelError:
        return InvalidWheelError(f"{self.prefix}: {message}")


class _ZipMembers:
    """Members read in Python, with ``zipfile`` parsing the directory."""

    native = None

    def __init__(self, zf: zipfile.ZipFile, data: bytes, fail: _Fail) -> None:
        self.infos = zf.infolist()
        self._zf, self._data, self._fail = zf, data, fail

    def read(self, info: zipfile.ZipInfo) -> bytes:
        return _read_member(self._zf, self._data, info, self._fail)


class _NativeMembers:
    """Members inflated and hashed in JS; their bytes stay there unless read."""

    def __init__(self, archive: NativeArchive, fail: _Fail) -> None:
        self.native = archive
        self.infos = archive.entries
        self._position = {e.filename: i for i, e in enumerate(archive.entries)}  # names are unique (checked)
        self._fail = fail

    def index(self, info) -> int:
        """Where ``info`` sits in the archive; refuses a member that inflated to another size than declared."""
        i = self._position[info.filename]
        if self.native.lengths[i] != info.file_size:
            raise self._fail(
                f"the file is corrupt: {info.filename!r} inflates to {self.native.lengths[i]} bytes, "
                f"the archive says {info.file_size}"
            )
        return i

    def read(self, info) -> bytes:
        return self.native.read(self.index(info))


def _load(
    cls: type[WheelFile],
    filename: str,
    source: str,
    max_unpacked: int,
    open_members: Callable[[_Fail], _ZipMembers | _NativeMembers],
    proven: bool = False,
) -> WheelFile:
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    fail = _Fail(filename, source)
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except ValueError as exc:  # InvalidWheelFilename, or a version number too long to convert
        raise fail(f"bad file name: {exc}") from exc

    members = open_members(fail)

    _check_entries(members.infos, fail, max_unpacked)
    infos = [i for i in members.infos if not i.filename.endswith("/")]
    paths = [i.filename for i in infos]
    dist_info, data_dir = _find_special_dirs(paths, name, version, fail)

    # The small control files first, so a wrong wheel is rejected before the bulk is inflated.
    special = {f"{dist_info}/{n}" for n in ("WHEEL", "METADATA", "RECORD")}
    files: dict[str, bytes | None] = {i.filename: members.read(i) for i in infos if i.filename in special}
    wheel_version, root_is_purelib = _check_wheel_file(files, dist_info, fail)
    metadata = _check_metadata(files, dist_info, name, version, fail)
    record = _parse_record(files, dist_info, fail)
    native_index: dict[str, int] = {}
    digests: dict[str, str] = {}
    if members.native is None:
        # Archive order for the rest: each member is decompressed exactly once.
        files = {i.filename: files[i.filename] if i.filename in files else members.read(i) for i in infos}
        sizes = {path: len(data) for path, data in files.items()}
    else:
        for info in infos:
            i = native_index[info.filename] = members.index(info)
            digest = members.native.digest(i)
            if digest is not None:
                digests[info.filename] = digest
        files = {i.filename: files.get(i.filename) for i in infos}
        sizes = {i.filename: i.file_size for i in infos}

    def content(path: str) -> bytes:
        data = files[path]
        return data if data is not None else members.read(infos_by_path[path])

    infos_by_path = {i.filename: i for i in infos}
    executable = frozenset(i.filename for i in infos if (i.external_attr >> 16) & 0o111)
    sha256 = _verify_record(sizes, content, record, dist_info, fail, digests, proven=proven)
    return cls(
        filename=filename,
        source=source,
        name=str(metadata["Name"]).strip(),
        version=version,
        build=build,
        tags=tags,
        dist_info=dist_info,
        data_dir=data_dir,
        wheel_version=wheel_version,
        root_is_purelib=root_is_purelib,
        metadata=metadata,
        files=files,
        sizes=sizes,
        executable=executable,
        record=record,
        sha256=sha256,
        native=members.native,
        native_index=native_index,
    )


def _open_zip(data: bytes, fail: _Fail) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    # zipfile raises many exception types on hostile input; this try covers only
    # the parse of the central directory, so no bug of ours is hidden.
    except Exception as exc:
        raise fail(f"the file is corrupt or truncated (not a readable zip archive: {exc})") from exc


SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def top_level_modules(paths: Iterable[str]) -> tuple[str, ...]:
    """Importable top-level names among paths relative to site-packages (archive or RECORD paths).

    Folders and ``.py`` files count, and shared libraries by their stem; ``.dist-info``,
    ``__pycache__`` and anything outside site-packages do not. A ``.data/purelib`` or
    ``.data/platlib`` entry counts as what it installs to.
    """
    names: set[str] = set()
    for path in paths:
        first, sep, rest = path.partition("/")
        if first.endswith(".data"):
            key, _, path = rest.partition("/")
            if key not in ("purelib", "platlib"):
                continue
            first, sep, rest = path.partition("/")
        if first.endswith(".dist-info") or first == "__pycache__":
            continue
        if sep:
            candidate = first
        elif first.endswith(".py"):
            candidate = first[:-3]
        elif SHARED_LIBRARY.search(first):
            candidate = first.split(".", 1)[0]
        else:
            continue
        if candidate.isidentifier():
            names.add(candidate)
    return tuple(sorted(names))


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then file name and extra field lengths


def _member_start(data: bytes, info: zipfile.ZipInfo) -> int | None:
    """Offset of a member's compressed bytes, or None when its local header is not sound."""
    head = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(head) != _LOCAL_HEADER.size:
        return None
    signature, name_len, extra_len = _LOCAL_HEADER.unpack(head)
    begin = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    if signature != b"PK\x03\x04" or begin + info.compress_size > len(data):
        return None
    return begin


def _read_member(zf: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, fail: _Fail) -> bytes:
    """Inflate one member straight from the buffer: zipfile's reader adds a CRC-32 pass
    and per-member stream objects, while every file is sha256-checked against RECORD
    anyway. Other compression methods, and anything unusual, go through zipfile."""
    begin = _member_start(data, info)
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and begin is not None:
        raw = data[begin : begin + info.compress_size]
        try:
            # max_length: a member lying about its size cannot inflate past it (zip bomb).
            out = raw if info.compress_type == zipfile.ZIP_STORED else zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        except zlib.error as exc:
            raise fail(f"the file is corrupt: cannot inflate {info.filename!r}: {exc}") from exc
        if len(out) != info.file_size:
            raise fail(
                f"the file is corrupt: {info.filename!r} inflates to {len(out)} bytes, the archive says {info.file_size}"
            )
        return out
    try:
        return zf.read(info)
    except Exception as exc:  # same reasoning as _open_zip: decompressors raise anything
        raise fail(f"the file is corrupt or truncated: cannot read {info.filename!r}: {exc}") from exc


def _check_entries(infos: list[zipfile.ZipInfo], fail: _Fail, max_unpacked: int) -> None:
    """Path safety, duplicates and the zip-bomb guard, from the directory alone."""
    seen: set[str] = set()
    total = 0
    for info in infos:
        raw = info.orig_filename
        _check_path(raw, fail)
        path = info.filename
        if path in seen:
            raise fail(f"duplicate entry {path!r} (the archive lists it twice)")
        seen.add(path)
        if info.flag_bits & 0x1:
            raise fail(f"entry {path!r} is encrypted")
        if info.compress_type not in _COMPRESSIONS:
            raise fail(f"entry {path!r} uses unsupported compression method {info.compress_type}")
        total += info.file_size
        if total > max_unpacked:
            raise fail(f"unpacks to more than {max_unpacked} bytes (zip bomb guard)")
        if info.file_size > RATIO_CHECK_MIN_SIZE and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise fail(
                f"entry {path!r} expands {info.compress_size} -> {info.file_size} bytes, "
                f"over {MAX_COMPRESSION_RATIO}:1 (zip bomb guard)"
            )
    # A path may not be both a file and the parent folder of another file.
    files = {i.filename for i in infos if not i.filename.endswith("/")}
    checked: set[str] = set()
    for path in seen:
        stripped = path.rstrip("/")
        cut = stripped.rfind("/")
        while cut != -1:  # each folder above, deepest first; a folder checked once is done
            parent = stripped[:cut]
            if parent in checked:
                break
            checked.add(parent)
            if parent in files:
                raise fail(f"{parent!r} is both a file and a folder")
            cut = stripped.rfind("/", 0, cut)


def _check_path(path: str, fail: _Fail) -> None:
    if "\x00" in path:
        raise fail(f"entry name {path!r} contains a NUL byte")
    if "\\" in path:
        raise fail(f"entry {path!r} contains a backslash")
    if path.startswith("/") or _DRIVE.match(path):
        raise fail(f"entry {path!r} is an absolute path")
    parts = path[:-1].split("/") if path.endswith("/") else path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise fail(f"entry {path!r} is not a plain relative path (empty, '.' or '..' component)")


def _find_special_dirs(paths: list[str], name: str, version: Version, fail: _Fail) -> tuple[str, str | None]:
    """The one ``.dist-info`` folder (checked against the file name) and the ``.data`` folder."""
    tops = {p.split("/", 1)[0] for p in paths}
    dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        raise fail(f"expected exactly one top-level .dist-info folder, found {found}")
    dist_info = dist_infos[0]
    stem = dist_info[: -len(".dist-info")]
    if not _stem_matches(stem, name, version):
        raise fail(f"{dist_info} does not match the file name ({name} {version})")
    data_dir = f"{stem}.data"
    for top in tops:
        if top.endswith(".data") and top != data_dir:
            raise fail(f"unexpected data folder {top!r} (expected {data_dir!r})")
    for path in paths:
        if path.startswith(data_dir + "/"):
            key, _, rest = path[len(data_dir) + 1 :].partition("/")
            if key not in DATA_KEYS or not rest:
                raise fail(f"{path!r}: a .data entry must be <key>/<file>, key one of {sorted(DATA_KEYS)}")
    return dist_info, data_dir if data_dir in tops else None


def _stem_matches(stem: str, name: str, version: Version) -> bool:
    """``<name>-<version>`` with the name escaped or not: try every dash as the split."""
    for i, char in enumerate(stem):
        if char != "-":
            continue
        try:
            if canonicalize_name(stem[:i]) == name and Version(stem[i + 1 :]) == version:
                return True
        except ValueError:  # InvalidVersion
            continue
    return False


def _text(files: Mapping[str, bytes | None], path: str, fail: _Fail) -> str:
    data = files.get(path)
    if data is None:
        raise fail(f"{path} is missing")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{path} is not UTF-8 text") from exc


def _check_wheel_file(files: Mapping[str, bytes | None], dist_info: str, fail: _Fail) -> tuple[tuple[int, int], bool]:
    path = f"{dist_info}/WHEEL"
    msg = parse_headers(_text(files, path, fail))
    raw = (msg.get("Wheel-Version") or "").strip()
    match = re.fullmatch(r"(\d+)\.(\d+)", raw)
    if not match:
        raise fail(f"{path} has no valid Wheel-Version (got {raw!r})")
    version = (int(match[1]), int(match[2]))
    if version[0] > SUPPORTED_WHEEL_VERSION[0]:
        raise fail(f"unsupported Wheel-Version {raw}, upgrade micropip (it reads {SUPPORTED_WHEEL_VERSION[0]}.x)")
    if version[0] < 1:
        raise fail(f"unsupported Wheel-Version {raw}")
    purelib = (msg.get("Root-Is-Purelib") or "").strip().lower()
    if purelib not in ("true", "false"):
        raise fail(f"{path}: Root-Is-Purelib must be true or false (got {purelib!r})")
    return version, purelib == "true"


def _check_metadata(
    files: Mapping[str, bytes | None], dist_info: str, name: str, version: Version, fail: _Fail
) -> Headers:
    path = f"{dist_info}/METADATA"
    msg = parse_headers(_text(files, path, fail))
    meta_name = (msg.get("Name") or "").strip()
    meta_version = (msg.get("Version") or "").strip()
    if not meta_name or not meta_version:
        raise fail(f"{path} lacks Name or Version")
    if canonicalize_name(meta_name) != name:
        raise fail(f"{path} names project {meta_name!r}, the file name says {name!r}")
    try:
        same = Version(meta_version) == version
    except ValueError as exc:  # InvalidVersion
        raise fail(f"{path} has invalid Version {meta_version!r}") from exc
    if not same:
        raise fail(f"{path} says version {meta_version}, the file name says {version}")
    return msg


def _parse_record(files: Mapping[str, bytes | None], dist_info: str, fail: _Fail) -> tuple[RecordRow, ...]:
    path = f"{dist_info}/RECORD"
    text = _text(files, path, fail)
    rows: list[RecordRow] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if not row:
                continue
            if len(row) != 3:
                raise fail(f"{path}: malformed row {row!r} (expected path,hash,size)")
            entry, digest, size = row
            if size and not size.isdigit():
                raise fail(f"{path}: bad size {size!r} for {entry!r}")
            rows.append(RecordRow(entry, digest or None, int(size) if size else None))
    except csv.Error as exc:
        raise fail(f"{path} is not valid CSV: {exc}") from exc
    return tuple(rows)


def _verify_record(
    sizes: Mapping[str, int],
    content: Callable[[str], bytes],
    record: tuple[RecordRow, ...],
    dist_info: str,
    fail: _Fail,
    digests: Mapping[str, str] | None = None,
    *,
    proven: bool = False,
) -> dict[str, str]:
    """Every file listed with a matching hash and size; returns the sha256 values seen.

    ``digests`` are RECORD-style sha256 values computed natively; when RECORD has the
    very same text the file is proven, without decoding anything. ``proven``: the whole
    archive passed this check before (``WheelFile.from_bytes``): RECORD's hashes stand.
    """
    digests = digests or {}
    record_path = f"{dist_info}/RECORD"
    exempt = {record_path} | {f"{dist_info}/{s}" for s in SIGNATURE_FILES}
    listed: set[str] = set()
    sha256: dict[str, str] = {}
    for row in record:
        if row.path in listed:
            raise fail(f"RECORD lists {row.path!r} twice")
        listed.add(row.path)
        if row.path in exempt:
            continue
        size = sizes.get(row.path)
        if size is None:
            raise fail(f"RECORD lists {row.path!r}, which is not in the archive")
        if row.hash is None:
            raise fail(f"RECORD has no hash for {row.path!r}")
        known = digests.get(row.path)
        if known is not None and row.hash == known:
            sha256[row.path] = known
        else:
            algo, digest = _check_hash(row, lambda: content(row.path), fail, known, proven=proven)
            if algo == "sha256":
                sha256[row.path] = _record_digest(algo, digest)
        if row.size is not None and row.size != size:
            raise fail(f"size mismatch for {row.path!r}: RECORD says {row.size}, the file has {size} bytes")
    unlisted = [p for p in sizes if p not in listed and p not in exempt]
    if unlisted:
        more = f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else ""
        raise fail(f"{unlisted[0]!r} is not listed in RECORD{more}")
    return sha256


def _check_hash(
    row: RecordRow, data: Callable[[], bytes], fail: _Fail, known_sha256: str | None = None, *, proven: bool = False
) -> tuple[str, bytes]:
    algo, sep, value = (row.hash or "").partition("=")
    if not sep or not value:
        raise fail(f"RECORD hash for {row.path!r} is malformed ({row.hash!r})")
    if algo in WEAK_HASHES:
        raise fail(f"RECORD uses {algo} for {row.path!r}, which is too weak; sha256 is required")
    if algo not in RECORD_HASHES:
        raise fail(f"RECORD uses unsupported hash {algo!r} for {row.path!r}")
    try:
        expected = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:  # binascii.Error
        raise fail(f"RECORD hash for {row.path!r} is not urlsafe base64") from exc
    if proven:
        return algo, expected
    if algo == "sha256":
        actual = _digest_bytes(known_sha256) if known_sha256 is not None else hashlib.sha256(data()).digest()
    else:
        actual = hashlib.new(algo, data()).digest()
    if expected != actual:  # public digests: nothing to hide by comparing in constant time
        raise fail(f"hash mismatch for {row.path!r}: RECORD says {row.hash}, the file has {_record_digest(algo, actual)}")
    return algo, actual


def _digest_bytes(record_value: str) -> bytes:
    value = record_value.partition("=")[2]
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _record_digest(algo: str, digest: bytes) -> str:
    return f"{algo}={base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')}"

"""One persistent cache, several kinds of entries, one cap, one clear, one corruption rule.

A fresh Pyodide starts with an empty filesystem: without this a returning visitor downloads
every page, metadata file and wheel again, and compiles every module again. Kinds (by name):

- ``<sha256>.whl``: a verified wheel; ``<sha256>.metadata``: a PEP 658 metadata file. Both
  are content-addressed: the name is the sha256 of the bytes, hashed again on every read.
- ``<sha256 of the URL>.page``: an index page with its HTTP validators (``index.page_cache``).
- ``<wheel sha256>-<bytecode magic>.pyc``: the compiled modules of one wheel for one
  interpreter (``installation.bytecode``); a Pyodide with another magic never asks for it.
- ``<sdist sha256>.built``: which wheel an sdist built into (``build_sdists``).
- ``<sha256 of the question>.plan``: a resolution's plan (``resolution.remembered``).

The corruption rule: a content-addressed entry must hash to its name; every other entry is
sealed (its payload's length and CRC-32 in front of it: the seal catches a torn, truncated or
damaged entry, which is what storage does; a CRC runs ~5x faster than sha256 in wasm, and a
returning visitor's sympy reads 46 MB of sealed bytecode). An entry that fails is deleted and reported
as missing, never returned: the caller downloads or compiles again. No storage failure raises:
the first one in a session logs a warning (installs go on without the cache), later ones are
debug lines. An ``index.json`` records each entry's size and last use, for least-recently-used
eviction past ``max_bytes`` over all kinds together; a missing or corrupt one is rebuilt from
the stored names.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
import zlib
from dataclasses import dataclass

from .. import transport
from ..transport import JsBytes
from .stores import Store

logger = logging.getLogger("micropip")

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
INDEX_NAME = "index.json"
INDEX_VERSION = 1
_KEY = re.compile(r"[0-9a-f]{64}")
_HASHED = re.compile(r"([0-9a-f]{64})\.(whl|metadata)")  # content-addressed
_SEALED = re.compile(r"[0-9a-f]{64}(\.page|\.built|\.plan|-[0-9a-f]{8}\.pyc)")
_SEAL = b"PPMC2"  # then the payload's length (8 bytes) and CRC-32 (4 bytes), then the payload
_SEAL_V1 = b"PPMC1"  # earlier releases: then the sha256 of the payload (32 bytes), still read

_warned = False


def storage_problem(doing: str, store: Store, exc: BaseException) -> None:
    """Say once per session that the cache could not be used; later failures are debug lines."""
    global _warned
    text = f"cache: could not {doing} in {store.describe()}: {_reason(exc)}"
    if _warned:
        logger.debug(text)
        return
    _warned = True
    logger.warning("%s (installing goes on without the cache; nothing else is said about it this session)", text)


def is_entry(name: str) -> bool:
    """A name this cache owns (the index aside)."""
    return bool(_HASHED.fullmatch(name) or _SEALED.fullmatch(name))


def seal(payload: bytes) -> bytes:
    return _SEAL + len(payload).to_bytes(8, "little") + zlib.crc32(payload).to_bytes(4, "little") + payload


def unseal(data: bytes) -> bytes | None:
    """The payload, or None when the bytes are not a whole sealed entry."""
    payload = _sealed_payload(data)
    return bytes(payload) if payload is not None else None


def _sealed_payload(data: bytes) -> memoryview | None:
    """``unseal`` as a view of ``data``: a copy of tens of MB costs as much as checking it."""
    view = memoryview(data)
    if data[:5] == _SEAL_V1:
        head = 5 + 32
        ok = len(data) >= head and hashlib.sha256(view[head:]).digest() == data[5:head]
        return view[head:] if ok else None
    head = len(_SEAL) + 12
    if len(data) < head or data[:5] != _SEAL or int.from_bytes(data[5:13], "little") != len(data) - head:
        return None
    payload = view[head:]
    return payload if zlib.crc32(payload) == int.from_bytes(data[13:head], "little") else None


@dataclass
class Entry:
    """What the eviction needs to know of one cached entry: its size and when it was last used."""

    size: int
    used: float  # time.time() of the last put or get


class Cache:
    """Entries of every kind, bounded by ``max_bytes`` with least-recently-used eviction.

    No method raises for a storage problem: the cache only ever saves a download or a compile.
    """

    def __init__(self, store: Store, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._last_time = 0.0
        # Index updates wait here and are written together: an install touches every entry
        # at once, and one index write per entry would serialise them all.
        self._pending: dict[str, Entry] = {}
        self._pending_puts: set[str] = set()
        self._flushing: asyncio.Future | None = None
        self._listed = False  # the stored names were listed once in this session
        # What the store held when this session first read it (the index's names, or the
        # listing of a store without one), plus what this session put since: a name outside
        # it is not read at all. A new visitor's install asks for a few hundred entries that
        # cannot be there, and each miss was a round trip to Node's fs or Cache Storage
        # before the request it stood in front of. Another tab's entry written since is
        # missed at worst: the page or file is fetched again. None: unknown, read every name.
        self._known: set[str] | None = None
        self._knowing: asyncio.Future | None = None
        self._written: set[str] = set()  # put by this session

    def __repr__(self) -> str:
        return f"Cache({self.store.describe()!r}, max_bytes={self.max_bytes})"

    # -- any kind -------------------------------------------------------------------------

    async def read(
        self, name: str, *, keep_in_js: bool = False, view: bool = False
    ) -> bytes | memoryview | JsBytes | None:
        """The entry ``name`` checked by the corruption rule, or None (absent, unreadable or
        corrupt: a corrupt entry is deleted). A sealed entry is returned without its seal, as
        a ``memoryview`` with ``view`` (no copy: bytecode entries run to tens of MB)."""
        if not is_entry(name):
            return None
        hashed = _HASHED.fullmatch(name)
        known = self._names_listed()
        if known is not None and name not in known:
            return None
        try:
            data = await self.store.read(name, keep_in_js=keep_in_js and hashed is not None)
        except Exception as exc:
            logger.debug("cache: cannot read %s from %s: %s", name, self.store.describe(), _reason(exc))
            return None
        if data is None:
            return None
        size = len(data)
        if hashed is not None:
            good = transport.sha256_hex(data) == hashed.group(1)
        else:
            data = _sealed_payload(transport.as_bytes(data))
            good = data is not None
            if good and not view:
                data = bytes(data)
        if not good:
            logger.warning("cache: the entry %s in %s was corrupt; deleted it", name, self.store.describe())
            await self._forget(name)
            return None
        self._note_use(name, size)
        return data

    async def may_hold(self, suffix: str) -> bool:
        """Whether an entry whose name ends with ``suffix`` may be stored (False: surely none)."""
        known = await self._names_known()
        return known is None or any(name.endswith(suffix) for name in known)

    async def write(self, name: str, data: bytes | JsBytes) -> bool:
        """Keep ``data`` under ``name`` (sealed unless the name is its sha256), then evict the
        least recently used entries past ``max_bytes``. False when nothing was stored."""
        hashed = _HASHED.fullmatch(name)
        if hashed is None:
            if not _SEALED.fullmatch(name):
                raise ValueError(f"not a cache entry name: {name!r}")
            data = seal(transport.as_bytes(data))
        elif transport.sha256_hex(data) != hashed.group(1):
            logger.warning(
                "cache: refused to store %d bytes as %s: their sha256 is %s", len(data), name, transport.sha256_hex(data)
            )
            return False
        if len(data) > self.max_bytes:
            logger.debug("cache: %s (%d bytes) is larger than the whole cache (%d bytes)", name, len(data), self.max_bytes)
            return False
        try:
            await self.store.write(name, data)  # atomic on its own; the index follows
        except Exception as exc:
            storage_problem(f"store {name}", self.store, exc)
            return False
        self._pending_puts.add(name)
        self._written.add(name)
        if self._known is not None:
            self._known.add(name)
        await self._record_use(name, len(data))
        return True

    async def discard(self, name: str) -> None:
        """Delete an entry its reader found unusable (e.g. bytecode of another magic inside)."""
        await self._forget(name)

    # -- wheels, by sha256 ------------------------------------------------------------------

    async def get(self, sha256_hex: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
        """The wheel whose sha256 is ``sha256_hex``, or None; a corrupt entry is deleted, never returned.

        ``keep_in_js``: in Pyodide, the bytes may stay in JS memory (hashed there), for
        the native unpacker.
        """
        key = _key(sha256_hex)
        return await self.read(key + ".whl", keep_in_js=keep_in_js) if key else None

    async def put(self, sha256_hex: str, data: bytes | JsBytes) -> None:
        """Keep a wheel under its sha256 (bytes of another sha256 are refused). Never raises."""
        key = _key(sha256_hex)
        if key is None:
            logger.warning("cache: refused to store %d bytes under sha256 %r: not a sha256", len(data), sha256_hex)
            return
        await self.write(key + ".whl", data)

    async def get_built(self, sdist_sha256: str) -> tuple[str, bytes | JsBytes] | None:
        """``(wheel file name, wheel bytes)`` built earlier from the sdist with this sha256, or None."""
        key = _key(sdist_sha256)
        if key is None:
            return None
        try:
            raw = await self.read(key + ".built")
            entry = json.loads(raw) if raw is not None else None
            filename, wheel_sha = str(entry["wheel"]), str(entry["sha256"])
        except Exception:  # missing, unreadable or not ours: build again
            return None
        if "/" in filename or not filename.endswith(".whl"):
            return None
        data = await self.get(wheel_sha)
        return (filename, data) if data is not None else None

    async def put_built(self, sdist_sha256: str, filename: str, data: bytes | JsBytes) -> None:
        """Keep a wheel built from the sdist ``sdist_sha256`` (never raises, like ``put``)."""
        key = _key(sdist_sha256)
        if key is None:
            return
        wheel_sha = transport.sha256_hex(data)
        await self.put(wheel_sha, data)
        await self.write(key + ".built", json.dumps({"wheel": filename, "sha256": wheel_sha}).encode())

    # -- the whole cache ------------------------------------------------------------------

    async def clear(self) -> None:
        """Delete every entry of every kind and the index (and temp files a crash left behind)."""
        async with self._guard():
            try:
                for name in await self.store.list():
                    if is_entry(name) or name == INDEX_NAME or (name.startswith(".") and name.endswith(".tmp")):
                        await self.store.remove(name)
                cleared = True
            except Exception as exc:
                storage_problem("clear", self.store, exc)
                cleared = False
            self._written.clear()
            if self._knowing is not None and self._knowing.done():
                self._known = set() if cleared else None  # a failed clear may have left some: read them all

    async def usage(self) -> int:
        """Bytes of entries stored now (the index itself not counted); 0 when storage cannot be read."""
        try:
            return sum(size for name, size in (await self.store.list()).items() if is_entry(name))
        except Exception as exc:
            storage_problem("list the entries", self.store, exc)
            return 0

    # -- the index: last-use times; the stored names say what exists and how big it is

    def _names_listed(self) -> set[str] | None:
        """``_known`` once listed, starting the listing if need be; None until then (and when
        unknown). A read before it is done goes to the store: one round trip, where waiting
        for the index and the listing took two, in front of a first install's first request."""
        if self._knowing is None:
            self._knowing = asyncio.ensure_future(self._read_known())
        return self._known if self._knowing.done() else None

    async def _names_known(self) -> set[str] | None:
        """The names that may be stored (``_known``), read once per session."""
        if self._names_listed() is None and not self._knowing.done():
            await asyncio.shield(self._knowing)
        return self._known

    async def _read_known(self) -> None:
        entries, whole = await self._read_index_checked()
        known: set[str] | None = set(entries) if whole else None
        if known is None:  # a new store, or one whose index was lost or spoiled: the listing says
            try:
                known = {name for name in await self.store.list() if is_entry(name)}
            except Exception:  # unreadable: read every name, as without this
                known = None
        self._known = known | self._written if known is not None else None

    async def _read_index(self) -> dict[str, Entry]:
        return (await self._read_index_checked())[0]

    async def _read_index_checked(self) -> tuple[dict[str, Entry], bool]:
        """The index's entries, and whether it was there and readable."""
        try:
            raw = await self.store.read(INDEX_NAME)
        except Exception:
            return {}, False
        entries = parse_index(transport.as_bytes(raw) if raw is not None else None)
        return entries, bool(entries) or raw == _EMPTY_INDEX

    async def _stored_entries(self) -> dict[str, Entry]:
        """Every stored entry, with its last use from the index (0: unknown, so evicted first)."""
        index = await self._read_index()
        return {
            name: Entry(size, index[name].used if name in index else 0.0)
            for name, size in (await self.store.list()).items()
            if is_entry(name)
        }

    async def _write_index(self, entries: dict[str, Entry]) -> None:
        data = {"version": INDEX_VERSION, "entries": {k: {"size": e.size, "used": e.used} for k, e in sorted(entries.items())}}
        await self.store.write(INDEX_NAME, json.dumps(data, separators=(",", ":")).encode())

    def _note_use(self, name: str, size: int) -> None:
        """A read's last-use time goes into the index later, off the reader's path (``settle``)."""
        self._pending[name] = Entry(size, self._now())
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(0.05)  # the reads of one install land in one index write
        await self._flush()

    async def settle(self) -> None:
        """Wait until every noted use and put is in the index (an install ends with this)."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)

    async def _record_use(self, name: str, size: int) -> None:
        """Note a use in the index (with others waiting at the same time, in one write)."""
        self._pending[name] = Entry(size, self._now())
        while name in self._pending:
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.ensure_future(self._flush())
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            puts, self._pending_puts = self._pending_puts & set(batch), self._pending_puts - set(batch)
            async with self._guard():
                try:
                    # The index says what is kept and how big; only when a put takes it past the cap
                    # are the stored names listed (sizes, and entries the index lost: another tab's)
                    # and the least recently used evicted. Listing Cache Storage reads every entry.
                    entries, whole = await self._read_index_checked()
                    if not whole:
                        self._listed = False  # the next put lists what is really stored
                    entries.update(batch)
                    # Listed too on the first put of a session and when the index was lost: what
                    # another tab or an older session stored without the index knowing counts too.
                    over = sum(e.size for e in entries.values()) > self.max_bytes
                    if puts and (over or not self._listed):
                        self._listed = True
                        entries = {**await self._stored_entries(), **batch}
                        for old in _to_evict(entries, self.max_bytes, keep=puts):
                            await self.store.remove(old)
                            del entries[old]
                    await self._write_index(entries)
                except Exception as exc:
                    if puts:
                        storage_problem("update the index", self.store, exc)
                    else:
                        logger.debug("cache: could not update the index of %s: %s", self.store.describe(), _reason(exc))

    async def _forget(self, name: str) -> None:
        async with self._guard():
            try:
                await self.store.remove(name)
                entries = await self._read_index()
                if entries.pop(name, None) is not None:
                    await self._write_index(entries)
            except Exception as exc:
                storage_problem(f"delete the unusable entry {name}", self.store, exc)

    def _guard(self) -> asyncio.Lock:
        """One index update at a time (per event loop: a lock belongs to the loop it first waits on)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _now(self) -> float:
        """Wall-clock time, strictly increasing here, so two uses in one clock tick keep their order."""
        self._last_time = max(time.time(), self._last_time + 1e-6)
        return self._last_time


_EMPTY_INDEX = json.dumps({"version": INDEX_VERSION, "entries": {}}, separators=(",", ":")).encode()


def parse_index(raw: bytes | None) -> dict[str, Entry]:
    """The index's entries; {} for a missing, corrupt or unknown-version index (it is rebuilt).

    Version 1 named wheels by their bare sha256; those names become ``<sha256>.whl``."""
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
        if doc.get("version") != INDEX_VERSION:
            return {}
        out = {}
        for k, v in doc["entries"].items():
            name = k + ".whl" if _KEY.fullmatch(k) else k
            if is_entry(name):
                out[name] = Entry(int(v["size"]), float(v["used"]))
        return out
    except Exception:
        return {}


def _to_evict(entries: dict[str, Entry], max_bytes: int, keep: set[str]) -> list[str]:
    """Least recently used first, until the rest fits in ``max_bytes``; ``keep`` stays."""
    total = sum(e.size for e in entries.values())
    evict = []
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].used, item[0])):
        if total <= max_bytes:
            break
        if name not in keep:
            evict.append(name)
            total -= entry.size
    return evict


def _key(sha256_hex: str) -> str | None:
    key = sha256_hex.strip().lower() if isinstance(sha256_hex, str) else ""
    return key if _KEY.fullmatch(key) else None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

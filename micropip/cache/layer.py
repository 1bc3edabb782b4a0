"""A cache of verified wheels, keyed by sha256, that outlives the interpreter.

A fresh Pyodide starts with an empty filesystem: without this every re-install
downloads every wheel again. An entry is named by its sha256 and hashed again on every
read (a corrupt entry is dropped). No storage failure raises: it logs a warning and the
caller downloads as usual.

Where the bytes live (chosen by ``current()``):

- host CPython: a folder, ``$XDG_CACHE_HOME/pyodide-pm/wheels`` or
  ``~/.cache/pyodide-pm/wheels``, one ``<sha256>.whl`` file per wheel;
- Pyodide in Node.js: the same kind of folder on the host disk (Node's own
  environment and home folder), reached through Node's ``fs``;
- Pyodide in a browser: Cache Storage (``pyodide-pm-wheels-v1``); off where the
  page has none (an insecure context, some workers).

An ``index.json`` records each entry's size and last use, for least-recently-used
eviction past ``max_bytes``; a missing or corrupt one is rebuilt from the files.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .. import transport
from ..transport import JsBytes

logger = logging.getLogger("micropip")

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
ENV_NO_CACHE = "PYODIDE_PM_NO_CACHE"  # "1" turns the cache off unless code turns it on
CACHE_STORAGE_NAME = "pyodide-pm-wheels-v1"
# Cache Storage keys must be http(s) URLs; .invalid never resolves, so nothing is fetched.
CACHE_STORAGE_BASE = "https://pyodide-pm.invalid/"
INDEX_NAME = "index.json"
INDEX_VERSION = 1
_KEY = re.compile(r"[0-9a-f]{64}")
_WHEEL_NAME = re.compile(r"([0-9a-f]{64})\.whl")
# A wheel built from an sdist (build_sdists) is stored like any wheel, by its own sha256;
# ``<sdist sha256>.built`` (a few bytes of JSON) says which wheel that sdist built into.
_BUILT_NAME = re.compile(r"([0-9a-f]{64})\.built")


# ---- storage backends: names in, bytes out -------------------------------------------------


class Store(Protocol):
    """Where entries live. Names are ``<sha256>.whl`` and ``index.json``; methods raise on failure."""

    def describe(self) -> str: ...

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None: ...

    async def write(self, name: str, data: bytes | JsBytes) -> None: ...

    async def remove(self, name: str) -> None: ...

    async def list(self) -> dict[str, int]: ...


class FolderStore:
    """A folder on the host CPython's disk; each file is replaced atomically (temp file + rename)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def describe(self) -> str:
        return str(self.folder)

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | None:
        return await asyncio.to_thread(self._read, name)

    async def write(self, name: str, data: bytes | JsBytes) -> None:
        data = transport.as_bytes(data)
        await asyncio.to_thread(self._write, name, data)

    async def remove(self, name: str) -> None:
        await asyncio.to_thread(self._remove, name)

    async def list(self) -> dict[str, int]:
        return await asyncio.to_thread(self._list)

    def _read(self, name: str) -> bytes | None:
        try:
            return (self.folder / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.folder / name)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _remove(self, name: str) -> None:
        try:
            (self.folder / name).unlink()
        except FileNotFoundError:
            pass

    def _list(self) -> dict[str, int]:
        try:
            with os.scandir(self.folder) as it:
                return {e.name: e.stat().st_size for e in it if e.is_file()}
        except (FileNotFoundError, NotADirectoryError):
            return {}


class NodeFolderStore:
    """A folder on the host disk seen from Pyodide in Node, outside the in-memory filesystem."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder  # None: Node's default, found on first use

    def describe(self) -> str:
        return self.folder or "the default cache folder of the Node process"

    async def _where(self) -> str:
        if self.folder is None:
            self.folder = await transport.node_default_cache_dir()
        return self.folder

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
        return await transport.store_read(await self._where(), name, keep_in_js=keep_in_js)

    async def write(self, name: str, data: bytes | JsBytes) -> None:
        await transport.store_write(await self._where(), name, data)

    async def remove(self, name: str) -> None:
        await transport.store_remove(await self._where(), name)

    async def list(self) -> dict[str, int]:
        return await transport.store_list(await self._where())


class CacheStorageStore:
    """The browser's Cache Storage; each name is a synthetic URL under ``CACHE_STORAGE_BASE``."""

    def __init__(self, cache_name: str = CACHE_STORAGE_NAME) -> None:
        self.cache_name = cache_name

    def describe(self) -> str:
        return f"Cache Storage {self.cache_name!r}"

    @staticmethod
    def url(name: str) -> str:
        match = _WHEEL_NAME.fullmatch(name)
        return f"{CACHE_STORAGE_BASE}sha256/{match.group(1)}" if match else CACHE_STORAGE_BASE + name

    @staticmethod
    def name(url: str) -> str | None:
        if not url.startswith(CACHE_STORAGE_BASE):
            return None
        rest = url[len(CACHE_STORAGE_BASE) :]
        if rest.startswith("sha256/") and _KEY.fullmatch(rest[7:]):
            return rest[7:] + ".whl"
        return rest

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
        return await transport.store_read(self.cache_name, self.url(name), keep_in_js=keep_in_js)

    async def write(self, name: str, data: bytes | JsBytes) -> None:
        await transport.store_write(self.cache_name, self.url(name), data)

    async def remove(self, name: str) -> None:
        await transport.store_remove(self.cache_name, self.url(name))

    async def list(self) -> dict[str, int]:
        listed = await transport.store_list(self.cache_name)
        return {name: size for url, size in listed.items() if (name := self.name(url)) is not None}


# ---- the cache ------------------------------------------------------------------------------


@dataclass
class Entry:
    size: int
    used: float  # time.time() of the last put or get


class WheelCache:
    """Verified wheels by sha256, bounded by ``max_bytes`` with least-recently-used eviction.

    No method raises for a storage problem: the cache only ever saves a download.
    """

    def __init__(self, store: Store, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._last_time = 0.0
        # Index updates wait here and are written together: an install touches every wheel
        # at once, and one index write per wheel would serialise them all.
        self._pending: dict[str, Entry] = {}
        self._pending_puts: set[str] = set()
        self._flushing: asyncio.Future | None = None

    def __repr__(self) -> str:
        return f"WheelCache({self.store.describe()!r}, max_bytes={self.max_bytes})"

    async def get(self, sha256_hex: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
        """The wheel whose sha256 is ``sha256_hex``, or None; a corrupt entry is deleted, never returned.

        ``keep_in_js``: in Pyodide, the bytes may stay in JS memory (hashed there), for
        the native unpacker.
        """
        key = _key(sha256_hex)
        if key is None:
            return None
        try:
            data = await self.store.read(key + ".whl", keep_in_js=keep_in_js)
        except Exception as exc:
            logger.debug("wheel cache: cannot read %s from %s: %s", key, self.store.describe(), _reason(exc))
            return None
        if data is None:
            return None
        if transport.sha256_hex(data) != key:
            logger.warning("wheel cache: the entry for sha256 %s in %s was corrupt; deleted it", key, self.store.describe())
            await self._forget(key)
            return None
        await self._record_use(key, len(data))
        return data

    async def put(self, sha256_hex: str, data: bytes | JsBytes) -> None:
        """Keep ``data`` under its sha256, then evict the least recently used entries past ``max_bytes``.

        Bytes whose sha256 is not ``sha256_hex`` are refused (a warning, nothing stored),
        so a bad key can never poison later installs. Never raises.
        """
        key = _key(sha256_hex)
        actual = transport.sha256_hex(data)
        if key != actual:
            logger.warning(
                "wheel cache: refused to store %d bytes under sha256 %s: their sha256 is %s", len(data), sha256_hex, actual
            )
            return
        if len(data) > self.max_bytes:
            logger.debug("wheel cache: %s (%d bytes) is larger than the whole cache (%d bytes)", key, len(data), self.max_bytes)
            return
        try:
            await self.store.write(key + ".whl", data)  # atomic on its own; the index follows
        except Exception as exc:
            logger.warning(
                "wheel cache: could not store sha256 %s in %s: %s (installing goes on without the cache)",
                key,
                self.store.describe(),
                _reason(exc),
            )
            return
        self._pending_puts.add(key)
        await self._record_use(key, len(data))

    async def get_built(self, sdist_sha256: str) -> tuple[str, bytes | JsBytes] | None:
        """``(wheel file name, wheel bytes)`` built earlier from the sdist with this sha256, or None."""
        key = _key(sdist_sha256)
        if key is None:
            return None
        try:
            raw = await self.store.read(key + ".built")
            entry = json.loads(transport.as_bytes(raw)) if raw is not None else None
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
        try:
            await self.store.write(key + ".built", json.dumps({"wheel": filename, "sha256": wheel_sha}).encode())
        except Exception as exc:
            logger.warning("wheel cache: could not record the wheel built from sdist %s: %s", key, _reason(exc))

    async def clear(self) -> None:
        """Delete every entry and the index (and temp files a crash left behind)."""
        async with self._guard():
            try:
                for name in await self.store.list():
                    if _WHEEL_NAME.fullmatch(name) or _BUILT_NAME.fullmatch(name) or name == INDEX_NAME or (name.startswith(".") and name.endswith(".tmp")):
                        await self.store.remove(name)
            except Exception as exc:
                logger.warning("wheel cache: could not clear %s: %s", self.store.describe(), _reason(exc))

    async def usage(self) -> int:
        """Bytes of wheels stored now (the index itself not counted); 0 when storage cannot be read."""
        try:
            return sum(size for name, size in (await self.store.list()).items() if _WHEEL_NAME.fullmatch(name))
        except Exception as exc:
            logger.warning("wheel cache: cannot list %s: %s", self.store.describe(), _reason(exc))
            return 0

    # -- the index: last-use times; the stored files say what exists and how big it is

    async def _read_index(self) -> dict[str, Entry]:
        try:
            raw = await self.store.read(INDEX_NAME)
        except Exception:
            return {}
        return parse_index(raw)

    async def _stored_entries(self) -> dict[str, Entry]:
        """Every stored wheel, with its last use from the index (0: unknown, so evicted first)."""
        index = await self._read_index()
        entries = {}
        for name, size in (await self.store.list()).items():
            match = _WHEEL_NAME.fullmatch(name)
            if match:
                key = match.group(1)
                entries[key] = Entry(size, index[key].used if key in index else 0.0)
        return entries

    async def _write_index(self, entries: dict[str, Entry]) -> None:
        data = {"version": INDEX_VERSION, "entries": {k: {"size": e.size, "used": e.used} for k, e in sorted(entries.items())}}
        await self.store.write(INDEX_NAME, json.dumps(data, separators=(",", ":")).encode())

    async def _record_use(self, key: str, size: int) -> None:
        """Note a use in the index (with others waiting at the same time, in one write)."""
        self._pending[key] = Entry(size, self._now())
        while key in self._pending:
            if self._flushing is None or self._flushing.done():
                self._flushing = asyncio.ensure_future(self._flush())
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            puts, self._pending_puts = self._pending_puts & set(batch), self._pending_puts - set(batch)
            async with self._guard():
                try:
                    # After a put the stored files are listed (sizes, and entries the index lost)
                    # and the least recently used evicted; a plain use only updates times.
                    entries = await self._stored_entries() if puts else await self._read_index()
                    entries.update(batch)
                    if puts:
                        for old in _to_evict(entries, self.max_bytes, keep=puts):
                            await self.store.remove(old + ".whl")
                            del entries[old]
                    await self._write_index(entries)
                except Exception as exc:
                    log = logger.warning if puts else logger.debug
                    log("wheel cache: could not update the index of %s: %s", self.store.describe(), _reason(exc))

    async def _forget(self, key: str) -> None:
        async with self._guard():
            try:
                await self.store.remove(key + ".whl")
                entries = await self._read_index()
                if entries.pop(key, None) is not None:
                    await self._write_index(entries)
            except Exception as exc:
                logger.warning("wheel cache: could not delete the corrupt entry %s: %s", key, _reason(exc))

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


def parse_index(raw: bytes | None) -> dict[str, Entry]:
    """The index's entries; {} for a missing, corrupt or unknown-version index (it is rebuilt)."""
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
        if doc.get("version") != INDEX_VERSION:
            return {}
        return {
            k: Entry(int(v["size"]), float(v["used"])) for k, v in doc["entries"].items() if _KEY.fullmatch(k)
        }
    except Exception:
        return {}


def _to_evict(entries: dict[str, Entry], max_bytes: int, keep: set[str]) -> list[str]:
    """Least recently used first, until the rest fits in ``max_bytes``; ``keep`` stays."""
    total = sum(e.size for e in entries.values())
    evict = []
    for key, entry in sorted(entries.items(), key=lambda item: (item[1].used, item[0])):
        if total <= max_bytes:
            break
        if key not in keep:
            evict.append(key)
            total -= entry.size
    return evict


def _key(sha256_hex: str) -> str | None:
    key = sha256_hex.strip().lower() if isinstance(sha256_hex, str) else ""
    return key if _KEY.fullmatch(key) else None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---- the switch -----------------------------------------------------------------------------

_enabled: bool | None = None  # None: on unless PYODIDE_PM_NO_CACHE says otherwise
_path: str | None = None
_max_bytes: int = DEFAULT_MAX_BYTES
_cache: WheelCache | None = None


def configure(enabled: bool | None = None, path: str | None = None, max_bytes: int | None = None) -> None:
    """Turn the cache on or off, move it or bound it; None leaves a setting as it was.

    ``enabled`` set here wins over ``PYODIDE_PM_NO_CACHE``. ``path`` is a folder
    (host CPython, and the host disk from Node); in a browser it names the Cache
    Storage cache instead; ``""`` goes back to the default place.
    """
    global _enabled, _path, _max_bytes, _cache
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes must be a whole number of bytes >= 0, not {max_bytes!r}")
        _max_bytes = max_bytes
    if enabled is not None:
        _enabled = bool(enabled)
    if path is not None:
        _path = os.fspath(path) or None  # "" goes back to the default place
    _cache = None


def current() -> WheelCache | None:
    """The cache installs should use, or None when it is off or nowhere to keep it."""
    global _cache
    if not _is_enabled():
        return None
    if _cache is None:
        _cache = located()
    return _cache


def located() -> WheelCache | None:
    """The cache at the configured place whether or not it is on (``clear_cache`` empties it too)."""
    store = _open_store(_path)
    return WheelCache(store, _max_bytes) if store is not None else None


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/pyodide-pm/wheels``, else ``~/.cache/pyodide-pm/wheels`` (host CPython)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "pyodide-pm" / "wheels"


def _open_store(path: str | None) -> Store | None:
    kind = transport.persistent_store_kind()
    if kind == "host":
        try:
            return FolderStore(path if path is not None else default_folder())
        except RuntimeError:  # no home folder to put it in
            logger.debug("wheel cache: no home folder, so no cache")
            return None
    if kind == "node":
        return NodeFolderStore(path)
    if kind == "browser":
        return CacheStorageStore(path or CACHE_STORAGE_NAME)
    return None


def _is_enabled() -> bool:
    if _enabled is not None:
        return _enabled
    opted_out = os.environ.get(ENV_NO_CACHE) or transport.node_env(ENV_NO_CACHE) or ""
    return opted_out.strip().lower() in ("", "0", "false", "no", "off")

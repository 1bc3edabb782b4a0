"""Where cache entries live in Pyodide: the host disk from Node, or Cache Storage (the host
CPython's folder is ``folder_store``, which no page loads).

Stores only move bytes under names; they raise on any failure. Naming, verification, the
index and eviction are ``micropip.cache.layer``'s business. Every write replaces an entry
whole (temp file + rename, or one Cache Storage ``put``), so two writers of one entry (two
tabs, two Node processes) leave one of their versions, never a mix.
"""

from __future__ import annotations

import re
from typing import Protocol

from .. import transport
from ..transport import JsBytes

# Cache Storage keys must be http(s) URLs; .invalid never resolves, so nothing is fetched.
CACHE_STORAGE_BASE = "https://pyodide-pm.invalid/"
_WHEEL_NAME = re.compile(r"([0-9a-f]{64})\.whl")
_KEY = re.compile(r"[0-9a-f]{64}")


class Store(Protocol):
    """Where entries live. Methods raise on failure."""

    def describe(self) -> str: ...

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None: ...

    async def write(self, name: str, data: bytes | JsBytes) -> None: ...

    async def remove(self, name: str) -> None: ...

    async def list(self) -> dict[str, int]: ...


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

    def __init__(self, cache_name: str) -> None:
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

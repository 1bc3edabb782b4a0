"""Bytes kept outside the interpreter for the persistent wheel cache (``cache_store.mjs``).

A fresh Pyodide starts with an empty in-memory filesystem, so the bytes live on the host
disk through Node's fs, or in the browser's Cache Storage (a page or a Web Worker). These
functions only move bytes; naming, verification, the index and eviction are
``micropip.install.wheel_cache``'s business.
"""

from __future__ import annotations

import json
from typing import Any

from .js_modules import js_module
from .response import IN_PYODIDE, JsBytes, js_to_bytes
from .runtime import in_node

_store: Any = None


def persistent_store_kind() -> str | None:
    """Where a cache that outlives the interpreter can live: "host", "node", "browser" or None.

    None in a page or worker without Cache Storage (an insecure context, some workers).
    """
    if not IN_PYODIDE:
        return "host"
    if in_node():
        return "node"
    import js  # type: ignore[import-not-found]

    return "browser" if getattr(js, "caches", None) is not None else None


async def _persistent_store():
    global _store
    if _store is None:
        store = getattr(await js_module("cache_store"), "store", None)
        if store is None:
            raise OSError("this page has no Cache Storage (an insecure context, or a worker without caches)")
        _store = store
    return _store


async def node_default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/pyodide-pm/wheels`` or ``~/.cache/pyodide-pm/wheels`` of the Node process."""
    return str((await _persistent_store()).defaultDir())


async def store_read(where: str, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
    """The bytes kept under ``name``; None when absent.

    ``where``/``name`` are a folder on the host disk and a file name in it (Node), or
    a Cache Storage cache and a URL in it (browser). ``keep_in_js``: a ``JsBytes``
    (hashed natively) instead of a copy in Python memory.
    """
    data = await (await _persistent_store()).read(where, name)
    if data is None:
        return None
    if keep_in_js:
        pair = await (await js_module("requests")).digestHex(data)
        return JsBytes(pair[0], int(pair[0].length), pair[1])
    return js_to_bytes(data, f"{name} from the persistent store")


async def store_write(where: str, name: str, data: bytes | JsBytes) -> None:
    """Keep ``data`` under ``name``, replacing it atomically; raises on quota or permission errors."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    await (await _persistent_store()).write(where, name, data.proxy if isinstance(data, JsBytes) else to_js(data))


async def store_remove(where: str, name: str) -> None:
    """Delete ``name``; nothing happens when it is absent."""
    await (await _persistent_store()).remove(where, name)


async def store_drop_browser_cache(cache_name: str) -> None:
    """Delete a whole Cache Storage cache (a page's or worker's); nothing happens when it is absent."""
    await (await _persistent_store()).dropCache(cache_name)


async def store_list(where: str) -> dict[str, int]:
    """Every name kept in ``where``, with its size in bytes."""
    listed = json.loads(str(await (await _persistent_store()).list(where)))
    return {name: int(size) for name, size in listed}

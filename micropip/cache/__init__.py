"""The persistent cache: what outlives the interpreter (pages, metadata, wheels, bytecode).

One layer (``layer.Cache``) with several kinds of entries, one cap (least recently used
first), one clear and one corruption rule; the bytes live where ``stores`` (on the host,
``folder_store``) puts them:

- host CPython: a folder, ``$XDG_CACHE_HOME/pyodide-pm/wheels`` or ``~/.cache/pyodide-pm/wheels``;
- Pyodide in Node.js: the same kind of folder on the host disk, through Node's ``fs``;
- Pyodide in a browser: Cache Storage (``pyodide-pm-wheels-v1``). A page or worker without
  it (an insecure context, private browsing, a worker without ``caches``) installs without a
  cache, after one warning.

``micropip.set_cache`` and ``micropip.clear_cache`` act here, on every kind at once.

May import: ``micropip.errors`` and ``micropip.transport``. The index (pages, metadata) and
the installation (wheels, bytecode) both use it.
"""

from __future__ import annotations

import logging
import os

from .. import transport
from .layer import DEFAULT_MAX_BYTES, Cache, Entry, is_entry, parse_index, seal, unseal
from .stores import CacheStorageStore, NodeFolderStore, Store

__all__ = [
    "CACHE_STORAGE_NAME", "Cache", "CacheStorageStore", "DEFAULT_MAX_BYTES", "ENV_NO_CACHE", "Entry", "NodeFolderStore",
    "WARM_START_CACHE", "Store", "configure", "current", "is_entry", "located", "parse_index", "seal", "unseal",
]

logger = logging.getLogger("micropip")

ENV_NO_CACHE = "PYODIDE_PM_NO_CACHE"  # "1" turns the cache off unless code turns it on
CACHE_STORAGE_NAME = "pyodide-pm-wheels-v1"
# The interpreter snapshot a site's loader keeps (pyodide_pm/site/warm_start.mjs): clear_cache drops it.
WARM_START_CACHE = "pyodide-pm-warm-start-v1"

_enabled: bool | None = None  # None: on unless PYODIDE_PM_NO_CACHE says otherwise
_path: str | None = None
_max_bytes: int = DEFAULT_MAX_BYTES
_cache: Cache | None = None
_said_missing = False


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


def current() -> Cache | None:
    """The cache installs should use, or None when it is off or there is nowhere to keep it."""
    global _cache
    if not is_enabled():
        return None
    if _cache is None:
        _cache = located()
        if _cache is None:
            _say_missing()
    return _cache


def located() -> Cache | None:
    """The cache at the configured place whether or not it is on (``clear_cache`` empties it too)."""
    store = _open_store(_path)
    return Cache(store, _max_bytes) if store is not None else None


def _open_store(path: str | None) -> Store | None:
    kind = transport.persistent_store_kind()
    if kind == "host":
        from .folder_store import FolderStore, default_folder

        try:
            return FolderStore(path if path is not None else default_folder())
        except RuntimeError:  # no home folder to put it in
            logger.debug("cache: no home folder, so no cache")
            return None
    if kind == "node":
        return NodeFolderStore(path)
    if kind == "browser":
        return CacheStorageStore(path or CACHE_STORAGE_NAME)
    return None


def _say_missing() -> None:
    global _said_missing
    if _said_missing or not transport.IN_PYODIDE:
        return
    _said_missing = True
    logger.warning(
        "cache: this page has no Cache Storage (an insecure context, private browsing, or a worker without "
        "caches): installs work, but pages, wheels and compiled modules are fetched and compiled again after a reload"
    )


def switched_off() -> bool:
    """``set_cache(False)`` was called (cheap: asked on every import by the kept stdlib finder)."""
    return _enabled is False


def is_enabled() -> bool:
    if _enabled is not None:
        return _enabled
    opted_out = os.environ.get(ENV_NO_CACHE) or transport.node_env(ENV_NO_CACHE) or ""
    return opted_out.strip().lower() in ("", "0", "false", "no", "off")

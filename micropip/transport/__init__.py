"""The only package that talks to the browser (``js``, ``pyodide``): requests, native unpacking, the cache store.

Everything else in micropip calls these functions, so it runs unchanged on host
CPython, where a standard-library transport (``host``) takes over. The JavaScript
lives beside this file as ``.mjs`` modules (``requests``, ``unpack``, ``cache_store``, ``page``),
loaded once per interpreter by ``js_modules``; it works in Node, a page and a Web Worker.

May import: ``micropip.errors`` only. Every other stage imports this package, never
the reverse.
"""

from __future__ import annotations

from .native import ArchiveEntry, NativeArchive, open_archive
from .pages import thin_project_page
from .requests import fetch, is_local, local_file_exists, local_path, may_send_validators, receiving
from .response import CREDENTIAL_HEADERS, IN_PYODIDE, JsBytes, Response, as_bytes, origin, sha256_hex
from .runtime import (
    forget_loaded_packages,
    from_js,
    in_node,
    load_optional_part,
    load_shared_libraries,
    loaded_packages,
    lock_file_basename,
    lock_file_url,
    lockfile_entry,
    node_env,
    normalized_name,
    page_origin,
    pyodide_lockfile,
    record_loaded_packages,
    resolve_url,
    runtime_identity,
)
from .store import (
    node_default_cache_dir, persistent_store_kind, store_drop_browser_cache, store_list, store_read, store_remove, store_write,
)

# Seconds per request (headers and body each); read at call time, so tests and
# slow networks can change it: ``micropip.transport.DEFAULT_TIMEOUT = 5``.
DEFAULT_TIMEOUT = 60.0

__all__ = [
    "ArchiveEntry", "CREDENTIAL_HEADERS", "DEFAULT_TIMEOUT", "IN_PYODIDE", "JsBytes", "NativeArchive", "Response",
    "as_bytes", "fetch", "forget_loaded_packages", "from_js", "in_node", "is_local", "load_optional_part", "load_shared_libraries", "loaded_packages", "local_file_exists", "local_path", "may_send_validators", "lock_file_basename", "lock_file_url", "lockfile_entry",
    "node_default_cache_dir", "node_env", "normalized_name", "open_archive", "page_origin", "persistent_store_kind", "pyodide_lockfile",
    "record_loaded_packages", "resolve_url", "runtime_identity", "sha256_hex", "thin_project_page", "origin", "store_drop_browser_cache", "store_list", "store_read", "store_remove", "store_write",
]

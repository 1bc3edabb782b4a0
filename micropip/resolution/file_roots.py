"""Roots given as files, settled before resolving: a wheel of Pyodide's lock, or a path.

Code written for Pyodide's micropip installs a lock entry by its file name
(``micropip.install(pyodide_js._api.lockfile_packages.msgpack.file_name)``): a bare or
relative name equal to an entry's ``file_name`` means that entry, fetched from the lock's
base URL and checked against the lock's sha256. Any other path names a file: when there
is none, that is the first thing said (a ``FileNotFoundError``), before its tags are judged.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable

from packaging.requirements import Requirement

from .. import transport
from ..index import http
from .requirements import RootRequirement


async def settle_file_roots(roots: Iterable[RootRequirement], lock: tuple[dict, str] | None) -> list[RootRequirement]:
    """``roots`` with lock wheel names made the lock's URL (+ sha256); raises for a missing local file."""
    files = _lock_files(lock)
    out = []
    for root in roots:
        url = root.url
        if url is None:
            out.append(root)
            continue
        entry = files.get(url) if _relative(url) else None
        if entry is not None:
            out.append(RootRequirement(_with_url(root.requirement, entry), root.origin, root.hashes))
            continue
        if transport.is_local(transport.resolve_url(url)) and not await transport.local_file_exists(url):
            raise http.missing_local_file(url, root.origin)
        out.append(root)
    return out


def _lock_files(lock: tuple[dict, str] | None) -> dict[str, str]:
    """Each wheel entry's ``file_name`` -> its URL with the lock's sha256 as a fragment."""
    if not lock:
        return {}
    data, base_url = lock
    out = {}
    for entry in (data.get("packages") or {}).values():
        if not isinstance(entry, dict):
            continue
        file_name, sha256 = entry.get("file_name"), entry.get("sha256")
        if isinstance(file_name, str) and file_name.endswith(".whl") and _relative(file_name):
            url = transport.lock_file_url(file_name, base_url)
            out[file_name] = f"{url}#sha256={sha256}" if isinstance(sha256, str) and sha256 else url
    return out


def _relative(url: str) -> bool:
    """A bare file name or a relative URL (no scheme, not an absolute path)."""
    return not urllib.parse.urlsplit(url).scheme and not url.startswith("/")


def _with_url(req: Requirement, url: str) -> Requirement:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f" ; {req.marker}" if req.marker is not None else ""
    return Requirement(f"{req.name}{extras} @ {url}{marker}")

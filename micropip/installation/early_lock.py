"""The first install's wheels from Pyodide's lockfile, asked for before the resolver is imported.

``micropip.install("ipython")`` in a fresh page takes ipython and its eleven dependencies
from Pyodide's lockfile without asking any index: nothing in the resolution waits on the
network, so the wheels used to be requested only after the install machinery was compiled
and had resolved (~450 ms in Chromium), later than the reference micropip asks for them.
For roots named bare (no version, extras or marker: the lock's version then always does),
``micropip.install`` calls ``start`` first; the wheels of the lock's closure download (through
the wheel cache) while the machinery imports, and the install ``adopt``s them as its own
downloads begun ahead. What the plan does not take is cancelled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import transport
from ..index.project import ProjectFile
from .fetch import WheelPrefetcher

_BARE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*$")
MAX_EARLY_WHEELS = 64
_pending: WheelPrefetcher | None = None


def lock_closure(
    requirements: str | Iterable[str], lock: dict, loaded: Iterable[str] = (), *, deps: bool = True
) -> list[dict]:
    """The lock entries the resolver takes for bare-named roots that are in ``lock``: the roots
    and (``deps``) what their entries depend on, packages only, none already ``loaded``."""
    items = [requirements] if isinstance(requirements, str) else list(requirements)
    packages = lock.get("packages") or {}
    by_name = {}
    for key, entry in packages.items():
        if isinstance(entry, dict):
            by_name[transport.normalized_name(str(entry.get("name") or key))] = entry
    skip = {transport.normalized_name(name) for name in loaded}
    todo = [transport.normalized_name(m[1]) for item in items if isinstance(item, str) and (m := _BARE.match(item))]
    todo = [name for name in todo if name in by_name]
    out: dict[str, dict] = {}
    while todo:
        name = todo.pop()
        entry = by_name.get(name)
        if name in out or name in skip or entry is None or entry.get("package_type", "package") != "package":
            continue
        out[name] = entry
        if deps:
            todo.extend(transport.normalized_name(str(d)) for d in entry.get("depends") or [])
    return list(out.values())


def start(requirements: str | Iterable[str], *, deps: bool = True) -> int:
    """Begin downloading the lock wheels of bare-named roots; returns how many were asked for."""
    global _pending
    found = transport.pyodide_lockfile()
    if not found or _pending is not None:
        return 0
    lock, base_url = found
    entries = lock_closure(requirements, lock, transport.loaded_packages(), deps=deps)[:MAX_EARLY_WHEELS]
    files = []
    for entry in entries:
        file_name, sha256 = entry.get("file_name"), entry.get("sha256")
        if isinstance(file_name, str) and isinstance(sha256, str) and file_name.endswith(".whl"):
            url = transport.lock_file_url(file_name, base_url)
            files.append(ProjectFile(transport.lock_file_basename(file_name), url, hashes={"sha256": sha256}))
    if not files:
        return 0
    from . import wheel_cache

    # No limit of our own: these are the plan's wheels, not guesses; the browser queues what
    # its connections per host cannot take yet, and sends each as soon as one is free.
    ahead = WheelPrefetcher(cache=wheel_cache.current(), concurrency=len(files))
    for f in files:
        ahead.start(f)
    _pending = ahead
    return len(files)


async def leave(timeout: float = 0.15) -> None:
    """Let the downloads ``start`` began get past the wheel cache and onto the network before
    the caller compiles the machinery (the cache answers only while nothing else runs)."""
    if _pending is not None:
        await _pending.past_the_cache(timeout)


def adopt() -> WheelPrefetcher | None:
    """The downloads ``start`` began, handed to the install (once)."""
    global _pending
    ahead, _pending = _pending, None
    return ahead


async def discard() -> None:
    """Cancel what no install adopted (the install failed before it got there)."""
    ahead = adopt()
    if ahead is not None:
        await ahead.close()

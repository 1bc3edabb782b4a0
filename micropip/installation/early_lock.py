"""The first install's wheels from Pyodide's lockfile, asked for before the resolver is imported.

``install("ipython")`` in a fresh page takes ipython and its eleven dependencies from the lock:
nothing waits on an index, yet the wheels were asked for only once the machinery was compiled
(~450 ms in Chromium). For bare-named roots ``micropip.install`` calls ``start`` first with the
lock's closure of them (``resolution.lock_only``); the install ``adopt``s the downloads, and what
its plan does not take is cancelled. When the lock decides everything, no resolver is compiled.
The root's likely wheel from the index joins them once its page is read (``guess``).
"""

from __future__ import annotations

import asyncio

from .. import transport
from ..index.project import ProjectFile
from .fetch import WheelPrefetcher

MAX_EARLY_WHEELS = 64
_pending: WheelPrefetcher | None = None


def start(entries: list[dict], base_url: str) -> int:
    """Begin downloading the wheels of lock ``entries``; returns how many."""
    global _pending
    if _pending is not None:
        return 0
    files = []
    for entry in entries[:MAX_EARLY_WHEELS]:
        file_name, sha256 = entry.get("file_name"), entry.get("sha256")
        if isinstance(file_name, str) and isinstance(sha256, str) and file_name.endswith(".whl"):
            url = transport.lock_file_url(file_name, base_url)
            files.append(ProjectFile(transport.lock_file_basename(file_name), url, hashes={"sha256": sha256}))
    if not files:
        return 0
    from .. import cache

    # No limit of our own: these are the plan's wheels, not guesses; the browser queues what
    # its connections per host cannot take yet, and sends each as soon as one is free.
    ahead = WheelPrefetcher(cache=cache.current(), concurrency=len(files))
    for f in files:
        ahead.start(f)
    _pending = ahead
    return len(files)


def guess(f: ProjectFile) -> None:
    """Begin downloading a wheel the resolver will likely pick (``resolution.early_guess``):
    the install adopts it with the lockfile's; a wrong guess is cancelled, as theirs are."""
    global _pending
    if _pending is None:
        from .. import cache

        _pending = WheelPrefetcher(cache=cache.current())
    _pending.start(f)


async def leave(timeout: float = 0.15) -> None:
    """Let the downloads ``start`` began get past the wheel cache and onto the network before
    the caller compiles (the cache answers only while nothing else runs)."""
    if _pending is not None:
        await _pending.past_the_cache(timeout)
        # Past the cache each download has yet to reach fetch(), and a browser sends what
        # fetch() asked for only on a turn of its own event loop (timers give it one).
        await asyncio.sleep(0.005)
        await asyncio.sleep(0.005)


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

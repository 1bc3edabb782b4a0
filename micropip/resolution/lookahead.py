"""Metadata ahead of a backtracking resolver: the releases it will try next, in batches.

When the resolver walks back through a project's releases (it asks for the metadata of a
release after rejecting newer ones), each release costs a round trip of its own unless
its metadata is already here. So once a project has a release rejected, the next releases
the resolver will try are read ahead: first those the current requirements still allow
(in the resolver's order), then older ones within the user's own pins. The batch grows
with the number of releases already tried (a walk that went far will likely go further),
after uv's batch prefetch; unlike uv, the first batch comes after one rejection, since
here a round trip is a browser's fetch, not a local cache hit.

The requests go through at most ``WIDTH`` at a time, shared by every project, so a page
never floods the network or the browser's connection pool: over HTTP/1.1 Chromium opens
about 6 connections per origin and queues the rest itself; over HTTP/2 (PyPI's files) they
share one connection. The width was measured (``bench/backtracking.py --widths``, 100 ms
replay, medians of 3): walking fastapi back ~190 releases took 8.7 / 6.7 / 8.4 / 5.3 / 4.4 s
at widths 4 / 6 / 8 / 12 / 16, and fastapi + pydantic<2 5.0 / 4.2 / 3.4 / 3.2 / 2.5 s, for
4-8 % more requests read past where the walk stopped. The files the resolver waits for now
do not take a slot (most are in flight already, and then shared). Whatever was read is kept by URL for the whole resolution: across
backtracks, and across projects that reach the same release.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from .candidates import Candidate

WIDTH = 16  # speculative metadata requests in flight at once, all projects together (see above)
FIRST_BATCH = 4  # releases read ahead after the first rejection of a project
# At most this many ahead, however far the walk went: with WIDTH requests in flight the link
# is busy from twice that on; more would only be read past the release the walk stops at.
MAX_BATCH = 2 * WIDTH
SMALL_WHEEL = 1_000_000  # without a metadata file, a wheel is read ahead only up to this size


def batch_size(tried: int) -> int:
    """How many releases to have read ahead of the one asked for, after ``tried`` were tried."""
    if tried < 1:
        return 0
    return max(FIRST_BATCH, min(MAX_BATCH, 2 * tried))


def worth_reading_ahead(cand: Candidate) -> bool:
    """A wheel whose metadata costs one small request: a PEP 658 file, or a small wheel
    when the index has no metadata files (never an sdist, which would need a build)."""
    f = cand.file
    if f is None or cand.is_sdist or cand.known_deps is not None or cand.yanked:
        return False
    return f.metadata_url is not None or (f.size is not None and f.size <= SMALL_WHEEL)


def next_releases(
    asked: Candidate, compatible: Iterable[Candidate], older: Iterable[Candidate], size: int, known: Callable[[Candidate], bool]
) -> list[Candidate]:
    """The releases among the next ``size`` after ``asked`` whose metadata is neither here nor
    on its way: those the resolver would try next (``compatible``, in its order), then
    ``older`` ones. A window, not a count of new reads: asking again after the next release
    tops the window up instead of queueing another whole batch."""
    out: list[Candidate] = []
    seen = {asked.url}
    for source in (compatible, older):
        for cand in source:
            if size <= 0:
                return out
            if cand.url in seen or not worth_reading_ahead(cand):
                continue
            seen.add(cand.url)
            size -= 1
            if not known(cand):
                out.append(cand)
    return out


class MetadataBatches:
    """A queue of metadata reads run ``width`` at a time in the background."""

    def __init__(self, read: Callable[[Candidate], Awaitable[None]], width: int | None = None) -> None:
        self._read = read
        self.width = width or WIDTH
        self._queue: deque[Candidate] = deque()
        self._queued: set[str | None] = set()
        self._workers: set[asyncio.Task] = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.requested = 0  # reads started ahead of the resolver (for tests and the benchmark)

    def add(self, cands: Iterable[Candidate]) -> int:
        """Queue reads (each URL once); returns how many were new."""
        new = 0
        for cand in cands:
            if cand.url in self._queued:
                continue
            self._queued.add(cand.url)
            self._queue.append(cand)
            new += 1
        while self._queue and len(self._workers) < self.width:
            task = asyncio.ensure_future(self._work())
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        return new

    def is_queued(self, cand: Candidate) -> bool:
        return cand.url in self._queued

    async def _work(self) -> None:
        while self._queue:
            cand = self._queue.popleft()
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.requested += 1
            try:
                await self._read(cand)
            except Exception:  # noqa: BLE001 - a read ahead never fails the resolution; the resolver asks again
                pass
            finally:
                self.in_flight -= 1

    def stop(self) -> None:
        """Start nothing more; the reads in flight finish on their own (their results are kept).
        The same sources may serve another resolution (``pyodide-pm check``): what was dropped
        may be queued again then."""
        for cand in self._queue:
            self._queued.discard(cand.url)
        self._queue.clear()

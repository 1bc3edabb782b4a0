"""Download a plan's wheels in parallel and verify each before anything is written.

Also the speculative side (``WheelPrefetcher``): while the resolver still waits on the
network, the wheels it will most likely choose - the newest allowed version its crawl
reached - start downloading, beside their metadata; the install takes them if the plan
agrees, and what it does not take is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..index import http
from ..plan import PlannedPackage
from ..transport import JsBytes

if TYPE_CHECKING:
    from ..index.project import ProjectFile
    from ..cache import Cache as WheelCache

logger = logging.getLogger("micropip")

DEFAULT_CONCURRENCY = 8  # enough to fill a connection, few enough to be polite
# Every likely wheel is fetched ahead, small ones too: on a link with 100 ms per request,
# waiting for the resolver to finish before fetching a 70 KB wheel cost one more round trip
# than the reference micropip (which fetches each wheel as soon as it picks it). A wrong
# guess wastes its bytes (one guess per project; ``unused_bytes`` counts them).
SPECULATE_MIN_BYTES = 0
# Leaves connections for the resolver's pages and metadata (a browser opens 6 per host on HTTP/1.1).
SPECULATE_CONCURRENCY = 4
# A guess this small (~50 ms at 20 Mbit/s, less than a round trip) does not wait for one of those
# slots: it holds a connection about as long as a metadata file does. black's five dependencies
# are guessed at once; the fifth, platformdirs (18 KB), waited ~70 ms behind the others for a slot.
SPECULATE_SMALL_BYTES = 128 * 1024


class WheelPrefetcher:
    """Likely wheels downloaded (and cached) while the resolver works; see the module doc.

    ``opener(url, filename, data)``, when given, opens each wheel as soon as it arrives (inflated,
    hashed, its RECORD checked: nothing written), so the install finds it verified instead of
    doing that work after the resolver's last answer. A failure there is not reported: the
    install opens the wheel again and reports it in context.
    """

    def __init__(
        self,
        *,
        credentials: str | None = None,
        cache: WheelCache | None = None,
        min_bytes: int | None = None,
        opener: Callable[[str, str, bytes | JsBytes], Awaitable[Any]] | None = None,
        concurrency: int = SPECULATE_CONCURRENCY,
    ) -> None:
        self.credentials = credentials
        self.cache = cache
        self.min_bytes = SPECULATE_MIN_BYTES if min_bytes is None else min_bytes  # read now: tests change it
        self.opener = opener
        self._tasks: dict[str, asyncio.Future] = {}
        self._opened: dict[str, asyncio.Future] = {}
        self._names: dict[str, str] = {}  # url -> file name
        self._checked: dict[str, str] = {}  # url -> the sha256 its download was verified against
        self._running: set[str] = set()  # past the gate: its request is out
        self._past_cache: set[str] = set()  # the wheel cache answered (hit or miss)
        self._cache_waiter: asyncio.Future | None = None
        self._gate = asyncio.Semaphore(concurrency)
        self._closed = False
        self.unused_bytes = 0  # fetched ahead for a version the plan did not take

    def open_with(self, opener: Callable[[str, str, bytes | JsBytes], Awaitable[Any]]) -> None:
        """Open each wheel with ``opener`` as it arrives, and those already here (downloads
        begun before an install adopted them, ``installation.early_lock``) at once."""
        self.opener = opener
        for url, task in self._tasks.items():
            if url in self._checked and url not in self._opened:
                self._opened[url] = asyncio.ensure_future(self._open(url, self._names[url], task.result()))

    def start(self, f: ProjectFile) -> None:
        """Begin fetching ``f`` if it is a wheel with a known sha256 (of ``min_bytes`` or more); otherwise nothing."""
        sha256 = f.hashes.get("sha256")
        if self._closed or not sha256 or (f.size or 0) < self.min_bytes or f.url in self._tasks or not f.filename.endswith(".whl"):
            return
        self._names[f.url] = f.filename
        small = f.size is not None and f.size <= SPECULATE_SMALL_BYTES
        self._tasks[f.url] = asyncio.ensure_future(self._fetch(f.url, sha256, f.filename, gated=not small))

    async def _fetch(self, url: str, sha256: str, filename: str, *, gated: bool) -> bytes | JsBytes:
        async with self._gate if gated else contextlib.nullcontext():
            self._running.add(url)
            data = await get_file(
                url, sha256, _label(filename), credentials=self.credentials, keep_in_js=True, cache=self.cache,
                asked_cache=lambda: self._asked_cache(url),
            )
        self._checked[url] = sha256.lower()
        # Opened here even when the install took the download while it was on its way (the
        # plan was final before the wheel arrived): the install awaits this open (``opened``)
        # instead of opening the wheel itself. Not once closed: no install would release it.
        if self.opener is not None and not self._closed:
            self._opened[url] = asyncio.ensure_future(self._open(url, filename, data))
        return data

    async def _open(self, url: str, filename: str, data: bytes | JsBytes) -> Any:
        await asyncio.sleep(0)  # answers that arrived with this wheel are handled first
        return await self.opener(url, filename, data)  # type: ignore[misc]

    def _asked_cache(self, url: str) -> None:
        self._past_cache.add(url)
        if self._cache_waiter is not None and not self._cache_waiter.done() and self._past_cache >= set(self._tasks):
            self._cache_waiter.set_result(None)

    async def past_the_cache(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until every download begun has had the cache's answer.

        A lookup in Cache Storage takes several turns of the browser's event loop; begun
        right before a long stretch of compiling, it only answered after it, and the
        downloads it let through started that late (``installation.early_lock``)."""
        if self._past_cache >= set(self._tasks):
            return
        self._cache_waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._cache_waiter), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            pass
        finally:
            self._cache_waiter = None

    def take(self, url: str) -> asyncio.Future | None:
        """The download of ``url`` begun ahead, now the install's; None when there is none, or
        when it still waits behind other big guesses (``SPECULATE_CONCURRENCY``): the plan is final
        then, and the install fetches it at once at its own concurrency. Pyodide's lockfile
        names a dozen wheels at once (ipython): four at a time cost two more round trips.
        A download taken on its way is still opened on arrival (``opened`` gives it)."""
        task = self._tasks.pop(url, None)
        if task is not None and url not in self._running and not task.done():
            task.cancel()
            return None
        return task

    def peek(self, url: str) -> asyncio.Future | None:
        """The download of ``url`` begun ahead, left for the install to take: a wheel read for
        its METADATA (no PEP 658 file on the index) shares it instead of downloading twice."""
        return self._tasks.get(url)

    def verified_against(self, url: str) -> str | None:
        """The sha256 (lower case) the download of ``url`` was checked against, once it arrived."""
        return self._checked.get(url)

    async def opened(self, url: str) -> Any:
        """What ``opener`` made of ``url``'s wheel, or None (not opened ahead, or it failed there)."""
        task = self._opened.pop(url, None)
        if task is None:
            return None
        try:
            return await task
        except Exception:  # noqa: BLE001 - the install opens it again and reports the failure
            return None

    async def close(self) -> None:
        """Cancel what the plan did not take; release what was opened for it.

        Nothing starts after this: when one crawl job fails, ``asyncio.gather`` raises and leaves
        its siblings running, and their guesses must not download after the install ended."""
        self._closed = True
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if not isinstance(outcome, BaseException):
                self.unused_bytes += len(outcome)
        # Not cancelled: a wheel being opened holds native buffers that only its result releases.
        opened, self._opened = list(self._opened.values()), {}
        for outcome in await asyncio.gather(*opened, return_exceptions=True):
            if not isinstance(outcome, BaseException) and hasattr(outcome, "release"):
                outcome.release()
        if self.unused_bytes:
            logger.debug("fetched ahead but not chosen: %d bytes", self.unused_bytes)


def describe(filename: str, name: str, version: object) -> str:
    """``name-1.0-py3-none-any.whl (name 1.0)``: how a download is named in its errors."""
    return f"{filename} ({name} {version})"


def _label(filename: str) -> str:
    """``describe`` for a wheel fetched ahead, whose project and version its name gives."""
    try:
        from packaging.utils import parse_wheel_filename

        name, version, _build, _tags = parse_wheel_filename(filename)
    except ValueError:
        return filename
    return describe(filename, name, version)


async def get_file(
    url: str, sha256: str | None, what: str, *, credentials: str | None, keep_in_js: bool, cache: WheelCache | None,
    asked_cache: Callable[[], None] | None = None,
) -> bytes | JsBytes:
    """From the persistent cache when it has the hash, else downloaded (and then cached)."""
    return await http.download_cached(
        url, sha256, what, credentials=credentials, keep_in_js=keep_in_js, cache=cache, asked_cache=asked_cache
    )


async def fetch_all(
    packages: list[PlannedPackage],
    *,
    cached: dict[str, bytes] | None = None,
    credentials: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[PlannedPackage, int], None] | None = None,
    on_start: Callable[[PlannedPackage], None] | None = None,
    keep_in_js: bool = False,
    then: Callable[[PlannedPackage, bytes | JsBytes], Awaitable[Any]] | None = None,
    cache: WheelCache | None = None,
    prefetched: WheelPrefetcher | None = None,
) -> dict[str, Any]:
    """Return {package name: wheel bytes}; sha256 is checked for every file with a known hash.

    ``cached`` holds wheels already downloaded to read their metadata, so a chosen
    wheel is never fetched twice. The first failure cancels the other downloads.
    ``on_start(pkg)`` is called when a file's download begins, ``on_done(pkg, size)``
    once it arrived and was verified (progress reporting). ``keep_in_js``: see ``http.download``.
    ``then(pkg, data)`` processes each file as soon as it is verified, while the others
    still download; the result then maps each name to what ``then`` returned.
    ``cache``: a persistent wheel cache, read before downloading a file whose sha256 the
    index gave, and filled with each such download (verified both ways).
    ``prefetched``: downloads begun during resolution, taken as this function's own: a
    failed one (after its retries) fails the install, it is not tried all over again.
    """
    cached = cached or {}
    gate = asyncio.Semaphore(concurrency)

    async def one(pkg: PlannedPackage) -> tuple[str, Any]:
        data: bytes | JsBytes | None = None
        ahead = prefetched.take(pkg.url) if prefetched is not None else None
        if pkg.url in cached:
            if on_start:
                on_start(pkg)
            data = cached[pkg.url]
            if pkg.sha256:
                http.check_sha256(data, pkg.sha256, pkg.url, pkg.filename)
        elif ahead is not None:
            if on_start:
                on_start(pkg)
            data = await ahead
            if pkg.sha256 and pkg.sha256.lower() != prefetched.verified_against(pkg.url):  # type: ignore[union-attr]
                http.check_sha256(data, pkg.sha256, pkg.url, pkg.filename)
        if data is None:
            async with gate:
                if on_start and ahead is None:
                    on_start(pkg)
                data = await get_file(
                    pkg.url,
                    pkg.sha256,
                    describe(pkg.filename, pkg.name, pkg.version),
                    credentials=credentials,
                    keep_in_js=keep_in_js,
                    cache=cache,
                )
        if on_done:
            on_done(pkg, len(data))
        return pkg.name, (await then(pkg, data)) if then is not None else data

    # Largest first (when the index gave sizes): the biggest download decides when all are in.
    ordered = sorted(packages, key=lambda p: -(p.size or 0))
    tasks = [asyncio.ensure_future(one(p)) for p in ordered]
    try:
        return dict(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise

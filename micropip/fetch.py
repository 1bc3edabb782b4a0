"""Download a plan's wheels in parallel and verify each before anything is written."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import http
from .plan import PlannedPackage
from .transport import JsBytes

if TYPE_CHECKING:
    from .wheel_cache import WheelCache

DEFAULT_CONCURRENCY = 8  # enough to fill a connection, few enough to be polite


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
    """
    cached = cached or {}
    gate = asyncio.Semaphore(concurrency)

    async def one(pkg: PlannedPackage) -> tuple[str, Any]:
        data: bytes | JsBytes | None = None
        if pkg.url in cached:
            if on_start:
                on_start(pkg)
            data = cached[pkg.url]
            if pkg.sha256:
                http.check_sha256(data, pkg.sha256, pkg.url, pkg.filename)
        elif cache is not None and pkg.sha256:
            data = await cache.get(pkg.sha256, keep_in_js=keep_in_js)  # verified on read
            if data is not None and on_start:
                on_start(pkg)
        if data is None:
            async with gate:
                if on_start:
                    on_start(pkg)
                data = await http.download(
                    pkg.url,
                    sha256=pkg.sha256,
                    what=f"{pkg.filename} ({pkg.name} {pkg.version})",
                    credentials=credentials,
                    keep_in_js=keep_in_js,
                )
            if cache is not None and pkg.sha256:
                await cache.put(pkg.sha256, data)
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

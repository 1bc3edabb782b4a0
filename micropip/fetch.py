"""Download a plan's wheels in parallel and verify each before anything is written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from . import http
from .plan import PlannedPackage

DEFAULT_CONCURRENCY = 8  # enough to fill a connection, few enough to be polite


async def fetch_all(
    packages: list[PlannedPackage],
    *,
    cached: dict[str, bytes] | None = None,
    credentials: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[PlannedPackage, int], None] | None = None,
    on_start: Callable[[PlannedPackage], None] | None = None,
) -> dict[str, bytes]:
    """Return {package name: wheel bytes}; sha256 is checked for every file with a known hash.

    ``cached`` holds wheels already downloaded to read their metadata, so a chosen
    wheel is never fetched twice. The first failure cancels the other downloads.
    ``on_start(pkg)`` is called when a file's download begins, ``on_done(pkg, size)``
    once it arrived and was verified (progress reporting).
    """
    cached = cached or {}
    gate = asyncio.Semaphore(concurrency)

    async def one(pkg: PlannedPackage) -> tuple[str, bytes]:
        if pkg.url in cached:
            if on_start:
                on_start(pkg)
            data = cached[pkg.url]
            if pkg.sha256:
                http.check_sha256(data, pkg.sha256, pkg.url, pkg.filename)
        else:
            async with gate:
                if on_start:
                    on_start(pkg)
                data = await http.download(
                    pkg.url, sha256=pkg.sha256, what=f"{pkg.filename} ({pkg.name} {pkg.version})", credentials=credentials
                )
        if on_done:
            on_done(pkg, len(data))
        return pkg.name, data

    tasks = [asyncio.ensure_future(one(p)) for p in packages]
    try:
        return dict(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise

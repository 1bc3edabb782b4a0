"""The wheel prefetcher's bookkeeping on the host (its Pyodide side: test_prefetch_pyodide.py)."""

from __future__ import annotations

import asyncio


def test_no_wheel_is_fetched_ahead_once_the_install_closed_the_prefetcher():
    """When one crawl job fails, asyncio.gather leaves its siblings running: their guesses must
    not start downloads after the install ended."""
    from micropip.index.project import ProjectFile
    from micropip.installation.fetch import WheelPrefetcher

    wheel = ProjectFile("late-1.0-py3-none-any.whl", "https://h.example/late-1.0-py3-none-any.whl",
                        hashes={"sha256": "0" * 64}, size=10)

    async def go() -> tuple[bool, bool]:
        ahead = WheelPrefetcher()
        await ahead.close()
        ahead.start(wheel)
        return ahead.peek(wheel.url) is None, ahead.take(wheel.url) is None

    assert asyncio.run(go()) == (True, True)

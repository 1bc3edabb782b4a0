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


def held_downloads(monkeypatch, fetch) -> tuple[asyncio.Event, list[str]]:
    """Downloads that start (their URLs listed in order) and end only once the event is set."""
    release = asyncio.Event()
    fetched: list[str] = []

    async def slow_get_file(url, sha256, what, **kwargs):
        fetched.append(url)
        await release.wait()
        return b"wheel"

    monkeypatch.setattr(fetch, "get_file", slow_get_file)
    return release, fetched


def test_a_guess_still_queued_when_the_plan_takes_it_is_handed_back_not_awaited(monkeypatch):
    """Pyodide's lockfile names a dozen wheels at once; the ones queued behind the speculative
    concurrency limit are fetched by the install at its own, not four at a time."""
    from micropip.index.project import ProjectFile
    from micropip.installation import fetch

    release, fetched = held_downloads(monkeypatch, fetch)
    big = fetch.SPECULATE_SMALL_BYTES + 1
    wheels = [ProjectFile(f"p{i}-1.0-py3-none-any.whl", f"https://h.example/p{i}-1.0-py3-none-any.whl",
                          hashes={"sha256": "0" * 64}, size=big) for i in range(fetch.SPECULATE_CONCURRENCY + 2)]

    async def go():
        ahead = fetch.WheelPrefetcher()
        for w in wheels:
            ahead.start(w)
        await asyncio.sleep(0.01)
        running = ahead.take(wheels[0].url)  # its request is out: the install awaits it
        queued = ahead.take(wheels[-1].url)  # still behind the limit: the install fetches it itself
        release.set()
        data = await running
        await ahead.close()
        return data, queued, list(fetched)

    data, queued, seen = asyncio.run(go())
    assert data == b"wheel" and queued is None
    assert seen[: fetch.SPECULATE_CONCURRENCY] == [w.url for w in wheels[: fetch.SPECULATE_CONCURRENCY]]
    assert wheels[-1].url not in seen  # never requested ahead


def test_a_small_guess_does_not_wait_behind_big_ones(monkeypatch):
    """Every slot taken by a big wheel, a small one (a metadata file's cost) still leaves at once,
    and so does a wheel of unknown size only once a slot frees: only known-small guesses skip the queue."""
    from micropip.index.project import ProjectFile
    from micropip.installation import fetch

    release, fetched = held_downloads(monkeypatch, fetch)

    def wheel(name, size):
        return ProjectFile(f"{name}-1.0-py3-none-any.whl", f"https://h.example/{name}-1.0-py3-none-any.whl",
                           hashes={"sha256": "0" * 64}, size=size)

    bigs = [wheel(f"big{i}", fetch.SPECULATE_SMALL_BYTES + 1) for i in range(fetch.SPECULATE_CONCURRENCY)]
    small, unknown = wheel("small", fetch.SPECULATE_SMALL_BYTES), wheel("unknown", None)

    async def go():
        ahead = fetch.WheelPrefetcher()
        for w in [*bigs, unknown, small]:
            ahead.start(w)
        await asyncio.sleep(0.01)
        before = list(fetched)
        release.set()
        await asyncio.sleep(0.01)
        await ahead.close()
        return before, list(fetched)

    before, after = asyncio.run(go())
    assert before == [w.url for w in bigs] + [small.url]  # the unknown one waits for a slot
    assert unknown.url in after


def test_a_download_the_install_takes_on_its_way_is_opened_ahead_once_on_arrival(monkeypatch):
    """The plan can be final while a wheel fetched ahead is still on its way (its metadata file
    came first): the prefetcher opens it on arrival all the same and the install awaits that
    open (``opened``) instead of opening it itself; one that arrives after the install ended is
    not opened (nothing would release it)."""
    from micropip.index.project import ProjectFile
    from micropip.installation import fetch

    arrive = {name: asyncio.Event() for name in ("taken", "late")}

    async def slow_get_file(url, sha256, what, **kwargs):
        await arrive["late" if "late" in url else "taken"].wait()
        return b"wheel of " + url.encode()

    monkeypatch.setattr(fetch, "get_file", slow_get_file)
    opens: list[str] = []

    async def opener(url, filename, data):
        opens.append(filename)
        return ("opened", data)

    taken, late = (ProjectFile(f"{n}-1.0-py3-none-any.whl", f"https://h.example/{n}-1.0-py3-none-any.whl",
                               hashes={"sha256": "0" * 64}, size=10) for n in ("taken", "late"))

    async def go():
        ahead = fetch.WheelPrefetcher(opener=opener)
        ahead.start(taken)
        ahead.start(late)
        await asyncio.sleep(0.01)
        download, orphan = ahead.take(taken.url), ahead.take(late.url)  # both on their way
        arrive["taken"].set()
        data = await download
        wheel = await ahead.opened(taken.url)
        await ahead.close()  # the install is over before the other one arrives
        arrive["late"].set()
        await orphan
        await asyncio.sleep(0.01)
        return data, wheel, await ahead.opened(late.url)

    data, wheel, late_wheel = asyncio.run(go())
    assert wheel == ("opened", data) and late_wheel is None
    assert opens == [taken.filename]

"""Backtracking at network speed (issue 31), on host CPython: the logic, fast.

The walk index (``harness/walk_index.py``) makes the resolver reject dozens of releases of
``walk-app`` before one fits ``walk-lib<4``, as fastapi does under ``pydantic<2``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from index_server.server import start_server
from micropip.errors import ResolutionBudgetError
from micropip.index.client import IndexClient
from micropip.index.project import ProjectFile
from micropip.resolution import lookahead
from micropip.resolution.candidates import INDEX, Candidate
from micropip.resolution.environment import TargetEnvironment
from micropip.resolution.requirements import parse_requirement
from micropip.resolution.resolver import resolve
from micropip.resolution.sources import Sources
from micropip.resolution.selection import allowed_versions
from micropip.resolution.version_index import VersionIndex, newest_allowed
from pyodide_pm.cli import main as cli_main

from .harness.fault_server import FaultServer, upstream
from .harness.walk_index import write_walk_index

ENV = TargetEnvironment.for_pyodide("314.0.7")
RELEASES = 40


@pytest.fixture(scope="module")
def walk_index(tmp_path_factory) -> Iterator:
    with start_server(write_walk_index(tmp_path_factory.mktemp("walk"), RELEASES)) as server:
        yield server


@pytest.fixture
def counted(walk_index) -> Iterator[FaultServer]:
    """The walk index behind a server that counts (and can slow down) every request."""
    with FaultServer(upstream=walk_index.url) as server:
        yield server


async def _resolve(url: str, *reqs: str, **kw):
    sources = Sources(ENV, IndexClient((url,)))
    plan = await resolve([parse_requirement(r) for r in reqs], sources, index_urls=(url,), **kw)
    return {p.name: p.version for p in plan.install}, sources


def _metadata_hits(server: FaultServer, project: str) -> list[int]:
    return [n for path, n in server.hits.items() if f"/{project}-" in path and path.endswith(".metadata")]


# ---- the walk ---------------------------------------------------------------------------------


async def test_a_long_walk_back_resolves_and_reads_each_metadata_file_once(counted):
    chosen, sources = await _resolve(counted.simple_url, "walk-app", "walk-lib<4")
    assert chosen == {"walk-app": "3.0", "walk-lib": "3.0"}
    hits = _metadata_hits(counted, "walk_app")
    # Every release from 40 down to 3 was judged from its metadata file, each read once:
    # the search resumed after each fetch re-tries the rejected releases without asking again.
    assert len(hits) >= RELEASES - 2 and set(hits) == {1}
    assert sources.batches.requested > 0  # most were read ahead, not asked for one by one


async def test_two_identifiers_walking_the_same_releases_share_what_was_read(counted):
    chosen, _ = await _resolve(counted.simple_url, "walk-app[fast]", "walk-lib<4")
    assert chosen == {"walk-app": "3.0", "walk-lib": "3.0"}
    assert set(_metadata_hits(counted, "walk_app")) == {1}  # walk-app and walk-app[fast], one read each


# ---- read-ahead batches ---------------------------------------------------------------------


def test_the_batch_grows_with_the_releases_tried_and_is_bounded():
    sizes = [lookahead.batch_size(t) for t in range(0, 40)]
    assert sizes[0] == 0  # nothing ahead before the first rejection
    assert sizes[1] == lookahead.FIRST_BATCH
    assert sizes == sorted(sizes) and max(sizes) == lookahead.MAX_BATCH
    assert lookahead.MAX_BATCH == 2 * lookahead.WIDTH


def _cand(version: str, *, metadata: bool = True, size: int | None = 1000, sdist: bool = False, yanked: bool = False) -> Candidate:
    name = f"p-{version}.tar.gz" if sdist else f"p-{version}-py3-none-any.whl"
    f = ProjectFile(name, f"https://x/{name}", core_metadata={} if metadata else None, size=size, yanked=yanked)
    return Candidate("p", Version(version), INDEX, f, yanked=yanked)


def test_the_window_counts_what_is_read_or_coming_and_skips_what_is_not_worth_reading():
    cands = [_cand(f"{i}.0") for i in range(20, 0, -1)]
    asked, rest = cands[0], cands[1:]
    first = lookahead.next_releases(asked, rest, [], 4, lambda c: False)
    assert [str(c.version) for c in first] == ["19.0", "18.0", "17.0", "16.0"]
    # Asked again for the next release: the window slides, only what is new is returned.
    known = {c.url for c in first}
    again = lookahead.next_releases(rest[0], rest[1:], [], 4, lambda c: c.url in known)
    assert [str(c.version) for c in again] == ["15.0"]
    # Never an sdist, a yanked release, or a whole wheel that is big when no metadata file exists.
    odd = [_cand("9.0", sdist=True), _cand("8.0", yanked=True), _cand("7.0", metadata=False, size=50_000_000),
           _cand("6.0", metadata=False, size=80_000), _cand("5.0")]
    picked = lookahead.next_releases(asked, odd, [], 10, lambda c: False)
    assert [str(c.version) for c in picked] == ["6.0", "5.0"]
    # The compatible candidates first, then older releases, each URL once.
    mixed = lookahead.next_releases(asked, [cands[5]], [cands[5], cands[9]], 10, lambda c: False)
    assert [str(c.version) for c in mixed] == ["15.0", "11.0"]


async def test_reads_ahead_run_at_most_width_at_once_and_each_url_once():
    in_flight = most = 0
    seen: list[str] = []

    async def read(cand: Candidate) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        seen.append(cand.url or "")
        await asyncio.sleep(0.005)
        in_flight -= 1

    batches = lookahead.MetadataBatches(read, width=3)
    cands = [_cand(f"{i}.0") for i in range(30)]
    assert batches.add(cands[:20]) == 20
    assert batches.add(cands[10:30]) == 10  # the first ten were queued already
    while batches.in_flight or batches._queue:
        await asyncio.sleep(0.005)
    assert most == 3 and batches.most_in_flight == 3
    assert sorted(seen) == sorted(c.url for c in cands)


async def test_a_walk_through_a_slow_index_has_several_requests_in_flight(counted):
    counted.route("*", upstream(delay=0.05))
    chosen, sources = await _resolve(counted.simple_url, "walk-app", "walk-lib<4")
    assert chosen == {"walk-app": "3.0", "walk-lib": "3.0"}
    assert counted.most_at_once("*/walk_app-*.metadata") >= 3
    assert sources.batches.most_in_flight <= lookahead.WIDTH


# ---- versions by bisection ------------------------------------------------------------------


def test_the_version_index_agrees_with_packaging():
    spelled = ["0.9", "1.0", "1.0a1", "1.0.post1", "1.0+local", "1.0.1", "1.0rc2", "1.1.dev0", "1.1", "1.2+x.y",
               "2.0", "2.0b1", "3!1.0", "1.0.0", "1.43.117", "1.43.118", "1.44.0"]
    versions = [Version(v) for v in spelled]
    index = VersionIndex(versions)
    rng = random.Random(31)
    ops = [">=", ">", "<", "<=", "==", "!=", "~=", "==="]
    for _ in range(1500):
        clauses = []
        for _ in range(rng.randint(1, 3)):
            op, v = rng.choice(ops), rng.choice(spelled + ["1.*", "2"])
            if (v.endswith("*") and op not in ("==", "!=")) or (op == "~=" and "." not in v) or ("+" in v and op not in ("==", "!=", "===")):
                continue
            clauses.append(op + v)
        if not clauses:
            continue
        spec = SpecifierSet(",".join(clauses))
        assert index.allowed(spec) == frozenset(v for v in versions if spec.contains(v, prereleases=True)), str(spec)
        for pre in (False, True):
            allowed = allowed_versions(versions, [spec], pre=pre)
            assert newest_allowed(versions, [spec], pre=pre) == (allowed[0] if allowed else None), str(spec)
            for floor in allowed[-2:]:  # any allowed version as the floor gives the same answer
                assert newest_allowed(versions, [spec], pre=pre, floor=floor) == allowed[0], (str(spec), floor)


# ---- the budget -----------------------------------------------------------------------------


async def test_the_budget_stops_a_long_search_and_says_what_it_went_back_and_forth_on(counted):
    # 200 ms a request: the walk starts after about four round trips and needs five more.
    counted.route("*", upstream(delay=0.2))
    with pytest.raises(ResolutionBudgetError) as info:
        await _resolve(counted.simple_url, "walk-app", "walk-lib<4", resolve_timeout=1.4)
    text = str(info.value)
    assert text.startswith("Gave up resolving walk-app, walk-lib<4 after ")
    assert "the resolver's budget of 1.4 s ran out" in text
    assert "It kept going back and forth on: walk-app (" in text
    assert "The conflict it kept meeting is over walk-lib:\n  walk-lib<4  (requested)\n  walk-lib>=" in text
    assert "A pin settles it: pin walk-app to an older release that accepts 'walk-lib<4'" in text
    assert "e.g. 'walk-app<" in text
    assert "resolve_timeout=120" in text and "--resolve-timeout 120" in text


async def test_the_rounds_budget_stops_the_same_way_on_any_machine(fixture_index):
    sources = Sources(ENV, IndexClient((fixture_index.simple_url,)))
    with pytest.raises(ResolutionBudgetError, match=r"budget of 2 rounds ran out") as info:
        await resolve([parse_requirement(r) for r in ("bt-top", "bt-leaf==1.0")], sources, max_rounds=2)
    assert "a pin is the way" in str(info.value) and "resolve_timeout=" not in str(info.value)


async def test_a_budget_must_be_positive(fixture_index):
    sources = Sources(ENV, IndexClient((fixture_index.simple_url,)))
    with pytest.raises(ValueError, match="resolve_timeout must be a positive number of seconds or None"):
        await resolve([parse_requirement("demo-app")], sources, resolve_timeout=0)


def test_the_install_default_is_the_resolvers():
    import inspect

    import micropip
    from micropip.resolution.budget import DEFAULT_TIMEOUT

    assert inspect.signature(micropip.install).parameters["resolve_timeout"].default == DEFAULT_TIMEOUT


def test_pyodide_pm_lock_takes_the_budget_flag(counted, tmp_path: Path, capsys):
    counted.route("*", upstream(delay=0.2))  # three round trips before the walk: more than 0.5 s
    out = tmp_path / "pylock.toml"
    code = cli_main(["lock", "walk-app", "walk-lib<4", "-i", counted.simple_url, "-o", str(out), "--resolve-timeout", "0.5"])
    assert code == 1 and not out.exists()
    assert "ran out" in capsys.readouterr().err
    counted.route("*", upstream())
    assert cli_main(["lock", "walk-app", "walk-lib<4", "-i", counted.simple_url, "-o", str(out), "--resolve-timeout", "none"]) == 0
    assert "walk-app" in out.read_text()


def test_pyodide_pm_check_takes_the_budget_flag(counted, tmp_path: Path, capsys):
    counted.route("*", upstream(delay=0.2))
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("walk-app\nwalk-lib<4\n")
    code = cli_main(["check", "-r", str(reqs), "-i", counted.simple_url, "--resolve-timeout", "0.5"])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL" in out and "ran out" in out


async def test_the_search_resumes_after_each_fetch_instead_of_starting_over(walk_index):
    from micropip.resolution.budget import BackAndForth, Budget
    from micropip.resolution.provider import Provider
    from micropip.resolution.search import Search
    from micropip.resolution.sources import NeedData

    sources = Sources(ENV, IndexClient((walk_index.simple_url,)))
    roots = [parse_requirement(r).requirement for r in ("walk-app", "walk-lib<4")]
    await sources.prefetch(roots, {})  # as resolve() does: the roots' pages are here before the first run
    search = Search(Provider(sources), roots, BackAndForth(Budget(None)))
    while True:
        try:
            result = search.run(10_000)
            break
        except NeedData as need:
            await sources.fill(need)
            search.data_arrived(sources)
    assert {k: str(c.version) for k, c in result.mapping.items()} == {"walk-app": "3.0", "walk-lib": "3.0"}
    assert search.runs > 3 and search.resumed == search.runs - 1 and search.restarted == 0


def test_candidates_are_counted_from_resolvelibs_list_when_it_is_there():
    import operator

    from resolvelib.resolvers.criterion import Criterion
    from resolvelib.structs import IteratorMapping, build_iter_view

    from micropip.resolution.provider import _count

    criteria = {"a": Criterion(build_iter_view([1, 2, 3]), [], [])}
    mapping = IteratorMapping(criteria, operator.attrgetter("candidates"))
    assert _count(mapping, "a") == 3
    assert isinstance(criteria["a"].candidates._sequence, list)  # the fast path exists in this resolvelib
    more = IteratorMapping(criteria, operator.attrgetter("candidates"), {"a": [4]})
    assert _count(more, "a") == 4  # with appends, counted the slow way

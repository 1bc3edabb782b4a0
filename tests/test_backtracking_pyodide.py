"""Backtracking at network speed (issue 31), in real Pyodide (Node).

A walk back through dozens of releases reads their metadata several at a time, not one
round trip after another; a search that cannot finish in its budget stops with an error that
says what it went back and forth on, and nothing is installed. The index answers every
request after a delay, like a distant PyPI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index_server.server import start_server

from .harness.fault_server import FaultServer, upstream
from .harness.pyodide_node import PyodideError
from .harness.walk_index import write_walk_index
from .snippets import SNAPSHOT

pytestmark = pytest.mark.pyodide


@pytest.fixture(scope="module")
def walk_index(tmp_path_factory) -> Iterator:
    with start_server(write_walk_index(tmp_path_factory.mktemp("walk"), 40)) as server:
        yield server


@pytest.fixture
def slow_walk(walk_index) -> Iterator[FaultServer]:
    with FaultServer(upstream=walk_index.url) as server:
        yield server


def test_a_deep_backtrack_reads_metadata_in_parallel_and_each_file_once(pyodide, slow_walk):
    slow_walk.route("*", upstream(delay=0.1))
    chosen = pyodide.run(
        f"plan = await micropip.install(['walk-app', 'walk-lib<4'], index_urls=[{slow_walk.simple_url!r}], dry_run=True)\n"
        "{p.name: p.version for p in plan.install}"
    )
    assert chosen == {"walk-app": "3.0", "walk-lib": "3.0"}
    reads = {path: n for path, n in slow_walk.hits.items() if "/walk_app-" in path and path.endswith(".metadata")}
    assert len(reads) >= 38 and set(reads.values()) == {1}  # 40.0 down to 3.0, each read once
    # One after another, one metadata file would be answered at a time; the walk keeps several in flight.
    assert slow_walk.most_at_once("*/walk_app-*.metadata") >= 4


def test_a_search_past_its_budget_stops_with_what_to_pin_and_installs_nothing(pyodide, slow_walk):
    # Two pages and three read-ahead batches of walk-app's metadata at 0.5 s each: 2.5 s at
    # the least, well past the budget (at 0.2 s a quiet machine could finish inside it).
    slow_walk.route("*", upstream(delay=0.5))
    before = pyodide.run(SNAPSHOT)
    with pytest.raises(PyodideError) as info:
        pyodide.run(
            f"await micropip.install(['walk-app', 'walk-lib<4'], index_urls=[{slow_walk.simple_url!r}], resolve_timeout=1.4)"
        )
    assert info.value.type == "ResolutionBudgetError"
    message = info.value.message
    assert "Gave up resolving walk-app, walk-lib<4 after " in message
    assert "the resolver's budget of 1.4 s ran out" in message
    assert "install(..., resolve_timeout=120)" in message
    assert pyodide.run(SNAPSHOT) == before

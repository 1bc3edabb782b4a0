"""Dead ends are reported fast (issue 17), in real Pyodide (Node).

A dependency with no usable wheel in any release (or none in the versions asked for, or
on no index) makes every release of the project that needs it useless. The resolver
rejects a few of them (reading only their PEP 658 metadata files, several at once), then
stops and names the chain, instead of walking hundreds of releases at a round trip each.
The index here answers every request after 100 ms, like a distant PyPI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .harness.fault_server import FaultServer, upstream
from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT

pytestmark = pytest.mark.pyodide

LATENCY = 0.1


@pytest.fixture
def slow_index(fixture_index) -> Iterator[FaultServer]:
    with FaultServer(upstream=fixture_index.url) as server:
        server.route("*", upstream(delay=LATENCY))
        yield server


def _metadata_reads(server: FaultServer, prefix: str) -> list[str]:
    return sorted(path for path, n in server.hits.items() if prefix in path and path.endswith(".metadata") for _ in range(n))


def _wheel_reads(server: FaultServer, prefix: str) -> list[str]:
    return [path for path in server.hits if prefix in path and path.endswith(".whl")]


def _install_error(pyodide, server: FaultServer, req: str) -> tuple[PyodideError, float]:
    before = pyodide.run(SNAPSHOT)
    start = time.monotonic()
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install({req!r}, index_urls=[{server.simple_url!r}])")
    elapsed = time.monotonic() - start
    assert pyodide.run(SNAPSHOT) == before  # nothing installed, nothing changed
    return info.value, elapsed


def test_forty_releases_needing_a_project_without_wheels_fail_fast_with_the_chain(pyodide, slow_index):
    err, elapsed = _install_error(pyodide, slow_index, "deadend-root")
    assert err.type == "NoCompatibleWheelError"
    msg = err.message
    assert "deadend-root -> deadend-native: no wheel of deadend-native can be used in this Pyodide" in msg
    assert "Can't find a pure Python 3 wheel for 'deadend-native'" in msg
    assert "deadend-root 40.0, 39.0, 38.0, 37.0 (its newest releases that fit) all require deadend-native>=1.0" in msg
    assert "36 older releases of deadend-root (newest 36.0) were not tried" in msg
    assert "micropip.install('deadend-root<37.0')" in msg
    # Four releases are rejected (one look-ahead read in the same parallel batch), never forty;
    # each from its small metadata file, no wheel downloaded to read metadata. The newest
    # release's wheel is fetched ahead once, beside its metadata (the likely pick), and no other.
    reads = _metadata_reads(slow_index, "/deadend_root-")
    assert len(reads) == len(set(reads)) <= 5, reads
    assert {r.rsplit("/", 1)[1] for r in reads} >= {f"deadend_root-{v}.0-py3-none-any.whl.metadata" for v in (40, 39, 38, 37)}
    wheels = _wheel_reads(slow_index, "/deadend_root-")
    assert [w.rsplit("/", 1)[1] for w in wheels] in ([], ["deadend_root-40.0-py3-none-any.whl"]), wheels
    assert all(slow_index.hits[w] == 1 for w in wheels)
    # The whole exchange is a handful of round trips (page, metadata, dependency page, one batch).
    assert len(slow_index.log) <= 10, [h.path for h in slow_index.log]
    assert elapsed < 5, elapsed


def test_a_dead_end_one_step_removed_names_the_whole_chain(pyodide, slow_index):
    err, elapsed = _install_error(pyodide, slow_index, "deadend-app")
    assert err.type == "NoCompatibleWheelError"
    assert "deadend-app -> deadend-mid -> deadend-native: no wheel of deadend-native" in err.message
    assert (
        "deadend-app 8.0, 7.0, 6.0, 5.0 (its newest releases that fit) all require deadend-mid, "
        "and every release of deadend-mid that fits needs deadend-native" in err.message
    )
    assert len(_metadata_reads(slow_index, "/deadend_app-")) <= 5
    assert elapsed < 5, elapsed


def test_a_dependency_whose_wanted_versions_have_no_wheel_is_a_dead_end_too(pyodide, slow_index):
    err, _ = _install_error(pyodide, slow_index, "deadend-pinned")
    assert err.type == "NoCompatibleWheelError"
    assert (
        "deadend-pinned -> deadend-newer: no release of deadend-newer that 'deadend-newer>=2.0' allows "
        "can be used in this Pyodide (releases with a usable wheel: 1.0)" in err.message
    )
    assert "deadend_newer-2.0-cp314-cp314-manylinux_2_17_x86_64.whl: built for platform manylinux_2_17_x86_64" in err.message
    assert "Can't find a pure Python 3 wheel for 'deadend-newer>=2.0'" in err.message
    assert "micropip.install('deadend-pinned<3.0')" in err.message


def test_a_dependency_no_index_has_is_a_dead_end(pyodide, slow_index):
    err, _ = _install_error(pyodide, slow_index, "deadend-ghost")
    assert err.type == "PackageNotFoundError"
    assert "deadend-ghost -> deadend-nowhere: no package named 'deadend-nowhere' was found" in err.message
    assert "deadend-ghost 6.0, 5.0, 4.0, 3.0 (its newest releases that fit) all require deadend-nowhere" in err.message
    assert len(_metadata_reads(slow_index, "/deadend_ghost-")) <= 5


def test_a_cheap_older_release_is_still_found(pyodide, slow_index):
    # olderpick 2.0 needs a project without a usable wheel; 1.0 does not: 1.0 is installed.
    pyodide.run(f"await micropip.install('olderpick', index_urls=[{slow_index.simple_url!r}])")
    assert pyodide.run("import olderpick; olderpick.__version__") == "1.0"


def test_keep_going_reports_the_dead_project_once_and_resolves_the_rest(pyodide, slow_index):
    plan = pyodide.run(
        f"""
try:
    await micropip.install(['deadend-root', 'demo-app'], keep_going=True, index_urls=[{slow_index.simple_url!r}])
    _r = None
except ValueError as _e:
    _r = [type(_e).__name__, str(_e)]
_r
"""
    )
    assert plan[0] == "NoCompatibleWheelError"
    assert "deadend-root -> deadend-native" in plan[1] and plan[1].count("no wheel of deadend-native") == 1


# ---- a JS exception never reaches the caller unexplained ------------------------------------------


def test_a_failed_copy_out_of_js_memory_is_a_transport_error_that_explains_it(pyodide):
    # Pyodide copies into WebAssembly memory with a signed 32-bit offset: past 2 GiB every
    # to_bytes() throws this RangeError (seen after a long install). The transport names it.
    got = pyodide.run(
        """
import js
from micropip.errors import TransportError
from micropip.transport.response import JsBytes

class _Proxy:
    def to_bytes(self):
        js.Function.new("throw new RangeError('offset is out of bounds')")()

try:
    JsBytes(_Proxy(), 3_000_000, None).to_bytes()
    _r = None
except TransportError as _e:
    _r = [str(_e), _e.permanent, type(_e.__cause__).__name__]
_r
"""
    )
    assert got is not None
    message, permanent, cause = got
    assert message.startswith("could not copy a 3,000,000-byte download from JavaScript into Python memory")
    assert "RangeError: offset is out of bounds" in message and "past 2 GiB" in message
    assert "restart the interpreter" in message
    assert permanent is True and cause == "JsException"

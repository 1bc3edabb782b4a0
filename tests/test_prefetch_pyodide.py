"""Wheels fetched ahead while the resolver works (micropip.installation.fetch.WheelPrefetcher), in real Pyodide.

Every wheel the resolver's crawl expects is fetched ahead (the size threshold is 0 by
default; each test sets it anyway, so a later change of the default does not hide these).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness.fault_server import FaultServer, Reply, upstream
from .harness.pyodide_node import PyodideError
from .snippets import installed_version

pytestmark = pytest.mark.pyodide

ALL_AHEAD = "import micropip.installation.fetch, micropip.index.http; micropip.installation.fetch.SPECULATE_MIN_BYTES = 0; micropip.index.http.RETRY_DELAYS = (0.05, 0.1)"


@pytest.fixture
def fault(fixture_index) -> Iterator[FaultServer]:
    with FaultServer(upstream=fixture_index.url) as server:
        yield server


def test_a_backtracked_guess_is_not_installed_and_a_good_one_is_not_fetched_twice(pyodide, fault):
    pyodide.run(ALL_AHEAD)
    pyodide.run(f"await micropip.install(['bt-top', 'bt-leaf==1.0'], index_urls=[{fault.simple_url!r}])")
    assert {n: pyodide.run(installed_version(n)) for n in ("bt-top", "bt-mid", "bt-leaf")} == {
        "bt-top": "1.0", "bt-mid": "1.5", "bt-leaf": "1.0"}
    for chosen in ("bt_top-1.0", "bt_mid-1.5", "bt_leaf-1.0"):
        assert fault.count(f"/files/{chosen}-py3-none-any.whl") == 1, chosen
    # The crawl's first guess (the newest bt-top) was fetched ahead at most once, never installed.
    assert fault.count("/files/bt_top-2.0-py3-none-any.whl") <= 1


def test_a_failed_download_ahead_is_the_installs_download_not_retried_on_top(pyodide, fault):
    pyodide.run(ALL_AHEAD)
    wheel = "/files/greeting-1.1-py3-none-any.whl"
    # The fetch ahead uses up its three attempts; the install reports that failure (naming the
    # file) instead of three more attempts, and changes nothing.
    fault.route(wheel, Reply(503), Reply(503), Reply(503), upstream())
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert info.value.type == "TransportError"
    assert "downloading greeting-1.1-py3-none-any.whl (greeting 1.1) failed: HTTP 503" in info.value.message
    assert fault.count(wheel) == 3
    assert pyodide.run(installed_version("greeting")) is None
    # The next install fetches it afresh (the fault is over).
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run(installed_version("greeting")) == "1.1"
    assert fault.count(wheel) == 4


def test_dry_run_fetches_nothing_ahead(pyodide, fault):
    pyodide.run(ALL_AHEAD)
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}], dry_run=True)")
    assert fault.count("/files/greeting-1.1-py3-none-any.whl") == 0



COUNT_OPENS = """
import micropip.installation.execution as _pm
_opens = []
_open_wheel, _fetch_all = _pm.open_wheel, _pm.fetch_all
async def _counting(url, filename, data, **kwargs):
    # The install's own open passes ``proven=``; the one ahead (WheelPrefetcher's opener) does not.
    _opens.append(f"{filename} opened by the install" if "proven" in kwargs else filename)
    return await _open_wheel(url, filename, data, **kwargs)
async def _marking(*args, **kwargs):
    _opens.append("the install's downloads begin")
    return await _fetch_all(*args, **kwargs)
_pm.open_wheel, _pm.fetch_all = _counting, _marking
"""


def test_a_wheel_fetched_ahead_is_checked_while_the_resolver_waits_and_only_then(pyodide, fault):
    # needs-greeting-11's wheel arrives while the resolver waits for greeting's (slow) page:
    # it is opened (inflated, hashed, RECORD checked) then, and the install takes it as it is.
    # Every wheel fetched ahead is opened by the prefetcher, never by the install: greeting's
    # leaves too, when the plan is final while they are still on their way (the install awaits that open).
    pyodide.run(ALL_AHEAD)
    pyodide.run(COUNT_OPENS)
    fault.route("/simple/greeting/", upstream(delay=1.0))
    pyodide.run(f"await micropip.install('needs-greeting-11', index_urls=[{fault.simple_url!r}])")
    opens = pyodide.run("_opens")
    assert not [o for o in opens if o.endswith("opened by the install")], opens
    assert opens.count("needs_greeting_11-1.0-py3-none-any.whl") == 1, opens
    assert opens.count("greeting-1.1-py3-none-any.whl") == 1, opens
    assert opens.index("needs_greeting_11-1.0-py3-none-any.whl") < opens.index("the install's downloads begin"), opens
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    assert pyodide.run(installed_version("greeting")) == "1.1"

"""A fresh interpreter's first install asks for its roots' index pages before the
install machinery is imported (``micropip.index.early``), in real Pyodide.

``import micropip`` then ``await micropip.install(...)`` with nothing else before it: the
path of a notebook's first ``%pip install`` on the default index. These tests check what
the head start must never change.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness.fault_server import FaultServer, Reply, upstream
from .harness.pyodide_node import PyodideError
from .snippets import installed_version

pytestmark = pytest.mark.pyodide


def spy_on(module: str, alias: str, seen: str) -> str:
    """Python that records in ``seen`` what ``<module>.start`` returned, and whether the
    install machinery was imported by then."""
    return f"""
import sys, {module} as {alias}
{seen} = []
_start{alias} = {alias}.start
def _spy{alias}(*args, **kwargs):
    asked = _start{alias}(*args, **kwargs)
    {seen}.append([asked, "micropip.package_manager" in sys.modules])
    return asked
{alias}.start = _spy{alias}
"""


SPY = spy_on("micropip.index.early", "_early", "_seen") + """
import micropip.index.http
micropip.index.http.RETRY_DELAYS = (0.05, 0.1)
"""


@pytest.fixture
def fault(fixture_index) -> Iterator[FaultServer]:
    with FaultServer(upstream=fixture_index.url) as server:
        yield server


@pytest.fixture
def pyodide(node_runner, bundle_dir) -> Iterator:
    """A fresh interpreter where only ``import micropip`` ran (no set_index_urls, which loads the machinery)."""
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    interp.run("import micropip")
    yield interp
    interp.drop()


def test_the_first_install_asks_for_its_root_page_before_importing_the_machinery_and_once(pyodide, fault):
    pyodide.run(SPY)
    assert pyodide.run("'micropip.package_manager' in sys.modules") is False
    pyodide.run(f"await micropip.install('needs-greeting-11', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_seen") == [[1, False]]
    assert fault.count("/simple/needs-greeting-11/") == 1
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    assert pyodide.run(installed_version("greeting")) == "1.1"
    # Later installs find the machinery imported: nothing is asked early.
    pyodide.run(f"await micropip.install('treepkg', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_seen") == [[1, False]]
    assert fault.count("/simple/treepkg/") == 1


def test_a_failed_early_page_is_the_installs_failure_not_asked_again(pyodide, fault):
    pyodide.run(SPY)
    fault.route("/simple/greeting/", Reply(503), Reply(503), Reply(503), upstream())
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_seen") == [[1, False]]
    assert info.value.type == "TransportError"
    assert "HTTP 503" in info.value.message and "'greeting'" in info.value.message
    assert fault.count("/simple/greeting/") == 3
    assert pyodide.run(installed_version("greeting")) is None
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run(installed_version("greeting")) == "1.1"


def test_requirements_that_name_no_page_are_not_asked_early(pyodide, fault):
    pyodide.run(SPY)
    url = f"{fault.url}files/greeting-1.1-py3-none-any.whl"
    pyodide.run(f"await micropip.install([{url!r}], index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_seen") == [[0, False]]
    assert pyodide.run(installed_version("greeting")) == "1.1"


ORDER_SPY = """
from micropip.resolution import environment as _env
_order = []
_current = _env.TargetEnvironment._of_running_interpreter
def _env_spy():
    _order.append(["environment", len(_early._pending)])
    return _current()
_env.TargetEnvironment._of_running_interpreter = _env_spy
"""


def test_set_index_urls_compiles_nothing_and_the_first_install_still_asks_early(pyodide, fault):
    pyodide.run(SPY)
    pyodide.run(f"micropip.set_index_urls([{fault.simple_url!r}])")
    assert pyodide.run("'micropip.package_manager' in sys.modules") is False
    pyodide.run("await micropip.install('needs-greeting-11')")  # from the index set, asked before the machinery
    assert pyodide.run("_seen") == [[1, False]]
    assert fault.count("/simple/needs-greeting-11/") == 1
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    pyodide.run("await micropip.install('treepkg')")  # the manager made meanwhile has the same indexes
    assert fault.count("/simple/treepkg/") == 1
    pyodide.run("micropip.set_index_urls(['http://127.0.0.1:9/simple/'])")  # with the manager made: at once
    with pytest.raises(PyodideError):
        pyodide.run("await micropip.install('urllib3-shim-nowhere')")
    assert fault.count("/simple/urllib3-shim-nowhere/") == 0


def test_indexes_set_again_once_the_manager_exists_are_the_only_ones_asked(pyodide, fault):
    pyodide.run(f"micropip.set_index_urls([{fault.simple_url!r}])")
    pyodide.run("micropip.list()")  # makes the manager, which takes the indexes kept so far
    pyodide.run(SPY)
    pyodide.run("micropip.set_index_urls(['http://127.0.0.1:9/simple/'])")  # nothing listens on port 9
    with pytest.raises(PyodideError):
        pyodide.run("await micropip.install('greeting')")
    assert fault.count("/simple/greeting/") == 0  # not even an early page from the index set before


# A client that imported the machinery (PyScript's and JupyterLite's glue do) before set_index_urls.
MACHINERY = "import micropip.package_manager"


def test_after_set_index_urls_the_first_install_asks_before_reading_the_environment(pyodide, fault):
    # With the machinery imported set_index_urls applies at once; the interpreter's environment
    # (sysconfig, ~20 ms in Pyodide) is still unread, and the page must not wait for it.
    pyodide.run(MACHINERY)
    pyodide.run(f"micropip.set_index_urls([{fault.simple_url!r}])")
    pyodide.run(SPY + ORDER_SPY)
    pyodide.run("await micropip.install('needs-greeting-11')")
    assert pyodide.run("_seen") == [[1, True]]
    assert pyodide.run("_order") == [["environment", 1]]  # read while the page was on its way
    assert fault.count("/simple/needs-greeting-11/") == 1
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    pyodide.run("await micropip.install('treepkg')")  # the environment is known now: nothing early
    assert pyodide.run("_seen") == [[1, True]]
    assert fault.count("/simple/treepkg/") == 1


FETCH_SPY = """
import sys, tempfile
from pyodide.code import run_js
from pyodide.ffi import create_proxy
micropip.set_cache(True, path=tempfile.mkdtemp())  # on, and empty: a new visitor's page
_order = []
def _on_fetch(url):
    _order.append(["fetch " + url.rstrip("/").rsplit("/", 1)[-1], "micropip.installation.installed" in sys.modules])
_fetch_hook = create_proxy(_on_fetch)
run_js("(hook) => { const f = globalThis.fetch; globalThis.__pmFetch = f; "
       "globalThis.fetch = (...a) => { hook(String(a[0] && a[0].url || a[0])); return f(...a); }; }")(_fetch_hook)
"""
UNHOOK = "run_js('globalThis.fetch = globalThis.__pmFetch'); _fetch_hook.destroy()"


def test_a_new_visitors_page_request_leaves_before_what_is_installed_is_read(pyodide, fault):
    # A root Pyodide's lockfile lacks needs the resolver: reading what is installed to try the
    # lockfile alone (~80 ms: sysconfig, packaging.tags) held its page request back. With the
    # cache on, the page is looked up there first: the request leaves once that lookup is done.
    pyodide.run(FETCH_SPY)
    try:
        pyodide.run(f"await micropip.install('needs-greeting-11', index_urls=[{fault.simple_url!r}])")
    finally:
        pyodide.run(UNHOOK)
    assert pyodide.run("_order[0]") == ["fetch needs-greeting-11", False]
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"


def test_after_set_index_urls_a_cached_lookup_does_not_hold_the_page_behind_cpu_work(pyodide, fault):
    # The machinery is imported; reading the environment (sysconfig) and what is installed
    # come next, and used to run while the page was still being looked up in the cache.
    pyodide.run(MACHINERY)
    pyodide.run(f"micropip.set_index_urls([{fault.simple_url!r}])")
    pyodide.run(SPY + ORDER_SPY + FETCH_SPY)
    try:
        pyodide.run("await micropip.install('needs-greeting-11')")
    finally:
        pyodide.run(UNHOOK)
    assert pyodide.run("[o[0] for o in _order[:2]]") == ["fetch needs-greeting-11", "environment"]
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"


def test_a_replaced_query_package_is_never_bypassed_by_an_early_page(pyodide, fault):
    # JupyterLite's piplite patches micropip.package_index.query_package after importing it.
    pyodide.run(SPY)
    pyodide.run(f"""
import micropip.package_index as _pi
_asked = []
_original = _pi.query_package
async def _patched(name, *args, **kwargs):
    _asked.append(name)
    return await _original(name, *args, **kwargs)
_pi.query_package = _patched
""")
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_seen") == []
    assert pyodide.run("_asked[0]") == "greeting"  # the patched lookup saw the root first
    assert fault.count("/simple/greeting/") == 1
    assert pyodide.run(installed_version("greeting")) == "1.1"


def test_the_install_stage_compiles_after_the_first_page_is_read_not_while_it_travels(pyodide, fault):
    # Compiling it while the page travelled held the page's answer back on a fast link.
    pyodide.run(MACHINERY)
    pyodide.run(f"micropip.set_index_urls([{fault.simple_url!r}])")
    pyodide.run("""
import sys
from micropip.resolution.sources import Sources
_at_page = []
_load_page = Sources._load_page
async def _spy(self, name):
    await _load_page(self, name)
    _at_page.append((name, "micropip.installation.installer" in sys.modules))
Sources._load_page = _spy
""")
    fault.route("/simple/needs-greeting-11/", upstream(delay=0.3))  # a page that takes its time
    pyodide.run("await micropip.install('needs-greeting-11')")
    assert pyodide.run("_at_page[0]") == ["needs-greeting-11", False]
    assert pyodide.run("'micropip.installation.installer' in sys.modules") is True
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"


def _lock_entry(name: str, version: str, file_name: str, depends=()) -> dict:
    import hashlib

    from .conftest import FIXTURE_WHEELS

    sha256 = hashlib.sha256((FIXTURE_WHEELS / file_name).read_bytes()).hexdigest()
    return {"name": name, "version": version, "file_name": file_name, "sha256": sha256, "depends": list(depends),
            "imports": [name], "install_dir": "site", "package_type": "package", "shared_library": False}


LOCK_SPY = """
import json, micropip.transport.runtime as _rt
_rt._lockfile = (json.loads(_lock_text), _lock_base)  # as if Pyodide had loaded this lockfile
""" + spy_on("micropip.installation.early_lock", "_early_lock", "_lock_seen")


GREETING_LOCK = {
    "greeting": ("greeting", "1.1", "greeting-1.1-py3-none-any.whl", ["colorama-lite", "textwrap3-lite"]),
    "colorama-lite": ("colorama-lite", "0.2", "colorama_lite-0.2-py3-none-any.whl", []),
    "textwrap3-lite": ("textwrap3-lite", "1.0", "textwrap3_lite-1.0-py3-none-any.whl", []),
}


def _with_lock(pyodide, fault) -> None:
    import json

    lock = {"info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
            "packages": {key: _lock_entry(*spec) for key, spec in GREETING_LOCK.items()}}
    pyodide.run(f"_lock_text = {json.dumps(lock)!r}; _lock_base = {fault.url + 'files/'!r}")
    pyodide.run(LOCK_SPY)


def test_lockfile_wheels_of_a_bare_root_download_before_the_machinery_is_imported(pyodide, fault):
    _with_lock(pyodide, fault)
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("_lock_seen") == [[3, False]]
    assert pyodide.run(installed_version("greeting")) == "1.1"
    assert pyodide.run(installed_version("textwrap3-lite")) == "1.0"
    for spec in GREETING_LOCK.values():
        assert fault.count(f"/files/{spec[2]}") == 1  # fetched once: the install took the early download
    assert fault.count("/simple/greeting/") == 0  # the lock answers: no index asked
    assert pyodide.run("_early_lock._pending is None") is True


def test_a_failed_early_lockfile_wheel_fails_the_install_and_changes_nothing(pyodide, fault):
    _with_lock(pyodide, fault)
    fault.route("/files/textwrap3_lite-1.0-py3-none-any.whl", Reply(404))
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert "textwrap3_lite-1.0-py3-none-any.whl" in info.value.message and "404" in info.value.message
    assert fault.count("/files/textwrap3_lite-1.0-py3-none-any.whl") == 1
    assert pyodide.run(installed_version("greeting")) is None
    assert pyodide.run(installed_version("colorama-lite")) is None


def test_versions_extras_and_dry_runs_download_no_lockfile_wheel_early(pyodide, fault):
    _with_lock(pyodide, fault)
    plan = pyodide.run(f"p = await micropip.install('greeting', index_urls=[{fault.simple_url!r}], dry_run=True); "
                       "sorted((x.name, x.source) for x in p.install)")
    assert plan == [["colorama-lite", "lockfile"], ["greeting", "lockfile"], ["textwrap3-lite", "lockfile"]]
    assert pyodide.run("_lock_seen") == []  # a dry run downloads nothing
    assert sum(fault.count(f"/files/{spec[2]}") for spec in GREETING_LOCK.values()) == 0


def test_an_install_the_lockfile_decides_compiles_no_resolver_and_records_what_the_resolver_would(pyodide, fault):
    _with_lock(pyodide, fault)
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    compiled = pyodide.run("sorted(m for m in ('resolvelib', 'micropip.package_manager', 'micropip.resolution.resolver', "
                           "'micropip.resolution.provider', 'micropip.package_index') if m in sys.modules)")
    assert compiled == []
    listed = pyodide.run("{n: (p.version, p.source) for n, p in micropip.list().items() if n in "
                         f"{sorted(GREETING_LOCK)!r}}}")
    assert listed == {"greeting": ["1.1", "pyodide"], "colorama-lite": ["0.2", "pyodide"], "textwrap3-lite": ["1.0", "pyodide"]}
    assert pyodide.run("import greeting; greeting.__name__") == "greeting"
    assert pyodide.run("import pyodide_js; sorted(k for k in pyodide_js.loadedPackages.object_keys() "
                       f"if k in {sorted(GREETING_LOCK)!r})") == sorted(GREETING_LOCK)
    # Only the root is REQUESTED, as after resolving.
    requested = pyodide.run("import importlib.metadata as md; sorted(n for n in "
                            f"{sorted(GREETING_LOCK)!r} if md.distribution(n).read_text('REQUESTED') is not None)")
    assert requested == ["greeting"]
    # The manager created now shares the install gate; the next install resolves as usual.
    pyodide.run(f"await micropip.install('treepkg', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run(installed_version("treepkg")) is not None


PROGRESS = """
import io, contextlib
_events = []
_out = io.StringIO()
with contextlib.redirect_stdout(_out):
    await micropip.install('greeting', index_urls=[_index], verbose=True,
                           progress=lambda e: _events.append(e.to_dict()))
_lines = [l for l in _out.getvalue().splitlines() if l.strip()]
"""


def _progress_of(interp, fault) -> tuple[list, list]:
    """The events and log lines of one install, with the times in them left out."""
    import json
    import re

    interp.run(f"_index = {fault.simple_url!r}")
    interp.run(PROGRESS)
    untimed = lambda text: re.sub(r"\d+(\.\d+)? ?m?s\b", "<time>", text)  # noqa: E731
    events = [untimed(json.dumps({k: v for k, v in e.items() if k not in ("seconds", "elapsed")}, sort_keys=True))
              for e in interp.run("_events")]
    return events, [untimed(line) for line in interp.run("_lines")]


def test_the_lockfile_only_install_reports_and_logs_as_the_resolving_one(pyodide, fault, node_runner, bundle_dir):
    import json

    _with_lock(pyodide, fault)
    resolving = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    try:
        resolving.run("import micropip, micropip.package_manager")  # the machinery first: no lockfile-only path
        _with_lock(resolving, fault)
        expected = _progress_of(resolving, fault)
        assert resolving.run("'resolvelib' in sys.modules") is True
        got = _progress_of(pyodide, fault)
        assert pyodide.run("'resolvelib' in sys.modules") is False
    finally:
        resolving.drop()
    kinds = [json.loads(e)["event"] for e in got[0]]
    assert kinds[:3] == ["ResolutionStarted", "ResolutionFinished", "DownloadStarted"] and kinds[-1] == "Done"
    # Downloads finish in whatever order the network gives: the same events, perhaps not in order.
    assert sorted(got[0]) == sorted(expected[0])
    assert sorted(got[1]) == sorted(expected[1])
    assert any("Successfully installed" in line for line in pyodide.run("_lines"))


def test_concurrent_first_installs_take_turns(pyodide, fault):
    _with_lock(pyodide, fault)
    pyodide.run(f"""
import asyncio
await asyncio.gather(micropip.install('greeting', index_urls=[{fault.simple_url!r}]),
                     micropip.install('needs-greeting-11', index_urls=[{fault.simple_url!r}]))
""")
    assert pyodide.run(installed_version("greeting")) == "1.1"
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    assert fault.count("/files/greeting-1.1-py3-none-any.whl") == 1


def test_a_lockfile_package_installed_at_another_version_is_left_to_the_resolver(pyodide, fault):
    _with_lock(pyodide, fault)
    # colorama-lite 0.1 installed by other means (the lock has 0.2); the machinery stays unimported.
    pyodide.run("""
import site, pathlib
_info = pathlib.Path(site.getsitepackages()[0]) / "colorama_lite-0.1.dist-info"
_info.mkdir()
(_info / "METADATA").write_text("Metadata-Version: 2.1\\nName: colorama-lite\\nVersion: 0.1\\n")
(_info / "RECORD").write_text("colorama_lite-0.1.dist-info/METADATA,,\\ncolorama_lite-0.1.dist-info/RECORD,,\\n")
""")
    assert pyodide.run("'micropip.package_manager' in sys.modules") is False
    pyodide.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert pyodide.run("'resolvelib' in sys.modules") is True  # the resolver decided, not the lock alone
    assert pyodide.run(installed_version("colorama-lite")) == "0.1"  # kept: it satisfies greeting
    assert pyodide.run(installed_version("greeting")) == "1.1"
    assert fault.count("/files/colorama_lite-0.2-py3-none-any.whl") <= 1  # asked early at most, never installed


def test_a_refused_index_is_refused_even_when_the_lockfile_has_everything(pyodide, fault):
    _with_lock(pyodide, fault)
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('greeting', index_urls=['http://index.example.org/simple/'])")
    assert info.value.type == "InsecureIndexError" and "index.example.org" in info.value.message
    assert pyodide.run(installed_version("greeting")) is None
    assert sum(fault.count(f"/files/{spec[2]}") for spec in GREETING_LOCK.values()) == 0


GUESS_SPY = """
import sys
import micropip.index.early as _e, micropip.index.http as _h, micropip.installation.early_lock as _l
_guessed = []
def _spied(module, attr, label):
    real = getattr(module, attr)
    def spy(*args, **kwargs):
        _guessed.append([label, str(args[0] if not hasattr(args[0], "filename") else args[0].filename),
                         "micropip.package_manager" in sys.modules])
        return real(*args, **kwargs)
    setattr(module, attr, spy)
_spied(_e, "ask", "page")
_spied(_h, "begin_hashed", "metadata")
_spied(_l, "guess", "wheel")
"""


@pytest.fixture
def compiling(node_runner, bundle_dir, tmp_path) -> Iterator:
    """A fresh interpreter whose lock lists no bytecode part: its first install compiles the
    machinery from sources (a bundle made without Node, or one whose part did not arrive)."""
    import json
    import shutil

    from micropip.installation.shipped_bytecode import PART

    bundle = tmp_path / "bundle"
    shutil.copytree(bundle_dir, bundle)
    lock = json.loads((bundle / "pyodide-lock.json").read_text())
    del lock["packages"][PART]
    (bundle / "pyodide-lock.json").write_text(json.dumps(lock))
    interp = node_runner.new_interpreter(bundle / "pyodide-lock.json")
    interp.run("import micropip")
    yield interp
    interp.drop()


def test_the_first_install_asks_for_the_next_hop_while_the_machinery_compiles(compiling, fault):
    # The root page answers while the resolver is being compiled: its release's metadata and
    # wheel, and its dependency's page (then that one's files), leave before the resolver
    # could ask; the resolver takes each answer, so nothing is fetched twice.
    pyodide = compiling
    pyodide.run(GUESS_SPY)
    pyodide.run(f"await micropip.install('needs-greeting-11', index_urls=[{fault.simple_url!r}])")
    guessed = pyodide.run("_guessed")
    assert ["wheel", "needs_greeting_11-1.0-py3-none-any.whl", False] in guessed
    assert ["page", "greeting", False] in guessed
    assert any(g[0] == "metadata" and g[1].endswith("needs_greeting_11-1.0-py3-none-any.whl.metadata") and not g[2] for g in guessed)
    assert ["wheel", "greeting-1.1-py3-none-any.whl", False] in guessed
    assert pyodide.run(installed_version("needs-greeting-11")) == "1.0"
    assert pyodide.run(installed_version("greeting")) == "1.1"
    paths = [hit.path for hit in fault.log]
    assert len(paths) == len(set(paths)), paths  # every page, metadata file and wheel once
    assert any(p.endswith("greeting-1.1-py3-none-any.whl") for p in paths)


def test_a_wrong_guess_changes_nothing_the_resolver_decides(pyodide, fault):
    # The newest greeting is guessed; a constraint the guess does not read rules it out.
    pyodide.run(GUESS_SPY)
    pyodide.run(
        f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}], constraints=['greeting<1.1'])"
    )
    assert ["wheel", "greeting-1.1-py3-none-any.whl", False] in pyodide.run("_guessed")
    assert pyodide.run(installed_version("greeting")) == "1.0"
    assert pyodide.run("import micropip.index.http as _h; len(_h._begun)") == 0  # nothing left behind


@pytest.mark.parametrize(("download", "whole"), [
    ("transport.fetch({url!r})", "0123456789abcdefghij"),
    ("shipped_bytecode._fetch({url!r}, '0' * 64)", None),  # not the part's sha256: not used
], ids=["a page", "the bundle's bytecode part"])
def test_a_response_body_still_arriving_is_seen_until_it_is_read(pyodide, download, whole):
    # The first install gives the event loop extra turns between two modules while a body
    # arrives (transport.receiving): each turn reads one more piece of it. The bytecode part
    # counts too: without those turns it arrived after most of the modules it compiles ahead.
    import socket
    import threading

    release = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nContent-Type: text/plain\r\n\r\n0123456789")
            release.wait(30)
            conn.sendall(b"abcdefghij")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
    try:
        assert pyodide.run(f"""
import asyncio
from micropip import transport
from micropip.installation import shipped_bytecode
_before = transport.receiving()
_task = asyncio.ensure_future({download.format(url=url)})
for _ in range(400):
    await asyncio.sleep(0.005)
    if transport.receiving():
        break
[_before, transport.receiving()]
""") == [False, True]
        release.set()
        answer = "_r = await _task; [_r.body.decode() if _r is not None else None, transport.receiving()]"
        assert pyodide.run(answer) == [whole, False]
    finally:
        release.set()
        listener.close()
        thread.join(5)

"""The persistent cache's kinds in real Pyodide (Node): pages with HTTP validators, metadata and
wheels by sha256, compiled bytecode by (wheel sha256, magic); one cap, one corruption rule."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness.fault_server import FaultServer, json_reply, upstream
from .harness.pyodide_node import Interpreter, NodeRunner

pytestmark = pytest.mark.pyodide

# Counts the modules compiled from source while ``import greeting`` runs (none: bytecode used).
IMPORT_COMPILES = """
import importlib._bootstrap_external as _be, sys
_compiled = []
_orig = _be.SourceFileLoader.source_to_code
def _spy(self, data, path, **kw):
    _compiled.append(path)
    return _orig(self, data, path, **kw)
_be.SourceFileLoader.source_to_code = _spy
try:
    import greeting
finally:
    _be.SourceFileLoader.source_to_code = _orig
[p.rsplit('site-packages/', 1)[-1] for p in _compiled]
"""
CAPTURE_WARNINGS = """
import io, logging
_buf = io.StringIO(); _h = logging.StreamHandler(_buf); _h.setLevel(logging.WARNING)
logging.getLogger('micropip').addHandler(_h)
"""


@pytest.fixture
def server(fixture_index) -> Iterator[FaultServer]:
    with FaultServer(upstream=fixture_index.url) as s:
        s.page_max_age = 600
        yield s


@pytest.fixture
def visit(node_runner: NodeRunner, bundle_dir: Path, tmp_path) -> Iterator:
    """A new interpreter (a page load) with the cache on in one folder for the whole test."""
    started: list[Interpreter] = []

    def start(**settings) -> Interpreter:
        py = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
        started.append(py)
        args = "".join(f", {k}={v!r}" for k, v in settings.items())
        py.run(f"import micropip; micropip.set_cache(True, path={str(tmp_path / 'cache')!r}{args})")
        return py

    yield start
    for py in started:
        py.drop()


def install(py: Interpreter, server: FaultServer, *, idle: bool = True) -> None:
    """Install greeting; ``idle``: then wait for the bytecode compiled in idle time to be kept."""
    py.run(f"await micropip.install('greeting', index_urls=[{server.simple_url!r}])")
    if idle:
        wait_idle(py)


def wait_idle(py: Interpreter) -> None:
    py.run("from micropip.installation import bytecode; await bytecode.idle_done()")


def test_a_reload_asks_nothing_fresh_revalidates_stale_pages_and_honours_a_change(visit, server, fixture_index):
    server.page_max_age = 0  # stale at once: the next visit must revalidate
    a = visit()
    install(a, server)
    first = server.hits.copy()
    assert first["/files/greeting-1.1-py3-none-any.whl.metadata"] == 1

    # The greeting page changed (1.1 withdrawn); colorama-lite's did not and now stays fresh 600 s.
    server.page_max_age = 600
    request = urllib.request.Request(fixture_index.simple_url + "greeting/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    page = json.loads(urllib.request.urlopen(request).read())
    page["files"] = [f for f in page["files"] if "-1.1-" not in f["filename"]]
    page["versions"] = ["1.0"]
    server.route("/simple/greeting/", json_reply(json.dumps(page), headers={"Cache-Control": "max-age=600", "ETag": '"v2"'}))
    b = visit()
    install(b, server)
    assert b.run("import importlib.metadata as m; m.version('greeting')") == "1.0"  # the change is honoured
    revalidated = [h for h in server.requests_to("/simple/colorama-lite/")][-1]
    assert revalidated.headers.get("if-none-match")  # a conditional request ...
    assert server.not_modified == ["/simple/colorama-lite/"]  # ... answered 304
    assert server.count("/files/colorama_lite-0.2-py3-none-any.whl") == 1  # kept by sha256: not asked again
    assert server.count("/files/colorama_lite-0.2-py3-none-any.whl.metadata") == 1

    before = sum(server.hits.values())
    c = visit()
    install(c, server)
    assert sum(server.hits.values()) == before  # everything fresh or content-addressed: no request at all
    assert c.run(IMPORT_COMPILES) == []  # and the import loads kept bytecode
    # the standard library modules the first visit imported came from kept code too (their
    # source still there for tracebacks)
    assert c.run("import urllib.parse as u, inspect; [type(u.__loader__).__name__, 'def urlsplit' in inspect.getsource(u)]") == [
        "_KeptLoader", True]


def test_a_page_without_caching_headers_is_asked_again_and_no_date_is_parsed(visit, server):
    # Behind a gateway that strips caching headers a page carries only ``Date``: nothing says how
    # long it stays fresh, so it is not kept, and reading that costs no import of email.utils
    # (~150 ms in a fresh Pyodide, more than the rest of a small install's stdlib imports).
    server.page_max_age = None
    a = visit()
    install(a, server, idle=False)
    assert a.run("import sys; [m for m in ('email.utils', 'csv') if m in sys.modules]") == []
    b = visit()
    install(b, server, idle=False)
    assert server.count("/simple/greeting/") == 2  # asked again on the next visit
    assert b.run(STATE) == a.run(STATE)


def test_kept_code_serves_only_the_source_it_was_compiled_from(visit, server):
    # A reload's kept bytecode is handed to a finder (nothing is written into __pycache__); like a
    # checked-hash .pyc, it is used only while the source file still hashes to what was compiled.
    install(visit(), server)
    b = visit()
    install(b, server, idle=False)
    assert b.run("import colorama_lite; type(colorama_lite.__loader__).__name__") == "_KeptLoader"
    origin = b.run("import importlib.util; importlib.util.find_spec('greeting').origin")
    b.run(f"open({origin!r}, 'a').write('\\nCHANGED = True\\n')")  # edited after the install
    assert b.run(IMPORT_COMPILES) == ["greeting/__init__.py"]
    assert b.run("greeting.CHANGED, greeting.hello()") == [True, "Hello, world!"]
    assert b.run("import glob; glob.glob(f'{greeting.__path__[0]}/__pycache__/*')") == []


def test_corrupt_or_foreign_bytecode_is_discarded_and_compiled_again(visit, server, tmp_path):
    a = visit()
    install(a, server)
    sha = a.run("import importlib.metadata as m; (m.distribution('greeting').read_text('PYODIDE_SHA256') or '').strip()")
    magic = a.run("import importlib.util; importlib.util.MAGIC_NUMBER.hex()")
    entry = tmp_path / "cache" / f"{sha}-{magic}.pyc"
    assert entry.exists()
    entry.write_bytes(entry.read_bytes()[:-1] + b"\0")  # flipped on disk between visits

    b = visit()
    b.run(CAPTURE_WARNINGS)
    install(b, server, idle=False)
    assert "corrupt" in b.run("_buf.getvalue()")
    assert b.run(IMPORT_COMPILES) == ["greeting/__init__.py"]  # compiled from source, never the bad entry
    wait_idle(b)
    # kept again, whole; now rewritten as if another Python had made it (a sealed entry, wrong magic)
    b.run(
        f"""
import marshal
from micropip import cache
_files = marshal.loads(await cache.current().read({entry.name!r}))
await cache.current().write({entry.name!r}, marshal.dumps({{k: b'\\x00\\x00\\r\\n' + v[4:] for k, v in _files.items()}}))
"""
    )
    c = visit()
    c.run(CAPTURE_WARNINGS)
    install(c, server, idle=False)
    assert "not for this interpreter" in c.run("_buf.getvalue()")
    assert c.run(IMPORT_COMPILES) == ["greeting/__init__.py"]
    assert c.run("import greeting; greeting.__name__") == "greeting"


def test_a_quota_error_warns_once_and_the_install_goes_on(visit, server, tmp_path):
    py = visit()
    py.run(
        CAPTURE_WARNINGS
        + """
from pyodide.code import run_js
from micropip.transport.js_modules import js_module
_store = (await js_module("cache_store")).store
_write = _store.write
_store.write = run_js("async () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError') }")
"""
    )
    try:  # (the module is shared by every interpreter of this Node process: put it back after)
        install(py, server)
    finally:
        py.run("_store.write = _write")
    assert py.run("import greeting; greeting.__name__") == "greeting"
    said = py.run("_buf.getvalue()")
    assert said.count("QuotaExceededError") == 1 and "installing goes on without the cache" in said
    assert not list((tmp_path / "cache").glob("*.whl"))


def test_the_cap_evicts_the_least_recently_used_entry_of_any_kind(visit):
    py = visit(max_bytes=3500)  # three of the four entries (about 900 bytes each) fit
    out = py.run(
        """
import hashlib
from micropip import cache
c = cache.current()
def named(kind, i):
    data = bytes([i]) * 900
    sha = hashlib.sha256(data).hexdigest()
    return (sha + kind, data) if kind in ('.whl', '.metadata') else (hashlib.sha256(bytes([i])).hexdigest() + kind, data)
entries = [named('.page', 1), named('.metadata', 2), named('-2b0e0d0a.pyc', 3), named('.whl', 4)]
for name, data in entries[:3]:
    await c.write(name, data)
await c.read(entries[0][0])           # the page is used again: now the metadata is the oldest
await c.write(*entries[3])            # past the cap: one entry must go
[[n for n, _ in entries if await c.read(n) is None], await c.usage() <= 3500]
"""
    )
    assert out[0] == [out[0][0]] and out[0][0].endswith(".metadata") and out[1] is True


def test_two_writers_of_one_entry_leave_one_whole_version(visit, tmp_path):
    """Two pages of one origin (two tabs, two Node processes) share the store: the same entry written
    by both at once is one writer's version, whole, never a mix."""
    py = visit()
    out = py.run(
        f"""
import asyncio
from micropip import cache
from micropip.cache import Cache, NodeFolderStore
tab1, tab2 = Cache(NodeFolderStore({str(tmp_path / 'cache')!r})), Cache(NodeFolderStore({str(tmp_path / 'cache')!r}))
name = 'a' * 64 + '.page'
one, two = b'1' * 200_000, b'2' * 300_000
await asyncio.gather(*(w.write(name, d) for _ in range(5) for w, d in ((tab1, one), (tab2, two))))
got = await tab1.read(name)
[got in (one, two), len(got)]
"""
    )
    assert out[0] is True


# ---- a returning visitor's same install takes the plan its last visit made (resolution.remembered)

RESOLVER_IMPORTED = "import sys; [m for m in ('micropip.resolution.resolver', 'resolvelib', 'packaging.specifiers') if m in sys.modules]"
STATE = "[micropip.freeze(), repr(micropip.list())]"


def install_verbose(py: Interpreter, server: FaultServer, requirement: str = "greeting") -> str:
    """Install with pip's lines on; returns them."""
    return py.run(
        f"""
import io, logging
_log = io.StringIO(); _lh = logging.StreamHandler(_log); _lh.setLevel(logging.INFO)
logging.getLogger('micropip').addHandler(_lh)
await micropip.install({requirement!r}, index_urls=[{server.simple_url!r}], verbose=True)
logging.getLogger('micropip').removeHandler(_lh)
_log.getvalue()
"""
    )


def test_a_reload_installs_the_remembered_plan_with_no_request_and_no_resolver(visit, server, tmp_path):
    a = visit()
    first = install_verbose(a, server)
    assert a.run(RESOLVER_IMPORTED) == ["micropip.resolution.resolver", "resolvelib", "packaging.specifiers"]
    assert len(list((tmp_path / "cache").glob("*.plan"))) == 1

    before = sum(server.hits.values())
    b = visit()
    again = install_verbose(b, server)
    assert sum(server.hits.values()) == before  # not one request: pages fresh, wheels and plan kept
    assert b.run(RESOLVER_IMPORTED) == []  # and the resolver never compiled
    assert "Successfully installed colorama-lite-0.2, greeting-1.1" in again
    assert sorted(again.splitlines()) == sorted(first.splitlines())  # pip's lines as the install that resolved
    assert b.run("import greeting; greeting.__name__") == "greeting"
    assert b.run(STATE) == a.run(STATE)  # the same files, sources, hashes and dependencies recorded

    site = b.run("import sysconfig; sysconfig.get_paths()['purelib']")
    c = visit()  # something else installed before the same install: resolved again
    c.run(f"import os; os.makedirs({site!r} + '/unrelated-1.0.dist-info'); open({site!r} + '/unrelated-1.0.dist-info/METADATA', 'w').write('Metadata-Version: 2.1\\nName: unrelated\\nVersion: 1.0\\n')")
    install(c, server, idle=False)
    assert c.run(RESOLVER_IMPORTED)
    d = visit()  # another requirement: resolved again
    d.run(f"await micropip.install('greeting>=1.0', index_urls=[{server.simple_url!r}])")
    assert d.run(RESOLVER_IMPORTED)
    assert d.run("import importlib.metadata as m; m.version('greeting')") == "1.1"


def test_a_stale_page_resolves_again(visit, server):
    server.page_max_age = 0  # stale at once
    a = visit()
    install(a, server, idle=False)
    b = visit()
    install(b, server, idle=False)
    assert b.run(RESOLVER_IMPORTED)  # resolved again ...
    assert server.not_modified  # ... after a conditional request answered 304
    assert b.run(STATE) == a.run(STATE)


def test_a_corrupt_or_foreign_remembered_plan_is_discarded(visit, server, tmp_path):
    a = visit()
    install(a, server, idle=False)
    [entry] = (tmp_path / "cache").glob("*.plan")
    entry.write_bytes(entry.read_bytes()[:-1] + b"\0")  # flipped on disk between visits
    b = visit()
    b.run(CAPTURE_WARNINGS)
    install(b, server, idle=False)
    assert "corrupt" in b.run("_buf.getvalue()")
    assert b.run(RESOLVER_IMPORTED)  # resolved, and kept the plan again
    assert b.run(STATE) == a.run(STATE)

    # whole (sealed) but another question's, or not a plan at all: deleted, never used
    c = visit()
    c.run(
        f"""
from micropip import cache
await cache.current().write({entry.name!r}, b'{{"question": {{}}, "plan": {{"install": []}}}}')
"""
    )
    install(c, server, idle=False)
    assert c.run(RESOLVER_IMPORTED)
    assert c.run(STATE) == a.run(STATE)
    d = visit()
    install(d, server, idle=False)
    assert d.run(RESOLVER_IMPORTED) == []  # the entry the last install kept is whole again


def test_idle_compiling_waits_while_an_install_runs(visit, server):
    """The compiling an install leaves for idle time shares the page's one thread: it stops
    while a later install runs (that install's page here takes 2 s) and goes on after it."""
    a = visit()
    install(a, server, idle=False)
    server.route("/simple/bt-leaf/", upstream(delay=2.0))
    began, during, after = a.run(
        f"""
import asyncio, builtins, micropip
from micropip.installation import activity, bytecode
_seen = []
def _spy(*args, **kw):  # every compile of the idle work, and whether an install was running then
    _seen.append(activity.install_running())
    return builtins.compile(*args, **kw)
bytecode.compile = _spy
try:
    await asyncio.sleep(bytecode.IDLE_DELAY + 0.4)
    _began = len(_seen)
    await micropip.install('bt-leaf', index_urls=[{server.simple_url!r}])
    _during = sum(_seen)
    await bytecode.idle_done()
finally:
    del bytecode.compile
[_began, _during, len(_seen) - _began]
"""
    )
    assert began > 0  # the idle compiling had begun before the second install
    assert during == 0  # not one module compiled while it ran
    assert after > 0  # and it went on afterwards


def test_stop_idle_drops_the_compiling_left(visit, server):
    a = visit()
    install(a, server, idle=False)
    compiled = a.run(
        """
import asyncio, builtins
from micropip.installation import bytecode
_seen = []
def _spy(*args, **kw):
    _seen.append(1)
    return builtins.compile(*args, **kw)
bytecode.compile = _spy
try:
    bytecode.stop_idle()
    await asyncio.sleep(bytecode.IDLE_DELAY + 0.5)
    await bytecode.idle_done()  # nothing left to wait for
finally:
    del bytecode.compile
len(_seen)
"""
    )
    assert compiled == 0


INSTALL_COMPILES = """
import importlib._bootstrap_external as _be
_compiled = []
_orig = _be.SourceFileLoader.source_to_code
def _spy(self, data, path, **kw):
    _compiled.append(path.rsplit('site-packages/', 1)[-1])
    return _orig(self, data, path, **kw)
_be.SourceFileLoader.source_to_code = _spy
try:
    await micropip.install('greeting', index_urls=[INDEX])
finally:
    _be.SourceFileLoader.source_to_code = _orig
sorted(p.split('/')[0] for p in _compiled)
"""


def test_an_idle_interpreter_compiles_the_machinery_before_its_first_install(visit, server):
    """A kernel that imported micropip and sat idle (a notebook's user typing the first cell)
    has its install machinery loaded by then: that install compiles none of it. The next page
    load puts the code kept then back instead of compiling it again."""
    a = visit()
    a.run("import asyncio; from micropip import head_start; await asyncio.sleep(head_start.WARM_UP_DELAY + 0.3)")
    a.run("from micropip import warm_up; await warm_up.done()")
    assert a.run("import sys; ['micropip.resolution.resolver' in sys.modules, 'micropip.package_index' in sys.modules]") == [True, False]
    compiled = a.run(INSTALL_COMPILES.replace("INDEX", repr(server.simple_url)))
    assert not {"micropip", "packaging", "resolvelib"} & set(compiled), compiled
    assert a.run("import greeting; greeting.__name__") == "greeting"

    b = visit()  # the next page load puts the kept code back instead of compiling it again
    warm_compiles = b.run(
        """
import asyncio, builtins
from micropip import head_start
from micropip.installation import bytecode
_seen = []
def _spy(source, path, *args, **kw):
    _seen.append(path)
    return builtins.compile(source, path, *args, **kw)
bytecode.compile = _spy
try:
    await asyncio.sleep(head_start.WARM_UP_DELAY + 0.3)
    from micropip import warm_up
    await warm_up.done()
finally:
    del bytecode.compile
[p for p in _seen if 'site-packages' in str(p)]
"""
    )
    assert warm_compiles == []
    compiled = b.run(INSTALL_COMPILES.replace("INDEX", repr(server.simple_url)))
    assert not {"micropip", "packaging", "resolvelib"} & set(compiled), compiled



def test_the_machinery_is_restored_once_when_two_callers_ask_together(visit, server):
    """The idle warm-up and an install begun meanwhile both ask for the kept machinery: it is
    put back once (one finder of the kept standard library, nothing queued twice)."""
    install(visit(), server)  # keeps the machinery and the standard library modules
    b = visit()
    assert b.run(
        """
import asyncio, sys
from micropip.installation import bytecode
await asyncio.gather(bytecode.restore_machinery(), bytecode.restore_machinery())
[type(f).__name__ for f in sys.meta_path].count('_KeptStdlib')
"""
    ) == 1

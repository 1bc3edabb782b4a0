"""The persistent cache in Chromium: Cache Storage and the browser's HTTP cache across reloads.

A reload is a new Pyodide with nothing but the origin's storage; every index page on the
fixture server carries PyPI's caching headers (``FaultServer.page_max_age``), and the page
is on another origin than the index, as with PyPI.
"""

from __future__ import annotations

import pytest

from .harness.browser import BrowserPage
from .harness.fault_server import FaultServer
from .test_persistent_cache_pyodide import CAPTURE_WARNINGS, IMPORT_COMPILES

pytestmark = pytest.mark.browser

BASE = "https://pyodide-pm.invalid/"


@pytest.fixture
def server(fixture_index):
    with FaultServer(upstream=fixture_index.url) as s:
        s.page_max_age = 600
        yield s


def visit(bp: BrowserPage, *, reload: bool = True, before: str = "") -> None:
    """A page load: a new interpreter; ``before`` runs in the page first (JavaScript)."""
    if reload:
        bp.page.reload()
        bp.wait_ready()
    if before:
        bp.page.evaluate(before)
    bp.run("import micropip; micropip.set_cache(True)\n" + CAPTURE_WARNINGS)


def install(bp: BrowserPage, server: FaultServer, *, idle: bool = True) -> None:
    bp.run(f"await micropip.install('greeting', index_urls=[{server.simple_url!r}])")
    if idle:
        bp.run("from micropip.installation import bytecode; await bytecode.idle_done()")


def test_a_reload_revalidates_stale_pages_then_asks_nothing_and_imports_bytecode(browser_page, server):
    bp = browser_page
    server.page_max_age = 0
    visit(bp, reload=False)
    install(bp, server)

    server.page_max_age = 600
    visit(bp)
    install(bp, server)
    # stale pages were revalidated (the browser sends the validators cross-origin), nothing else asked
    assert sorted(server.not_modified) == ["/simple/colorama-lite/", "/simple/greeting/", "/simple/textwrap3-lite/"]
    assert all(server.count(p) == 1 for p in server.hits if p.startswith("/files/"))

    before = sum(server.hits.values())
    visit(bp)
    install(bp, server, idle=False)
    assert sum(server.hits.values()) == before  # fresh pages, content-addressed files: no request
    assert bp.run(IMPORT_COMPILES) == []  # the kept bytecode came back with the wheels


def test_bad_bytecode_a_quota_error_and_no_cache_storage_only_cost_time(browser_page, server):
    bp = browser_page
    visit(bp, reload=False)
    install(bp, server)
    name = bp.run(
        "import importlib.metadata as m, importlib.util\n"
        "m.distribution('greeting').read_text('PYODIDE_SHA256').strip() + '-' + importlib.util.MAGIC_NUMBER.hex() + '.pyc'"
    )
    bp.page.evaluate(f"async () => (await caches.open('pyodide-pm-wheels-v1')).put({BASE + name!r}, new Response('garbage'))")
    visit(bp)
    install(bp, server, idle=False)
    assert "corrupt" in bp.run("_buf.getvalue()")
    assert bp.run(IMPORT_COMPILES) == ["greeting/__init__.py"]
    bp.run("from micropip.installation import bytecode; await bytecode.idle_done()")
    bp.run(  # kept again; now as if another Python had compiled it (sealed, but a foreign magic inside)
        f"""
import marshal
from micropip import cache
_files = marshal.loads(await cache.current().read({name!r}))
await cache.current().write({name!r}, marshal.dumps({{k: b'\\x00\\x00\\r\\n' + v[4:] for k, v in _files.items()}}))
"""
    )
    visit(bp)
    install(bp, server, idle=False)
    assert "not for this interpreter" in bp.run("_buf.getvalue()")
    assert bp.run(IMPORT_COMPILES) == ["greeting/__init__.py"]

    # a full Cache Storage: every write refused; one warning, the install goes on
    visit(bp)
    bp.run("await micropip.clear_cache()")
    bp.page.evaluate("() => { Cache.prototype.put = async () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); }; }")
    install(bp, server)
    said = bp.run("_buf.getvalue()")
    assert said.count("QuotaExceededError") == 1 and bp.run("import greeting; greeting.__name__") == "greeting"

    # no Cache Storage at all (private browsing, some workers): one warning, the install goes on
    visit(bp, before="() => { Object.defineProperty(window, 'caches', { value: undefined, configurable: true }); }")
    install(bp, server)
    said = bp.run("_buf.getvalue()")
    assert said.count("no Cache Storage") == 1 and bp.run("import greeting; greeting.__name__") == "greeting"


def test_the_cap_and_two_tabs_writing_one_entry(browser_page, page_server):
    bp = browser_page
    visit(bp, reload=False)
    out = bp.run(
        """
import hashlib
from micropip import cache
micropip.set_cache(True, max_bytes=3500)  # three of the four entries (about 900 bytes each) fit
c = cache.current()
def named(kind, i):
    data = bytes([i]) * 900
    key = hashlib.sha256(data if kind in ('.whl', '.metadata') else bytes([i])).hexdigest()
    return key + kind, data
entries = [named('.page', 1), named('.metadata', 2), named('-2b0e0d0a.pyc', 3), named('.whl', 4)]
for name, data in entries[:3]:
    await c.write(name, data)
await c.read(entries[0][0])
await c.write(*entries[3])
[n for n, _ in entries if await c.read(n) is None]
"""
    )
    assert len(out) == 1 and out[0].endswith(".metadata")

    other = BrowserPage(bp.page.context.new_page(), [])  # a second tab of the same origin
    other.page.goto(bp.page.url)
    other.wait_ready()
    write = (
        "import asyncio, micropip\nfrom micropip import cache\nmicropip.set_cache(True)\n"
        "await asyncio.gather(*(cache.current().write('b' * 64 + '.page', {data}) for _ in range(4)))"
    )
    for tab, data in ((bp, "b'1' * 400_000"), (other, "b'2' * 300_000")):
        tab.page.evaluate("code => { window.__writing = window.runPython(code); }", write.format(data=data))
    for tab in (bp, other):
        tab.page.evaluate("async () => await window.__writing")
    got = bp.run("_got = await cache.current().read('b' * 64 + '.page'); [_got in (b'1' * 400_000, b'2' * 300_000), len(_got)]")
    assert got[0] is True

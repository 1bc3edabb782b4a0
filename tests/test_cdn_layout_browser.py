"""A page that loads Pyodide from its CDN and our bundle or lock from its own origin (Chromium).

One loopback origin is laid out like the CDN (``/pyodide/v314.0.7/full/``: the release's
runtime files from the catalog, and one package of its lock, msgpack, whose wheel is the
real PEP 783 build fetched at set-up, its sha256 rewritten in a copy of the lock given with
``--pyodide-lock``). The bundle and the lock made with ``--package-base-url`` of that origin
are served from another origin, the page from that one too. Pyodide's entries are absolute,
so ``loadPackage`` reaches the CDN origin for them and this site for ours.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from index_server.server import start_static_server
from pyodide_pm.catalog import Catalog
from pyodide_pm.cli import main
from pyodide_pm.lock import create_lock

from .conftest import REPO_ROOT
from .harness.browser import BrowserPage

VERSION = "314.0.7"


@pytest.fixture(scope="module")
def origins(tmp_path_factory, pep783_wheel, fixture_index):
    """(CDN server, site server, CDN folder URL, page URL for a lock path and packages)."""
    root = tmp_path_factory.mktemp("cdn-layout")
    release = Catalog().release(VERSION, runtime=True)
    full = root / "cdn" / "pyodide" / f"v{VERSION}" / "full"
    full.mkdir(parents=True)
    for name, path in release.runtime_files().items():
        shutil.copy(path, full / name)
    shutil.copy(pep783_wheel, full / pep783_wheel.name)
    lock = release.lock.to_dict()
    lock["packages"]["msgpack"].update(
        file_name=pep783_wheel.name, version="1.2.4", sha256=hashlib.sha256(pep783_wheel.read_bytes()).hexdigest()
    )
    given = root / "copied-lock.json"
    given.write_text(json.dumps(lock))
    site = root / "site"
    with start_static_server({"/pyodide/": root / "cdn" / "pyodide"}) as cdn, start_static_server(
        {"/site/": site, "/harness/": REPO_ROOT / "tests" / "harness"}
    ) as host:
        cdn_full = f"{cdn.url}pyodide/v{VERSION}/full/"
        assert main(["bundle", str(site / "bundle"), "--pyodide-lock", str(given), "--package-base-url", cdn_full]) == 0
        job = create_lock(
            ["demo-app", "msgpack"], output=str(site / "app-lock.json"), index_urls=[fixture_index.simple_url],
            pyodide_lock=str(given), package_base_url=cdn_full,
        )
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API may hold this thread's event loop
            (site / "app-lock.json").write_text(pool.submit(asyncio.run, job).result().text)

        def page_url(lock_path: str, load: str, **more: str) -> str:
            query = {"cdn": cdn_full, "lock": f"/site/{lock_path}", "load": load, **more}
            return f"{host.url}harness/page.html?" + urlencode(query)

        yield cdn, host, cdn_full, page_url


def open_page(chromium, url: str) -> tuple[BrowserPage, list[str], object]:
    context = chromium.new_context()
    page = context.new_page()
    console: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("requestfinished", lambda request: fetched.append(request.url))
    page.goto(url)
    browser_page = BrowserPage(page, console)
    browser_page.wait_ready(timeout_ms=120_000)
    return browser_page, fetched, context


@pytest.mark.browser
def test_bundle_from_this_site_with_pyodide_from_the_cdn(chromium, origins, fixture_index):
    cdn, host, cdn_full, page_url = origins
    page, fetched, context = open_page(chromium, page_url("bundle/pyodide-lock.json", "micropip,msgpack"))
    try:
        loaded = page.page.evaluate("window.loaded")
        assert {"micropip", "packaging", "resolvelib", "msgpack"} <= set(loaded), (loaded, page.page.evaluate("window.loadLog"))
        wheels = [u for u in fetched if u.endswith(".whl")]
        assert cdn_full + "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl" in wheels  # Pyodide's package: the CDN
        assert host.url + "site/bundle/micropip-1.0.0a1-py3-none-any.whl" in wheels  # ours: this site
        assert page.run("import micropip, msgpack; [micropip.__version__, list(msgpack.version)]") == ["1.0.0a1", [1, 2, 4]]
        assert page.run("msgpack.unpackb(msgpack.packb({'a': [1, 2]}))") == {"a": [1, 2]}
        page.run(f"micropip.set_index_urls([{fixture_index.simple_url!r}]); await micropip.install('demo-app')")
        assert page.run("import greeting; greeting.hello('cdn')") == "Hello, cdn!"
    finally:
        context.close()


@pytest.mark.browser
def test_app_lock_from_this_site_with_pyodide_from_the_cdn(chromium, origins, fixture_index):
    cdn, host, cdn_full, page_url = origins
    page, fetched, context = open_page(chromium, page_url("app-lock.json", "demo-app,msgpack"))
    try:
        loaded = page.page.evaluate("window.loaded")
        assert {"demo-app", "greeting", "colorama-lite", "textwrap3-lite", "msgpack"} <= set(loaded), (loaded, page.page.evaluate("window.loadLog"))
        wheels = [u for u in fetched if u.endswith(".whl")]
        assert cdn_full + "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl" in wheels
        assert fixture_index.url + "files/greeting-1.1-py3-none-any.whl" in wheels  # index entries keep their URLs
        assert page.run("import greeting, msgpack; [greeting.hello('lock'), list(msgpack.version)]") == ["Hello, lock!", [1, 2, 4]]
    finally:
        context.close()


@pytest.mark.browser
def test_a_page_on_the_bundle_starts_warm_on_a_return_visit(chromium, origins):
    """The bundle's warm start: Pyodide from the CDN, the snapshot kept after the first visit
    (by a worker of this site), restored on the reload; the bundle's packages load after it."""
    cdn, host, cdn_full, page_url = origins
    page, _, context = open_page(chromium, page_url("bundle/pyodide-lock.json", "micropip,msgpack", warm="/site/bundle/"))
    try:
        state = "async () => [window.warmStart.start, await window.warmStart.saved, window.warmStart.reason]"
        assert page.page.evaluate(state) == ["cold", True, None]
        page.page.reload()
        page.wait_ready(timeout_ms=120_000)
        assert page.page.evaluate(state) == ["snapshot", True, None]
        assert page.run("import micropip, msgpack, sys; [micropip.__version__, list(msgpack.version), sys.path.count('')]") == [
            "1.0.0a1", [1, 2, 4], 1
        ]
    finally:
        context.close()

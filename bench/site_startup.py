"""What ``pyodide-pm site`` costs a visitor: the size of each flavour's OUT, online and offline,
and the time from opening the page to the first import of a requirement, in Chromium.

Each site is built from this checkout with ``demo-app`` (pure, from the fixture index) and
``msgpack`` (a package Pyodide builds: the real PEP 783 wheel, served by a loopback stand-in
laid out like the release's CDN, as in tests/test_site_browser.py) as its requirements, and
``bt-top`` as ``--available``. Sites and the CDN stand-in are served from loopback,
unshaped: the times are start-up work (download on loopback, compile, Python's start,
unpacking the preloaded wheels), not network. A fresh browser context per run (empty HTTP
cache); the flavours interleave; medians. Usage:

    .venv/bin/python bench/site_startup.py [--reps 5]

Timings per flavour, from ``page.goto``:
  floor       Pyodide alone: ``loadPyodide()`` from the offline page's runtime files, no packages
  page        ``await globalThis.pyodideReady`` then ``import demo_app, msgpack`` (performance.now() in the page)
  pyscript    a ``<script type="py">`` that imports both and writes performance.now() into the page
  jupyterlite the REPL: kernel idle, then a first cell importing both has printed (wall clock, includes typing)

Writes ``bench/results/site_startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]
os.environ.setdefault("PYODIDE_PM_CACHE_DIR", str(REPO / ".cache" / "pyodide-pm"))
os.environ.setdefault("PYODIDE_PM_OFFLINE", "1")

from index_server.server import start_server, start_static_server  # noqa: E402
from pyodide_pm.bundle import PEP783_WHEELS, pep783_cache_dir  # noqa: E402
from pyodide_pm.cli import main  # noqa: E402
from tests.harness import client_sites  # noqa: E402
from tests.harness.browser import launch_chromium  # noqa: E402
from tests.harness.cdn_standin import serve_standin  # noqa: E402

FLAVOURS = ("page", "pyscript", "jupyterlite")
PYSCRIPT_PAGE = """<!doctype html>
<meta charset="utf-8">
<script type="module" src="{core}core.js"></script>
<p id="out">waiting</p>
<script type="py" config='{{"interpreter": "./pyodide.mjs"}}'>
import demo_app, msgpack
from js import performance
from pyscript import document
document.getElementById("out").textContent = str(performance.now())
</script>
"""


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(out: Path, flavour: str, offline: bool, cdn, index_url: str, pages: Path) -> float:
    argv = ["site", str(out), "demo-app", "msgpack", "--available", "bt-top", "--for", flavour,
            "--pyodide-lock", str(cdn.lock), "-i", index_url]
    if offline:
        argv.append("--offline")
    if flavour == "pyscript":
        argv += ["--pages", str(pages / ("offline" if offline else "online"))]
    os.environ["PYODIDE_PM_CDN_URL"] = cdn.base
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(main, argv).result() == 0, argv
    return time.perf_counter() - started


def first_import(browser, flavour: str, url: str) -> float:
    """Milliseconds from opening the page to the first import of the requirements."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    try:
        started = time.perf_counter()
        if flavour == "floor":
            page.goto(url + "packages/simple/index.html")  # any page of that origin without scripts
            return page.evaluate(
                """async (base) => {
                    const { loadPyodide } = await import(base + "pyodide/pyodide.mjs");
                    const py = await loadPyodide({ lockFileURL: base + "packages/pyodide-lock.json" });
                    py.runPython("import sys");
                    return performance.now();
                }""",
                url,
            )
        if flavour == "page":
            page.goto(url + "index.html")
            return page.evaluate(
                "async () => { const py = await globalThis.pyodideReady; py.runPython('import demo_app, msgpack'); return performance.now(); }"
            )
        if flavour == "pyscript":
            page.goto(url + "app.html")
            page.wait_for_function("document.getElementById('out').textContent !== 'waiting'", timeout=180_000)
            return float(page.inner_text("#out"))
        from tests.test_clients_browser import LiteRepl

        page.goto(url + "repl/index.html?kernel=python&toolbar=1")
        repl = LiteRepl(page, [])
        repl.wait_idle()
        assert repl.run("import demo_app, msgpack; print('ok')").strip() == "ok"
        return (time.perf_counter() - started) * 1000
    finally:
        context.close()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    lock = json.loads(client_sites.PYODIDE.joinpath("pyodide-lock.json").read_text())
    kernel = {
        key: client_sites.pypi_wheel(lock["packages"][key]["name"], lock["packages"][key]["version"], download=False)
        for key in client_sites.lock_closure(lock["packages"], client_sites.KERNEL_LOCK_ROOTS)
    }
    msgpack = pep783_cache_dir() / PEP783_WHEELS[0].filename
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        extra = tmp / "pypi"
        extra.mkdir()
        shutil.copy(client_sites.pypi_wheel("comm", "0.2.3", download=False), extra)
        for kind, core in (("offline", "./pyscript/"), ("online", "https://cdn.jsdelivr.net/npm/@pyscript/core@0.7.31/dist/")):
            (tmp / "pages" / kind).mkdir(parents=True)
            (tmp / "pages" / kind / "app.html").write_text(PYSCRIPT_PAGE.format(core=core))
        results: dict = {"reps": args.reps, "sites": {}}
        with serve_standin(tmp / "cdn", {"msgpack": msgpack, **kernel}) as cdn, \
                start_server([REPO / "fixtures" / "wheels", extra]) as index:
            sites = {}
            for flavour in FLAVOURS:
                for offline in (False, True):
                    name = f"{flavour}-{'offline' if offline else 'online'}"
                    out = tmp / "sites" / name
                    seconds = build(out, flavour, offline, cdn, index.simple_url, tmp / "pages")
                    size, count = folder_size(out)
                    results["sites"][name] = {"build_s": round(seconds, 2), "bytes": size, "files": count, "ms": []}
                    sites[name] = out
                    print(f"{name:22} built in {seconds:5.1f} s: {size / 1e6:6.2f} MB in {count} files", flush=True)
            servers = {name: start_static_server({"/": out}) for name, out in sites.items()}
            try:
                with sync_playwright() as pw:
                    browser = launch_chromium(pw)
                    # Online PyScript loads PyScript itself from its CDN, out of reach here: that site
                    # is measured for size only; its start-up equals the offline one's plus the CDN.
                    timed = ["floor", *[n for n in sites if n != "pyscript-online"]]
                    results["sites"]["floor"] = {"ms": []}
                    for rep in range(args.reps):
                        for name in timed:
                            server = servers["page-offline" if name == "floor" else name]
                            ms = first_import(browser, name.split("-")[0], server.url)
                            results["sites"][name]["ms"].append(round(ms))
                        print(f"rep {rep + 1}: " + ", ".join(f"{n} {results['sites'][n]['ms'][-1]} ms" for n in timed), flush=True)
                    browser.close()
            finally:
                for server in servers.values():
                    server.stop()
    for name, row in results["sites"].items():
        row["median_ms"] = round(statistics.median(row["ms"])) if row["ms"] else None
    out_file = REPO / "bench" / "results" / "site_startup.json"
    out_file.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{'site':22} {'OUT':>9} {'files':>6} {'first import (median)':>22}")
    for name, row in results["sites"].items():
        median = f"{row['median_ms']} ms" if row["median_ms"] is not None else "-"
        size = f"{row['bytes'] / 1e6:7.2f} MB {row['files']:6}" if "bytes" in row else f"{'':>17}"
        print(f"{name:22} {size} {median:>22}")
    print(f"wrote {out_file}")


if __name__ == "__main__":
    main_bench()

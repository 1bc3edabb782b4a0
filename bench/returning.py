"""Returning visitors in Chromium: a first visit, then a reload, ours vs micropip 0.11.1.

    bash bench/returning.sh                                  # set-up, recording if missing, both links
    .venv/bin/python bench/returning.py --roots attrs,rich --reps 1 --settings 100ms   # a quick look

Most notebook sessions are reloads: open a saved notebook, run the install cell, import. Per
root, per micropip, in a new browser profile (empty HTTP cache and Cache Storage):

1. **first visit**: ``loadPyodide()`` -> ``loadPackage("micropip")`` -> ``import micropip`` ->
   ``await micropip.install(root)`` -> ``import <module>``; ours then waits for its idle-time
   bytecode to be kept (``installation.bytecode.idle_done``), as a visitor who stays a while;
2. **reload** of the same page in the same profile, timed from the reload (navigation start) to
   the first successful import of the root's module.

The replay serves PyPI's real caching headers (pages ``max-age=600`` + ETag, files
``max-age=365000000, immutable``, the micropip bundle a year, as a CDN does) and the browser's
HTTP cache is on for both installers. Ours, ours with a warm start, the reference and the floor
alternate per root. "warm" is ours with Pyodide started as a site's loader starts it
(``pyodide_pm/site/warm_start.mjs``): after the first visit a worker keeps a snapshot of a freshly
started interpreter (the first visit waits for it, as for the idle bytecode), and the reload
restores it instead of starting CPython again. The floor is the page with no installer at all
(``floor=1``): Pyodide's own ``loadPyodide()`` and ``loadPackage`` of the same lockfile, then the
import of a module of Pyodide's standard library (``json``): what no installer alone can go below.
Reported: reload -> import (whole, and after ``loadPyodide()``), time to import after install on the first visit and on the
reload, and first use (``import micropip`` + the install) on the first visit. Medians.

Results: ``bench/results/returning.json`` and ``bench/results/returning.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import network  # noqa: E402
import run  # noqa: E402
from png_chart import Bar, bar_chart  # noqa: E402
from replay import PYPI_SIMPLE, Recording, ReplayServer, normalize  # noqa: E402

RESULTS = BENCH / "results"
MODULES = {"python-dateutil": "dateutil", "beautifulsoup4": "bs4", "pyyaml": "yaml"}
DEFAULT_ROOTS = "attrs,tqdm,rich,requests,pydantic,sympy"
WHO = ("ours", "warm", "reference", "floor")


def log(message: str) -> None:
    print(f"[returning] {message}", file=sys.stderr, flush=True)


def visit_pair(browser, static_url: str, server: ReplayServer, who: str, root: str, timeout_s: float,
               profile: bool = False) -> dict:
    """A first visit and a reload in one new profile (``profile``: each install under cProfile)."""
    lock_who = "ours" if who in ("floor", "warm") else who
    query = {"lock": f"{server.url}static/{lock_who}/pyodide-lock.json", "index": network.index_url_for(lock_who, server),
             "pkg": root, "module": MODULES.get(root, root.replace("-", "_"))}
    if who == "floor":
        query["floor"] = "1"
    if who == "warm":
        query["warm"] = "1"
    if profile:
        query["profile"] = "1"
    context = browser.new_context()
    out: dict = {}
    try:
        page = context.new_page()
        for visit in ("first", "reload"):
            q = dict(query, idle="1" if (who in ("ours", "warm") and visit == "first") else "0")
            server.reset_stats()
            url = f"{static_url}bench/returning_page.html?{urlencode(q)}"
            try:
                page.goto(url)
                page.wait_for_function("window.benchResult", timeout=timeout_s * 1000)
                result = page.evaluate("window.benchResult")
            except Exception as exc:  # noqa: BLE001 - a time-out is a result
                result = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:400]}"}
            stats = server.reset_stats()
            result["requests"] = stats.requests
            result["not_modified"] = stats.not_modified
            result["index_requests"] = sum(1 for p in stats.paths if p.startswith("/simple/"))
            out[visit] = result
    finally:
        context.close()
    return out


@contextlib.contextmanager
def chromium_with_pages() -> Iterator[tuple[Any, str]]:
    """Chromium, and a static server of Pyodide's runtime and the bench's pages: (browser, its URL)."""
    from index_server.server import start_static_server
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(BENCH.parent / "tests"))
    from harness.browser import launch_chromium

    static = start_static_server({"/pyodide/": run.PYODIDE_LOCK.parent, "/bench/": BENCH,
                                  "/site/": BENCH.parent / "pyodide_pm" / "site"})
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                yield browser, static.url
            finally:
                browser.close()
    finally:
        static.stop()


def run_setting(server: ReplayServer, roots: list[str], reps: int, timeout_s: float, name: str) -> dict:
    runs: dict = {root: {who: [] for who in WHO} for root in roots}
    with chromium_with_pages() as (browser, static_url):
        for rep in range(reps):
            for i, root in enumerate(roots):
                order = WHO if (rep + i) % 2 == 0 else tuple(reversed(WHO))
                for who in order:
                    server.wait_quiet()
                    pair = visit_pair(browser, static_url, server, who, root, timeout_s)
                    runs[root][who].append(pair)
                    f, r = pair["first"], pair["reload"]
                    log(f"[{name}] rep {rep + 1}/{reps} {root:10s} {who:9s} first "
                        + (f"{f['total_ms']:7.0f} ms" if f.get("ok") else f"FAILED {f.get('error', '')[:160]}")
                        + " reload "
                        + (f"{r['total_ms']:7.0f} ms ({r['requests']} req, {r['not_modified']} 304)"
                           if r.get("ok") else f"FAILED {r.get('error', '')[:160]}"))
    per_root = {}
    for root, by in runs.items():
        per_root[root] = {who: summarize(pairs) for who, pairs in by.items()}
    return {"per_root": per_root, "summary": ratios(per_root), "runs": runs}


FIELDS = ("total_ms", "after_pyodide_ms", "load_pyodide_ms", "install_ms", "import_ms", "first_use_ms", "requests")


def summarize(pairs: list[dict]) -> dict:
    out: dict = {"n": len(pairs)}
    for visit in ("first", "reload"):
        oks = [p[visit] for p in pairs if p[visit].get("ok")]
        out[visit] = {"ok": len(oks), **{f: statistics.median([r[f] for r in oks]) for f in FIELDS if oks and f in oks[0]}}
    return out


def ratios(per_root: dict) -> dict:
    """Geometric means over the roots both installers finished (ours/reference unless said)."""
    def ratio(root: dict, visit: str, field: str, other: str = "reference", who: str = "ours") -> float | None:
        a, b = root[who][visit].get(field), root[other][visit].get(field)
        return a / b if a and b else None

    def gm(visit: str, field: str, other: str = "reference", who: str = "ours") -> float | None:
        values = [r for root in per_root.values() if (r := ratio(root, visit, field, other, who))]
        return network.geomean(values)

    out = {
        "reload_to_import": gm("reload", "total_ms"),
        # what no installer can go below (loadPyodide is most of a reload)
        "reload_to_import_floor_vs_reference": gm("reload", "total_ms", who="floor"),
        "reload_to_import_after_loadPyodide": gm("reload", "after_pyodide_ms"),
        "reload_to_import_ours_vs_floor": gm("reload", "total_ms", "floor"),
        # ours started as a site's loader starts Pyodide: a reload restores a kept snapshot
        "reload_to_import_warm": gm("reload", "total_ms", who="warm"),
        "reload_to_import_warm_vs_floor": gm("reload", "total_ms", "floor", who="warm"),
        "load_pyodide_reload_warm": gm("reload", "load_pyodide_ms", who="warm"),
        "first_use_first_visit_warm": gm("first", "first_use_ms", who="warm"),
        "first_visit_to_import_warm": gm("first", "total_ms", who="warm"),
        "import_after_install_first_visit": gm("first", "import_ms"),
        "import_after_install_reload": gm("reload", "import_ms"),
        "first_use_first_visit": gm("first", "first_use_ms"),
        "first_visit_to_import": gm("first", "total_ms"),
    }
    out["ours_reload_import_vs_ours_first_visit_import"] = {
        root: (r["ours"]["reload"].get("import_ms") or 0) / r["ours"]["first"]["import_ms"]
        for root, r in per_root.items() if r["ours"]["first"].get("import_ms")
    }
    out["roots_reload_above_reference"] = sorted(
        root for root, r in per_root.items() if (x := ratio(r, "reload", "total_ms")) and x > 1.0)
    out["roots_first_use_above_reference"] = sorted(
        root for root, r in per_root.items() if (x := ratio(r, "first", "first_use_ms")) and x > 1.0)
    return out


def print_table(result: dict) -> None:
    for name, s in result["settings"].items():
        print(f"\nReturning visitor in Chromium, {network.SETTING_LABELS.get(name, name)} (medians of {result['reps']})")
        print(f"{'root':10s} {'who':9s} | {'reload->import':>14s} {'after loadPy':>12s} {'import':>8s} {'req':>4s} | "
              f"{'1st visit':>9s} {'first use':>9s} {'import':>8s}")
        for root, r in s["per_root"].items():
            for who in WHO:
                f, re_ = r[who]["first"], r[who]["reload"]
                cell = lambda d, k: f"{d[k]:.0f}" if k in d else "-"  # noqa: E731
                print(f"{root:10s} {who:9s} | {cell(re_, 'total_ms'):>14s} {cell(re_, 'after_pyodide_ms'):>12s} "
                      f"{cell(re_, 'import_ms'):>8s} {cell(re_, 'requests'):>4s} | {cell(f, 'total_ms'):>9s} "
                      f"{cell(f, 'first_use_ms'):>9s} {cell(f, 'import_ms'):>8s}")
        for key, value in s["summary"].items():
            if isinstance(value, float):
                print(f"  {key}: {value:.3f}x")
            else:
                print(f"  {key}: {value}")


def plot(result: dict, path: Path) -> None:
    bars = []
    for name, s in result["settings"].items():
        for root, r in s["per_root"].items():
            for who in ("ours", "warm"):
                a, b = r[who]["reload"].get("total_ms"), r["reference"]["reload"].get("total_ms")
                if a and b:
                    bars.append(Bar(f"{name} {root} {who} reload->import", a / b, 0.35))
        targets = {"reload_to_import": 0.35, "reload_to_import_warm": 0.35, "reload_to_import_after_loadPyodide": 0.35,
                   "import_after_install_reload": 0.3, "first_use_first_visit": 0.85}
        for key, target in targets.items():
            bars.append(Bar(f"{name} geomean {key}", s["summary"].get(key), target))
    bar_chart("OURS / 0.11.1 IN CHROMIUM, TICK: TARGET", bars, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", default=DEFAULT_ROOTS)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--settings", default=",".join(network.SETTINGS))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per visit")
    parser.add_argument("--out", default=str(RESULTS / "returning.json"))
    parser.add_argument("--profile", choices=("ours", "reference"), help="no timing table: where this micropip's installs spend "
                        "their CPU on a first visit and a reload (cProfile inside Pyodide), first setting only")
    args = parser.parse_args(argv)
    roots = [r.strip() for r in args.roots.split(",") if r.strip()]
    recording = Recording()
    missing = [r for r in roots if recording.get(f"{PYPI_SIMPLE}{normalize(r)}/") is None]
    if missing:
        print(f"not recorded: {missing}: run .venv/bin/python bench/record.py --roots {','.join(missing)}", file=sys.stderr)
        return 1
    if args.profile:
        return profile_main(recording, roots, args)
    started = time.perf_counter()
    locks = network.prepare_micropips()
    static = {"ours": locks["ours"].parent, "reference": locks["reference"].parent}
    result: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "roots": roots, "reps": args.reps, "settings": {},
                    "notes": [__doc__.split("\n\n", 2)[2].strip()]}
    for name in [s.strip() for s in args.settings.split(",") if s.strip()]:
        latency, rate = network.SETTINGS[name]
        server = ReplayServer(recording, latency_s=latency, bytes_per_s=rate, static=static, caching_headers=True)
        try:
            result["settings"][name] = run_setting(server, roots, args.reps, args.timeout, name)
        finally:
            server.stop()
    network.save(result, Path(args.out), started, print_table, plot, log)
    return 0


def profile_main(recording: Recording, roots: list[str], args) -> int:
    """Print, per root, the cProfile rows of one micropip's install on a first visit and a reload."""
    locks = network.prepare_micropips()
    name = [s.strip() for s in args.settings.split(",") if s.strip()][0]
    latency, rate = network.SETTINGS[name]
    server = ReplayServer(recording, latency_s=latency, bytes_per_s=rate,
                          static={w: locks[w].parent for w in ("ours", "reference")}, caching_headers=True)
    try:
        with chromium_with_pages() as (browser, static_url):
            for root in roots:
                pair = visit_pair(browser, static_url, server, args.profile, root, args.timeout, profile=True)
                for visit, r in pair.items():
                    if not r.get("ok"):
                        print(f"{root} {visit}: FAILED {r.get('error', '')[:400]}")
                        continue
                    prof = r["profile"]
                    print(f"\n== {root} {visit} ({args.profile}, {name}): install {r['install_ms']:.0f} ms, "
                          f"Python CPU {prof['cpu_ms']:.0f} ms, {r['requests']} requests")
                    print("  cumulative ms  own ms   calls  function")
                    for fn, calls, own, cum in prof["cumulative"]:
                        print(f"  {cum:13.1f} {own:7.1f} {calls:7d}  {fn[-110:]}")
                    print("  -- most own time")
                    for fn, calls, own, cum in prof["own"][:15]:
                        print(f"  {cum:13.1f} {own:7.1f} {calls:7d}  {fn[-110:]}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

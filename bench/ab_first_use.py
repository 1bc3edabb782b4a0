"""Two commits of ours and the reference, interleaved in one Node process: did a change make a
first install faster, measured side by side rather than against a result from another hour?

    git worktree add --detach ../base <commit>          # the commit to compare with; then in it:
    ln -s "$PWD/.venv" "$PWD/node_modules" ../base/ && mkdir -p ../base/.cache/bench \\
        && ln -s "$PWD/.cache/bench/recording" ../base/.cache/bench/
    .venv/bin/python bench/ab_first_use.py --base ../base --roots attrs,msgpack --setting 30ms --reps 4
    .venv/bin/python bench/ab_first_use.py --base ../base --install-only   # machinery imported first, cache on
    .venv/bin/python bench/ab_first_use.py --base ../base --browser        # first visits in Chromium

Each checkout's bundle is built by its own code (``network.prepare_micropips`` run there). A
first use is timed as ``first_use.py`` times it (``import micropip`` + the install, cache off as
there); ``--install-only`` times the install alone after importing the machinery, with the cache on and
empty, as ``network.py`` does; ``--browser`` times a first visit's first use in Chromium instead (a new
profile per visit, ``import micropip`` + the install, as ``returning.py`` times a first visit).
Prints medians and ours/reference for both commits; saves nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import network  # noqa: E402
from first_use import FIRST_USE, FIRST_USE_SET_INDEX  # noqa: E402 - timed as first_use.py times it
from replay import Recording, ReplayServer  # noqa: E402

INSTALL_ONLY = """
import time, json
import micropip
{prelude}
import micropip.package_manager; micropip.set_index_urls([{index!r}])
_t = time.perf_counter()
await micropip.install({root!r})
json.dumps({{"ms": (time.perf_counter() - _t) * 1000}})
"""
PREPARE = ("import sys, json; sys.path[:0] = ['.', 'bench']; import network; "
           "print(json.dumps({k: str(v) for k, v in network.prepare_micropips().items()}))")


def prepared(checkout: Path) -> dict[str, Path]:
    """That checkout's bundle and the reference's, built by that checkout's own code."""
    out = subprocess.run([sys.executable, "-c", PREPARE], cwd=checkout, capture_output=True, text=True, check=True)
    return {k: Path(v) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="a checkout of the commit to compare with")
    parser.add_argument("--roots", default="attrs,tqdm,msgpack,rich")
    parser.add_argument("--setting", default="100ms", choices=sorted(network.SETTINGS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--install-only", action="store_true")
    parser.add_argument("--set-index-urls", action="store_true", help="first use with set_index_urls before the install")
    parser.add_argument("--browser", action="store_true", help="first visits in Chromium (returning_page.html)")
    args = parser.parse_args(argv)
    roots = [r for r in args.roots.split(",") if r]
    here = prepared(BENCH.parent)
    locks = {"base": prepared(Path(args.base).resolve())["ours"], "new": here["ours"], "reference": here["reference"]}
    latency, rate = network.SETTINGS[args.setting]
    server = ReplayServer(Recording(), latency_s=latency, bytes_per_s=rate,
                          static={who: locks[who].parent for who in locks}, caching_headers=args.browser)
    for who in ("base", "new"):
        network.over_the_link(locks[who], server, who)
    runs: dict[str, dict[str, list[float]]] = {root: {who: [] for who in locks} for root in roots}
    if args.browser:
        try:
            browser_visits(server, locks, roots, args.reps, runs)
        finally:
            server.stop()
        return report(runs, f"first visit in Chromium (import micropip + the install), {network.SETTING_LABELS[args.setting]}, "
                            f"medians of {args.reps}")
    node = network.TimedNode()
    try:
        for rep in range(args.reps):
            for i, root in enumerate(roots):
                order = list(locks) if (rep + i) % 2 == 0 else list(reversed(locks))
                for who in order:
                    interp, _ = node.new(locks[who], ["micropip"])
                    index = network.index_url_for("reference" if who == "reference" else "ours", server)
                    folder = tempfile.mkdtemp(prefix="ab-cache-")  # a new visitor's empty cache (ours)
                    if args.install_only:
                        prelude = f"micropip.set_cache(True, path={folder!r})" if who != "reference" else ""
                        code = INSTALL_ONLY.format(prelude=prelude, root=root, index=index)
                    else:
                        code = (FIRST_USE_SET_INDEX if args.set_index_urls else FIRST_USE).format(root=root, index=index)
                    runs[root][who].append(json.loads(node.py(interp, code)["value"])["ms"])
                    if who != "reference":
                        node.py(interp, network.STOP_IDLE_CODE)
                    node.drop(interp)
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        node.close()
        server.stop()
    what = "install only, cache on" if args.install_only else "first use (set_index_urls first)" if args.set_index_urls else "first use"
    return report(runs, f"{what}, {network.SETTING_LABELS[args.setting]}, medians of {args.reps}")


def browser_visits(server: ReplayServer, locks: dict[str, Path], roots: list[str], reps: int,
                   runs: dict[str, dict[str, list[float]]]) -> None:
    """First visits in Chromium, each in a new profile (empty HTTP cache and Cache Storage)."""
    from urllib.parse import urlencode

    from returning import MODULES, chromium_with_pages

    with chromium_with_pages() as (browser, static_url):
        for rep in range(reps):
            for i, root in enumerate(roots):
                order = list(locks) if (rep + i) % 2 == 0 else list(reversed(locks))
                for who in order:
                    query = {"lock": f"{server.url}static/{who}/pyodide-lock.json", "idle": "0",
                             "index": network.index_url_for("reference" if who == "reference" else "ours", server),
                             "pkg": root, "module": MODULES.get(root, root.replace("-", "_"))}
                    context = browser.new_context()
                    try:
                        page = context.new_page()
                        page.goto(f"{static_url}bench/returning_page.html?{urlencode(query)}")
                        page.wait_for_function("window.benchResult", timeout=300_000)
                        result = page.evaluate("window.benchResult")
                    finally:
                        context.close()
                    if not result.get("ok"):
                        raise RuntimeError(f"{who} {root}: {result.get('error', '')[:400]}")
                    runs[root][who].append(result["first_use_ms"])


def report(runs: dict[str, dict[str, list[float]]], what: str) -> int:
    ratios: dict[str, list[float]] = {"base": [], "new": []}
    print(what)
    for root, by in runs.items():
        med = {who: statistics.median(v) for who, v in by.items()}
        for who in ratios:
            ratios[who].append(med[who] / med["reference"])
        print(f"  {root:14s} base {med['base']:6.0f} ms  new {med['new']:6.0f} ms  reference {med['reference']:6.0f} ms  "
              f"base/ref {med['base'] / med['reference']:.3f}  new/ref {med['new'] / med['reference']:.3f}")
    print(f"  geometric mean: base/ref {network.geomean(ratios['base']):.3f}x  new/ref {network.geomean(ratios['new']):.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A notebook's first install: ``import micropip`` then ``await micropip.install(root)``, timed whole.

    .venv/bin/python bench/first_use.py                        # 100 ms / 20 Mbit/s, 5 reps
    .venv/bin/python bench/first_use.py --roots attrs,rich --setting 30ms --reps 3

``network.py`` times the install alone, after importing our machinery up front (as ``import
micropip`` loads the reference's), so both start resolving ready. A user's first cell imports
micropip and installs (``set_index_urls`` before it only keeps the URLs). Ours then asks for the roots' pages before importing its machinery and imports it
while they travel (``micropip.index.early``). This times that, from before ``import
micropip`` to the end of the install, in a fresh interpreter, ours and the reference
interleaved on the same replay (the index given as ``index_urls=``, which both accept).
Results: ``bench/results/first_use-SETTING.json``.

``--settle SECONDS`` times a kernel that imported micropip as it started and sat idle that
long before the user's first install (JupyterLite's piplite imports micropip at kernel start):
``import micropip``, the wait, then only ``await micropip.install(root)`` is timed. Ours runs
with its persistent cache on and empty, as in a new visitor's page (where it is on by
default); in that idle time it compiles its machinery (``head_start.plan_warm_up``).
Results: ``bench/results/first_use-SETTING-settled.json``.

``--set-index-urls``: the same cell with ``micropip.set_index_urls([index])`` before a plain
``install(root)``, as with a private index or a site's mirror. Results in
``bench/results/first_use-SETTING-set-index-urls.json``.

``--live`` installs from the live index (``LIVE_INDEX``, PyPI through this machine's gateway:
~150-200 ms a request, pages as PyPI has them today) instead of the replay; only our bundle's
bytecode part still comes from the replay's static mount over the shaped link, as from a CDN.
The reference 0.11.1 fails on a root whose closure lacks a PEP 658 file on the gateway's
mirror (it does not fall back to the wheel), so the default live roots are ones it installs.
Results: ``bench/results/first_use-live.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import network  # noqa: E402
import run  # noqa: E402
from replay import Recording, ReplayServer  # noqa: E402

DEFAULT_ROOTS = "attrs,tqdm,requests,httpx,rich,pydantic,fastapi,black,openpyxl,msgpack"
LIVE_INDEX = "https://pypi.org/simple"
FIRST_USE = """
import time, json
_t = time.perf_counter()
import micropip
await micropip.install({root!r}, index_urls=[{index!r}])
json.dumps({{"ms": (time.perf_counter() - _t) * 1000}})
"""
# The same cell with an index set first (a private index, a site's mirror): ``--set-index-urls``.
FIRST_USE_SET_INDEX = """
import time, json
_t = time.perf_counter()
import micropip
micropip.set_index_urls([{index!r}])
await micropip.install({root!r})
json.dumps({{"ms": (time.perf_counter() - _t) * 1000}})
"""
SETTLED = """
import time, json, asyncio
import micropip
{prelude}
await asyncio.sleep({settle})
_t = time.perf_counter()
await micropip.install({root!r}, index_urls=[{index!r}])
json.dumps({{"ms": (time.perf_counter() - _t) * 1000}})
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", default=DEFAULT_ROOTS)
    parser.add_argument("--setting", default="100ms", choices=sorted(network.SETTINGS))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--settle", type=float, default=0.0, help="seconds idle between import and install")
    parser.add_argument("--set-index-urls", action="store_true",
                        help="micropip.set_index_urls([index]) then install(root), instead of install(root, index_urls=[index])")
    parser.add_argument("--live", action="store_true", help=f"install from {LIVE_INDEX} (reaches the network)")
    parser.add_argument("--out", default=None, help="default: bench/results/first_use-SETTING[-settled].json")
    args = parser.parse_args(argv)
    roots = [r for r in args.roots.split(",") if r]
    latency, rate = network.SETTINGS[args.setting]
    locks = network.prepare_micropips()
    static = {"ours": locks["ours"].parent, "reference": locks["reference"].parent}
    server = ReplayServer(Recording(), latency_s=latency, bytes_per_s=rate, static=static)
    network.over_the_link(locks["ours"], server, "ours")
    node = network.TimedNode()
    hangs: list[str] = []
    runs: dict[str, dict[str, list[float]]] = {root: {"ours": [], "reference": []} for root in roots}
    try:
        for rep in range(args.reps):
            for i, root in enumerate(roots):
                for who in (("ours", "reference") if (rep + i) % 2 == 0 else ("reference", "ours")):
                    node.limit_s = 180
                    interp, _ = node.new(locks[who], ["micropip"])
                    index = LIVE_INDEX if args.live else network.index_url_for(who, server)
                    folder = None
                    if args.settle:
                        folder = tempfile.mkdtemp(prefix="first-use-cache-")
                        prelude = f"micropip.set_cache(True, path={folder!r})" if who == "ours" else ""
                        code = SETTLED.format(prelude=prelude, settle=args.settle, root=root, index=index)
                    else:
                        code = (FIRST_USE_SET_INDEX if args.set_index_urls else FIRST_USE).format(root=root, index=index)
                    try:
                        answer = node.py(interp, code)
                        runs[root][who].append(json.loads(answer["value"])["ms"])
                        # a dropped interpreter's idle-time work would go on in this Node process
                        node.py(interp, network.STOP_IDLE_CODE)
                        node.drop(interp)
                    except run.BenchError as exc:
                        network.log(f"{root} {who}: failed: {str(exc)[:300]}")
                        node.drop(interp)
                    except TimeoutError as exc:  # a wedged run: recorded, and the next starts in a new Node
                        network.log(f"{root} {who}: no answer: {exc}")
                        hangs.append(f"{root} {who} rep {rep + 1}")
                        node.close()
                        node = network.TimedNode()
                    if folder is not None:
                        shutil.rmtree(folder, ignore_errors=True)
                    network.log(f"[first use {args.setting}] rep {rep + 1}/{args.reps} {root:14s} {who:9s} "
                                f"{runs[root][who][-1] if runs[root][who] else float('nan'):8.0f} ms")
    finally:
        node.close()
        server.stop()
    per_root = {}
    for root, by in runs.items():
        med = {who: statistics.median(v) if v else None for who, v in by.items()}
        ratio = med["ours"] / med["reference"] if med["ours"] and med["reference"] else None
        per_root[root] = {"median_ms": med, "ratio": ratio, "runs": by}
    ratios = [r["ratio"] for r in per_root.values() if r["ratio"]]
    label = network.SETTING_LABELS[args.setting]
    setting = f"live index ({LIVE_INDEX}); bytecode part over {label}" if args.live else label
    out = {"setting": setting, "reps": args.reps, "settle_s": args.settle, "set_index_urls": args.set_index_urls,
           "per_root": per_root, "geomean_ours_vs_reference": network.geomean(ratios), "no_answer": hangs}
    suffix = "-settled" if args.settle else "-set-index-urls" if args.set_index_urls else ""
    name = "live" if args.live else args.setting
    args.out = args.out or str(network.RESULTS / f"first_use-{name}{suffix}.json")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    what = (f"install after import micropip and {args.settle:g} s idle" if args.settle
            else "import micropip + set_index_urls + install" if args.set_index_urls else "import micropip + install")
    print(f"\nfirst use ({what}), {out['setting']}, median of {args.reps}")
    print(f"  {'root':14s} {'ours':>8s} {'reference':>10s} {'ours/ref':>9s}")
    for root, r in per_root.items():
        m = r["median_ms"]
        if r["ratio"]:
            print(f"  {root:14s} {m['ours'] / 1000:7.2f}s {m['reference'] / 1000:9.2f}s {r['ratio']:8.2f}x")
    if hangs:
        print(f"  no answer (restarted Node): {', '.join(hangs)}")
    if out["geomean_ours_vs_reference"]:
        print(f"  geometric mean ours/reference: {out['geomean_ours_vs_reference']:.3f}x")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

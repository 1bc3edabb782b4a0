"""Two commits of ours and the reference, interleaved in one Node process: did a change make a
first install faster, measured side by side rather than against a result from another hour?

    git worktree add --detach ../base <commit>          # the commit to compare with; then in it:
    ln -s "$PWD/.venv" "$PWD/node_modules" ../base/ && mkdir -p ../base/.cache/bench \\
        && ln -s "$PWD/.cache/bench/recording" ../base/.cache/bench/
    .venv/bin/python bench/ab_first_use.py --base ../base --roots attrs,msgpack --setting 30ms --reps 4
    .venv/bin/python bench/ab_first_use.py --base ../base --install-only   # machinery imported first, cache on

Each checkout's bundle is built by its own code (``network.prepare_micropips`` run there). A
first use is timed as ``first_use.py`` times it (``import micropip`` + the install, cache off as
there); ``--install-only`` times the install alone after importing the machinery, with the cache on and
empty, as ``network.py`` does. Prints medians and ours/reference for both commits; saves nothing.
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
    args = parser.parse_args(argv)
    roots = [r for r in args.roots.split(",") if r]
    here = prepared(BENCH.parent)
    locks = {"base": prepared(Path(args.base).resolve())["ours"], "new": here["ours"], "reference": here["reference"]}
    latency, rate = network.SETTINGS[args.setting]
    server = ReplayServer(Recording(), latency_s=latency, bytes_per_s=rate,
                          static={who: locks[who].parent for who in ("base", "new")})
    for who in ("base", "new"):
        network.over_the_link(locks[who], server, who)
    node = network.TimedNode()
    runs: dict[str, dict[str, list[float]]] = {root: {who: [] for who in locks} for root in roots}
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
    ratios: dict[str, list[float]] = {"base": [], "new": []}
    what = "install only, cache on" if args.install_only else "first use (set_index_urls first)" if args.set_index_urls else "first use"
    print(f"{what}, {network.SETTING_LABELS[args.setting]}, medians of {args.reps}")
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

"""Where one root's install spends its time on the replayed network: requests and CPU.

    .venv/bin/python bench/profile_root.py aiobotocore                 # 100 ms / 20 Mbit/s
    .venv/bin/python bench/profile_root.py pydantic --setting 30ms --reps 3

For each micropip (ours and the reference, fresh interpreters, the same replay as
``network.py``) it prints the request timeline (ms after the first request; which page,
metadata file or wheel) and, for ours, a cProfile of the install inside Pyodide: the
Python CPU time in total and the functions that take it. The wall time minus that CPU
time is waiting on the network. Results: ``bench/results/profile-<root>-<setting>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import network  # noqa: E402
from replay import Recording, ReplayServer  # noqa: E402

PROFILED_INSTALL = """
import cProfile, pstats, time, json
import micropip
import micropip.package_manager; micropip.set_index_urls([{index!r}])
_p = cProfile.Profile()
_t = time.perf_counter()
_p.enable()
await micropip.install({root!r})
_p.disable()
_wall = (time.perf_counter() - _t) * 1000
_stats = pstats.Stats(_p).stats
_cpu = sum(v[2] for v in _stats.values()) * 1000
def _row(key, v):
    return {{"function": f"{{key[0].rsplit('site-packages/', 1)[-1]}}:{{key[1]}}({{key[2]}})", "calls": v[1],
             "own_ms": round(v[2] * 1000, 1), "cumulative_ms": round(v[3] * 1000, 1)}}
_own = sorted(_stats.items(), key=lambda kv: -kv[1][2])[:25]
json.dumps({{"wall_ms": _wall, "python_cpu_ms": _cpu, "top_own": [_row(k, v) for k, v in _own]}})
"""


def describe(path: str) -> str:
    part = unquote(urlsplit(path).path)
    name = part.rsplit("/", 1)[-1] if part.startswith("/files/") else part
    return name


def timeline(stats) -> list[tuple[float, str]]:
    if not stats.arrivals:
        return []
    first = stats.arrivals[0]
    return [(round((t - first) * 1000), describe(p)) for t, p in zip(stats.arrivals, stats.paths)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root")
    parser.add_argument("--setting", default="100ms", choices=sorted(network.SETTINGS))
    parser.add_argument("--reps", type=int, default=1, help="profiled installs of ours (the median one is kept)")
    args = parser.parse_args(argv)
    latency, rate = network.SETTINGS[args.setting]
    locks = network.prepare_micropips()
    static = {"ours": locks["ours"].parent, "reference": locks["reference"].parent}
    server = ReplayServer(Recording(), latency_s=latency, bytes_per_s=rate, static=static)
    network.over_the_link(locks["ours"], server, "ours")
    runner = network.Runner(locks)
    out: dict = {"root": args.root, "setting": network.SETTING_LABELS[args.setting]}
    try:
        # The reference: its request timeline and wall time.
        server.reset_stats()
        ref = runner.install("reference", args.root, network.index_url_for("reference", server), 120)
        out["reference"] = {"wall_ms": ref.get("ms"), "ok": ref.get("ok"), "timeline": timeline(server.reset_stats())}
        # Ours, profiled inside Pyodide.
        runs = []
        for _ in range(args.reps):
            node = runner.node or network.TimedNode()
            runner.node = node
            node.limit_s = 180
            interp, _ = node.new(locks["ours"], ["micropip"])
            server.reset_stats()
            answer = node.py(interp, PROFILED_INSTALL.format(index=network.index_url_for("ours", server), root=args.root))
            result = json.loads(answer["value"])
            result["timeline"] = timeline(server.reset_stats())
            node.drop(interp)
            runs.append(result)
        runs.sort(key=lambda r: r["wall_ms"])
        out["ours"] = runs[len(runs) // 2]
        out["ours"]["wall_ms_all"] = [round(r["wall_ms"]) for r in runs]
        out["ours_wall_median_ms"] = statistics.median(r["wall_ms"] for r in runs)
    finally:
        runner.close()
        server.stop()
    path = network.RESULTS / f"profile-{args.root}-{args.setting}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    for who in ("reference", "ours"):
        r = out[who]
        cpu = f", Python CPU {r['python_cpu_ms']:.0f} ms (profiled)" if "python_cpu_ms" in r else ""
        print(f"\n{who}: {r['wall_ms']:.0f} ms wall{cpu}; {len(r['timeline'])} requests")
        for t, what in r["timeline"]:
            print(f"  {t:6d} ms  {what}")
    print("\nours, functions by own CPU time (ms):")
    for row in out["ours"]["top_own"]:
        print(f"  {row['own_ms']:7.1f} {row['cumulative_ms']:8.1f} {row['calls']:6d}  {row['function']}")
    print(f"\n{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

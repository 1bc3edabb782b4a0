"""Bundle with bytecode or without: which loads a page and finishes its first install sooner?

Builds the bundle both ways from this checkout, then in Chromium (Debian's, through
Playwright) times ``loadPyodide()`` -> ``loadPackage("micropip")`` -> ``await
micropip.install("demo-app")`` -> ``import demo_app``. The bundle and the fixture index
come from a loopback origin shaped like a user's link (a latency before each answer, a
bandwidth per connection); Pyodide's own runtime, the same for both variants, comes from an
unshaped one, so its 10 MB do not drown the difference being measured. A fresh browser
context per run (empty HTTP cache); the variants interleave. Usage:

    .venv/bin/python bench/bundle_variants.py [--reps 5] [--latency-ms 100] [--mbit 20]

Writes ``bench/results/bundle_variants.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(REPO), str(BENCH)]

from index_server.server import start_server  # noqa: E402
from pyodide_pm.bundle import write_bundle  # noqa: E402
from run import shape_network  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def wheel_sizes(folder: Path) -> dict[str, int]:
    """The wheels ``loadPackage("micropip")`` fetches (micropip and its dependencies), by file name."""
    lock = json.loads((folder / "pyodide-lock.json").read_text())["packages"]
    names, todo = set(), ["micropip"]
    while todo:
        name = todo.pop()
        if name not in names:
            names.add(name)
            todo.extend(lock[name]["depends"])
    return {lock[n]["file_name"]: (folder / lock[n]["file_name"]).stat().st_size for n in sorted(names)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--mbit", type=float, default=20.0)
    ap.add_argument("--out", default=str(BENCH / "results" / "bundle_variants.json"))
    args = ap.parse_args()

    import shutil

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bundle-variants-"))
    variants = {"source": False, "bytecode": True}
    dirs = {}
    for name, bytecode in variants.items():
        dirs[name] = tmp / name
        write_bundle(dirs[name], bytecode=bytecode)
    from index_server.server import start_static_server

    runtime = start_static_server({"/pyodide/": REPO / "node_modules" / "pyodide", "/bench/": BENCH})
    servers = {
        name: start_server(REPO / "fixtures" / "wheels", extra_static={"/bundle/": folder})
        for name, folder in dirs.items()
    }
    for server in servers.values():
        shape_network(server, args.latency_ms / 1000, args.mbit * 1e6 / 8)
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
            for rep in range(args.reps):
                for name, server in servers.items():
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(runtime.url + "bench/bundle_page.html?origin=" + server.url)
                    page.wait_for_function("window.benchResult || window.benchError", timeout=180_000)
                    error = page.evaluate("window.benchError")
                    if error:
                        raise SystemExit(f"{name}: {error}")
                    runs[name].append(page.evaluate("window.benchResult"))
                    context.close()
                    print(f"rep {rep + 1} {name}: {runs[name][-1]}", flush=True)
            browser.close()
    finally:
        for server in [runtime, *servers.values()]:
            server.stop()
    summary = {
        name: {
            "wheel_bytes": wheel_sizes(dirs[name]),
            "wheel_total": sum(wheel_sizes(dirs[name]).values()),
            **{k: statistics.median(r[k] for r in runs[name]) for k in ("runtime", "loaded", "installed")},
            # the parts the variant changes: micropip's wheels downloaded and loaded, then the first install
            "load_micropip": statistics.median(r["loaded"] - r["runtime"] for r in runs[name]),
            "first_install": statistics.median(r["installed"] - r["loaded"] for r in runs[name]),
        }
        for name in variants
    }
    result = {"link": {"latency_ms": args.latency_ms, "mbit_per_s": args.mbit}, "reps": args.reps,
              "median_ms": summary, "runs": runs}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for name, s in summary.items():
        print(f"{name:9s} wheels {s['wheel_total'] / 1024:6.0f} KiB  runtime {s['runtime']:6.0f} ms  "
              f"micropip loaded {s['loaded']:6.0f} ms  first install done {s['installed']:6.0f} ms  "
              f"(loadPackage {s['load_micropip']:5.0f} ms, install {s['first_install']:5.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

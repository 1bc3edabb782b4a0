"""install() versus install_lockfile() of the same fixture roots, interleaved in one run.

    .venv/bin/python bench/fixture_lock_vs_install.py [REPS]

Each repetition uses fresh Pyodide interpreters in one Node process; times are
measured inside Pyodide around the call only, and reported as medians and a ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from index_server.server import start_server, start_static_server  # noqa: E402
from pyodide_pm.bundle import write_bundle  # noqa: E402
from pyodide_pm.lock import create_lock  # noqa: E402
from tests.harness.pyodide_node import NodeRunner  # noqa: E402

ROOTS = ["demo-app", "bt-top", "bt-leaf==1.0", "treepkg", "extrauser", "markerpkg", "cycle-a"]


def timed(interp, code: str) -> float:
    return interp.run(f"import time as _t\n_s = _t.perf_counter()\n{code}\n_t.perf_counter() - _s")


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp, start_server(REPO / "fixtures" / "wheels") as index:
        tmp_path = Path(tmp)
        lock_path = write_bundle(tmp_path / "bundle", for_node=True)
        result = asyncio.run(create_lock(ROOTS, output=str(tmp_path / "app.json"), pyodide="314.0.7", index_urls=[index.simple_url]))
        (tmp_path / "app.json").write_text(result.text)
        with start_static_server({"/locks/": tmp_path}) as locks:
            runner = NodeRunner()
            times: dict[str, list[float]] = {"install": [], "install_lockfile": []}
            try:
                for _ in range(reps):
                    for kind in times:
                        interp = runner.new_interpreter(lock_path)
                        interp.run(f"import micropip; import micropip.package_manager; micropip.set_index_urls([{index.simple_url!r}])")
                        call = (
                            f"await micropip.install({ROOTS!r})"
                            if kind == "install"
                            else f"await micropip.install_lockfile({locks.url + 'locks/app.json'!r})"
                        )
                        times[kind].append(timed(interp, call))
                        interp.drop()
            finally:
                runner.close()
    n = len(result.plan.install)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{n} packages, {reps} repetitions, medians:")
    for k, v in med.items():
        print(f"  {k:17s} {v * 1000:8.1f} ms   (all: {', '.join(f'{x * 1000:.0f}' for x in times[k])})")
    print(f"  ratio install_lockfile / install = {med['install_lockfile'] / med['install']:.2f}")


if __name__ == "__main__":
    main()

"""The install benchmark: ours vs micropip 0.11.1 vs a native floor, in one Node process.

    .venv/bin/python bench/run.py             # the benchmark (about 2 minutes)
    .venv/bin/python bench/run.py --profile   # where our install spends its time
    bash bench/run.sh                          # scripts/setup.sh first, then the benchmark

Not part of the test suite. Downloads the pinned corpus (bench/corpus.py) into
``.cache/bench/``, serves it with our ``index_server`` on loopback and drives fresh
Pyodide interpreters in ``bench/runner.mjs``. Results: ``bench/results/latest.json``
(or ``profile.json``), ``bench/results/latest.png`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import corpus  # noqa: E402
from index_server.server import start_server  # noqa: E402
from png_chart import Bar, bar_chart  # noqa: E402

PYODIDE_VERSION = "314.0.7"
OUR_LOCK = corpus.CACHE / "bundle" / "pyodide-lock.json"  # rebuilt from the source tree by main()
PYODIDE_LOCK = REPO / "node_modules" / "pyodide" / "pyodide-lock.json"
RESULTS = BENCH / "results"
RUN_DIR = corpus.CACHE / "run"  # per-run files (the lock), served under /bench/
VENV_PY = REPO / ".venv" / "bin" / "python"
UV = REPO / ".venv" / "bin" / "uv"
FIXTURES = REPO / "fixtures" / "wheels"
BACKTRACK_REQS = ["bt-top", "bt-leaf==1.0"]

NET_LATENCY_S = 0.02  # the shaped "network" runs: 20 ms before each answer ...
NET_BYTES_PER_S = 25e6  # ... and 25 MB/s (200 Mbit/s) per connection

TARGETS = {  # ratio <= target
    "cold_vs_floor": 1.3,
    "cold_vs_reference": 0.5,
    "lockfile_vs_floor": 1.15,
    "warm_vs_cold": 0.3,
    "backtrack_bytes_vs_chosen": 1.02,
    "host_lock_vs_uv": 3.0,
}

SMOKE_IMPORTS = "babel.core, markdown_it, sqlglot, flake8, openpyxl, rsa, pyfiglet"

VERIFY_CODE = """
import importlib, importlib.metadata, json, re
importlib.invalidate_caches()
json.dumps(sorted({re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in importlib.metadata.distributions()}))
"""


class BenchError(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---- the Node side ---------------------------------------------------------------------------


class Node:
    """bench/runner.mjs: one request at a time, JSON lines."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", "--expose-gc", str(BENCH / "runner.mjs")],
            cwd=REPO,
            # The wheel cache only where a mode turns it on (with its own folder), never ~/.cache.
            env=dict(os.environ, PYODIDE_PM_NO_CACHE="1"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._id = 0
        if not self._read().get("ready"):
            raise BenchError("bench/runner.mjs did not start")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"bench/runner.mjs exited (code {self.proc.poll()})")
        return json.loads(line)

    def call(self, op: str, **msg) -> dict:
        self._id += 1
        self.proc.stdin.write(json.dumps({"id": self._id, "op": op, **msg}) + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        if not answer.get("ok"):
            raise BenchError(f"{op} failed: {answer.get('message')}")
        return answer

    def new(self, lock: Path, load: list[str]) -> tuple[int, dict]:
        answer = self.call("new", lockFileURL=str(lock), load=load)
        return answer["interp"], answer

    def py(self, interp: int, code: str) -> dict:
        return self.call("py", interp=interp, code=code)

    def drop(self, interp: int) -> None:
        self.call("drop", interp=interp)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ---- preparation ---------------------------------------------------------------------------


def prepare_reference() -> Path:
    """Pyodide's own lockfile with its ``micropip`` entry pointing at PyPI's 0.11.1 wheel beside it."""
    pin = corpus.REFERENCE_MICROPIP
    corpus.fetch((pin,), corpus.REFERENCE_DIR)
    lock = json.loads(PYODIDE_LOCK.read_text())
    entry = lock["packages"]["micropip"]
    if entry["version"] != pin.version:
        raise BenchError(f"Pyodide's lock has micropip {entry['version']}, the reference pin is {pin.version}")
    entry.update(file_name=pin.filename, sha256=pin.sha256, depends=[])  # 0.11.1 vendors packaging
    path = corpus.REFERENCE_DIR / "pyodide-lock.json"
    path.write_text(json.dumps(lock))
    return path


_LOCK_CLI: list[bool] = []  # whether `pyodide-pm lock` exists (asked once)


def make_lock(simple_url: str, out: Path) -> tuple[float, str]:
    """Our host ``lock`` of the corpus in a cold process; returns (seconds, how it was run)."""
    if not _LOCK_CLI:
        probe = subprocess.run([str(VENV_PY), "-m", "pyodide_pm.cli", "lock", "--help"], cwd=REPO, capture_output=True)
        _LOCK_CLI.append(probe.returncode == 0)
    if _LOCK_CLI[0]:
        how = "pyodide-pm lock"
        cmd = [str(VENV_PY), "-m", "pyodide_pm.cli", "lock", *corpus.ROOTS, "--index-url", simple_url,
               "--pyodide", PYODIDE_VERSION, "-o", str(out)]
    else:
        how = "pyodide_pm.lock.create_lock (the CLI has no lock subcommand yet)"
        script = (
            "import asyncio, sys; from pathlib import Path; from pyodide_pm.lock import create_lock\n"
            "r = asyncio.run(create_lock(sys.argv[3:], output=sys.argv[2], pyodide='%s', index_urls=[sys.argv[1]]))\n"
            "Path(sys.argv[2]).write_text(r.text)\n" % PYODIDE_VERSION
        )
        cmd = [str(VENV_PY), "-c", script, simple_url, str(out), *corpus.ROOTS]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchError(f"our lock failed: {result.stderr[-1500:]}")
    return seconds, how


def lock_in_process(simple_url: str, out: Path) -> float:
    """``create_lock`` timed inside a fresh process (imports included, interpreter start-up not)."""
    script = (
        "import time; t = time.perf_counter()\n"
        "import asyncio, sys; from pyodide_pm.lock import create_lock\n"
        "r = asyncio.run(create_lock(sys.argv[3:], output=sys.argv[2], pyodide='%s', index_urls=[sys.argv[1]]))\n"
        "print(time.perf_counter() - t)\n" % PYODIDE_VERSION
    )
    result = subprocess.run([str(VENV_PY), "-c", script, simple_url, str(out), *corpus.ROOTS], cwd=REPO,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"create_lock failed: {result.stderr[-1500:]}")
    return float(result.stdout.strip().splitlines()[-1])


def host_prefetch_experiment(simple_url: str, reps: int) -> dict:
    """In-process ``create_lock`` on the host, as is and with one fill for all roots (patched here)."""
    script = (
        "import asyncio, sys, time\n"
        "from pyodide_pm import lock as lock_command\n"
        "from micropip.resolution import resolver, sources\n"
        "if sys.argv[3] == 'prefetch_roots':\n"
        "    _orig = lock_command.resolve\n"
        "    async def _prefetching(roots, src, **kw):\n"
        "        await src.fill(sources.NeedData(pages={r.name for r in roots if not r.url}))\n"
        "        return await _orig(roots, src, **kw)\n"
        "    lock_command.resolve = _prefetching\n"
        "t = time.perf_counter()\n"
        "asyncio.run(lock_command.create_lock(sys.argv[4:], output=sys.argv[2], pyodide='%s', index_urls=[sys.argv[1]]))\n"
        "print(time.perf_counter() - t)\n" % PYODIDE_VERSION
    )
    out: dict[str, list[float]] = {"baseline": [], "prefetch_roots": []}
    for _ in range(reps):
        for name in out:
            result = subprocess.run([str(VENV_PY), "-c", script, simple_url, str(RUN_DIR / "lock-exp.json"), name, *corpus.ROOTS],
                                    cwd=REPO, capture_output=True, text=True)
            if result.returncode != 0:
                raise BenchError(f"host experiment failed: {result.stderr[-1500:]}")
            out[name].append(float(result.stdout.strip().splitlines()[-1]))
    return {k: median(v) for k, v in out.items()}


def uv_compile(simple_url: str, work: Path, fresh_cache: bool) -> float:
    req = work / "req.in"
    req.write_text("\n".join(corpus.ROOTS) + "\n")
    cache = Path(tempfile.mkdtemp(prefix="uv-cache-", dir=work))
    cmd = [str(UV), "pip", "compile", str(req), "--python", str(VENV_PY), "--python-version", "3.14",
           "--python-platform", "wasm32-pyodide2024", "--index-url", simple_url, "-o", str(work / "uv-out.txt"),
           "--no-config", "--quiet"]
    cmd += ["--cache-dir", str(cache)] if fresh_cache else ["--no-cache"]
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    shutil.rmtree(cache, ignore_errors=True)
    if result.returncode != 0:
        raise BenchError(f"uv pip compile failed: {result.stderr[-1500:]}")
    return seconds


def check_uv_output(work: Path) -> list[str]:
    pins = [line.strip() for line in (work / "uv-out.txt").read_text().splitlines() if "==" in line and not line.startswith("#")]
    expected = {f"{p.name}=={p.version}" for p in corpus.WHEELS}
    if set(pins) != expected:
        raise BenchError(f"uv resolved a different set: {sorted(set(pins) ^ expected)}")
    return pins


# ---- the install modes -----------------------------------------------------------------------


def canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def verify(node: Node, interp: int, mode: str, smoke: bool) -> dict:
    names = set(json.loads(node.py(interp, VERIFY_CODE)["value"]))
    missing = sorted({canonical(p.name) for p in corpus.WHEELS} - names)
    if missing:
        raise BenchError(f"{mode}: after the install these distributions are missing: {missing}")
    out = {"distributions_ok": True}
    if smoke:
        try:
            node.py(interp, f"import {SMOKE_IMPORTS}")
            out["smoke_import"] = "ok"
        except BenchError as exc:
            out["smoke_import"] = str(exc).splitlines()[-1][:300]
    return out


def run_micropip(node: Node, lock: Path, install_code: str, first_use_code: str, smoke: bool, mode: str) -> dict:
    """A fresh interpreter: loadPackage, ``import micropip``, first use (ours imports its machinery
    lazily, there), then the timed install. Only the install counts as install time."""
    interp, started = node.new(lock, ["micropip"])
    try:
        imported = node.py(interp, "import micropip")
        first_use = node.py(interp, first_use_code)
        installed = node.py(interp, install_code)
        result = {"install_ms": installed["ms"], "load_micropip_ms": started["load_ms"], "import_micropip_ms": imported["ms"],
                  "first_use_ms": first_use["ms"], "boot_ms": started["boot_ms"]}
        result.update(verify(node, interp, mode, smoke))
        return result
    finally:
        node.drop(interp)


def run_native(node: Node, op: str, urls: list[str], smoke: bool) -> dict:
    interp, started = node.new(OUR_LOCK, [])
    try:
        site = node.py(interp, "import sysconfig; sysconfig.get_paths()['purelib']")["value"]
        answer = node.call(op, interp=interp, urls=urls, site=site)
        result = {"install_ms": answer["ms"], "bytes": answer["bytes"], "boot_ms": started["boot_ms"]}
        if "files" in answer:
            result["files"] = answer["files"]
        result.update(verify(node, interp, op, smoke))
        return result
    finally:
        node.drop(interp)


def backtrack_bytes(node: Node, simple_url: str) -> dict:
    """Bytes our resolver fetches for a fixture that must backtrack, vs the chosen wheels."""
    interp, _ = node.new(OUR_LOCK, ["micropip"])
    try:
        code = f"""
import json, micropip, micropip.transport as _t
import micropip.package_manager; micropip.set_index_urls([{simple_url!r}])
p = await micropip.install({BACKTRACK_REQS!r}, dry_run=True)
dry = dict(bytes_index_pages=p.bytes_index_pages, bytes_metadata=p.bytes_metadata,
           bytes_wheels_for_metadata=p.bytes_wheels_for_metadata,
           chosen=[[x.name, x.version, x.filename, x.size] for x in p.install])
_orig, _seen = _t.fetch, []
async def _counting(url, **kw):
    r = await _orig(url, **kw)
    _seen.append([url, len(r.js_body) if r.js_body is not None else len(r.body)])  # wheels stay in JS memory
    return r
_t.fetch = _counting
try:
    await micropip.install({BACKTRACK_REQS!r})
finally:
    _t.fetch = _orig
json.dumps(dict(dry=dry, fetched=_seen))
"""
        data = json.loads(node.py(interp, code)["value"])
    finally:
        node.drop(interp)
    dry = data["dry"]
    chosen_bytes = sum((FIXTURES / filename).stat().st_size for _n, _v, filename, _s in dry["chosen"])
    fetched = data["fetched"]
    total = sum(n for _u, n in fetched)
    kinds = {"index pages": 0, "metadata files": 0, "wheels": 0}
    for url, n in fetched:
        kind = "metadata files" if url.endswith(".metadata") else "wheels" if url.endswith(".whl") else "index pages"
        kinds[kind] += n
    dry_total = dry["bytes_index_pages"] + dry["bytes_metadata"] + dry["bytes_wheels_for_metadata"]
    return {
        "chosen": [f"{n}=={v}" for n, v, _f, _s in dry["chosen"]],
        "chosen_wheel_bytes": chosen_bytes,
        "plan_sizes_reported": [s for *_x, s in dry["chosen"]],
        "dry_run": dry,
        "dry_run_resolution_bytes": dry_total,
        "install_fetched_bytes": total,
        "install_fetched_by_kind": kinds,
        "requests": len(fetched),
        "ratio_total_vs_chosen": total / chosen_bytes,
        "ratio_without_index_pages": (total - kinds["index pages"]) / chosen_bytes,
        "reading": "the target row uses ratio_total_vs_chosen: every byte the real install fetched (index pages, "
                   "metadata, wheels) over the bytes of the wheels it installed",
    }


# ---- the benchmark -----------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def benchmark(args) -> dict:
    wheels = corpus.prepare_corpus()
    ref_lock = prepare_reference()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    total_bytes = sum(p.stat().st_size for p in wheels)
    log(f"corpus: {len(corpus.ROOTS)} roots, {len(wheels)} wheels, {total_bytes / 1e6:.1f} MB")

    # Absolute file URLs, as PyPI serves them: micropip 0.11.1 cannot follow relative ones.
    index = start_server(corpus.WHEEL_DIR, absolute_urls=True, extra_static={"/bench/": RUN_DIR})
    fixtures = start_server(FIXTURES)
    fixtures_no658 = start_server(FIXTURES, metadata_files=False)
    shaped = start_server(corpus.WHEEL_DIR, absolute_urls=True)
    shape_network(shaped, NET_LATENCY_S, NET_BYTES_PER_S)
    node = None
    try:
        urls = [f"{index.url}files/{p.name}" for p in wheels]
        lock_path = RUN_DIR / "lock.json"

        # Host lock (ours, cold process) vs uv pip compile, interleaved; the last lock is kept.
        host: dict[str, list[float]] = {"ours_cli": [], "ours_in_process": [], "uv_no_cache": [], "uv_fresh_cache": []}
        how = ""
        with tempfile.TemporaryDirectory(prefix="bench-uv-") as tmp:
            for rep in range(args.host_reps):
                seconds, how = make_lock(index.simple_url, lock_path)
                host["ours_cli"].append(seconds)
                host["uv_no_cache"].append(uv_compile(index.simple_url, Path(tmp), fresh_cache=False))
                host["ours_in_process"].append(lock_in_process(index.simple_url, RUN_DIR / "lock-inproc.json"))
                host["uv_fresh_cache"].append(uv_compile(index.simple_url, Path(tmp), fresh_cache=True))
            if args.host_reps:
                check_uv_output(Path(tmp))
            else:  # --host-reps 0: just the lock the lockfile mode installs
                make_lock(index.simple_url, lock_path)
        locked = json.loads(lock_path.read_text())["packages"]
        if {canonical(k) for k in locked} != {canonical(p.name) for p in corpus.WHEELS}:
            raise BenchError(f"our lock has a different set: {sorted(locked)}")
        if args.host_reps:
            log(f"host lock: ours {median(host['ours_cli']):.2f} s, uv {median(host['uv_fresh_cache']):.2f} s ({how})")
        lock_url = f"{index.url}bench/lock.json"

        node = Node()
        simple = index.simple_url
        cache_root = Path(tempfile.mkdtemp(prefix="wheel-cache-", dir=RUN_DIR))

        def fresh_cache() -> str:
            """An empty cache folder: ours and lockfile are cold installs that fill it as users' would."""
            return tempfile.mkdtemp(dir=cache_root)

        last_cache: list[str] = []

        def ours(smoke: bool) -> dict:
            last_cache[:] = [fresh_cache()]
            return run_micropip(node, OUR_LOCK, f"await micropip.install({list(corpus.ROOTS)!r})",
                                f"import micropip.package_manager; micropip.set_index_urls([{simple!r}]); micropip.set_cache(True, path={last_cache[0]!r})",
                                smoke, "ours")

        def warm(smoke: bool) -> dict:
            """A new interpreter whose cache the cold run before it filled."""
            return run_micropip(node, OUR_LOCK, f"await micropip.install({list(corpus.ROOTS)!r})",
                                f"import micropip.package_manager; micropip.set_index_urls([{simple!r}]); micropip.set_cache(True, path={last_cache[0]!r})",
                                smoke, "warm")

        modes = {
            "ours": ours,
            "reference": lambda smoke: run_micropip(
                node, ref_lock, f"await micropip.install({list(corpus.ROOTS)!r})",
                f"import micropip.package_manager; micropip.set_index_urls([{simple!r}])", smoke, "reference"),
            "floor": lambda smoke: run_native(node, "floor", urls, smoke),
            "pyodide_unpack": lambda smoke: run_native(node, "unpack", urls, smoke),
            "lockfile": lambda smoke: run_micropip(
                node, OUR_LOCK, f"await micropip.install_lockfile({lock_url!r})",
                f"import micropip.package_manager, micropip.resolution.lock_plan; micropip.set_cache(True, path={fresh_cache()!r})",
                smoke, "lockfile"),
        }
        names = [m for m in modes if m in args.modes.split(",")] if args.modes else list(modes)
        runs: dict[str, list[dict]] = {name: [] for name in names}
        if "ours" in names:
            runs["warm"] = []
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[: rep % len(names)]
            for name in order:
                result = modes[name](rep == 0)
                runs[name].append(result)
                log(f"rep {rep + 1}/{args.reps} {name:15s} {result['install_ms']:8.0f} ms")
                if name == "ours":  # the warm re-install follows its own cold run
                    runs["warm"].append(warm(rep == 0))
                    log(f"rep {rep + 1}/{args.reps} {'warm':15s} {runs['warm'][-1]['install_ms']:8.0f} ms")
        if args.modes:
            return {"quick_median_install_ms": {n: round(median([r["install_ms"] for r in rs])) for n, rs in runs.items()},
                    "quick_median_bootstrap_ms": {n: round(median([r["load_micropip_ms"] + r["import_micropip_ms"] + r["first_use_ms"]
                                                                   for r in rs])) for n, rs in runs.items() if "first_use_ms" in rs[0]}}

        # The same installs over a shaped "network" (latency + bandwidth per connection), where
        # downloads cost what they cost on the web: the cache's effect shows there.
        net_runs: dict[str, list[float]] = {"ours": [], "warm": [], "reference": []}
        shaped_url = shaped.simple_url
        for rep in range(args.net_reps):
            net_cache = fresh_cache()
            for name, lock, code in (("ours", OUR_LOCK, f"micropip.set_cache(True, path={net_cache!r})"),
                                     ("warm", OUR_LOCK, f"micropip.set_cache(True, path={net_cache!r})"),
                                     ("reference", ref_lock, "pass")):
                r = run_micropip(node, lock, f"await micropip.install({list(corpus.ROOTS)!r})",
                                 f"import micropip.package_manager; micropip.set_index_urls([{shaped_url!r}]); {code}", False, f"net-{name}")
                net_runs[name].append(r["install_ms"])
                log(f"network rep {rep + 1}/{args.net_reps} {name:10s} {r['install_ms']:8.0f} ms")
        shutil.rmtree(cache_root, ignore_errors=True)
        backtrack = {"with_pep658_metadata": backtrack_bytes(node, fixtures.simple_url),
                     "without_metadata_files": backtrack_bytes(node, fixtures_no658.simple_url)}
    finally:
        if node is not None:
            node.close()
        index.stop()
        fixtures.stop()
        fixtures_no658.stop()
        shaped.stop()

    med = {name: median([r["install_ms"] for r in rs]) for name, rs in runs.items()}
    fastest = {name: min(r["install_ms"] for r in rs) for name, rs in runs.items()}
    uv_best = min(median(host["uv_no_cache"]), median(host["uv_fresh_cache"])) if args.host_reps else None
    ratios = {
        "cold_vs_floor": med["ours"] / med["floor"],
        "cold_vs_reference": med["ours"] / med["reference"],
        "lockfile_vs_floor": med["lockfile"] / med["floor"],
        "warm_vs_cold": med["warm"] / med["ours"],
        "backtrack_bytes_vs_chosen": backtrack["with_pep658_metadata"]["ratio_total_vs_chosen"],
        "host_lock_vs_uv": median(host["ours_cli"]) / uv_best if uv_best else None,
        # informational
        "reference_vs_floor": med["reference"] / med["floor"],
        "pyodide_unpack_vs_floor": med["pyodide_unpack"] / med["floor"],
        "cold_vs_pyodide_unpack": med["ours"] / med["pyodide_unpack"],
        "host_lock_in_process_vs_uv": median(host["ours_in_process"]) / uv_best if uv_best else None,
    }
    targets = {
        key: {"target": f"<= {limit}", "value": ratios[key],
              "met": None if ratios[key] is None else ratios[key] <= limit}
        for key, limit in TARGETS.items()
    }
    bootstrap = {
        who: {key: median([r[key] for r in runs[who]]) for key in ("load_micropip_ms", "import_micropip_ms", "first_use_ms")}
        for who in ("ours", "reference")
    }
    for b in bootstrap.values():
        b["total_ms"] = b["load_micropip_ms"] + b["import_micropip_ms"] + b["first_use_ms"]
    bootstrap["note"] = ("first_use_ms = import micropip.package_manager + set_index_urls(...), where ours imports its machinery; "
                         "install times exclude all of this for both")
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "node": subprocess.run(
            ["node", "--version"], capture_output=True, text=True).stdout.strip(), "pyodide": PYODIDE_VERSION},
        "corpus": {"roots": list(corpus.ROOTS), "wheels": len(wheels), "bytes": total_bytes,
                   "largest": max((p.stat().st_size, p.name) for p in wheels)[1],
                   "files_in_wheels": runs["floor"][0].get("files")},
        "reps": args.reps,
        "median_install_ms": med,
        "min_install_ms": fastest,
        "network": {
            "latency_ms": NET_LATENCY_S * 1000, "bandwidth_MB_per_s_per_connection": NET_BYTES_PER_S / 1e6,
            "median_install_ms": {k: median(v) for k, v in net_runs.items()} if args.net_reps else {},
            "runs_ms": net_runs,
            "warm_vs_cold": median(net_runs["warm"]) / median(net_runs["ours"]) if args.net_reps else None,
            "cold_vs_reference": median(net_runs["ours"]) / median(net_runs["reference"]) if args.net_reps else None,
        },
        "ratios_of_minimums": {"cold_vs_floor": fastest["ours"] / fastest["floor"],
                               "cold_vs_reference": fastest["ours"] / fastest["reference"],
                               "lockfile_vs_floor": fastest["lockfile"] / fastest["floor"]},
        "runs": runs,
        "ratios": ratios,
        "targets": targets,
        "warm_reinstall": ("each cold 'ours' run fills an empty cache folder (host disk, through Node's fs); 'warm' is "
                           "a new interpreter installing the same roots with that folder: index pages and metadata "
                           "are fetched again, wheels come from the cache, verified by sha256"),
        "bootstrap": bootstrap,
        "host_lock": {"how": how, "seconds": host, "median_s": {k: median(v) for k, v in host.items() if v},
                      "uv_baseline": "the faster of uv --no-cache and uv with a fresh --cache-dir (medians)"},
        "backtracking": backtrack,
    }


def print_table(result: dict) -> None:
    med = result["median_install_ms"]
    print(f"\nInstall of {len(result['corpus']['roots'])} roots = {result['corpus']['wheels']} wheels, "
          f"{result['corpus']['bytes'] / 1e6:.1f} MB ({result['corpus']['files_in_wheels']} files); "
          f"median of {result['reps']} (fresh interpreter each, start-up excluded)\n")
    print(f"  {'mode':34s} {'median':>9s} {'x floor':>8s} {'min':>9s} {'max':>9s}")
    labels = {"ours": "ours: micropip.install", "reference": "reference: micropip 0.11.1",
              "floor": "floor: fetch + zlib + FS.writeFile", "pyodide_unpack": "fetch + pyodide.unpackArchive",
              "lockfile": "ours: install_lockfile", "warm": "ours: warm re-install (new interp.)"}
    for key, label in labels.items():
        times = [r["install_ms"] for r in result["runs"][key]]
        print(f"  {label:34s} {med[key]:7.0f} ms {med[key] / med['floor']:7.2f}x {min(times):6.0f} ms {max(times):6.0f} ms")
    print("\n  target                                value     limit    met")
    for key, t in result["targets"].items():
        value = "n/a" if t["value"] is None else f"{t['value']:.2f}x"
        met = "not implemented" if t["met"] is None else ("MET" if t["met"] else "NOT MET")
        print(f"  {key:36s} {value:>8s} {t['target']:>8s}    {met}")
    b = result["bootstrap"]
    print("\n  bootstrap (median, ms)   loadPackage('micropip')  import micropip  first use (set_index_urls)   total")
    for who in ("ours", "reference"):
        print(f"  {who:24s} {b[who]['load_micropip_ms']:19.0f} {b[who]['import_micropip_ms']:16.1f} "
              f"{b[who]['first_use_ms']:27.1f} {b[who]['total_ms']:8.0f}")
    h = result["host_lock"]["median_s"]
    if h:
        print(f"\n  host lock (median, s): ours CLI {h['ours_cli']:.3f}, ours in-process {h['ours_in_process']:.3f}, "
              f"uv --no-cache {h['uv_no_cache']:.3f}, uv fresh cache dir {h['uv_fresh_cache']:.3f}")
    for variant, bt in result["backtracking"].items():
        kinds = bt["install_fetched_by_kind"]
        print(f"  backtracking fixture ({variant}): chose {', '.join(bt['chosen'])}; chosen wheels "
              f"{bt['chosen_wheel_bytes']} B; fetched {bt['install_fetched_bytes']} B in {bt['requests']} requests "
              f"(pages {kinds['index pages']}, metadata {kinds['metadata files']}, wheels {kinds['wheels']}) "
              f"= {bt['ratio_total_vs_chosen']:.2f}x all bytes, {bt['ratio_without_index_pages']:.2f}x without index pages, "
              f"{kinds['wheels'] / bt['chosen_wheel_bytes']:.2f}x wheel bytes only")
    print(f"  warm re-install: {result['warm_reinstall']}")
    net = result["network"]
    if net["median_install_ms"]:
        m = net["median_install_ms"]
        print(f"\n  over a shaped network ({net['latency_ms']:.0f} ms per answer, {net['bandwidth_MB_per_s_per_connection']:.0f} MB/s "
              f"per connection; median of {len(net['runs_ms']['ours'])}): ours {m['ours']:.0f} ms, warm {m['warm']:.0f} ms, "
              f"reference {m['reference']:.0f} ms; warm/cold {net['warm_vs_cold']:.2f}x, ours/reference {net['cold_vs_reference']:.2f}x")


def plot(result: dict, path: Path) -> None:
    r = result["ratios"]
    bars = [
        Bar("OURS / FLOOR", r["cold_vs_floor"], TARGETS["cold_vs_floor"]),
        Bar("OURS / REFERENCE", r["cold_vs_reference"], TARGETS["cold_vs_reference"]),
        Bar("LOCKFILE / FLOOR", r["lockfile_vs_floor"], TARGETS["lockfile_vs_floor"]),
        Bar("REFERENCE / FLOOR", r["reference_vs_floor"]),
        Bar("UNPACKARCHIVE / FLOOR", r["pyodide_unpack_vs_floor"]),
        Bar("WARM / COLD", r["warm_vs_cold"], TARGETS["warm_vs_cold"]),
        Bar("BACKTRACK BYTES / CHOSEN", r["backtrack_bytes_vs_chosen"], TARGETS["backtrack_bytes_vs_chosen"]),
        Bar("HOST LOCK / UV", r["host_lock_vs_uv"], TARGETS["host_lock_vs_uv"]),
    ]
    bar_chart(f"MICROPIP INSTALL BENCHMARK ({result['corpus']['wheels']} WHEELS, "
              f"{result['corpus']['bytes'] / 1e6:.1f} MB)", bars, path)


# ---- profile mode --------------------------------------------------------------------------------


def _profiled_install(node: Node, probe: str, simple_url: str, install_code: str) -> tuple[float, float, list[dict]]:
    """(wall ms, lazy import ms, phases) of one install in a fresh interpreter."""
    interp, _ = node.new(OUR_LOCK, ["micropip"])
    try:
        node.py(interp, probe)
        # micropip imports its machinery on first use (here imported explicitly): measured apart from the install.
        imported = node.py(interp, "import micropip")["ms"]
        imported += node.py(interp, f"import micropip.package_manager; micropip.set_index_urls([{simple_url!r}]); import micropip.resolution.lock_plan")["ms"]
        node.py(interp, "_bench_instrument()")
        wall = node.py(interp, install_code)["ms"]
        return wall, imported, json.loads(node.py(interp, "_bench_report()")["value"])
    finally:
        node.drop(interp)


LATENCY_S = 0.025  # added to every index answer in the latency experiment


class _Throttled:
    """A response stream that sends at most ``rate`` bytes per second (per connection)."""

    def __init__(self, raw, rate: float) -> None:
        self.raw, self.rate = raw, rate

    def write(self, data) -> int:
        view = memoryview(data)
        for start in range(0, len(view), 64 * 1024):
            chunk = view[start : start + 64 * 1024]
            self.raw.write(chunk)
            time.sleep(len(chunk) / self.rate)
        return len(view)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def shape_network(server, latency_s: float, bytes_per_s: float) -> None:
    """Make ``server`` answer like a network: ``latency_s`` before each answer, bodies at
    ``bytes_per_s`` (0: unlimited)."""
    from index_server import server as index_server_module

    handler = index_server_module._Handler
    if not getattr(handler, "_bench_shaped", False):
        original = handler._answer

        def _answer(self, *, head_only: bool) -> None:
            latency, rate = getattr(self.server, "bench_shape", (0.0, 0.0))
            if latency:
                time.sleep(latency)
            if rate:
                self.wfile = _Throttled(self.wfile, rate)
            try:
                original(self, head_only=head_only)
            finally:
                if rate:
                    self.wfile = self.wfile.raw

        handler._answer = _answer
        handler._bench_shaped = True
    server._httpd.bench_shape = (latency_s, bytes_per_s)


def prefetch_experiment(node: Node, probe: str, simple_url: str, reps: int) -> dict:
    """Install wall time: ours as is, ours with one fill for all roots, and the reference."""
    runs: dict[str, list[float]] = {"ours": [], "ours_prefetch_roots": [], "reference": []}
    resolve_ms: dict[str, list[float]] = {"ours": [], "ours_prefetch_roots": []}
    fills: dict[str, int] = {}
    for _ in range(reps):
        for name in runs:
            lock = corpus.REFERENCE_DIR / "pyodide-lock.json" if name == "reference" else OUR_LOCK
            interp, _ = node.new(lock, ["micropip"])
            try:
                node.py(interp, f"import micropip; import micropip.package_manager; micropip.set_index_urls([{simple_url!r}])")
                if name != "reference":
                    node.py(interp, probe)
                    # the experiment first, so the resolve() timer covers its extra fill
                    node.py(interp, f"_bench_experiment({'prefetch_roots' if name.endswith('roots') else 'baseline'!r})")
                    node.py(interp, "_bench_instrument()")
                runs[name].append(node.py(interp, f"await micropip.install({list(corpus.ROOTS)!r})")["ms"])
                if name != "reference":
                    rows = json.loads(node.py(interp, "_bench_report()")["value"])
                    fills[name] = next((r["calls"] for r in rows if r["label"].strip().startswith("fill:")), 0)
                    resolve_ms[name].append(next((r["ms"] for r in rows if r["label"].strip() == "resolve()"), 0.0))
            finally:
                node.drop(interp)
    return {"install_ms": {k: median(v) for k, v in runs.items()},
            "resolve_ms": {k: median(v) for k, v in resolve_ms.items()}, "fill_rounds": fills}


def _median_phases(phases: list[list[dict]]) -> list[dict]:
    table = []
    for row in phases[0]:
        values = [next((r["ms"] for r in rep if r["label"] == row["label"]), 0.0) for rep in phases]
        table.append({"label": row["label"], "median_ms": median(values), "calls": row["calls"], "concurrent": row["concurrent"]})
    return table


def profile(args) -> dict:
    wheels = corpus.prepare_corpus()
    prepare_reference()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    probe = (BENCH / "pyodide_probe.py").read_text()
    index = start_server(corpus.WHEEL_DIR, absolute_urls=True, extra_static={"/bench/": RUN_DIR})
    make_lock(index.simple_url, RUN_DIR / "lock.json")
    lock_url = f"{index.url}bench/lock.json"
    node = Node()
    roots = list(corpus.ROOTS)
    out: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "reps": args.profile_reps}
    try:
        for key, code in (("install", f"await micropip.install({roots!r})"),
                          ("install_lockfile", f"await micropip.install_lockfile({lock_url!r})")):
            walls, imports, phases = [], [], []
            for rep in range(args.profile_reps):
                wall, imported, rows = _profiled_install(node, probe, index.simple_url, code)
                walls.append(wall)
                imports.append(imported)
                phases.append(rows)
                log(f"profile {key} rep {rep + 1}: {wall:.0f} ms")
            out[key] = {"wall_ms": walls, "lazy_import_ms": imports, "phases": _median_phases(phases)}
            out[key]["summary"] = summarize_phases(out[key]["phases"], median(imports))

        interp, _ = node.new(OUR_LOCK, ["micropip"])
        try:
            node.py(interp, probe)
            node.py(interp, f"import micropip; import micropip.package_manager; micropip.set_index_urls([{index.simple_url!r}])")
            code = (f"import cProfile\n_prof = cProfile.Profile()\n_prof.enable()\n"
                    f"await micropip.install({roots!r})\n_prof.disable()\n_bench_cprofile_top(_prof)")
            answer = node.py(interp, code)
            out["cprofile"] = json.loads(answer["value"])
            out["cprofile"]["wall_ms_under_cprofile"] = answer["ms"]
        finally:
            node.drop(interp)

        # What-if: resolve with one fill for all roots (a bench-side patch of micropip.package_manager.resolve),
        # on plain loopback and with LATENCY_S added to every answer of the index (like a real network).
        slow = start_server(corpus.WHEEL_DIR, absolute_urls=True)
        shape_network(slow, LATENCY_S, 0.0)  # latency only
        try:
            out["experiment_prefetch_roots"] = {
                "loopback": prefetch_experiment(node, probe, index.simple_url, args.profile_reps),
                f"latency_{int(LATENCY_S * 1000)}ms": prefetch_experiment(node, probe, slow.simple_url, args.profile_reps),
                "host_create_lock_s": host_prefetch_experiment(index.simple_url, args.profile_reps),
            }
        finally:
            slow.stop()
        log(f"experiment prefetch_roots: {out['experiment_prefetch_roots']}")

        interp, _ = node.new(OUR_LOCK, ["micropip"])
        try:
            node.py(interp, probe)
            out["imports"] = json.loads(node.py(interp, "_bench_import_profile('import micropip, micropip.package_manager, "
                                                        "micropip.resolution.lock_plan')")["value"])
        finally:
            node.drop(interp)
        interp, _ = node.new(corpus.REFERENCE_DIR / "pyodide-lock.json", ["micropip"])
        try:
            node.py(interp, probe)
            out["imports_reference"] = json.loads(node.py(interp, "_bench_import_profile('import micropip')")["value"])
        finally:
            node.drop(interp)

        # Reference points in the same wasm interpreter: raw fetch, hashing and inflating speed.
        interp, _ = node.new(OUR_LOCK, [])
        try:
            urls = [f"{index.url}files/{p.name}" for p in wheels]
            code = f"""
import asyncio, hashlib, io, json, time, zipfile
from pyodide.http import pyfetch
async def _get(u):
    return await (await pyfetch(u)).bytes()
t = time.perf_counter(); blobs = await asyncio.gather(*(_get(u) for u in {urls!r})); fetch_par = time.perf_counter() - t
t = time.perf_counter(); [hashlib.sha256(b).digest() for b in blobs]; sha_whole = time.perf_counter() - t
t = time.perf_counter(); members = [z.read(i) for b in blobs for z in [zipfile.ZipFile(io.BytesIO(b))] for i in z.infolist()]; inflate = time.perf_counter() - t
t = time.perf_counter(); [hashlib.sha256(m).digest() for m in members]; sha_members = time.perf_counter() - t
json.dumps(dict(parallel_pyfetch_all_wheels_ms=fetch_par*1000, sha256_all_wheels_ms=sha_whole*1000,
                zipfile_inflate_all_members_ms=inflate*1000, sha256_all_members_ms=sha_members*1000,
                wheel_bytes=sum(map(len, blobs)), member_bytes=sum(map(len, members)), members=len(members)))
"""
            out["micro_wasm"] = json.loads(node.py(interp, code)["value"])
        finally:
            node.drop(interp)
    finally:
        node.close()
        index.stop()
    return out


def summarize_phases(phases: list[dict], lazy_import_ms: float) -> dict:
    """The install wall split into the concerns the issue asks about (ms, medians of the wrapped stages)."""
    ms = {row["label"].strip(): row["median_ms"] for row in phases}
    get = lambda label: ms.get(label, 0.0)  # noqa: E731
    total = get("install (all)") or get("install_lockfile (all)")
    hashing = get("hash: sha256 of each download") + get("hash: RECORD sha256 of every file") + get("hash: whole wheel again (PYODIDE_SHA256)")
    unzip = get("unzip: inflate members (zlib in wasm)") + get("zip: read central directory") + get("zip: path / zip-bomb checks")
    fs = get("FS: open+write per file") + get("FS: isdir/mkdir per file (journal)") + get("FS: lexists per file (journal)") + get("FS: native writeFile per wheel (JS)")
    planning = get("plan: conflicts, targets, RECORD") or get("per-dist targets + RECORD")
    # When nothing is replaced, each wheel is planned and written inside the fetch stage, as it arrives.
    nested = planning + fs if not get("plan: conflicts, targets, RECORD") else 0.0
    fetch_stage = get("fetch stage: fetch_all (download, sha256, unpack, verify; overlapped)")
    parts = {
        "resolver: fill rounds (network + page/metadata parsing)": get("fill: fetch pages+metadata (wall per round)"),
        "resolver: prefetch crawl (network waits) + resolvelib compute": get("resolve()") - get("fill: fetch pages+metadata (wall per round)"),
        "resolver: setup (environment, Pyodide lockfile, installed scan)": get("resolve stage (inputs, sources, resolve)") - get("resolve()"),
        "fetch: downloads + native inflate/hash in JS (overlapped)": fetch_stage - get("hash: sha256 of each download")
            - get("verify: install_item (all wheels)") - nested,
        "hashing: sha256 (downloads, RECORD files, wheel again)": hashing,
        "unzip: inflate + zip directory + checks": unzip,
        "verify: other WheelFile checks (METADATA, WHEEL, RECORD parse)": get("WheelFile.from_bytes / from_archive") - unzip - get("hash: RECORD sha256 of every file"),
        "install planning: targets, conflicts, RECORD text": planning,
        "FS writes: open/write (Python and JS) + journal isdir/lexists/mkdir": fs,
        "lockfile plan (install_lockfile only)": get("lockfile: plan_from_lockfile") + (get("target environment (tags, markers)") if get("install_lockfile (all)") else 0.0),
    }
    parts["other (glue, event loop)"] = total - sum(parts.values())
    out = {k: {"ms": round(v, 1), "share": round(v / total, 3) if total else None} for k, v in parts.items() if v or k.startswith("other")}
    out["import micropip + first use (measured apart, not in the wall)"] = {"ms": round(lazy_import_ms, 1), "share": None}
    return {"install_wall_ms": round(total, 1), "parts": out}


def print_profile(result: dict) -> None:
    for key in ("install", "install_lockfile"):
        part = result[key]
        print(f"\nProfile of ours: {key} (median of {result['reps']}): wall {median(part['wall_ms']):.0f} ms "
              f"(+ {median(part['lazy_import_ms']):.0f} ms for import micropip + first use, measured apart)")
        for row in part["phases"]:
            note = "  (sum over concurrent calls)" if row["concurrent"] and row["calls"] > 1 else ""
            print(f"  {row['label']:58s} {row['median_ms']:9.1f} ms  x{row['calls']}{note}")
        print(f"  -- by concern (of {part['summary']['install_wall_ms']:.0f} ms):")
        for label, v in part["summary"]["parts"].items():
            share = "" if v["share"] is None else f"{100 * v['share']:5.1f} %"
            print(f"     {label:66s} {v['ms']:8.1f} ms {share}")
    for key in ("imports", "imports_reference"):
        imp = result[key]
        print(f"\n  {key}: {imp['statement']}: {imp['total_ms']:.0f} ms, {imp['modules_loaded']} modules; own time by package: "
              + ", ".join(f"{k} {v:.0f}" for k, v in list(imp["self_by_top_level_package"].items())[:10]))
        print("    slowest modules (own ms): " + ", ".join(f"{r['module']} {r['self_ms']:.0f}" for r in imp["by_self"][:12]))
    exp = result["experiment_prefetch_roots"]
    print("\n  what-if one fill for all roots (install / resolve() median ms; reference = micropip 0.11.1):")
    for key, e in exp.items():
        if key.startswith("host"):
            continue
        i, r, f = e["install_ms"], e["resolve_ms"], e["fill_rounds"]
        print(f"    {key:14s} ours {i['ours']:6.0f} (resolve {r['ours']:5.0f}, {f['ours']} fills)   "
              f"prefetching {i['ours_prefetch_roots']:6.0f} (resolve {r['ours_prefetch_roots']:5.0f}, "
              f"{f['ours_prefetch_roots']} fill)   reference {i['reference']:6.0f}")
    h = exp["host_create_lock_s"]
    print(f"    host create_lock in-process: {h['baseline']:.3f} s -> {h['prefetch_roots']:.3f} s")
    print("\n  wasm reference points:", json.dumps({k: round(v, 1) for k, v in result["micro_wasm"].items()}))
    print(f"\n  cProfile (install {result['cprofile']['wall_ms_under_cprofile']:.0f} ms under the profiler), top own time:")
    for row in result["cprofile"]["by_tottime"][:25]:
        print(f"    {row['tottime_ms']:8.1f} ms own {row['cumtime_ms']:9.1f} ms cum {row['calls']:7d}x  {row['func']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each install mode (interleaved)")
    parser.add_argument("--host-reps", type=int, default=5, help="repetitions of the host lock comparison")
    parser.add_argument("--net-reps", type=int, default=3, help="repetitions over the shaped network (0: skip)")
    parser.add_argument("--modes", default="", help="quick look: only these install modes (comma-separated); "
                        "the result is printed, not saved")
    parser.add_argument("--profile", action="store_true", help="profile our install instead of benchmarking")
    parser.add_argument("--profile-reps", type=int, default=3)
    parser.add_argument("--out", default=None, help="result JSON (default bench/results/latest.json or profile.json)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    from pyodide_pm.bundle import write_bundle

    write_bundle(OUR_LOCK.parent, for_node=True)  # the code in this checkout, never a stale build; Node: bare names
    try:
        if args.profile:
            result = profile(args)
            print_profile(result)
            out = Path(args.out) if args.out else RESULTS / "profile.json"
        elif args.modes:
            print(json.dumps(benchmark(args)))
            return 0
        else:
            result = benchmark(args)
            print_table(result)
            out = Path(args.out) if args.out else RESULTS / "latest.json"
            plot(result, out.with_suffix(".png"))
            log(f"plot: {out.with_suffix('.png')}")
    except (BenchError, corpus.CorpusError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    log(f"results: {out} ({result['bench_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real-network speed: ours vs micropip 0.11.1 on a recorded slice of PyPI, over a shaped link.

    bash bench/network.sh                                   # set-up, recording if missing, the benchmark
    .venv/bin/python bench/network.py --roots rich,pydantic --reps 2 --settings 100ms   # a quick look

Every install is one root in a fresh Pyodide interpreter (``bench/runner.mjs``), ours and
the reference interleaved, against ``replay.ReplayServer`` serving the recording made by
``bench/record.py`` with a latency before every answer and a bandwidth per connection.
Pyodide's lockfile is emptied for both micropips (its packages live on a CDN this
machine cannot reach): every project comes from the recorded index. Then a Chromium page
on the same link times ``loadPyodide()`` -> ``await micropip.install("rich")`` -> ``import
rich`` for each micropip, the bundle download included (the Pyodide runtime itself is
served on loopback without shaping, the same for both).

Results: ``bench/results/network.json`` and ``bench/results/network.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import corpus  # noqa: E402
import net_corpus  # noqa: E402
import run  # noqa: E402  (the Node runner protocol, the reference pin)
from png_chart import Bar, bar_chart  # noqa: E402
from replay import Recording, ReplayServer  # noqa: E402

WORK = corpus.CACHE / "network"
RESULTS = BENCH / "results"
LOG = WORK / "node-stderr.log"
# loadPyodide() is the same code for both micropips, yet its time in Chromium spread from 2.24 s
# to 3.06 s over 11 runs of one session: with 5 runs that noise alone moved the bootstrap's
# median ratio by about 5 %, either way. More runs (about 4 s each) let the medians settle.
BOOTSTRAP_MIN_REPS = 11
SETTINGS = {  # name -> (latency before each answer in s, bytes per second per connection)
    "100ms": (0.100, 20e6 / 8),
    "30ms": (0.030, 100e6 / 8),
}
SETTING_LABELS = {"100ms": "100 ms / 20 Mbit/s", "30ms": "30 ms / 100 Mbit/s"}


def log(message: str) -> None:
    print(f"[network] {message}", file=sys.stderr, flush=True)


# ---- the two micropips -----------------------------------------------------------------------


def _emptied_lock(lock: dict, keep: set[str]) -> dict:
    """Pyodide's lockfile with only ``keep`` and what they depend on (files that exist beside it)."""
    from replay import normalize
    packages = lock["packages"]
    key_of = {normalize(key): key for key in packages}  # "depends" may spell a name otherwise
    todo, kept = list(keep), {}
    while todo:
        name = key_of[normalize(todo.pop())]
        if name in kept:
            continue
        kept[name] = packages[name]
        todo.extend(packages[name].get("depends", []))
    return {**lock, "packages": kept}


def prepare_micropips() -> dict[str, Path]:
    """{"ours": lock, "reference": lock}: each lock beside its wheels, Pyodide's packages removed."""
    from pyodide_pm.bundle import write_bundle
    ours = WORK / "ours"
    shutil.rmtree(ours, ignore_errors=True)
    write_bundle(ours, for_node=True)  # always the code of this checkout; run under Node: bare names
    lock_path = ours / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    shipped = {"micropip-bytecode"} & set(lock["packages"])  # fetched by the first install, loaded by no page
    lock_path.write_text(json.dumps(_emptied_lock(lock, {"micropip", *shipped})))

    ref = WORK / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    pin = corpus.REFERENCE_MICROPIP
    corpus.fetch((pin,), ref)
    lock = json.loads(run.PYODIDE_LOCK.read_text())
    lock["packages"]["micropip"].update(file_name=pin.filename, sha256=pin.sha256, depends=[])  # it vendors packaging
    (ref / "pyodide-lock.json").write_text(json.dumps(_emptied_lock(lock, {"micropip"})))
    return {"ours": lock_path, "reference": ref / "pyodide-lock.json"}


def over_the_link(lock_path: Path, server: ReplayServer, mount: str) -> None:
    """Under Node a lock names its files by paths on this disk, read with no latency. What our
    micropip fetches itself during a timed install (its bytecode part, ``micropip-bytecode``)
    comes over the shaped link instead, from ``server``'s static ``mount`` of the lock's folder,
    as a page gets it."""
    lock = json.loads(lock_path.read_text())
    entry = lock["packages"].get("micropip-bytecode")
    if entry is not None:
        entry["file_name"] = f"{server.url}static/{mount}/{Path(entry['file_name']).name}"
        lock_path.write_text(json.dumps(lock))


def standin_names(lock: dict) -> list[str]:
    """The lockfile entries the lock roots take from the stand-in folder (``net_corpus.LOCK_STANDINS``)."""
    return sorted(set(_emptied_lock(lock, set(net_corpus.LOCK_STANDINS))["packages"]))


def prepare_standin_locks(recording: Recording, locks: dict[str, Path]) -> list[str]:
    """Beside each micropip's lockfile, ``net_corpus.STANDIN_LOCK``: the same lock plus Pyodide's
    entries for the stand-ins, each pointing at the PyPI wheel of that version copied beside it
    (its sha256 rewritten: Pyodide checks it as subresource integrity). Returns what is missing."""
    from replay import PYPI_SIMPLE, normalize
    pyodide_lock = json.loads(run.PYODIDE_LOCK.read_text())
    entries, missing = {}, []
    for name in standin_names(pyodide_lock):
        entry = dict(pyodide_lock["packages"][name])
        page = recording.get(f"{PYPI_SIMPLE}{normalize(entry['name'])}/")
        files = json.loads(recording.body(page))["files"] if page is not None and page["status"] == 200 else []
        found = [recording.get(f["url"]) for f in files if f["filename"] == entry["file_name"]]
        if not found or found[0] is None or found[0]["status"] != 200:
            missing.append(entry["file_name"])
            continue
        entries[name] = (entry, recording.body(found[0]), found[0]["sha256"])
    if missing:
        return missing
    for who, lock_path in locks.items():
        lock = json.loads(lock_path.read_text())
        for name, (entry, body, sha256) in entries.items():
            (lock_path.parent / entry["file_name"]).write_bytes(body)
            lock["packages"][name] = {**entry, "sha256": sha256}
        (lock_path.parent / net_corpus.STANDIN_LOCK).write_text(json.dumps(lock))
    return []


def index_url_for(who: str, server: ReplayServer) -> str:
    # The reference appends "/<name>/" itself (its docs show "https://pypi.org/simple").
    return server.simple_url if who == "ours" else server.simple_url.rstrip("/")


# ---- Node, with a time limit ---------------------------------------------------------------------


class TimedNode(run.Node):
    """``bench/runner.mjs`` whose answers are awaited at most ``limit_s`` (then it is killed)."""

    def __init__(self) -> None:  # noqa: D107 - run.Node.__init__ with stderr to a log and a reader thread
        WORK.mkdir(parents=True, exist_ok=True)
        self._stderr = open(LOG, "a")
        self.proc = subprocess.Popen(
            ["node", "--expose-gc", str(BENCH / "runner.mjs")], cwd=REPO,
            env=dict(os.environ, PYODIDE_PM_NO_CACHE="1"),  # cold: no wheel cache for ours
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1)
        self._id = 0
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.limit_s = 600.0
        if not self._read().get("ready"):
            raise run.BenchError("bench/runner.mjs did not start")

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")

    def _read(self) -> dict:
        try:
            line = self._lines.get(timeout=self.limit_s)
        except queue.Empty:
            self.proc.kill()
            raise TimeoutError(f"bench/runner.mjs gave no answer in {self.limit_s:.0f} s (killed)") from None
        if not line:
            raise run.BenchError(f"bench/runner.mjs exited (code {self.proc.poll()})")
        return json.loads(line)

    def close(self) -> None:
        super().close()
        self._stderr.close()


INSTALL_CODE = """
import asyncio, importlib, importlib.metadata, json, time, traceback
_t0 = time.perf_counter()
import micropip
import micropip.package_manager; micropip.set_index_urls([{index!r}])  # ours: its machinery imported up front, as the reference does
_import_ms = (time.perf_counter() - _t0) * 1000
_t = time.perf_counter()
_r = {{"ok": False}}
try:
    await asyncio.wait_for(micropip.install({root!r}), {timeout!r})
    _r["ok"] = True
except (asyncio.TimeoutError, TimeoutError):
    _r["timeout"] = True
    _r["error"] = "timeout after {timeout} s"
except BaseException:
    _r["error"] = traceback.format_exc()
_r["ms"] = (time.perf_counter() - _t) * 1000
_r["import_ms"] = _import_ms
if _r["ok"]:
    importlib.invalidate_caches()
    try:
        _r["version"] = importlib.metadata.version({root!r})
    except Exception as _e:
        _r.update(ok=False, error="install returned but the root is not installed: " + repr(_e))
_r["dists"] = len(list(importlib.metadata.distributions()))
if _r["ok"]:
    try:
        _r["levels"] = _levels({root!r})
    except Exception as _e:  # only feeds the floor; never fails a run
        _r["levels_error"] = repr(_e)
json.dumps(_r)
"""

# Run after an install, in the same interpreter: how many dependency hops each installed
# distribution is from the root (the root is 1), by the shortest path through the installed
# METADATA with markers evaluated. No resolver can learn a project's name sooner than that.
LEVELS_CODE = """
def _levels(root):
    try:
        from packaging.markers import default_environment
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name
    except ImportError:  # micropip 0.11.1 vendors its own copy
        from micropip._vendored.packaging.src.packaging.markers import default_environment
        from micropip._vendored.packaging.src.packaging.requirements import Requirement
        from micropip._vendored.packaging.src.packaging.utils import canonicalize_name
    env = default_environment()
    out, todo, seen = {{}}, [(canonicalize_name(root), frozenset(), 1)], set()
    while todo:
        todo.sort(key=lambda t: t[2])
        name, extras, level = todo.pop(0)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        out[name] = min(out.get(name, level), level)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is not None and not any(req.marker.evaluate(dict(env, extra=e)) for e in (sorted(extras) or [""])):
                continue
            child = canonicalize_name(req.name)
            if (child, frozenset(req.extras)) not in seen:
                todo.append((child, frozenset(req.extras), level + 1))
    return out
"""


STOP_IDLE_CODE = """
import sys
_bc = sys.modules.get("micropip.installation.bytecode")
if _bc is not None and hasattr(_bc, "stop_idle"):
    _bc.stop_idle()
"""


class Runner:
    """Fresh interpreters, one install each; Node restarted after a hard time-out."""

    def __init__(self, locks: dict[str, Path], *, empty_cache: bool = True) -> None:
        self.locks = locks
        self.empty_cache = empty_cache  # ours with its persistent cache on and empty (else off)
        self.node: TimedNode | None = None

    def install(self, who: str, root: str, index: str, timeout_s: float) -> dict:
        return self.run(who, LEVELS_CODE.format() + INSTALL_CODE.format(index=index, root=root, timeout=timeout_s), timeout_s)

    def run(self, who: str, code: str, timeout_s: float) -> dict:
        """``code`` in a fresh interpreter of ``who``'s micropip; its last expression is a JSON string."""
        if self.node is None or self.node.proc.poll() is not None:
            self.node = TimedNode()
        node = self.node
        node.limit_s = 120.0
        try:
            interp, _ = node.new(self.locks[who], ["micropip"])
        except (run.BenchError, TimeoutError) as exc:
            self._restart()
            return {"ok": False, "error": f"interpreter start failed: {exc}", "ms": None}
        node.limit_s = timeout_s + 60  # asyncio.wait_for should fire first; this catches a wedged interpreter
        prelude, folder = "", None
        if who == "ours" and self.empty_cache:  # as on a new visitor's page: on, and empty
            import tempfile
            folder = tempfile.mkdtemp(prefix="bench-cache-", dir=WORK)
            prelude = f"import micropip\nmicropip.set_cache(True, path={folder!r})\n"
        try:
            result = json.loads(node.py(interp, prelude + code)["value"])
        except TimeoutError as exc:
            self._restart()
            return {"ok": False, "timeout": True, "error": str(exc), "ms": node.limit_s * 1000}
        except run.BenchError as exc:  # the install code itself failed outside the try (should not happen)
            result = {"ok": False, "error": str(exc), "ms": None}
        try:
            node.limit_s = 60
            if who == "ours":
                # After an install ours compiles the new modules in idle time. A dropped
                # interpreter's timers go on in this Node process and took CPU from the next
                # runs (whoever's: 2x on some backtracking cases); a page has one interpreter.
                node.py(interp, STOP_IDLE_CODE)
            node.drop(interp)
        except (run.BenchError, TimeoutError):
            self._restart()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        return result

    def _restart(self) -> None:
        if self.node is not None:
            try:
                self.node.proc.kill()
                self.node.close()
            except Exception:  # noqa: BLE001
                pass
        self.node = None

    def close(self) -> None:
        if self.node is not None:
            self.node.close()


# ---- Chromium bootstrap ----------------------------------------------------------------------------


# Micropip 0.11.1 looks in Pyodide's lockfile first only when the index is its default
# (PyPI): with any other URL it asks that index first and falls back to the lock. A notebook
# on PyPI meets the first behaviour; this makes the replay its default index to measure it.
REFERENCE_REPLAY_IS_DEFAULT = "import micropip.package_index as _pi\n_pi.DEFAULT_INDEX_URLS = [_index]"


def bootstrap_runs(server: ReplayServer, reps: int, timeout_s: float, *, pkg: str = net_corpus.BOOTSTRAP_PACKAGE,
                   module: str | None = None, lock_name: str = "pyodide-lock.json",
                   pre: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """``loadPyodide()`` to ``import <module>`` after ``install(pkg)`` in Chromium, ours and the
    reference interleaved; ``lock_name`` is the lockfile beside each micropip's bundle, ``pre``
    Python each runs between ``import micropip`` and the install."""
    from urllib.parse import urlencode

    from index_server.server import start_static_server
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "tests"))
    from harness.browser import launch_chromium

    static = start_static_server({"/pyodide/": run.PYODIDE_LOCK.parent, "/bench/": BENCH})
    out: dict[str, list[dict]] = {"ours": [], "reference": []}
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for rep in range(reps):
                    for who in (("ours", "reference") if rep % 2 == 0 else ("reference", "ours")):
                        query = {"lock": f"{server.url}static/{who}/{lock_name}", "index": index_url_for(who, server),
                                 "pkg": pkg, "module": module or pkg, "pre": (pre or {}).get(who, "")}
                        url = static.url + "bench/network_page.html?" + urlencode(query)
                        context = browser.new_context()  # a new profile: empty HTTP cache and Cache Storage
                        page = context.new_page()
                        server.reset_stats()
                        try:
                            page.goto(url)
                            page.wait_for_function("window.benchResult", timeout=timeout_s * 1000)
                            result = page.evaluate("window.benchResult")
                        except Exception as exc:  # noqa: BLE001 - a time-out is a result
                            result = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:500]}", "timeout": True}
                        finally:
                            context.close()
                        stats = server.reset_stats()
                        result["replay"] = stats.snapshot()
                        result["index_requests"] = sum(1 for p in stats.paths if p.startswith("/simple/"))
                        out[who].append(result)
                        log(f"chromium {pkg} rep {rep + 1}/{reps} {who:9s} "
                            + (f"{result['total_ms']:7.0f} ms (install {result['install_ms']:.0f} ms, "
                               f"{result['index_requests']} index pages)"
                               if result.get("ok") else f"FAILED {result.get('error', '')[:200]}"))
            finally:
                browser.close()
    finally:
        static.stop()
    return out


# ---- the benchmark -----------------------------------------------------------------------------


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def summarize(runs: list[dict]) -> dict:
    oks = [r["ms"] for r in runs if r.get("ok")]
    fails = [r for r in runs if not r.get("ok")]
    out = {"n": len(runs), "ok": len(oks), "timeouts": sum(1 for r in fails if r.get("timeout")),
           "errors": len(fails) - sum(1 for r in fails if r.get("timeout"))}
    if oks and len(oks) == len(runs):
        out["status"], out["median_ms"] = "ok", statistics.median(oks)
        # What a user's first cell waits for in a fresh interpreter: `import micropip` too
        # (the reference imports its whole package up front, ours on first use).
        out["median_ms_with_import"] = statistics.median(r["ms"] + r.get("import_ms", 0) for r in runs)
        out["median_import_ms"] = statistics.median(r.get("import_ms", 0) for r in runs)
        floors = [r["floor_ms"] for r in runs if r.get("floor_ms")]
        out["floor_ms"] = statistics.median(floors) if floors else None
    elif not oks and not out["timeouts"]:
        out["status"] = "error"
        out["median_ms_to_error"] = statistics.median([r["ms"] for r in fails if r.get("ms") is not None] or [0])
    elif not oks:
        out["status"] = "timeout"
    else:
        out["status"] = "flaky"
        out["median_ms"] = statistics.median(oks)
    if fails:
        out["last_error"] = fails[-1].get("error", "")[-3000:]
        out["versions"] = sorted({r.get("version") for r in runs if r.get("version")})
    else:
        out["versions"] = sorted({r.get("version") for r in runs})
    out["misses"] = sorted({m for r in runs for m in r.get("replay", {}).get("misses", [])})
    out["requests"] = statistics.median([r.get("replay", {}).get("requests", 0) for r in runs])
    out["bytes_sent"] = statistics.median([r.get("replay", {}).get("bytes_sent", 0) for r in runs])
    return out


def compare(ours: dict, ref: dict) -> dict:
    if ours["status"] == "ok" and ref["status"] == "ok":
        return {"kind": "both_ok", "ratio": ours["median_ms"] / ref["median_ms"],
                "ratio_with_import": ours["median_ms_with_import"] / ref["median_ms_with_import"]}
    if ours["status"] == "error" and ref["status"] == "error":
        return {"kind": "dead_end", "ratio": ours["median_ms_to_error"] / max(ref["median_ms_to_error"], 1e-3)}
    return {"kind": f"ours_{ours['status']}/reference_{ref['status']}", "ratio": None}


def network_floor(server: ReplayServer, paths: list[str], levels: dict[str, int] | None,
                  latency_s: float, bytes_per_s: float) -> float | None:
    """A lower bound on any installer's time for this run's result, in ms.

    A project ``level`` hops below the root is named only by its parent's metadata, so
    fetching its wheel needs at least ``2 * level`` requests one after another (page, then
    metadata or wheel, at each level), each waiting the latency, plus its own page and
    wheel crossing the link. The floor is the worst such chain; CPU time counts as zero.
    """
    from urllib.parse import unquote, urlsplit

    from replay import PYPI_FILES, PYPI_SIMPLE, normalize
    if not levels:
        return None
    wheel_bytes: dict[str, int] = {}
    for path in paths:
        part = unquote(urlsplit(path).path)
        if part.startswith("/files/") and part.endswith(".whl"):
            entry = server.recording.get(PYPI_FILES + part[len("/files/"):])
            if entry is not None:
                wheel_bytes[normalize(part.rsplit("/", 1)[1].split("-")[0])] = entry["size"]
    worst = 0.0
    for name, level in levels.items():
        if name not in wheel_bytes:
            continue  # already in the interpreter (micropip's own dependencies): nothing fetched
        page_bytes = server.compressed_size(f"{PYPI_SIMPLE}{name}/") or 0
        worst = max(worst, 2 * level * latency_s + (page_bytes + wheel_bytes[name]) / bytes_per_s)
    return worst * 1000


def bench_setting(runner: Runner, server: ReplayServer, roots: list[str], reps: int, timeout_s: float, name: str) -> dict:
    runs: dict[str, dict[str, list[dict]]] = {root: {"ours": [], "reference": []} for root in roots}
    for rep in range(reps):
        for i, root in enumerate(roots):
            order = ("ours", "reference") if (rep + i) % 2 == 0 else ("reference", "ours")
            for who in order:
                late = server.wait_quiet()  # the previous run's abandoned requests stay out of this one
                if late:
                    log(f"[{name}] waited for {late} late request(s) of the previous run to stop")
                server.reset_stats()
                result = runner.install(who, root, index_url_for(who, server), timeout_s)
                stats = server.reset_stats()
                result["replay"] = stats.snapshot()
                result["floor_ms"] = network_floor(server, stats.paths, result.get("levels"), *SETTINGS[name])
                runs[root][who].append(result)
                state = "ok" if result.get("ok") else ("TIMEOUT" if result.get("timeout") else "error")
                misses = f" misses={len(result['replay']['misses'])}" if result["replay"]["misses"] else ""
                ms = result.get("ms")
                log(f"[{name}] rep {rep + 1}/{reps} {root:18s} {who:9s} {state:7s} "
                    f"{(ms or 0):8.0f} ms {result['replay']['requests']:4d} req{misses}")
    per_root = {}
    for root, by in runs.items():
        s = {who: summarize(rs) for who, rs in by.items()}
        s["compare"] = compare(s["ours"], s["reference"])
        per_root[root] = s
    ok_ratios = [r["compare"]["ratio"] for r in per_root.values() if r["compare"]["kind"] == "both_ok"]
    ok_ratios_import = [r["compare"]["ratio_with_import"] for r in per_root.values() if r["compare"]["kind"] == "both_ok"]
    floor_ratios = [r["ours"]["floor_ms"] / r["reference"]["median_ms"] for r in per_root.values()
                    if r["compare"]["kind"] == "both_ok" and r["ours"].get("floor_ms")]
    dead_ratios = [r["compare"]["ratio"] for r in per_root.values() if r["compare"]["kind"] == "dead_end"]
    return {
        "per_root": per_root,
        "geomean_ours_vs_reference": geomean(ok_ratios),
        "geomean_with_import_ours_vs_reference": geomean(ok_ratios_import),
        # The best any installer could score against the reference (see network_floor).
        "geomean_floor_vs_reference": geomean(floor_ratios),
        "roots_above_reference": sorted(k for k, r in per_root.items() if r["compare"]["kind"] == "both_ok" and r["compare"]["ratio"] > 1.0),
        "roots_in_geomean": sum(1 for r in per_root.values() if r["compare"]["kind"] == "both_ok"),
        "geomean_time_to_error_ours_vs_reference": geomean(dead_ratios),
        "dead_ends": [k for k, r in per_root.items() if r["compare"]["kind"] == "dead_end"],
        "mismatched": {k: r["compare"]["kind"] for k, r in per_root.items() if r["compare"]["kind"] not in ("both_ok", "dead_end")},
        "runs": runs,
    }


def summarize_bootstrap(runs: dict[str, list[dict]]) -> dict:
    out: dict = {}
    for who, rs in runs.items():
        oks = [r for r in rs if r.get("ok")]
        out[who] = {"n": len(rs), "ok": len(oks),
                    "median_ms": {k: statistics.median([r[k] for r in oks]) for k in
                                  ("total_ms", "load_pyodide_ms", "load_micropip_ms", "install_ms", "import_ms")} if oks else None,
                    "index_requests": sorted({r.get("index_requests") for r in oks}),
                    "errors": [r.get("error", "")[-2000:] for r in rs if not r.get("ok")][:3]}
    if out["ours"]["median_ms"] and out["reference"]["median_ms"]:
        out["ratio_total_ours_vs_reference"] = out["ours"]["median_ms"]["total_ms"] / out["reference"]["median_ms"]["total_ms"]
        out["ratio_install_ours_vs_reference"] = (
            out["ours"]["median_ms"]["install_ms"] / out["reference"]["median_ms"]["install_ms"])
    out["runs"] = runs
    return out


def recording_summary(recording: Recording) -> dict:
    kinds = {"pages": 0, "metadata": 0, "wheels": 0, "not_found": 0}
    size = {"pages": 0, "metadata": 0, "wheels": 0}
    for url, e in recording.entries.items():
        if e["status"] != 200:
            kinds["not_found"] += 1
            continue
        kind = "pages" if "/simple/" in url else "metadata" if url.endswith(".metadata") else "wheels"
        kinds[kind] += 1
        size[kind] += e["size"]
    return {"counts": kinds, "bytes": size, "info": recording.info}


def print_table(result: dict) -> None:
    for name, s in result["settings"].items():
        print_setting(name, s, result["reps"])
    for name, b in result.get("bootstrap", {}).items():
        print_bootstrap(name, b)
    for name, per_root in result.get("lock_roots", {}).items():
        print_lock_roots(name, per_root)


def print_setting(name: str, s: dict, reps: int) -> None:
    print(f"\n{SETTING_LABELS.get(name, name)} (latency before each answer, bandwidth per connection); "
          f"median of {reps} per root; install of one root in a fresh interpreter")
    print(f"  {'root':18s} {'ours':>10s} {'reference':>10s} {'ours/ref':>9s} {'+import':>8s} {'floor':>8s} {'floor/ref':>9s}  notes")
    for root, r in s["per_root"].items():
        cells = []
        for who in ("ours", "reference"):
            x = r[who]
            if x["status"] == "ok":
                cells.append(f"{x['median_ms'] / 1000:8.2f} s")
            elif x["status"] == "error":
                cells.append(f"E{x['median_ms_to_error'] / 1000:7.2f} s")
            elif x["status"] == "flaky":
                cells.append(f"~{x['median_ms'] / 1000:7.2f} s")
            else:
                cells.append(f"{'TIMEOUT':>10s}")
        ratio = r["compare"]["ratio"]
        notes = []
        if r["compare"]["kind"] not in ("both_ok", "dead_end"):
            notes.append(r["compare"]["kind"])
        for who in ("ours", "reference"):
            if r[who]["status"] != "ok" and r[who].get("last_error"):
                notes.append(f"{who}: " + r[who]["last_error"].strip().splitlines()[-1][:110])
            if r[who]["misses"]:
                notes.append(f"{who}: {len(r[who]['misses'])} replay misses")
        with_import = r["compare"].get("ratio_with_import")
        print(f"  {root:18s} {cells[0]:>10s} {cells[1]:>10s} {('%.2fx' % ratio) if ratio else '-':>9s} "
              f"{('%.2fx' % with_import) if with_import else '-':>8s} {floor_cell(r):>8s} {floor_ratio_cell(r):>9s}  {' | '.join(notes)}")
    g = s["geomean_ours_vs_reference"]
    print(f"  geometric mean ours/reference over {s['roots_in_geomean']} roots both installed: "
          f"{g:.3f}x (install only), {s['geomean_with_import_ours_vs_reference']:.3f}x (import micropip + install)"
          if g else "  no root installed with both")
    print(f"  roots above the reference (install only): {', '.join(s['roots_above_reference']) or 'none'}")
    if s.get("geomean_floor_vs_reference"):
        print(f"  network floor / reference geomean: {s['geomean_floor_vs_reference']:.3f}x (no installer can go below this)")
    if s["geomean_time_to_error_ours_vs_reference"]:
        print(f"  dead ends ({', '.join(s['dead_ends'])}): time to error ours/reference geomean "
              f"{s['geomean_time_to_error_ours_vs_reference']:.3f}x")


def floor_cell(r: dict) -> str:
    floor = r["ours"].get("floor_ms")
    return f"{floor / 1000:6.2f} s" if floor else "-"


def floor_ratio_cell(r: dict) -> str:
    floor, ref = r["ours"].get("floor_ms"), r["reference"].get("median_ms")
    return f"{floor / ref:.2f}x" if floor and ref and r["compare"]["kind"] == "both_ok" else "-"


def print_bootstrap(name: str, b: dict) -> None:
    print(f"\nChromium bootstrap on {SETTING_LABELS.get(name, name)}: loadPyodide() to `import rich`, median")
    for who in ("ours", "reference"):
        m = b[who]["median_ms"]
        if m:
            print(f"  Chromium bootstrap {who:9s}: {m['total_ms'] / 1000:.2f} s (loadPyodide {m['load_pyodide_ms']:.0f} ms, "
                  f"loadPackage micropip {m['load_micropip_ms']:.0f} ms, install rich {m['install_ms']:.0f} ms, "
                  f"import {m['import_ms']:.0f} ms) ok {b[who]['ok']}/{b[who]['n']}")
        else:
            print(f"  Chromium bootstrap {who:9s}: failed: {b[who]['errors'][:1]}")
    if b.get("ratio_total_ours_vs_reference"):
        print(f"  Chromium bootstrap ours/reference: {b['ratio_total_ours_vs_reference']:.3f}x")


def print_lock_roots(name: str, per_root: dict) -> None:
    print(f"\nLock roots on {SETTING_LABELS.get(name, name)} (Chromium; Pyodide's lockfile with stand-ins "
          f"for {', '.join(net_corpus.LOCK_STANDINS)} and their dependencies), median")
    print(f"  {'root':10s} {'ours install':>13s} {'reference':>10s} {'ours/ref':>9s} {'index pages ours/ref':>21s}  notes")
    for root, b in per_root.items():
        m = {who: b[who]["median_ms"] for who in ("ours", "reference")}
        ratio = b.get("ratio_install_ours_vs_reference")
        pages = f"{b['ours']['index_requests']}/{b['reference']['index_requests']}"
        notes = "; ".join(f"{who} failed: {b[who]['errors'][0][-150:]}" for who in ("ours", "reference") if b[who]["errors"])
        print(f"  {root:10s} {(m['ours']['install_ms'] / 1000 if m['ours'] else float('nan')):11.2f} s "
              f"{(m['reference']['install_ms'] / 1000 if m['reference'] else float('nan')):8.2f} s "
              f"{('%.2fx' % ratio) if ratio else '-':>9s} {pages:>21s}  {notes}")


def plot(result: dict, path: Path) -> None:
    bars = []
    for name in dict.fromkeys([*result["settings"], *result.get("bootstrap", {}), *result.get("lock_roots", {})]):
        label = name.upper()
        s = result["settings"].get(name)
        if s:
            bars.append(Bar(f"{label} GEOMEAN", s["geomean_ours_vs_reference"], 1.0))
        b = result.get("bootstrap", {}).get(name, {})
        if b:
            bars.append(Bar(f"{label} BOOTSTRAP RICH", b.get("ratio_total_ours_vs_reference"), 1.0))
        if s and s["geomean_time_to_error_ours_vs_reference"]:
            bars.append(Bar(f"{label} DEAD ENDS (TO ERROR)", s["geomean_time_to_error_ours_vs_reference"]))
        for root, lb in result.get("lock_roots", {}).get(name, {}).items():
            bars.append(Bar(f"{label} LOCK {root.upper()} INSTALL", lb.get("ratio_install_ours_vs_reference"), 1.0))
    first = next(iter(result["settings"].values()), {"per_root": {}})
    for root, r in first["per_root"].items():
        if r["compare"]["kind"] == "both_ok":
            bars.append(Bar(root.upper()[:20], r["compare"]["ratio"], 1.0))
        else:
            bars.append(Bar(root.upper()[:20], None))
    names = ", ".join(dict.fromkeys([*result["settings"], *result.get("bootstrap", {}), *result.get("lock_roots", {})])).upper()
    bar_chart(f"OURS / MICROPIP 0.11.1 ON RECORDED PYPI ({names})", bars, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", default="", help="comma-separated subset of net_corpus.ROOTS (default: all)")
    parser.add_argument("--reps", type=int, default=5, help="installs per root and micropip (medians)")
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"link settings to run: {', '.join(SETTINGS)}")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per install before it counts as a time-out")
    parser.add_argument("--bootstrap-reps", type=int, default=None,
                        help=f"Chromium bootstrap runs per micropip (default --reps, at least {BOOTSTRAP_MIN_REPS}; 0 skips)")
    parser.add_argument("--shared-link", action="store_true", help="one bandwidth budget for all connections instead of per connection")
    parser.add_argument("--no-gzip", action="store_true", help="send pages and .metadata files uncompressed "
                        "(PyPI's CDN compresses them for clients that accept gzip)")
    parser.add_argument("--bootstrap-only", action="store_true", help="only the Chromium runs (bootstrap, lock roots)")
    parser.add_argument("--lock-roots-reps", type=int, default=None,
                        help="Chromium installs per lock root and micropip (default: the bootstrap's; 0 skips)")
    parser.add_argument("--no-cache", action="store_true",
                        help="ours with its persistent cache off (default: on and empty, as on a new visitor's page)")
    parser.add_argument("--out", default=str(RESULTS / "network.json"))
    args = parser.parse_args(argv)
    roots = [r.strip() for r in args.roots.split(",") if r.strip()] or list(net_corpus.ROOTS)
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; known: {list(SETTINGS)}")
    recording = Recording()
    if not recording.entries:
        print("no recording: run .venv/bin/python bench/record.py first (bash bench/network.sh does)", file=sys.stderr)
        return 1
    from replay import PYPI_SIMPLE, normalize

    unrecorded = [r for r in roots if recording.get(f"{PYPI_SIMPLE}{normalize(r)}/") is None]
    if unrecorded:
        print(f"not recorded: {unrecorded}: run .venv/bin/python bench/record.py --roots {','.join(unrecorded)}",
              file=sys.stderr)
        return 1
    bad = recording.verify()
    if bad:
        print(f"the recording is damaged ({len(bad)} files, e.g. {bad[0]}): run bench/record.py again", file=sys.stderr)
        return 1
    started = time.perf_counter()
    locks = prepare_micropips()
    static = {"ours": locks["ours"].parent, "reference": locks["reference"].parent}
    lock_roots = list(net_corpus.LOCK_ROOTS)
    missing = prepare_standin_locks(recording, locks)
    if missing:
        log(f"lock roots skipped: the recording lacks {missing[:3]}...: run .venv/bin/python bench/record.py")
        lock_roots = []
    runner = Runner(locks, empty_cache=not args.no_cache)
    result: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "pyodide": run.PYODIDE_VERSION,
                    "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()},
        "roots": {r: net_corpus.ROOTS.get(r, "") for r in roots},
        "reps": args.reps, "timeout_s": args.timeout,
        "link": "shared by all connections" if args.shared_link else "per connection",
        "gzip": not args.no_gzip,
        "notes": [
            "Pyodide's lockfile is emptied for both micropips (only micropip and its own dependencies stay): "
            "every project comes from the recorded index",
            "latency is slept before every answer (redirects, 404s and OPTIONS included); bandwidth shapes bodies; "
            "pages and .metadata files are gzip-compressed when the client accepts it, as PyPI's CDN does",
            ("ours runs with PYODIDE_PM_NO_CACHE=1 (cold, --no-cache)" if args.no_cache else
             "ours runs with its persistent cache on and empty (a folder of its own per install: a new visitor)")
            + "; a timed-out install may leave its fetches running in the background of the Node process until the "
            "interpreter is dropped",
            "Chromium bootstrap: the page and the Pyodide runtime are served on loopback without shaping; the "
            "micropip bundle (lockfile + wheels) and the index are on the shaped link",
            "lock roots (Chromium, like the bootstrap): Pyodide's lockfile keeps its entries for "
            f"{', '.join(net_corpus.LOCK_STANDINS)} and their dependencies, each pointing at the PyPI wheel of that "
            "version beside the lockfile on the shaped link (sha256 rewritten); install_ms is the install alone; "
            "the replay is made the reference's default index there (it looks in the lockfile first only on its "
            "default index, as a notebook on PyPI does; ours always does)",
        ],
        "recording": recording_summary(recording),
        "settings": {}, "bootstrap": {}, "lock_roots": {},
    }
    try:
        for name in settings:
            latency, rate = SETTINGS[name]
            server = ReplayServer(recording, latency_s=latency, bytes_per_s=rate, shared_link=args.shared_link,
                                  static=static, gzip_text=not args.no_gzip)
            over_the_link(locks["ours"], server, "ours")
            try:
                if not args.bootstrap_only:
                    result["settings"][name] = bench_setting(runner, server, roots, args.reps, args.timeout, name)
                reps = max(args.reps, BOOTSTRAP_MIN_REPS) if args.bootstrap_reps is None else args.bootstrap_reps
                if reps:
                    result["bootstrap"][name] = summarize_bootstrap(bootstrap_runs(server, reps, max(args.timeout, 120)))
                lock_reps = reps if args.lock_roots_reps is None else args.lock_roots_reps
                if lock_reps and lock_roots:
                    result["lock_roots"][name] = {
                        root: summarize_bootstrap(bootstrap_runs(
                            server, lock_reps, max(args.timeout, 120), pkg=root,
                            module=net_corpus.LOCK_ROOTS[root][0], lock_name=net_corpus.STANDIN_LOCK,
                            pre={"reference": REFERENCE_REPLAY_IS_DEFAULT}))
                        for root in lock_roots}
            finally:
                server.stop()
    finally:
        runner.close()
    save(result, Path(args.out), started, print_table, plot, log)
    return 0


def save(result: dict, out: Path, started: float, print_table, plot, log) -> None:
    """The table on stdout, then ``out`` (JSON) and its chart beside it (``.png``)."""
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    print_table(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    plot(result, out.with_suffix(".png"))
    log(f"results: {out}, {out.with_suffix('.png')} ({result['bench_seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())

"""Backtracking at network speed: conflict-heavy requirement sets, ours vs uv vs micropip 0.11.1.

    .venv/bin/python bench/backtracking.py                   # the whole benchmark (records what is missing first)
    .venv/bin/python bench/backtracking.py --cases boto3+s3fs,fastapi+pydantic-1 --reps 1
    .venv/bin/python bench/backtracking.py --live --reps 1   # PyPI itself instead of the replay
    .venv/bin/python bench/backtracking.py --widths 4,8,16   # also: ours with other read-ahead widths

Each case is a list of requirements that forces a resolver to walk back through releases (an
old pin of a dependency, two projects that pin a third differently), plus 60 popular roots
at once. Per case and repetition, interleaved:

* **ours**: a fresh Pyodide interpreter in Node (``bench/runner.mjs``), the bundle of this
  checkout, no wheel cache, ``await micropip.install(reqs, dry_run=True)`` timed alone: the
  resolution, what ``uv pip compile`` does; and in another column the whole install (wheels
  downloaded and installed; ``--no-install`` skips it).
* **uv**: ``uv pip compile --python-version 3.14 --python-platform wasm32-pyodide2024 --no-cache``
  (``UV_PYTHON_DOWNLOADS=never``, ``--python`` the venv's), a fresh output file each time (uv
  reads an existing one as preferences), timed as a process.
* **reference**: micropip 0.11.1 in a fresh Pyodide, ``await micropip.install(reqs)`` (it has no
  dry run), timed to its answer or error.

Pyodide's lockfile is emptied for both micropips (its wheels live on a CDN this machine cannot
reach; ``network.prepare_micropips``), so every project comes from the index, as for uv.

The index is ``bench/replay.py`` serving a recording of PyPI (``.cache/bench/recording-backtracking``)
with 100 ms before every answer and 20 Mbit/s per connection (``--latency``, ``--mbit``). The
recording is made by this script: a first, untimed pass runs all three through the replay in
upstream mode, so whatever they ask for is fetched from PyPI once and kept. The timed passes
keep upstream mode on as a safety net: a request the recording lacks is fetched then (and
counted in ``recorded``; a run with one is slower than it should be, and the table says so).

Answers: ours and uv's pins are compared per case; where they differ on purpose the reason
is in ``DIFFERENCES`` and in the table. Results: ``bench/results/backtracking.json`` and
``bench/results/backtracking.md`` (medians; the machine is shared, so runs are interleaved).
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
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import corpus  # noqa: E402
import network  # noqa: E402
import run  # noqa: E402
from replay import Recording, ReplayServer, normalize  # noqa: E402

RESULTS = BENCH / "results"
RECORDING = corpus.CACHE / "recording-backtracking"
UV = REPO / ".venv" / "bin" / "uv"
PYPI = "https://pypi.org/simple/"


@dataclass(frozen=True)
class Case:
    id: str
    requirements: tuple[str, ...]
    why: str


POPULAR_60 = (
    "boto3", "botocore", "urllib3", "requests", "certifi", "idna", "charset-normalizer", "typing-extensions",
    "python-dateutil", "s3transfer", "six", "packaging", "jmespath", "attrs", "pydantic", "fsspec", "click",
    "platformdirs", "filelock", "importlib-metadata", "zipp", "pluggy", "pytest", "iniconfig", "rsa", "pyasn1",
    "pyasn1-modules", "cachetools", "pyjwt", "protobuf", "googleapis-common-protos", "python-dotenv",
    "tomli", "tomlkit", "pygments", "rich", "markdown-it-py", "colorama", "tqdm", "anyio", "httpx", "aiohttp",
    "yarl", "aiobotocore", "s3fs", "pytz", "tzdata", "decorator", "more-itertools", "beautifulsoup4", "openpyxl",
    "docutils", "sqlalchemy", "fastapi", "wrapt", "tabulate", "networkx", "sympy", "pyparsing", "websocket-client",
)

CASES = (
    # The cases.
    Case("boto3+s3fs", ("boto3", "s3fs"), "issue 31: hung at 100% CPU"),
    Case("fastapi+starlette<0.30", ("fastapi", "starlette<0.30"), "issue 31: fastapi walks back ~190 releases"),
    Case("fastapi+pydantic<2", ("fastapi", "pydantic<2"), "issue 31: an old pin of a dependency"),
    Case("boto3+aiobotocore", ("boto3", "aiobotocore"), "issue 31: two projects pin botocore"),
    Case("popular-60", POPULAR_60, "issue 31: 60 popular roots in one install()"),
    # More conflict-heavy sets.
    Case("boto3<1.30+aiobotocore", ("boto3<1.30", "aiobotocore"), "aiobotocore walks back to an old botocore"),
    Case("aiobotocore+botocore<1.30", ("aiobotocore", "botocore<1.30"), "an old pin of a pinned dependency"),
    Case("s3fs+fsspec<2023", ("s3fs", "fsspec<2023"), "s3fs pins fsspec exactly, release by release"),
    Case("aioboto3+s3fs", ("aioboto3", "s3fs"), "both pin aiobotocore"),
    Case("botocore<1.32+boto3+s3fs", ("botocore<1.32", "boto3", "s3fs"), "three-way: ~760 boto3 releases to reject"),
    Case("starlette<0.20+fastapi", ("starlette<0.20", "fastapi"), "fastapi walks back ~250 releases"),
    Case("pydantic<1.8+fastapi", ("pydantic<1.8", "fastapi"), "an old pydantic v1"),
    Case("fastapi<0.100+pydantic>=2", ("fastapi<0.100", "pydantic>=2"), "no fastapi before 0.100 takes pydantic 2"),
    Case("django<4+drf", ("django<4", "djangorestframework"), "djangorestframework walks back"),
    Case("pytest+pluggy<1", ("pytest", "pluggy<1"), "pytest walks back to 7.x"),
    Case("httpx+httpcore<0.17", ("httpx", "httpcore<0.17"), "httpx walks back"),
    Case("requests<2.25+urllib3>=1.26", ("requests<2.25", "urllib3>=1.26"), "requests walks back to one vendoring urllib3"),
    Case("google-api-core+google-auth<2", ("google-api-core", "google-auth<2"), "google-api-core walks back"),
)

# Where our answer differs from uv's on purpose (the table shows "differs" and this).
DIFFERENCES = {
    "boto3+s3fs": "uv keeps boto3 newest and walks s3fs back six years to 0.4.2 (2020), building aiobotocore sdists "
    "on the way; we decide the project with fewer releases first, so s3fs and aiobotocore stay newest and boto3 "
    "steps back to the release whose botocore fits (1.43.x): both are valid, ours is the newer set",
    "botocore<1.32+boto3+s3fs": "uv walks s3fs back to 0.4.2 (2020); we keep a 2026 s3fs and take the aiobotocore "
    "and boto3 releases that fit botocore<1.32 (same reason as boto3+s3fs)",
    "fastapi<0.100+pydantic>=2": "uv builds sdists and walks on to fastapi 0.1.17 (2018, which cannot run on "
    "pydantic 2); we stop at the dead end the fastapi 0.4x-0.5x releases reach (they pin starlette 0.12.9, which has "
    "no wheel) and say so, with the pin that would go past it",
}


def log(message: str) -> None:
    print(f"[backtracking] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# ---- the three resolvers -------------------------------------------------------------------------

OURS_CODE = """
import asyncio, json, time, traceback
import micropip
import micropip.package_manager; micropip.set_index_urls([{index!r}])
{setup}
_t = time.perf_counter()
_r = {{}}
try:
    _plan = await asyncio.wait_for(micropip.install({reqs!r}, dry_run={dry_run!r}), {timeout!r})
    _r["ok"] = True
    if _plan is not None:
        _r["pins"] = {{p.name: p.version for p in _plan.install}}
        _r["kept"] = dict(_plan.keep)  # already installed and satisfying: micropip's own packaging
except (asyncio.TimeoutError, TimeoutError):
    _r.update(ok=False, timeout=True, error="no answer after {timeout} s")
except BaseException as _e:
    _r.update(ok=False, error=type(_e).__name__ + ": " + str(_e))
_r["s"] = time.perf_counter() - _t
json.dumps(_r)
"""

REFERENCE_CODE = """
import asyncio, json, time, importlib.metadata
import micropip
_t = time.perf_counter()
_r = {{}}
try:
    await asyncio.wait_for(micropip.install({reqs!r}, index_urls=[{index!r}]), {timeout!r})
    _r["ok"] = True
except (asyncio.TimeoutError, TimeoutError):
    _r.update(ok=False, timeout=True, error="no answer after {timeout} s")
except BaseException as _e:
    _r.update(ok=False, error=type(_e).__name__ + ": " + str(_e))
_r["s"] = time.perf_counter() - _t
if _r["ok"]:
    _r["pins"] = {{d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}}
json.dumps(_r)
"""


def run_ours(mp: network.Runner, case: Case, index: str, timeout_s: float, *, install: bool = False, width: int | None = None) -> dict:
    setup = ""
    if width is not None:  # an experiment: another read-ahead width (module constants, read at each fill)
        setup = f"import micropip.resolution.lookahead as _la\n_la.WIDTH = {width}\n_la.MAX_BATCH = 2 * {width}\n"
    code = OURS_CODE.format(index=index, reqs=list(case.requirements), dry_run=not install, timeout=timeout_s, setup=setup)
    return _seconds(mp.run("ours", code, timeout_s))


def _seconds(result: dict) -> dict:
    """The Node runner's own failures say ``ms``; the snippets here say ``s``."""
    if "s" not in result:
        result["s"] = result["ms"] / 1000 if result.get("ms") is not None else None
    return result


def run_reference(mp: network.Runner, case: Case, index: str, timeout_s: float) -> dict:
    code = REFERENCE_CODE.format(index=index.rstrip("/"), reqs=list(case.requirements), timeout=timeout_s)
    return _seconds(mp.run("reference", code, timeout_s))


def run_uv(case: Case, index: str, timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-uv-") as tmp:
        req = Path(tmp) / "requirements.in"
        req.write_text("\n".join(case.requirements) + "\n")
        out = Path(tmp) / "out.txt"  # fresh each time: uv takes an existing output file as preferences
        cmd = [str(UV), "pip", "compile", str(req), "--python", str(run.VENV_PY), "--python-version", "3.14",
               "--python-platform", "wasm32-pyodide2024", "--index-url", index, "--no-cache", "--no-config",
               "--quiet", "-o", str(out)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                                  env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))
        except subprocess.TimeoutExpired:
            return {"ok": False, "timeout": True, "error": f"no answer after {timeout_s:g} s", "s": timeout_s}
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            return {"ok": False, "error": proc.stderr.strip()[-2000:], "s": seconds}
        pins = {}
        for line in out.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                pins[name.strip()] = version.strip()
        return {"ok": True, "pins": pins, "s": seconds}


# What a fresh interpreter of ours has installed before the install: micropip and its
# dependencies (from the bundle). An installed version that satisfies is kept, never replaced
# (Pyodide's micropip rule), where uv, resolving for an empty environment, takes the newest.
PREINSTALLED = frozenset({"micropip", "packaging", "resolvelib"})


def same_answer(ours: dict, uv: dict) -> tuple[bool | None, list[str], list[str]]:
    """Whether both resolved to the same versions; the differences (``name: ours / uv``); and
    the packages ours kept because they were installed already (not a difference of resolvers)."""
    if not (ours.get("ok") and uv.get("ok")):
        return (None if ours.get("ok") != uv.get("ok") else (not ours.get("ok"))), [], []
    a = {normalize(k): v for k, v in ours.get("pins", {}).items()}
    b = {normalize(k): v for k, v in uv.get("pins", {}).items()}
    kept = {normalize(k): v for k, v in ours.get("kept", {}).items()}
    diff, kept_notes = [], []
    for n in sorted(set(a) | set(b)):
        if a.get(n) == b.get(n):
            continue
        if n not in a and (n in kept or n in PREINSTALLED):
            kept_notes.append(f"{n}: the installed {kept[n] + ' ' if n in kept else ''}kept, uv {b.get(n, '-')}")
        else:
            diff.append(f"{n}: {a.get(n, '-')} / {b.get(n, '-')}")
    return not diff, diff, kept_notes


# ---- the runs ------------------------------------------------------------------------------------


def one_pass(cases: list[Case], mp: network.Runner, server: ReplayServer | None, index: str, timeout_s: float,
             args: argparse.Namespace, runs: dict, label: str) -> None:
    who_list = [w for w in ("ours", "uv", "reference") if w in args.who_list] + (["ours_install"] if args.install else [])
    who_list += [f"ours_w{w}" for w in args.width_list]
    for case in cases:
        for who in who_list:
            if server is not None:
                server.wait_quiet(0.3, 10.0)
                server.reset_stats()
            if who == "ours":
                result = run_ours(mp, case, index, timeout_s)
            elif who == "ours_install":
                result = run_ours(mp, case, index, timeout_s, install=True)
            elif who.startswith("ours_w"):
                result = run_ours(mp, case, index, timeout_s, width=int(who[len("ours_w"):]))
            elif who == "uv":
                result = run_uv(case, index, timeout_s)
            else:
                result = run_reference(mp, case, index, timeout_s)
            if server is not None:
                stats = server.stats
                result.update(requests=stats.requests, bytes=stats.bytes_sent, recorded=len(stats.recorded),
                              misses=len(stats.misses))
            runs.setdefault(case.id, {}).setdefault(who, []).append(result)
            state = "ok" if result.get("ok") else ("TIMEOUT" if result.get("timeout") else "error")
            secs = result.get("s")
            log(f"{label} {case.id:32s} {who:12s} {secs if secs is None else round(secs, 2)!s:>7} s  {state}"
                + (f"  requests={result.get('requests')} recorded={result.get('recorded')}" if server else ""))


def summarize(cases: list[Case], runs: dict, args: argparse.Namespace) -> dict:
    rows = []
    for case in cases:
        r = runs.get(case.id, {})

        def times(who: str, ok_only: bool = True) -> list[float]:
            return [x["s"] for x in r.get(who, []) if x.get("s") is not None and (x.get("ok") or not ok_only)]

        ours, uv, ref = r.get("ours", []), r.get("uv", []), r.get("reference", [])
        last_ours = ours[-1] if ours else {}
        last_uv = uv[-1] if uv else {}
        same, diff, kept = same_answer(last_ours, last_uv)
        ours_s = median(times("ours", ok_only=False))
        uv_s = median(times("uv", ok_only=False))
        row = {
            "case": case.id, "requirements": list(case.requirements), "why": case.why,
            "ours_s": ours_s, "ours_ok": bool(last_ours.get("ok")), "ours_error": None if last_ours.get("ok") else (last_ours.get("error") or "")[:600],
            "uv_s": uv_s, "uv_ok": bool(last_uv.get("ok")), "uv_error": None if last_uv.get("ok") else (last_uv.get("error") or "")[:600],
            "ours_vs_uv": ours_s / uv_s if ours_s and uv_s else None,
            "reference_s": median(times("reference", ok_only=False)),
            "reference_ok": bool(ref and ref[-1].get("ok")),
            "reference_error": None if not ref or ref[-1].get("ok") else (ref[-1].get("error") or "").strip().splitlines()[-1][:300],
            "same_as_uv": same, "differences": diff, "kept_installed": kept, "documented": DIFFERENCES.get(case.id),
            "ours_requests": median([x["requests"] for x in ours if "requests" in x]),
            "uv_requests": median([x["requests"] for x in uv if "requests" in x]),
            "recorded_during_timed_runs": sum(x.get("recorded", 0) for who in r for x in r[who]),
            "ours_pins": last_ours.get("pins"), "uv_pins": last_uv.get("pins"),
        }
        if args.install:
            row["ours_install_s"] = median(times("ours_install", ok_only=False))
        for w in args.width_list:
            row[f"ours_w{w}_s"] = median(times(f"ours_w{w}", ok_only=False))
        rows.append(row)
    return {"rows": rows}


def r_ran(row: dict, who: str) -> bool:
    return row.get(f"{who}_s") is not None


def fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f}"


def markdown(summary: dict, meta: dict, args: argparse.Namespace) -> str:
    where = meta["index"]
    lines = [
        "# Backtracking benchmark",
        "",
        f"`{meta['command']}` on {meta['date']} ({meta['machine']}); index: {where}; "
        f"medians of {meta['reps']} interleaved runs; commit {meta['commit']}.",
        "",
        "ours = `micropip.install(reqs, dry_run=True)` in a fresh Pyodide (Node), no cache: the resolution, what "
        "`uv pip compile` does; uv = `uv pip compile --python-version 3.14 --python-platform wasm32-pyodide2024 "
        "--no-cache`; reference = micropip 0.11.1 `install(reqs)` (no dry run); ours install = ours `install(reqs)`, "
        "wheels downloaded and installed too. Pyodide's lockfile is empty for both micropips. Times in seconds.",
        "",
    ]
    head = "| case | ours | uv | ours/uv | reference | answer vs uv |"
    sep = "|---|---:|---:|---:|---|---|"
    extra = []
    if args.install:
        extra.append("ours install")
    extra += [f"ours w={w}" for w in args.width_list]
    if extra:
        head = head + "".join(f" {e} |" for e in extra)
        sep += "---:|" * len(extra)
    lines += [head, sep]
    notes = []
    for row in summary["rows"]:
        ours = fmt(row["ours_s"]) + ("" if row["ours_ok"] else " (error)")
        uv = fmt(row["uv_s"]) if row["uv_ok"] or row["uv_s"] is None else f"{fmt(row['uv_s'])} (error)"
        ratio = f"{row['ours_vs_uv']:.2f}×" if row["ours_vs_uv"] and row["ours_ok"] and row["uv_ok"] else "—"
        ref = fmt(row["reference_s"]) if row["reference_ok"] else (
            f"fails in {fmt(row['reference_s'])}" if row["reference_s"] is not None else "—")
        if not r_ran(row, "uv"):
            answer = "—"
        elif row["same_as_uv"] is True:
            answer = ("same" if row["ours_ok"] else "both fail") + (
                f" ({'; '.join(row['kept_installed'])} [k])" if row.get("kept_installed") else "")
        elif row["documented"]:
            answer = f"differs, documented [{len(notes) + 1}]"
            notes.append(f"[{len(notes) + 1}] {row['case']}: {row['documented']}. Differences (ours / uv): "
                         + ", ".join(row["differences"][:8]) + (" ..." if len(row["differences"]) > 8 else "")
                         + ("" if row["ours_ok"] else f". Ours: {(row['ours_error'] or '').splitlines()[0][:200]}"))
        else:
            answer = "DIFFERS: " + ", ".join(row["differences"][:4]) if row["differences"] else (
                "ours fails" if not row["ours_ok"] else "uv fails")
        cells = [f"`{row['case']}`", ours, uv, ratio, ref, answer]
        if args.install:
            cells.append(fmt(row.get("ours_install_s")))
        cells += [fmt(row.get(f"ours_w{w}_s")) for w in args.width_list]
        lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines += ["", *notes]
    if any(row.get("kept_installed") for row in summary["rows"]):
        lines += ["", "[k] Installed before the install in a fresh interpreter (micropip's own dependency): a version "
                  "that satisfies is kept, never replaced (Pyodide's rule), where uv resolves for an empty environment."]
    recorded = sum(r["recorded_during_timed_runs"] for r in summary["rows"])
    if recorded:
        lines += ["", f"{recorded} requests were missing from the recording during the timed runs (fetched from PyPI then)."]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per case and resolver (medians)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before every answer of the replay")
    parser.add_argument("--mbit", type=float, default=20.0, help="Mbit/s per connection of the replay")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run before it counts as a time-out")
    parser.add_argument("--live", action="store_true", help="PyPI itself (through this machine's gateway), no replay")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first pass that fills the recording")
    parser.add_argument("--no-install", dest="install", action="store_false",
                        help="skip the column of ours installing (resolving, downloading, installing)")
    parser.add_argument("--widths", default="", help="also run ours with these read-ahead widths (an experiment)")
    parser.add_argument("--who", default="ours,uv,reference", help="which of ours, uv, reference to run (default all)")
    parser.add_argument("--out", default=str(RESULTS / "backtracking"), help="results path without suffix (.json, .md)")
    parser.add_argument("--table-from", metavar="JSON", help="only write the table again from a results file (no runs)")
    args = parser.parse_args(argv)
    args.width_list = [int(w) for w in args.widths.split(",") if w.strip()]
    args.who_list = [w.strip() for w in args.who.split(",") if w.strip()]
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in {case.id for case in CASES}]
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {[c.id for c in CASES]}")
    cases = [c for c in CASES if not wanted or c.id in wanted]
    if args.table_from:
        saved = json.loads(Path(args.table_from).read_text())
        args.install = any("ours_install" in r for r in saved["runs"].values())
        args.width_list = sorted({int(w[len("ours_w"):]) for r in saved["runs"].values() for w in r if w.startswith("ours_w")})
        cases = [c for c in CASES if c.id in saved["runs"]]
        summary = summarize(cases, saved["runs"], args)
        Path(args.table_from).write_text(json.dumps({**saved, **summary}, indent=1))
        text = markdown(summary, saved["meta"], args)
        Path(args.table_from[: -len(".json")] + ".md").write_text(text)
        print(text)
        return 0
    if not UV.exists():
        parser.error(f"{UV} is missing: run bash scripts/setup.sh")
    started = time.perf_counter()
    locks = network.prepare_micropips()
    mp = network.Runner(locks)
    runs: dict = {}
    server = None
    try:
        if args.live:
            index = PYPI
            for rep in range(args.reps):
                one_pass(cases, mp, None, index, args.timeout, args, runs, f"live {rep + 1}/{args.reps}")
        else:
            recording = Recording(RECORDING)
            server = ReplayServer(recording, upstream=True)
            index = server.simple_url
            if not args.no_warmup:
                warm: dict = {}
                one_pass(cases, mp, server, index, args.timeout, args, warm, "record")
                recording.save(source="https://pypi.org/simple/ (PEP 691 JSON) and https://files.pythonhosted.org/",
                               made_by="bench/backtracking.py")
            server.shape(args.latency, args.mbit * 1e6 / 8)
            for rep in range(args.reps):
                one_pass(cases, mp, server, index, args.timeout, args, runs, f"rep {rep + 1}/{args.reps}")
            recording.save()
    finally:
        mp.close()
        if server is not None:
            server.stop()
    summary = summarize(cases, runs, args)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    meta = {
        "command": "python bench/backtracking.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end",
        "index": "PyPI (live, through this machine's gateway: no PEP 658 files)" if args.live else
        f"replay of PyPI, {args.latency * 1000:.0f} ms before each answer, {args.mbit:g} Mbit/s per connection",
        "reps": args.reps, "commit": commit, "seconds": round(time.perf_counter() - started),
        "uv": subprocess.run([str(UV), "--version"], capture_output=True, text=True).stdout.strip(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(str(out) + ".json").write_text(json.dumps({"meta": meta, **summary, "runs": runs}, indent=1))
    text = markdown(summary, meta, args)
    Path(str(out) + ".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

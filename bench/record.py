"""Record the slice of PyPI the real-network benchmark replays (a set-up step; reaches PyPI).

    .venv/bin/python bench/record.py                 # record what is missing (idempotent)
    .venv/bin/python bench/record.py --roots rich     # only these roots
    .venv/bin/python bench/record.py --fresh          # throw the recording away and start again
    .venv/bin/python bench/record.py --lock-standins-only   # only the lockfile stand-ins (see network.py)

How: a ``replay.ReplayServer`` in upstream mode serves the recording and fetches every
miss from PyPI (stored as PyPI sent it, with its sha256 in the manifest). Through it,

1. the PEP 691 pages of all roots are fetched ahead, 16 at a time (PyPI is ~150-200 ms
   away through the gateway);
2. both micropips (ours from this checkout, the reference 0.11.1) install every root in a
   fresh Pyodide, unshaped: whatever they ask for (pages, ``.metadata`` files, wheels) is
   recorded, so the benchmark replays exactly their requests;
3. a ``.metadata`` file the gateway answers 404 for (its mirror lacks many; pypi.org has
   one for every wheel) is extracted from the wheel with range requests, as PyPI's own
   backfill did, and marked ``synthesized`` in the manifest;
4. for every recorded page, the ``.metadata`` files of the Pyodide-compatible wheels of the
   newest ``--newest`` versions are recorded too, so a resolver that walks a little further
   on another run still finds them;
5. the PyPI wheels of the versions Pyodide's lockfile pins for ``net_corpus.LOCK_STANDINS``
   (and their dependencies): the benchmark's stand-in for Pyodide's package folder.

The recording is ``.cache/bench/recording/`` (``manifest.json``: every URL, status, size,
sha256). Pyodide's own lockfile is emptied for both micropips, here as in the benchmark.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import net_corpus  # noqa: E402
import network  # noqa: E402
from replay import PYPI_SIMPLE, RECORDING, Recording, ReplayServer, normalize  # noqa: E402

from packaging.tags import compatible_tags, cpython_tags  # noqa: E402
from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

PLATFORM = "pyemscripten_2026_0_wasm32"  # Pyodide 314 (PEP 783); the pyodide_ alias too
PLATFORMS = [PLATFORM, "pyodide_2026_0_wasm32"]
TAGS = frozenset([*cpython_tags((3, 14), platforms=PLATFORMS), *compatible_tags((3, 14), "cp314", PLATFORMS)])


def log(message: str) -> None:
    print(f"[record] {message}", file=sys.stderr, flush=True)


def compatible_metadata_urls(page: dict, newest: int) -> list[str]:
    """``.metadata`` URLs of the Pyodide-compatible wheels of the newest ``newest`` versions
    (every wheel: pypi.org has a metadata file for each, see ``replay``)."""
    by_version: dict[Version, list[str]] = {}
    for f in page.get("files", []):
        if not f["filename"].endswith(".whl") or f.get("yanked"):
            continue
        try:
            _name, version, _build, tags = parse_wheel_filename(f["filename"])
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if tags & TAGS:
            by_version.setdefault(version, []).append(f["url"] + ".metadata")
    chosen = sorted((v for v in by_version if not v.is_prerelease), reverse=True)[:newest]
    return [u for v in chosen for u in by_version[v]]


def parallel(fn, items, threads: int) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def install_all(who: str, locks: dict, server: ReplayServer, roots: list[str], timeout_s: float, outcomes: dict) -> None:
    runner = network.Runner(locks)
    try:
        for root in roots:
            t = time.perf_counter()
            result = runner.install(who, root, network.index_url_for(who, server), timeout_s)
            state = "ok " + result.get("version", "") if result.get("ok") else (
                "TIMEOUT" if result.get("timeout") else "error: " + (result.get("error") or "").strip().splitlines()[-1][:150])
            outcomes.setdefault(root, {})[who] = {"ok": bool(result.get("ok")), "version": result.get("version"),
                                                  "error": (result.get("error") or "")[-1500:] or None}
            log(f"{who:9s} {root:18s} {time.perf_counter() - t:6.1f} s  {state}")
    finally:
        runner.close()


def record_lock_standins(server: ReplayServer, recording: Recording) -> None:
    """The PyPI wheels of the lockfile entries ``network`` stands in for Pyodide's package folder."""
    lock = json.loads(network.run.PYODIDE_LOCK.read_text())
    for name in network.standin_names(lock):
        entry = lock["packages"][name]
        page = server.lookup(f"{PYPI_SIMPLE}{normalize(entry['name'])}/")
        files = json.loads(recording.body(page))["files"] if page is not None and page["status"] == 200 else []
        match = [f for f in files if f["filename"] == entry["file_name"]]
        if not match:
            raise SystemExit(f"PyPI has no {entry['file_name']} (Pyodide's lockfile entry {name!r}) to stand in with")
        server.lookup(match[0]["url"])
    log(f"lockfile stand-ins: {len(network.standin_names(lock))} wheels")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", default="", help="comma-separated roots (default: all of net_corpus.ROOTS)")
    parser.add_argument("--newest", type=int, default=3, help="versions per project whose .metadata files are recorded")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per install while recording")
    parser.add_argument("--fresh", action="store_true", help="delete the recording first")
    parser.add_argument("--lock-standins-only", action="store_true",
                        help="only the wheels standing in for Pyodide's package folder (network.LOCK_ROOTS)")
    args = parser.parse_args(argv)
    roots = [r.strip() for r in args.roots.split(",") if r.strip()] or list(net_corpus.ROOTS)
    if args.fresh:
        shutil.rmtree(RECORDING, ignore_errors=True)
    recording = Recording()
    # A .metadata file the gateway answered 404 for (before synthesis existed) is asked again.
    for url in [u for u, e in recording.entries.items() if u.endswith(".metadata") and e["status"] == 404]:
        del recording.entries[url]
    before = len(recording.entries)
    started = time.perf_counter()
    if args.lock_standins_only:
        server = ReplayServer(recording, upstream=True)
        try:
            record_lock_standins(server, recording)
        finally:
            server.stop()
        recording.save(**recording.info)
        return 0
    locks = network.prepare_micropips()
    server = ReplayServer(recording, upstream=True)
    try:
        parallel(lambda r: server.lookup(f"{PYPI_SIMPLE}{normalize(r)}/"), roots, args.threads)
        log(f"root pages: {len(roots)} ({time.perf_counter() - started:.0f} s)")

        # Both micropips at once (two Node processes): the gateway's latency dominates.
        outcomes: dict[str, dict] = {}
        threads = [threading.Thread(target=install_all, args=(who, locks, server, roots, args.timeout, outcomes))
                   for who in ("ours", "reference")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        pages = [(u, e) for u, e in list(recording.entries.items()) if u.startswith(PYPI_SIMPLE) and e["status"] == 200]
        urls = sorted({m for u, e in pages for m in compatible_metadata_urls(json.loads(recording.body(e)), args.newest)})
        missing = [u for u in urls if recording.get(u) is None]
        log(f"newest-{args.newest} metadata: {len(urls)} files for {len(pages)} projects, {len(missing)} to fetch")
        parallel(server.lookup, missing, args.threads)
        record_lock_standins(server, recording)
    finally:
        server.stop()
    info = dict(recording.info)
    info.setdefault("outcomes", {}).update(outcomes)
    recording.save(
        recorded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), source="https://pypi.org/simple/ (PEP 691 JSON) "
        "and https://files.pythonhosted.org/", roots=sorted(set(info.get("roots", [])) | set(roots)),
        newest_metadata_versions=args.newest, target=f"Pyodide {network.run.PYODIDE_VERSION}, cp314, {PLATFORM}",
        pyodide_lock="emptied for both micropips: Pyodide's packages come from the index like any other",
        outcomes=info["outcomes"])
    bad = recording.verify()
    total = sum(e["size"] for e in recording.entries.values())
    log(f"recording: {len(recording.entries)} URLs ({len(recording.entries) - before} new), {total / 1e6:.1f} MB, "
        f"{len(bad)} damaged; {time.perf_counter() - started:.0f} s -> {recording.manifest_path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs inside a bench interpreter (``bench/run.py --profile``): timing wrappers around
micropip's stages, set from outside so no product file changes.

``_bench_instrument()`` wraps the functions below where their callers look them up
(module globals or class attributes); ``_bench_report()`` returns the totals as JSON.
Synchronous wrappers measure CPU time exactly (one thread). Asynchronous ones measure
elapsed time per call, so for concurrent calls (downloads, fills) the sum can exceed
the wall time: they are reported as ``concurrent``.
"""

import functools
import importlib
import inspect
import json
import time

_TOTALS = {}  # label -> [seconds, calls, concurrent?]
_clock = time.perf_counter


def _add(label, seconds, concurrent):
    entry = _TOTALS.setdefault(label, [0.0, 0, concurrent])
    entry[0] += seconds
    entry[1] += 1


def _wrap(owner, name, label):
    raw = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    kind = None
    fn = raw
    if isinstance(raw, (classmethod, staticmethod)):
        kind, fn = type(raw), raw.__func__
    if inspect.iscoroutinefunction(fn):

        async def wrapper(*args, **kwargs):
            start = _clock()
            try:
                return await fn(*args, **kwargs)
            finally:
                _add(label, _clock() - start, True)

    else:

        def wrapper(*args, **kwargs):
            start = _clock()
            try:
                return fn(*args, **kwargs)
            finally:
                _add(label, _clock() - start, False)

    functools.update_wrapper(wrapper, fn)
    setattr(owner, name, kind(wrapper) if kind else wrapper)


# (module, attribute path, label). Labels are "stage: what"; nesting is shown by the report.
_POINTS = [
    ("micropip.package_manager", "PackageManager.install", "install (all)"),
    ("micropip.package_manager", "PackageManager.install_lockfile", "install_lockfile (all)"),
    ("micropip.resolution.lock_plan", "plan_from_lockfile", "  lockfile: plan_from_lockfile"),
    ("micropip.package_manager", "installed_distributions", "  installed_distributions() (both paths)"),
    ("micropip.package_manager", "PackageManager._plan", "resolve stage (inputs, sources, resolve)"),
    ("micropip.package_manager", "TargetEnvironment.current", "  target environment (tags, markers)"),
    ("micropip.package_manager", "_installed_infos", "  scan installed dists (before resolve)"),
    ("micropip.package_manager", "PackageManager._lock_packages", "  read Pyodide lockfile (to_py + parse)"),
    ("micropip.package_manager", "resolve", "  resolve()"),
    ("micropip.resolution.sources", "Sources.fill", "    fill: fetch pages+metadata (wall per round)"),
    ("micropip.index.client", "parse_project_page", "      parse index pages"),
    ("micropip.resolution.sources", "parse_core_metadata", "      parse METADATA"),
    ("micropip.resolution.resolver", "build_plan", "    build plan"),
    ("micropip.installation.execution", "fetch_all", "fetch stage: fetch_all (download, sha256, unpack, verify; overlapped)"),
    ("micropip.index.http", "check_sha256", "  hash: sha256 of each download"),
    ("micropip.transport", "_fetch_browser", "  network: JS fetch + body (per request)"),
    ("micropip.transport", "open_archive", "native: inflate + sha256 members in JS (per wheel, overlaps downloads)"),
    ("micropip.installation.execution", "install_item", "  verify: install_item (all wheels)"),
    ("micropip.installation.wheelfile", "_load", "  WheelFile.from_bytes / from_archive"),
    ("micropip.installation.wheelfile", "_open_zip", "    zip: read central directory"),
    ("micropip.installation.wheelfile", "_check_entries", "    zip: path / zip-bomb checks"),
    ("micropip.installation.wheelfile", "_read_member", "    unzip: inflate members (zlib in wasm)"),
    ("micropip.installation.wheelfile", "_verify_record", "    hash: RECORD sha256 of every file"),
    ("micropip.package_manager", "install_wheels", "install stage: install_wheels"),
    ("micropip.installation.installer", "_plan", "  plan: conflicts, targets, RECORD"),
    ("micropip.installation.installer", "scan_distributions", "    scan installed dists (again)"),
    ("micropip.installation.installer", "_plan_dist", "    per-dist targets + RECORD"),
    ("micropip.installation.installer", "_record", "      RECORD text (+ hash generated files)"),
    ("micropip.installation.uninstaller", "Journal.make_dirs", "  FS: isdir/mkdir per file (journal)"),
    ("micropip.installation.uninstaller", "Journal.prepare_write", "  FS: lexists per file (journal)"),
    ("micropip.installation.installer", "_write_file", "  FS: open+write per file"),
    ("micropip.installation.installer", "_write_members", "  FS: native writeFile per wheel (JS)"),
    ("importlib", "invalidate_caches", "  importlib.invalidate_caches"),
    ("micropip.transport", "load_shared_libraries", "  load shared libraries"),
]


def _bench_instrument():
    for module_name, path, label in _POINTS:
        owner = importlib.import_module(module_name)
        parts = path.split(".")
        for part in parts[:-1]:
            owner = getattr(owner, part)
        _wrap(owner, parts[-1], label)


def _bench_report():
    order = {label: i for i, (_m, _p, label) in enumerate(_POINTS)}
    rows = [
        {"label": label, "ms": round(total * 1000, 2), "calls": calls, "concurrent": concurrent}
        for label, (total, calls, concurrent) in _TOTALS.items()
    ]
    rows.sort(key=lambda r: order.get(r["label"], 999))
    return json.dumps(rows)


def _bench_cprofile_top(profile, limit=30):
    """The functions with the most own time (tottime), as plain data."""
    import pstats

    stats = pstats.Stats(profile).stats
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        short = filename.split("site-packages/")[-1].split("/lib/python3.14/")[-1]
        rows.append({"func": f"{short}:{line}({func})", "calls": calls, "tottime_ms": round(tottime * 1000, 2), "cumtime_ms": round(cumtime * 1000, 2)})
    by_own = sorted(rows, key=lambda r: -r["tottime_ms"])[:limit]
    ours = sorted((r for r in rows if r["func"].startswith("micropip/")), key=lambda r: -r["cumtime_ms"])[:limit]
    return json.dumps({"by_tottime": by_own, "micropip_by_cumtime": ours})


# ---- import cost: a meta-path finder that times each module's execution -------------------------


class _TimedLoader:
    """Delegates to the real loader; times ``exec_module`` (self time = minus nested imports)."""

    def __init__(self, loader, name, record):
        self._loader, self._name, self._record = loader, name, record

    def __getattr__(self, attr):
        return getattr(self._loader, attr)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        stack = self._record["stack"]
        stack.append(0.0)
        start = _clock()
        try:
            self._loader.exec_module(module)
        finally:
            elapsed = _clock() - start
            nested = stack.pop()
            self._record["modules"][self._name] = (elapsed, elapsed - nested)
            if stack:
                stack[-1] += elapsed


class _TimingFinder:
    def __init__(self, record):
        self._record = record

    def find_spec(self, name, path=None, target=None):
        import sys

        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _TimedLoader(spec.loader, name, self._record)
                return spec
        return None


def _bench_import_profile(statement, limit=25):
    """Run ``statement`` (an import) and report the modules it loaded, by own and total time."""
    import sys

    record = {"stack": [], "modules": {}}
    finder = _TimingFinder(record)
    sys.meta_path.insert(0, finder)
    start = _clock()
    try:
        exec(statement, {})
    finally:
        sys.meta_path.remove(finder)
    total = _clock() - start
    rows = [{"module": m, "total_ms": round(t * 1000, 2), "self_ms": round(s * 1000, 2)} for m, (t, s) in record["modules"].items()]
    top_level = {}
    for row in rows:
        root = row["module"].split(".")[0]
        top_level[root] = round(top_level.get(root, 0.0) + row["self_ms"], 2)
    return json.dumps({
        "statement": statement,
        "total_ms": round(total * 1000, 2),
        "modules_loaded": len(rows),
        "by_self": sorted(rows, key=lambda r: -r["self_ms"])[:limit],
        "self_by_top_level_package": dict(sorted(top_level.items(), key=lambda kv: -kv[1])),
    })


# ---- what-if experiments (bench only): measure a proposed change before anyone makes it --------

_PREFETCH_ROOTS = """
import micropip.package_manager as _pm, micropip.resolution.sources as _src
_orig_resolve = _pm.resolve
async def _resolve_prefetching_roots(roots, sources, **kwargs):
    # one fill for every root (and the speculative crawl below each) instead of one round per root
    await sources.fill(_src.NeedData(pages={r.name for r in roots if not r.url}))
    return await _orig_resolve(roots, sources, **kwargs)
_pm.resolve = _resolve_prefetching_roots
"""


def _bench_experiment(name):
    if name == "prefetch_roots":
        exec(_PREFETCH_ROOTS, {})
    elif name != "baseline":
        raise ValueError(name)

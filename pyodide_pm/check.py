"""``pyodide-pm check``: will these wheels / requirements / this lock work in a target Pyodide, and why not?

For CI: every input is judged against every target release and the answer is a
report (table, JSON or JUnit XML) with one row per input and target, each with
the checks that ran and, for a failure, the reason in words. Bad input (a missing
file, a corrupt zip) is a failing row, never a crash. The static checks work for
any release the release catalog knows, against that release's own lock (its numpy,
pandas, ...); ``--import`` boots the pinned Pyodide in Node.js (its runtime files from
the catalog) and imports the wheels' modules for real.

JSON schema (``--format json``), stable; new keys may be added, none removed::

    {"schema_version": 1,
     "targets": [{"pyodide", "python", "abi_version", "platform", "lock"}],
     "items": [{"input", "kind", "target", "ok",
                "checks": [{"name", "ok", "status": "ok"|"fail"|"skipped", "detail"}]}],
     "ok": bool}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from micropip.index import http
from micropip.resolution.environment import TargetEnvironment
from micropip.errors import MicropipError
from micropip.index.client import DEFAULT_INDEX_URLS, IndexClient
from micropip.plan import Plan
from micropip.resolution.requirements import RootRequirement, parse_inputs, parse_requirement
from micropip.resolution.budget import DEFAULT_TIMEOUT
from micropip.resolution.resolver import resolve
from micropip.resolution.selection import explain_tags, is_sdist
from micropip.resolution.sources import Sources, evaluate_deps
from .budget_flag import add_resolve_timeout
from .catalog import PINNED_VERSION, Catalog, Release, UnknownReleaseError
from .wheel_inspect import (
    Check,
    WheelReport,
    check_metadata,
    check_requires_python,
    check_shared_libraries,
    check_tags,
    inspect_wheel,
    inspect_wheel_bytes,
    lock_library_names,
)

SCHEMA_VERSION = 1
PROBE_SCRIPT = Path(__file__).with_name("import_probe.mjs")
PROBE_TIMEOUT = 300.0  # seconds for booting Pyodide and installing/importing every wheel
_CHAIN_START = re.compile(r"^[\w.\-\[\],]+( -> [\w.\-\[\],]+)*: ")
_PYLOCK_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$", re.IGNORECASE)


# ---- the report model -----------------------------------------------------------------------


@dataclass
class Target:
    """A release to check against, with its Pyodide lock (from the release catalog)."""

    env: TargetEnvironment
    release: Release | None = None
    lock_packages: dict = field(default_factory=dict)  # canonical name -> sources.LockPackage
    library_names: frozenset[str] | None = None

    @property
    def version(self) -> str:
        return self.env.pyodide_version or ""

    @property
    def lock_location(self) -> str | None:
        """The lock's local path (a cached copy, node_modules) or URL; None without a lock."""
        if self.release is None:
            return None
        return str(self.release.lock_path) if self.release.lock_path else self.release.lock_source

    @property
    def lock_label(self) -> str:
        if self.release is None:
            return f"no pyodide-lock.json for Pyodide {self.version}"
        if self.release.lock_path is not None:
            return _display_path(self.release.lock_path)
        return self.release.lock_source

    def describe(self) -> str:
        return f"Pyodide {self.version} (Python {self.env.python_version}, pyemscripten_{self.env.abi_version}_wasm32; lock: {self.lock_label})"

    def to_dict(self) -> dict:
        return {
            "pyodide": self.version,
            "python": self.env.python_version,
            "abi_version": self.env.abi_version,
            "platform": self.env.platform,
            "lock": self.lock_location,
        }

    @classmethod
    def for_release(cls, release: Release) -> Target:
        """The release's tags and markers, and its lock's packages (at their published URLs)."""
        packages = release.lock.to_dict()["packages"]
        return cls(release.environment(), release, release.lock_packages(), lock_library_names(packages))


@dataclass
class Item:
    """One input judged against one target."""

    input: str
    kind: str  # wheel, requirement, requirements-file, lock, locked-wheel, folder, input
    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "status": c.status, "detail": c.detail} for c in self.checks],
        }


@dataclass
class Report:
    targets: list[Target]
    items: list[Item]

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "targets": [t.to_dict() for t in self.targets],
            "items": [i.to_dict() for i in self.items],
            "ok": self.ok,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_table(self) -> str:
        lines = [f"Target: {t.describe()}" for t in self.targets] + [""]
        width_kind = max([len("KIND"), *(len(i.kind) for i in self.items)])
        width_target = max([len("TARGET"), *(len(i.target) for i in self.items)])
        lines.append(f"{'TARGET':<{width_target}}  {'RESULT':<6}  {'KIND':<{width_kind}}  INPUT")
        for item in self.items:
            verdict = "ok" if item.ok else "FAIL"
            lines.append(f"{item.target:<{width_target}}  {verdict:<6}  {item.kind:<{width_kind}}  {item.input}")
            for check in item.checks:
                if check.ok and not check.skipped and check.name != "resolution":
                    continue  # a resolution that worked still says where each package comes from
                head, *rest = (check.detail or "").splitlines() or [""]
                lines.append(f"    {check.name}: {head}")
                lines += [f"        {line}" for line in rest]
        failed = sum(not i.ok for i in self.items)
        lines += ["", f"{len(self.items) - failed} ok, {failed} FAIL ({len(self.items)} checked)"]
        return "\n".join(lines) + "\n"

    def to_junit(self) -> str:
        """JUnit XML: one testsuite per target, one testcase per item, a failure per incompatible item."""
        failures = sum(not i.ok for i in self.items)
        root = ET.Element("testsuites", name="micropip check", tests=str(len(self.items)), failures=str(failures))
        for target in self.targets:
            items = [i for i in self.items if i.target == target.version]
            suite = ET.SubElement(
                root, "testsuite", name=f"Pyodide {target.version}", tests=str(len(items)),
                failures=str(sum(not i.ok for i in items)), errors="0", skipped="0",
            )
            props = ET.SubElement(suite, "properties")
            for key, value in target.to_dict().items():
                ET.SubElement(props, "property", name=key, value=str(value))
            for item in items:
                case = ET.SubElement(suite, "testcase", classname=f"pyodide-{target.version}.{item.kind}", name=item.input, time="0")
                if not item.ok:
                    reasons = [f"{c.name}: {c.detail}" for c in item.failures()]
                    failure = ET.SubElement(case, "failure", message="; ".join(r.splitlines()[0] for r in reasons), type="incompatible")
                    failure.text = "\n".join(reasons)
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"[{c.status}] {c.name}: {c.detail}" for c in item.checks)
        ET.indent(root)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def render(self, fmt: str) -> str:
        return {"table": self.to_table, "json": self.to_json, "junit": self.to_junit}[fmt]()


# ---- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """What the user named, classified once (independent of the target)."""

    label: str
    kind: str
    path: Path | None = None
    error: str | None = None


def classify_inputs(texts: list[str], requirement_files: list[str]) -> list[Input]:
    """Wheels, folders of wheels, lockfiles, requirement files; anything else is a requirement spec."""
    out: list[Input] = []
    for text in texts:
        path = Path(text)
        if path.is_dir():
            wheels = sorted(path.glob("*.whl"))
            if not wheels:
                out.append(Input(text, "folder", path, f"{text} is a folder without .whl files"))
            out += [Input(_join(text, w.name), "wheel", w) for w in wheels]
        elif path.is_file():
            if path.name.endswith(".whl"):
                out.append(Input(text, "wheel", path))
            elif path.name.lower().endswith(".json") or _PYLOCK_NAME.match(path.name):
                out.append(Input(text, "lock", path))
            elif path.name.endswith(".txt"):
                out.append(Input(text, "requirements-file", path))
            else:
                out.append(Input(text, "input", path, f"{text} is neither a wheel (.whl) nor a lockfile (*.json, pylock*.toml)"))
        elif text.endswith((".whl", ".json", ".toml", ".txt")) and " @ " not in text:
            kind = "wheel" if text.endswith(".whl") else "input"
            out.append(Input(text, kind, path, f"{text}: no such file"))
        else:
            out.append(Input(text, "requirement"))
    for text in requirement_files:
        path = Path(text)
        error = None if path.is_file() else f"{text}: no such file"
        out.append(Input(f"-r {text}", "requirements-file", path, error))
    return out


def _join(folder: str, name: str) -> str:
    return name if folder in (".", "") else os.path.join(folder, name)


def _display_path(path: Path) -> str:
    """Relative to the current folder when inside it (a user's own files), else absolute (the cache)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


# ---- checks ---------------------------------------------------------------------------------


@dataclass
class Context:
    """Shared by all checks of one run: options, the given wheels as an index, one Sources per target."""

    index_urls: tuple[str, ...]
    local_index_url: str | None
    sources: dict[str, Sources] = field(default_factory=dict)
    verbose: bool = False  # list every rejected file instead of a summary
    build_sdists: bool = False  # a pure-Python sdist counts when no wheel does (built here for its metadata)
    resolve_timeout: float | None = DEFAULT_TIMEOUT  # the resolver's budget per resolution

    def sources_for(self, target: Target) -> Sources:
        if target.version not in self.sources:
            urls = ((self.local_index_url,) if self.local_index_url else ()) + self.index_urls
            index = IndexClient(urls)
            builder = None
            if self.build_sdists:
                from micropip.package_manager import sdist_builder

                builder = sdist_builder(index)
            self.sources[target.version] = Sources(
                target.env, index, lock_packages=target.lock_packages,
                sdist_metadata=builder.metadata if builder is not None else None,
            )
        return self.sources[target.version]


def static_wheel_checks(report: WheelReport, target: Target) -> list[Check]:
    """Everything we can tell from the bytes: validity, tags, metadata, Requires-Python, side modules."""
    if report.error:
        return [Check("wheel", False, report.error)]
    checks = [
        Check("wheel", True, f"{report.name} {report.version}: a valid wheel"),
        check_tags(report, target.env),
        check_metadata(report),
        check_requires_python(report, target.env),
    ]
    libraries = check_shared_libraries(report, target.library_names, target.lock_label)
    if libraries is not None:
        checks.append(libraries)
    return checks


async def check_dependencies(report: WheelReport, target: Target, ctx: Context) -> Check:
    """Resolve the wheel's Requires-Dist for the target against the indexes, the lock and the given wheels."""
    reqs, unparsed = [], 0
    for text in report.requires_dist:
        try:
            reqs.append(Requirement(text))
        except InvalidRequirement:
            unparsed += 1
    note = f" ({unparsed} unreadable Requires-Dist ignored, see metadata)" if unparsed else ""
    deps = evaluate_deps(tuple(reqs), target.env, frozenset())
    if not deps:
        return Check("dependencies", True, "no dependencies for this target" + note)
    origin = f"{report.name} {report.version}"
    roots = [RootRequirement(r, origin) for r in deps]
    return await _resolution_check("dependencies", roots, [], target, ctx, report.name, note)


async def _resolution_check(
    name: str, roots: list[RootRequirement], constraints: list[Requirement], target: Target, ctx: Context,
    parent: str | None = None, note: str = "",
) -> Check:
    sources = ctx.sources_for(target)
    try:
        # keep_going: every requirement without a usable wheel is reported, not only the first.
        plan = await resolve(
            roots, sources, constraints=constraints, index_urls=sources.index.index_urls, keep_going=True,
            list_all_files=ctx.verbose, resolve_timeout=ctx.resolve_timeout,
        )
    except (MicropipError, ValueError) as exc:  # ValueError: packaging's Invalid* from a malformed index or URL
        message = str(exc)
        if parent:
            message = f"{parent} -> {message}" if _CHAIN_START.match(message) else f"{parent}: {message}"
        if target.release is None:
            message += f"\n({target.lock_label}: packages only Pyodide builds count as not found)"
        return Check(name, False, message + note)
    return Check(name, True, describe_plan(plan, ctx) + note)


def describe_plan(plan: Plan, ctx: Context) -> str:
    """Each resolved package, what it is and where it comes from: Pyodide's lock, an index, a built sdist."""
    parts = []
    for p in plan.install:
        if p.source == "lockfile":
            what = "from Pyodide's lock (built by Pyodide)"
        elif is_sdist(p.filename):
            what = f"sdist from {_origin(p.url)}, built into a pure wheel at install time"
        else:
            try:
                tags = parse_wheel_filename(p.filename)[3]
                pure = all(t.platform == "any" for t in tags)
            except InvalidWheelFilename:
                pure = False
            kind = "pure wheel" if pure else "emscripten wheel"
            if ctx.local_index_url and p.url.startswith(ctx.local_index_url.rsplit("simple/", 1)[0]):
                what = f"{kind}, given on the command line"
            else:
                what = f"{kind} from {_origin(p.url)}"
        parts.append(f"{p.name} {p.version}: {what}")
    if not parts:
        return "nothing to install"
    return "\n".join([f"{len(parts)} package(s) to install:", *parts])


def _origin(url: str) -> str:
    """Where a file is, in short: its host (an index's files), or the URL of a local file."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return parts.netloc.rsplit("@", 1)[-1]
    return url


async def check_wheel_input(inp: Input, report: WheelReport, target: Target, ctx: Context) -> Item:
    item = Item(inp.label, "wheel", target.version, static_wheel_checks(report, target))
    if not report.error:
        item.checks.append(await check_dependencies(report, target, ctx))
    return item


async def check_requirement_input(inp: Input, target: Target, ctx: Context) -> Item:
    item = Item(inp.label, inp.kind, target.version)
    try:
        if inp.kind == "requirement":
            roots, constraints = [parse_requirement(inp.label)], []
        else:
            assert inp.path is not None
            parsed = await parse_inputs([f"-r {inp.path}"], read_file=_read_local_text)
            roots, constraints = parsed.requirements, parsed.constraints
    except (MicropipError, ValueError) as exc:  # ValueError: packaging's InvalidRequirement and friends
        item.checks.append(Check("requirements", False, str(exc)))
        return item
    item.checks.append(Check("requirements", True, ", ".join(r.origin for r in roots) or "empty"))
    if roots:
        item.checks.append(await _resolution_check("resolution", roots, constraints, target, ctx))
    return item


async def _read_local_text(location: str) -> str:
    try:
        return Path(location).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MicropipError(f"cannot read requirements file {location}: {exc}") from exc


# ---- lockfile inputs ----------------------------------------------------------------------------


async def check_lock_input(inp: Input, target: Target) -> list[Item]:
    """The lock as a whole, then each locked wheel (read when local or on loopback, else by name)."""
    from lockfile import LockfileError, detect_format, read_pylock, read_pyodide_lock

    assert inp.path is not None
    head = Item(inp.label, "lock", target.version)
    try:
        data = inp.path.read_bytes()
        fmt = detect_format(inp.path.name, data)
        lock = read_pyodide_lock(data, source=inp.label) if fmt == "pyodide-lock" else read_pylock(data, source=inp.label)
    except (OSError, LockfileError) as exc:
        head.checks.append(Check("lockfile", False, str(exc)))
        return [head]
    head.checks.append(Check("lockfile", True, f"a valid {fmt} with {len(lock.packages)} package(s)"))
    base = inp.path.resolve().parent
    if fmt == "pyodide-lock":
        head.checks.append(_pyodide_lock_target_check(lock.info, target))
        own = target.release.lock.packages if target.release is not None else {}
        entries, same = [], 0
        for key, p in sorted(lock.packages.items()):
            mine = own.get(key)
            if mine is not None and mine.sha256 == p.sha256 and _basename(mine.file_name) == _basename(p.file_name):
                same += 1  # the target's own package, wherever the lock points for it: Pyodide built it for this release
                continue
            entries.append((f"{inp.label}:{key}", p.file_name, p.sha256, p.package_type))
        if same:
            head.checks.append(Check("pyodide-packages", True, f"{same} entries are Pyodide {target.version}'s own packages (same files, same sha256)"))
        items = [await _check_locked_file(label, location, sha, base, target, ptype) for label, location, sha, ptype in entries]
    else:
        head.checks += _pylock_target_checks(lock, target)
        items = [await _check_pylock_package(f"{inp.label}:{p.name}", p, base, target) for p in lock.packages]
    return [head, *items]


def _basename(file_name: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(file_name).path.rsplit("/", 1)[-1])


def _pyodide_lock_target_check(info, target: Target) -> Check:
    env = target.env
    problems = []
    if info.abi_version and env.abi_version and info.abi_version != env.abi_version:
        problems.append(f"ABI {info.abi_version}, the target has {env.abi_version}")
    lock_py = ".".join(str(info.python).split(".")[:2])
    if lock_py != f"{env.python.major}.{env.python.minor}":
        problems.append(f"Python {info.python}, the target has {env.python_version}")
    if info.platform and env.platform and info.platform != env.platform:
        problems.append(f"platform {info.platform}, the target has {env.platform}")
    if problems:
        return Check("lock-target", False, "the lock was made for " + "; ".join(problems))
    return Check("lock-target", True, f"made for Python {info.python}, {info.platform}")


def _pylock_target_checks(lock, target: Target) -> list[Check]:
    markers = dict(target.env.markers)
    checks = []
    if lock.requires_python:
        try:
            ok = SpecifierSet(lock.requires_python).contains(target.env.python, prereleases=True)
            checks.append(Check("requires-python", ok, f"lock requires-python {lock.requires_python}, target Python {target.env.python_version}"))
        except InvalidSpecifier:
            checks.append(Check("requires-python", False, f"invalid requires-python {lock.requires_python!r}"))
    if lock.environments:
        holds = [_marker_holds(text, markers) for text in lock.environments]
        detail = "; ".join(lock.environments)
        checks.append(Check("environments", any(holds), ("covers the target: " if any(holds) else "does not cover the target: ") + detail))
    return checks


def _marker_holds(text: str, markers: dict[str, str]) -> bool:
    try:
        return Marker(text).evaluate(markers)
    except InvalidMarker:
        return False


async def _check_pylock_package(label: str, package, base: Path, target: Target) -> Item:
    item = Item(label, "locked-wheel", target.version)
    if package.marker and not _marker_holds(package.marker, dict(target.env.markers, extra="")):
        item.checks.append(Check("marker", True, f"not installed on this target ({package.marker})", skipped=True))
        return item
    if not package.wheels:
        item.checks.append(Check("wheels", False, f"locks no wheel (only {', '.join(package.sources) or 'nothing'}); micropip installs wheels only"))
        return item
    best, reasons = None, []
    for wheel in package.wheels:
        try:
            tags = parse_wheel_filename(wheel.filename)[3]
        except InvalidWheelFilename as exc:
            reasons.append(f"{wheel.filename}: not a wheel file name ({exc})")
            continue
        ranks = [target.env.tag_rank[t] for t in tags if t in target.env.tag_rank]
        if not ranks:
            reasons.append(f"{wheel.filename}: {explain_tags(tags, target.env)}")
        elif best is None or min(ranks) < best[0]:
            best = (min(ranks), wheel)
    if best is None:
        item.checks.append(Check("tags", False, "no locked wheel fits this target:\n" + "\n".join(reasons)))
        return item
    wheel = best[1]
    location = wheel.url or wheel.path or wheel.filename
    return await _check_locked_file(label, location, wheel.hashes.get("sha256"), base, target, "package", item)


async def _check_locked_file(
    label: str, location: str, sha256: str | None, base: Path, target: Target, package_type: str, item: Item | None = None
) -> Item:
    item = item or Item(label, "locked-wheel", target.version)
    filename = urllib.parse.unquote(urllib.parse.urlsplit(location).path.rsplit("/", 1)[-1])
    if package_type != "package" or not filename.endswith(".whl"):
        item.kind = "locked-file"
        item.checks.append(Check("file", True, f"{filename}: a {package_type} archive Pyodide loads itself (not a wheel)", skipped=True))
        return item
    by_name = _report_from_name(filename, location)
    if by_name.error:
        item.checks.append(Check("wheel", False, by_name.error))
        return item
    tags = check_tags(by_name, target.env)
    url = _locked_url(location, base)
    if not tags.ok or url is None:
        item.checks.append(tags)
        if tags.ok:
            item.checks.append(Check("download", True, f"{location} is not local: only its file name was checked", skipped=True))
        return item
    try:
        data = await http.download(url, sha256=sha256, what=filename)
    except MicropipError as exc:
        item.checks.append(Check("download", False, str(exc)))
        return item
    item.checks.append(Check("download", True, f"read {url}" + (" (sha256 verified)" if sha256 else " (no sha256 in the lock)")))
    item.checks += static_wheel_checks(inspect_wheel_bytes(filename, data, source=url), target)
    return item


def _locked_url(location: str, base: Path) -> str | None:
    """Where to read a locked file from, or None when it is neither local nor on loopback."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        return location if host in ("localhost", "::1") or host.startswith("127.") else None
    if parts.scheme == "file":
        return location
    if parts.scheme:
        return None
    return (base / urllib.parse.unquote(location)).resolve().as_uri()


def _report_from_name(filename: str, source: str) -> WheelReport:
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename as exc:
        return WheelReport(filename, source, error=f"not a wheel file name: {exc}")
    return WheelReport(filename, source, tags=tags)


# ---- --import: real Pyodide in Node.js ----------------------------------------------------------


class ImportProbeError(MicropipError):
    """The Node.js import probe could not run (no node, Pyodide failed to boot, timeout)."""


def run_import_probe(wheels: list[WheelReport], index_urls: list[str], work_dir: Path, release: Release) -> dict[str, dict]:
    """Install each wheel into one fresh Pyodide of ``release`` and import its modules; results by file name."""
    from .bundle import write_bundle

    # Bare names for Pyodide's own entries: its loader under Node reads those beside the lock or
    # downloads them from its CDN, where it cannot load a URL from a lock at all.
    lock = write_bundle(work_dir / "bundle", release=release, for_node=True)
    request = {
        "pyodide": str(release.runtime_file("pyodide.mjs")),
        "lockFileURL": str(lock.resolve()),
        "indexUrls": index_urls,
        "wheels": [{"path": str(Path(w.source).resolve()), "name": w.name, "modules": list(w.top_level)} for w in wheels],
    }
    request_path = work_dir / "probe-request.json"
    request_path.write_text(json.dumps(request))
    node = shutil.which("node")
    if node is None:
        raise ImportProbeError("node (Node.js) is not on PATH; the import check needs it")
    try:
        proc = subprocess.run([node, str(PROBE_SCRIPT), str(request_path)], capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ImportProbeError(f"the import probe did not finish within {PROBE_TIMEOUT:.0f} s") from exc
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ImportProbeError(f"the import probe failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}") from None
    if not answer.get("ok"):
        raise ImportProbeError(f"the import probe failed: {answer.get('error')}")
    return {r["filename"]: r for r in answer["results"]}


def import_check(result: dict | None) -> Check:
    if result is None:
        return Check("import", False, "the import probe returned nothing for this wheel")
    if not result["install"]["ok"]:
        return Check("import", False, f"micropip.install failed: {result['install']['error']}")
    failed = [f"import {r['module']}: {r['error']}" for r in result["imports"] if not r["ok"]]
    if failed:
        return Check("import", False, "; ".join(failed))
    modules = ", ".join(r["module"] for r in result["imports"]) or "nothing to import"
    return Check("import", True, f"installed and imported in Pyodide: {modules}")


def add_import_checks(items: list[tuple[Item, WheelReport]], target: Target, ctx: Context, work_dir: Path) -> None:
    """Append an ``import`` check to each wheel item: run in the pinned release, skipped for others."""
    if target.version != PINNED_VERSION or target.release is None:
        why = f"skipped: micropip runs in Pyodide {PINNED_VERSION}, not {target.version}"
        for item, _report in items:
            item.checks.append(Check("import", True, why + "; the static checks above still apply", skipped=True))
        return
    runnable = []
    for item, report in items:
        blocking = [c for c in item.checks if not c.ok and c.name in ("wheel", "tags", "requires-python")]
        if blocking:
            item.checks.append(Check("import", True, "skipped: the wheel cannot be installed in this target", skipped=True))
        else:
            runnable.append((item, report))
    if not runnable:
        return
    urls = ([ctx.local_index_url] if ctx.local_index_url else []) + list(ctx.index_urls)
    try:
        results = run_import_probe([r for _i, r in runnable], urls, work_dir, target.release)
    except MicropipError as exc:
        for item, _report in runnable:
            item.checks.append(Check("import", False, str(exc)))
        return
    for item, report in runnable:
        item.checks.append(import_check(results.get(report.filename)))


# ---- orchestration -----------------------------------------------------------------------------


@dataclass
class CheckOptions:
    inputs: list[str]
    requirement_files: list[str] = field(default_factory=list)
    pyodide: list[str] = field(default_factory=lambda: [PINNED_VERSION])
    pyodide_lock: str | None = None  # FILE or URL: this lock instead of the catalog's (one target)
    index_urls: list[str] | None = None
    run_imports: bool = False
    verbose: bool = False
    build_sdists: bool = False
    resolve_timeout: float | None = DEFAULT_TIMEOUT


def run_check(options: CheckOptions) -> Report:
    """Judge every input against every target and return the report."""
    catalog = Catalog()
    if options.pyodide_lock:
        if len(options.pyodide) > 1:
            raise MicropipError("--pyodide-lock gives one target's lock: pass at most one --pyodide with it")
        releases = [catalog.release_from_lock(options.pyodide_lock, options.pyodide[0] if options.pyodide else None)]
    else:
        releases = [catalog.release(v) for v in dict.fromkeys(catalog.resolve_version(v) for v in options.pyodide)]
    targets = [Target.for_release(release) for release in releases]
    inputs = classify_inputs(options.inputs, options.requirement_files)
    wheels = {inp.path: inspect_wheel(inp.path) for inp in inputs if inp.kind == "wheel" and not inp.error and inp.path}
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="micropip-check-")))
        local_url = _serve_given_wheels([r for r in wheels.values() if not r.error], work_dir / "given", stack)
        ctx = Context(
            tuple(options.index_urls or DEFAULT_INDEX_URLS), local_url, verbose=options.verbose,
            build_sdists=options.build_sdists, resolve_timeout=options.resolve_timeout,
        )
        items: list[Item] = []
        for target in targets:
            target_items = asyncio.run(_check_target(inputs, wheels, target, ctx))
            if options.run_imports:
                wheel_items = [(item, wheels[inp.path]) for inp, item in target_items if inp.kind == "wheel" and inp.path in wheels and item.kind == "wheel"]
                add_import_checks(wheel_items, target, ctx, work_dir)
            items += [item for _inp, item in target_items]
            ctx.sources.clear()  # the Sources' futures belong to the event loop that just ended
    return Report(targets, items)


async def _check_target(inputs: list[Input], wheels: dict, target: Target, ctx: Context) -> list[tuple[Input, Item]]:
    out: list[tuple[Input, Item]] = []
    for inp in inputs:
        if inp.error:
            out.append((inp, Item(inp.label, inp.kind, target.version, [Check("file", False, inp.error)])))
        elif inp.kind == "wheel":
            out.append((inp, await check_wheel_input(inp, wheels[inp.path], target, ctx)))
        elif inp.kind == "lock":
            out += [(inp, item) for item in await check_lock_input(inp, target)]
        else:
            out.append((inp, await check_requirement_input(inp, target, ctx)))
    return out


def _serve_given_wheels(reports: list[WheelReport], folder: Path, stack: ExitStack) -> str | None:
    """Serve the readable given wheels as an index, so they satisfy each other's dependencies."""
    if not reports:
        return None
    from index_server.server import start_server

    folder.mkdir(parents=True)
    for report in reports:
        shutil.copyfile(report.source, folder / report.filename)
    server = stack.enter_context(start_server(folder))
    return server.simple_url


# ---- command line ------------------------------------------------------------------------------


def release_version(text: str) -> str:
    """``--pyodide VERSION`` as argparse reads it: a release the catalog knows ("314" -> its newest)."""
    try:
        return Catalog().resolve_version(text)
    except UnknownReleaseError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_main(args: argparse.Namespace) -> int:
    """The ``check`` subcommand: 0 all compatible, 1 something is not, 2 usage error."""
    if not args.inputs and not args.requirement:
        args.check_parser.error("give wheels, folders, requirements, -r FILE or a lockfile to check")
    options = CheckOptions(
        inputs=list(args.inputs),
        requirement_files=list(args.requirement or []),
        pyodide=list(args.pyodide or ([] if args.pyodide_lock else [PINNED_VERSION])),
        pyodide_lock=args.pyodide_lock,
        index_urls=args.index_url,
        run_imports=args.run_imports,
        verbose=args.verbose,
        build_sdists=args.build_sdists,
        resolve_timeout=args.resolve_timeout,
    )
    report = run_check(options)
    text = report.render(args.format)
    if args.output:
        Path(args.output).write_text(text)
        table = report.to_table()
        print(table if args.format != "table" else table.splitlines()[-1] + "\n", end="")
        print(f"wrote the {args.format} report to {args.output}")
    else:
        print(text, end="")
    return 0 if report.ok else 1


def add_check_parser(sub) -> None:
    """Register ``check`` on the ``pyodide-pm`` command line."""
    p = sub.add_parser(
        "check",
        help="say whether wheels, requirements or a lock work in a target Pyodide, and why not",
        description="Check wheels, folders of wheels, requirement specs, requirements files or a lockfile "
        "(pyodide-lock.json, pylock.toml) against one or more Pyodide releases: wheel tags, core "
        "metadata, Requires-Python, dependencies, WebAssembly side modules and, with --import, a real import.",
        epilog="Exit status: 0 everything is compatible, 1 something is not, 2 usage error.\n\nExamples:\n"
        "  pyodide-pm check dist/\n"
        "  pyodide-pm check dist/*.whl --pyodide 314.0.7 --pyodide 0.27.7 --format junit -o check.xml\n"
        "  pyodide-pm check -r requirements.txt --index-url http://127.0.0.1:8000/simple/\n"
        "  pyodide-pm check dist/mypkg-1.0-py3-none-any.whl --import",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="wheel, folder of wheels, lockfile (*.json, pylock*.toml) or requirement spec")
    p.add_argument("-r", "--requirement", action="append", metavar="FILE", help="a requirements file (repeatable)")
    p.add_argument(
        "--pyodide", action="append", type=release_version, metavar="VERSION",
        help=f"target release, repeatable (default {PINNED_VERSION}); any release on the npm registry, "
        "e.g. 0.27.7, or 314 for the newest 314.x",
    )
    p.add_argument(
        "--pyodide-lock", metavar="FILE|URL",
        help="the target's pyodide-lock.json, instead of the one the release catalog gets from the npm registry",
    )
    p.add_argument("-i", "--index-url", action="append", metavar="URL", help="index for dependencies (repeatable; default PyPI)")
    p.add_argument("--import", dest="run_imports", action="store_true", help="also install the wheels into the pinned Pyodide (Node.js) and import their modules")
    p.add_argument(
        "--build-sdists", action="store_true",
        help="accept a pure-Python sdist when a release has no usable wheel, as install(..., build_sdists=True) does "
        "(built on this host when its PKG-INFO is not static; C extensions are refused)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list every rejected file of a project without a usable wheel (default: a summary)")
    p.add_argument("--format", choices=["table", "json", "junit"], default="table", help="report format (default table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (a summary table still goes to stdout)")
    add_resolve_timeout(p)
    p.set_defaults(func=check_main, check_parser=p)


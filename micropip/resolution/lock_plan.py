"""Turn a lockfile into a Plan: no resolution, only checks that the lock fits.

A lock is made for one target (Python, ABI, platform). Installing it anywhere
else would load wheels that cannot work, so a mismatch is refused with the
field that differs. The resulting Plan feeds the same fetch -> verify ->
install pipeline as ``install``.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
import urllib.parse
from collections.abc import Iterable

from packaging.utils import (
    InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename, parse_wheel_filename,
)
from packaging.version import Version

from lockfile import LockfileError, detect_format, read_pyodide_lock

from .environment import TargetEnvironment
from .selection import is_sdist
from ..errors import LockfileMismatchError, MicropipError
from ..plan import Plan, PlannedPackage


def resolve_file_url(lock_location: str, file_name: str) -> str:
    """A lock's file names are relative to the lock itself (as Pyodide's loader does)."""
    if "://" in file_name or file_name.startswith(("emfs:", "file:")):
        return file_name
    if "://" in lock_location or lock_location.startswith(("emfs:", "file:")):
        return urllib.parse.urljoin(lock_location, file_name)
    return posixpath.join(posixpath.dirname(lock_location), file_name)


def plan_from_lockfile(
    text: bytes | str,
    location: str,
    env: TargetEnvironment,
    *,
    installed: dict[str, str],
    names: Iterable[str] | None = None,
    reinstall: bool = False,
    runtime_lock: dict | None = None,
) -> Plan:
    """The locked set as a Plan; ``installed`` maps canonical names to installed versions.

    ``names`` limits the plan to those packages and what they depend on. With
    ``names=None`` a ``pyodide-lock.json`` contributes the entries the running Pyodide's
    own lockfile lacks and what they need (for a ``freeze()`` output: what micropip
    added; for ``pyodide-pm lock``'s: the app's packages), while a ``pylock.toml``
    contributes every package for this environment.
    """
    try:
        kind = detect_format(location, text)
        if kind == "pylock":
            entries = _pylock_entries(text, location, env)
        else:
            entries = _pyodide_lock_entries(text, location, env, runtime_lock, names is not None)
    except LockfileError as exc:
        raise MicropipError(f"cannot use lockfile {location}: {exc}") from exc
    chosen = _closure(entries, names, location) if names is not None else set(entries)
    depended = {d for n in chosen for d in entries[n].depends}
    plan = Plan()
    for name in sorted(chosen):
        pkg = entries[name]
        have = installed.get(name)
        if have is not None and not reinstall and _same_version(have, pkg.version):
            plan.keep.append((name, have))
            continue
        if have is not None:
            plan.replace.append(name)
        plan.install.append(
            PlannedPackage(
                name=pkg.name,
                version=pkg.version,
                source="lockfile",
                url=pkg.url,
                filename=pkg.filename,
                sha256=pkg.sha256,
                requested=pkg.name not in depended,
                required_by=("lockfile",),
                size=pkg.size,
                depends=pkg.depends,
                direct_url=pkg.direct_url,  # a pylock archive: a direct reference, recorded as such
            )
        )
    return plan


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except Exception:
        return a == b


def _closure(entries: dict[str, PlannedPackage], names: Iterable[str], location: str) -> set[str]:
    todo = [canonicalize_name(n) for n in names]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in entries:
            raise MicropipError(f"{name!r} is not in lockfile {location}; locked packages: {', '.join(sorted(entries)) or 'none'}")
        seen.add(name)
        todo.extend(entries[name].depends)
    return seen


def _entry(
    name: str, version: str, url: str, sha256: str | None, depends: Iterable[str], size: int | None, location: str,
    *, filename: str = "",
) -> PlannedPackage:
    if not sha256:
        raise MicropipError(
            f"lockfile {location} has no sha256 for {name} {version}; every locked file must be pinned by hash. "
            "Regenerate the lock (pyodide-pm lock ...)."
        )
    filename = filename or urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    if not version:  # optional in pylock.toml: the file's name says it
        try:
            parsed = parse_sdist_filename(filename) if is_sdist(filename) else parse_wheel_filename(filename)
            version = str(parsed[1])
        except (InvalidWheelFilename, InvalidSdistFilename) as exc:
            raise MicropipError(
                f"lockfile {location}: {filename} for {name} is not a wheel or sdist file name, and the entry gives "
                f"no version: {exc}; add version = \"...\" to the entry"
            ) from exc
    return PlannedPackage(
        name=canonicalize_name(name),
        version=version,
        source="lockfile",
        url=url,
        filename=filename,
        sha256=sha256.lower(),
        requested=False,
        required_by=(),
        size=size,
        depends=tuple(sorted(canonicalize_name(d) for d in depends)),
    )


def _pyodide_lock_entries(
    text: bytes | str, location: str, env: TargetEnvironment, runtime_lock: dict | None, explicit: bool
) -> dict[str, PlannedPackage]:
    lock = read_pyodide_lock(text, source=location)
    check_pyodide_lock_target(lock.info, env, location)
    runtime = (runtime_lock or {}).get("packages") or {}
    out: dict[str, PlannedPackage] = {}
    for key, pkg in lock.packages.items():
        if pkg.package_type != "package":
            continue  # shared libraries and stdlib modules belong to Pyodide's own loader
        ours = runtime.get(key)
        if not explicit and isinstance(ours, dict) and ours.get("sha256") == pkg.sha256:
            continue  # the running Pyodide's own package: loadPackage's business
        url = resolve_file_url(location, pkg.file_name)
        out[canonicalize_name(pkg.name)] = _entry(pkg.name, pkg.version, url, pkg.sha256, pkg.depends, None, location)
    if not explicit and runtime:
        # A lock made on the host is the release's own lock plus the app's packages; where the
        # running lock has another build of one of Pyodide's packages (a bundle's micropip and
        # packaging), that entry is loadPackage's business too, unless a package the lock adds needs it.
        known = {canonicalize_name(k) for k in runtime}
        todo = [n for n in out if n not in known]
        needed: set[str] = set()
        while todo:
            name = todo.pop()
            if name in out and name not in needed:
                needed.add(name)
                todo.extend(out[name].depends)
        out = {n: e for n, e in out.items() if n in needed}
    # Dependencies on packages left out above are satisfied by Pyodide's own lock.
    for name, entry in list(out.items()):
        out[name] = _with_depends(entry, tuple(d for d in entry.depends if d in out or explicit))
    return out


def _with_depends(entry: PlannedPackage, depends: tuple[str, ...]) -> PlannedPackage:
    return replace(entry, depends=depends)


def check_pyodide_lock_target(info, env: TargetEnvironment, location: str) -> None:
    """Refuse a lock made for another Python, ABI or platform, naming the field."""
    problems = []
    running_py = Version(env.python_version)
    if info.python:
        try:
            locked = Version(info.python)
            if (locked.major, locked.minor) != (running_py.major, running_py.minor):
                problems.append(f"python: the lock is for Python {info.python}, this is Python {env.python_version}")
        except Exception:
            problems.append(f"python: {info.python!r} is not a Python version")
    if info.abi_version and env.abi_version and info.abi_version != env.abi_version:
        problems.append(f"abi_version: the lock is for ABI {info.abi_version}, this Pyodide has ABI {env.abi_version}")
    if info.arch and env.markers.get("platform_machine") and info.arch != env.markers["platform_machine"]:
        problems.append(f"arch: the lock is for {info.arch}, this is {env.markers['platform_machine']}")
    if info.platform and env.platform and not info.abi_version and info.platform != env.platform:
        problems.append(f"platform: the lock is for {info.platform}, this is {env.platform}")
    if problems:
        raise LockfileMismatchError(
            f"lockfile {location} does not match this Pyodide ({env.pyodide_version or 'unknown version'}):\n  "
            + "\n  ".join(problems)
            + "\nCreate the lock for this target: pyodide-pm lock ... --pyodide <version>"
        )


def _pylock_entries(text: bytes | str, location: str, env: TargetEnvironment) -> dict[str, PlannedPackage]:
    from lockfile.pylock import read_pylock, select_files  # tomllib: only for pylock.toml

    lock = read_pylock(text, source=location)
    try:  # also checks environments and requires-python against this interpreter
        selected = select_files(lock, env.markers, env.tags)
    except LockfileError as exc:
        raise LockfileMismatchError(f"lockfile {location} does not fit this Pyodide: {exc}") from exc
    out: dict[str, PlannedPackage] = {}
    for pkg, locked in selected:  # a wheel, an sdist (built at install, with build_sdists) or an archive
        if locked.url:
            url = locked.url
        elif locked.path:
            url = resolve_file_url(location, locked.path)
        else:  # the reader promises one of the two
            raise MicropipError(f"lockfile {location}: the {locked.kind} of {pkg.name} has neither url nor path")
        deps = [d.get("name") for d in pkg.dependencies if isinstance(d, dict) and d.get("name")]
        sha = locked.hashes.get("sha256")
        entry = _entry(pkg.name, str(pkg.version or ""), url, sha, deps, locked.size, location, filename=locked.filename)
        out[canonicalize_name(pkg.name)] = replace(entry, direct_url=locked.kind == "archive")
    # pylock dependencies may name packages excluded by markers: keep only locked ones.
    for name, entry in list(out.items()):
        out[name] = _with_depends(entry, tuple(d for d in entry.depends if d in out))
    return out

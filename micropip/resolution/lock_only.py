"""The plan of an install Pyodide's lockfile alone decides, made without the resolver.

For roots named bare (``install("ipython")``) that the lock has with all they depend on, the
resolver takes each lock entry as it is (``sources.Sources``): the lock's closure, less what is
installed at the lock's version. Compiling it (~300 ms in Chromium) only held back wheels that
had arrived (``installation.early_lock``). ``plan`` is None when the resolver might decide
otherwise: another root, a dependency the lock has no package for, a pre-release, an installed
version other than the lock's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from .. import transport
from ..plan import Plan, PlannedPackage

_BARE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*$")


def bare_names(requirements: str | Iterable[object]) -> list[str] | None:
    """The roots' normalized names if all are bare names."""
    items = [requirements] if isinstance(requirements, str) else list(requirements)
    names = []
    for item in items:
        m = _BARE.match(item) if isinstance(item, str) else None
        if m is None:
            return None
        names.append(transport.normalized_name(m[1]))
    return names or None


def lock_entries(lock: dict) -> dict[str, tuple[str, dict]]:
    """normalized name -> (name as the lock spells it, entry)."""
    out = {}
    for key, entry in (lock.get("packages") or {}).items():
        if isinstance(entry, dict):
            raw = str(entry.get("name") or key)
            out[transport.normalized_name(raw)] = (raw, entry)
    return out


def closure(
    roots: Iterable[str], entries: Mapping[str, tuple[str, dict]], *, deps: bool = True, stop: Iterable[str] = ()
) -> tuple[dict[str, list[str]], bool]:
    """What ``roots`` reach by the lock's ``depends`` (not via ``stop``), each with its
    dependents; and whether the lock has a package for each."""
    skip = set(stop)
    parents: dict[str, list[str]] = {}
    complete = True
    todo = [(name, None) for name in roots]
    while todo:
        name, parent = todo.pop()
        if name in skip:
            continue
        found = entries.get(name)
        if found is None or found[1].get("package_type", "package") != "package":
            complete = False
            continue
        seen = name in parents
        links = parents.setdefault(name, [])
        if parent is not None and parent not in links:
            links.append(parent)
        if deps and not seen:
            todo.extend((transport.normalized_name(str(d)), name) for d in found[1].get("depends") or [])
    return parents, complete


def lock_closure(
    requirements: str | Iterable[object], lock: dict, loaded: Iterable[str] = (), *, deps: bool = True
) -> list[dict]:
    """The lock entries the resolver will take for the bare-named roots in ``lock``, none
    ``loaded``: what ``installation.early_lock`` downloads before resolving."""
    items = [requirements] if isinstance(requirements, str) else list(requirements)
    entries = lock_entries(lock)
    roots = []
    for item in items:
        named = bare_names([item])
        if named is not None and named[0] in entries:
            roots.append(named[0])
    reached, _complete = closure(roots, entries, deps=deps, stop={transport.normalized_name(n) for n in loaded})
    return [entries[name][1] for name in reached]


def plan(
    requirements: str | Iterable[object],
    lock: dict,
    base_url: str,
    installed: Callable[[], Mapping[str, tuple[str, str]]],
    *,
    deps: bool = True,
    pre: bool = False,
) -> Plan | None:
    """The resolver's plan, or None. ``installed()``: name -> (name, version), asked only
    when the lock has every package (a scan)."""
    from packaging.version import InvalidVersion, Version

    roots = bare_names(requirements)
    if roots is None:
        return None
    entries = lock_entries(lock)
    parents, complete = closure(roots, entries, deps=deps)
    if not complete:
        return None
    installed = installed()
    versions: dict[str, Version] = {}
    try:
        for name in parents:
            versions[name] = Version(str(entries[name][1].get("version", "")))
            if versions[name].is_prerelease and not pre:
                return None
            if name in installed and Version(installed[name][1]) != versions[name]:
                return None
    except InvalidVersion:
        return None

    def label(name: str) -> str:  # as the resolver names a candidate: an installed one by its own name
        return f"{installed[name][0] if name in installed else name} {versions[name]}"

    result = Plan()
    requested = set(roots)
    for name in sorted(parents):
        if name in installed:
            result.keep.append((installed[name][0], str(versions[name])))
            continue
        entry = entries[name][1]
        file_name, sha256 = entry.get("file_name"), entry.get("sha256")
        if not isinstance(file_name, str) or not file_name.endswith(".whl"):
            return None
        why = sorted([label(p) for p in parents[name]] + (["requested"] if name in requested else []))
        depends = {transport.normalized_name(str(d)) for d in entry.get("depends") or []} if deps else set()
        result.install.append(
            PlannedPackage(
                name=name,
                version=str(versions[name]),
                source="lockfile",
                url=transport.lock_file_url(file_name, base_url),
                filename=transport.lock_file_basename(file_name),
                sha256=sha256 if isinstance(sha256, str) else None,
                requested=name in requested,
                required_by=tuple(dict.fromkeys(why or ["requested"])),
                depends=tuple(sorted(depends - {name})),
            )
        )
    return result

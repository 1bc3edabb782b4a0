"""The lockfile-only plan (``resolution.lock_only``) against the resolver's, on Pyodide's own lockfile.

A first ``install("ipython")`` skips the resolver when the lock decides everything; that is
right only if the plan it makes is the one the resolver would have made. Each package of
the real lockfile is a root here, with nothing installed and with part of its closure
installed, and every field of the two plans is compared.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from micropip.index.client import IndexClient
from micropip.resolution.environment import TargetEnvironment
from micropip.resolution.lock_only import plan as lock_only_plan
from micropip.resolution.requirements import parse_requirement
from micropip.resolution.resolver import resolve
from micropip.resolution.sources import InstalledInfo, Sources, lock_packages_from

ENV = TargetEnvironment.for_pyodide("314.0.7")
LOCK_PATH = Path(__file__).resolve().parents[1] / "node_modules" / "pyodide" / "pyodide-lock.json"
BASE = "https://cdn.example/pyodide/v314/"
NO_INDEX = "http://127.0.0.1:9/simple/"  # nothing listens: a request would fail the comparison


def _lock() -> dict:
    if not LOCK_PATH.exists():
        pytest.fail(f"{LOCK_PATH} is missing: run bash scripts/test.sh, which installs the npm package pyodide")
    return json.loads(LOCK_PATH.read_text())


def _resolved(roots: list[str], lock: dict, installed: dict[str, InstalledInfo]):
    index = IndexClient((NO_INDEX,))
    sources = Sources(ENV, index, lock_packages=lock_packages_from(lock, BASE), installed=installed)
    plan = asyncio.run(resolve([parse_requirement(r) for r in roots], sources, index_urls=(NO_INDEX,)))
    assert index.bytes_fetched == 0
    return plan


def _fields(plan) -> tuple:
    return ([(p.name, p.version, p.source, p.url, p.filename, p.sha256, p.requested, p.required_by, p.depends, p.extras,
              p.direct_url) for p in plan.install], sorted(plan.keep), plan.replace, plan.warnings)


def test_every_lockfile_package_plans_as_the_resolver_does():
    lock = _lock()
    compared = 0
    for key in sorted(lock["packages"]):
        made = lock_only_plan([key], lock, BASE, dict)
        if made is None:  # shared libraries, or a closure that reaches one: the resolver decides
            continue
        assert _fields(made) == _fields(_resolved([key], lock, {})), key
        compared += 1
    assert compared > 250, compared  # every package but the test suites (archives, not wheels) and shared-library users


def test_what_is_installed_at_the_locks_version_is_kept_and_walked_through():
    lock = _lock()
    entries = lock["packages"]
    roots = ["ipython", "Jinja2"]
    first = lock_only_plan(roots, lock, BASE, dict)
    assert first is not None and len(first.install) > 5
    kept = {p.name for p in first.install if not p.requested and p.depends}  # a dependency with dependencies
    assert kept
    installed = {n: (entries[n]["name"], entries[n]["version"]) for n in kept}
    infos = {n: InstalledInfo(name, version, ()) for n, (name, version) in installed.items()}
    made = lock_only_plan(roots, lock, BASE, lambda: installed)
    assert made is not None and {k[0] for k in made.keep} == {entries[n]["name"] for n in kept}
    assert _fields(made) == _fields(_resolved(roots, lock, infos))


def test_when_the_lock_does_not_decide_everything_the_resolver_is_asked():
    lock = _lock()
    entries = lock["packages"]
    name = "traitlets"
    other = {name: (entries[name]["name"], "0.1")}  # installed, but not at the lock's version
    assert lock_only_plan(["ipython"], lock, BASE, lambda: other) is None
    assert lock_only_plan(["ipython>=1"], lock, BASE, dict) is None
    assert lock_only_plan(["ipython[all]"], lock, BASE, dict) is None
    assert lock_only_plan(["ipython", "rich-but-not-in-the-lock"], lock, BASE, dict) is None
    assert lock_only_plan(["https://example.org/x-1.0-py3-none-any.whl"], lock, BASE, dict) is None
    assert lock_only_plan([], lock, BASE, dict) is None
    pre = json.loads(json.dumps(lock))
    pre["packages"]["traitlets"]["version"] = "6.0rc1"
    assert lock_only_plan(["ipython"], pre, BASE, dict) is None
    assert lock_only_plan(["ipython"], pre, BASE, dict, pre=True) is not None
    missing = json.loads(json.dumps(lock))
    del missing["packages"]["traitlets"]
    assert lock_only_plan(["ipython"], missing, BASE, dict) is None
    shared = [k for k, e in entries.items() if any(entries.get(d, {}).get("package_type") == "shared_library" for d in e.get("depends", []))]
    assert shared and all(lock_only_plan([k], lock, BASE, dict) is None for k in shared)


def test_without_dependencies_only_the_roots():
    lock = _lock()
    made = lock_only_plan("ipython", lock, BASE, dict, deps=False)
    assert [p.name for p in made.install] == ["ipython"] and made.install[0].depends == ()
    index = IndexClient((NO_INDEX,))
    sources = Sources(ENV, index, lock_packages=lock_packages_from(lock, BASE), installed={})
    resolved = asyncio.run(resolve([parse_requirement("ipython")], sources, index_urls=(NO_INDEX,), deps=False))
    assert _fields(made) == _fields(resolved)

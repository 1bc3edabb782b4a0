"""Resolve the site's packages on the host, for the target release, as micropip would there.

The requirements (installed when the site starts) and the ``--available`` ones (only
offered in the site's index) are resolved together, so the two sets agree on every
shared dependency; then the requirements' closure is read off the plan's dependency
graph. Candidates come from the site's own lock (Pyodide's packages and ours), then
the deployer's wheels, then the indexes: the resolver and its explanations are
micropip's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from micropip.index import http
from micropip.index.client import DEFAULT_INDEX_URLS, IndexClient
from micropip.index.project import ProjectPage
from micropip.plan import Plan, PlannedPackage
from micropip.resolution.requirements import RootRequirement, parse_inputs
from micropip.resolution.resolver import resolve
from micropip.resolution.sources import LockPackage, Sources
from micropip.errors import ResolutionError

from ..catalog import Release
from .local_wheels import local_first
from .options import SiteError


@dataclass
class Closure:
    """The resolution's answer, split the way the site is laid out."""

    plan: Plan
    roots: list[str]  # canonical names of the requirements (what the site preloads)
    required: set[str]  # the requirements and everything they depend on

    @property
    def packages(self) -> dict[str, PlannedPackage]:
        return {p.name: p for p in self.plan.install}

    def is_required(self, package: PlannedPackage) -> bool:
        return package.name in self.required


async def _parse(items: list[str]) -> tuple[list[RootRequirement], list]:
    parsed = await parse_inputs(items, read_file=http.read_requirements_text)
    return parsed.requirements, parsed.constraints


async def resolve_closure(
    requirements: list[str],
    available: list[str],
    *,
    release: Release,
    lock_packages: dict[str, LockPackage],
    index_urls: list[str],
    local: dict[str, ProjectPage],
    pre: bool = False,
) -> Closure:
    """Resolve both sets for ``release``; raises ``SiteError`` with the resolver's explanation."""
    roots, constraints = await _parse(requirements)
    offered, more_constraints = await _parse(available)
    urls = tuple(index_urls or DEFAULT_INDEX_URLS)
    indexes = IndexClient(urls)
    sources = Sources(release.environment(), IndexClient(urls, lookup=local_first(local, indexes)), lock_packages=lock_packages)
    try:
        plan = await resolve(roots + offered, sources, pre=pre, constraints=constraints + more_constraints, index_urls=urls)
    except ResolutionError as exc:
        raise SiteError(f"the site's packages cannot be resolved for Pyodide {release.version}:\n{exc}") from None
    by_name = {p.name: p for p in plan.install}
    names = list(dict.fromkeys(r.name for r in roots if r.name in by_name))
    required: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in required or name not in by_name:
            continue
        required.add(name)
        todo.extend(by_name[name].depends)
    return Closure(plan, names, required)

"""``micropip.check()``: is the installed set consistent? (like ``pip check``)

After uninstalls, ``deps=False`` installs or mock packages, a distribution may
require something that is missing or at the wrong version; this finds each such
broken requirement in the running interpreter, in Pyodide or on CPython.
Markers are evaluated for the running interpreter; requirements that apply only
to an extra are not counted (we do not know which extras were asked for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .installed import InstalledDist, installed_distributions

MISSING, CONFLICT, INVALID = "missing", "conflict", "invalid"


@dataclass(frozen=True)
class DependencyProblem:
    """One unmet requirement of one installed distribution."""

    name: str
    version: str
    requirement: str
    kind: str  # MISSING, CONFLICT or INVALID (the Requires-Dist line cannot be parsed)
    installed_version: str | None = None

    def __str__(self) -> str:
        if self.kind == MISSING:
            return f"{self.name} {self.version} requires {Requirement(self.requirement).name}, which is not installed"
        if self.kind == CONFLICT:
            dep = Requirement(self.requirement).name
            return f"{self.name} {self.version} has requirement {self.requirement}, but you have {dep} {self.installed_version}"
        return f"{self.name} {self.version} has an invalid requirement {self.requirement!r}"


def find_problems(dists: Sequence[InstalledDist] | None = None) -> list[DependencyProblem]:
    """Every unmet requirement of the visible distributions, sorted by distribution name."""
    dists = list(installed_distributions() if dists is None else dists)
    versions = {d.canonical_name: d.version for d in dists}
    problems: list[DependencyProblem] = []
    for dist in sorted(dists, key=lambda d: d.canonical_name):
        for text in dist.requires:
            problem = _check_requirement(dist, text, versions)
            if problem is not None:
                problems.append(problem)
    return problems


def _check_requirement(dist: InstalledDist, text: str, versions: dict[str, str]) -> DependencyProblem | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return DependencyProblem(dist.name, dist.version, text, INVALID)
    if req.marker is not None:
        try:
            if not req.marker.evaluate({"extra": ""}):
                return None
        except (UndefinedComparison, UndefinedEnvironmentName):
            return None
    have = versions.get(canonicalize_name(req.name))
    shown = _without_marker(req)
    if have is None:
        return DependencyProblem(dist.name, dist.version, shown, MISSING)
    if req.url or not req.specifier:
        return None
    try:
        ok = req.specifier.contains(Version(have), prereleases=True)
    except InvalidVersion:
        ok = False
    return None if ok else DependencyProblem(dist.name, dist.version, shown, CONFLICT, have)


def _without_marker(req: Requirement) -> str:
    """``y>=2`` rather than ``y>=2; python_version >= "3"``: the marker held, so it is noise."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}" if not req.url else f"{req.name}{extras} @ {req.url}"


def check() -> list[str]:
    """Readable messages for every unmet requirement; an empty list means consistent."""
    return [str(p) for p in find_problems()]

"""A thin adapter from resolvelib's questions to our Sources.

It knows no network and no files: missing data surfaces as ``NeedData``,
rejected files and yanked picks are recorded for the explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib.providers import AbstractProvider

from .candidates import INSTALLED, URL, Candidate, identifier_for
from ..errors import BuildError, HashMismatchError, MicropipError
from .selection import Rejected, allowed_versions, is_exact_pin
from .sources import NeedData, Sources, candidate_url


# Dead ends: how many releases of one project the resolver may reject because each needs a
# project with no usable candidate (a "dead" project: no wheel for this Pyodide in any release,
# or not on any index) before it stops and says so. A release that does not need it (Pyodide's
# micropip never looks further than the newest) is worth a few metadata files, not a walk
# through hundreds of releases at a round trip each.
DEAD_END_LIMIT = 4
# A dependency is also dead when every release of it that fits needs a dead project; known
# from metadata already fetched, for projects with at most this many fitting releases.
DEAD_THROUGH_MAX = DEAD_END_LIMIT
DEAD_DEPTH = 3


class DeadEnd(Exception):
    """Raised inside the resolver: ``DEAD_END_LIMIT`` releases of ``parent``'s project need a dead project.

    ``path``: the dependency's project down to the dead one (``[dead]`` when it is the dependency).
    ``unmet``: when the dead project has usable releases, the requirement none of them meets.
    """

    def __init__(
        self, parent: Candidate, requirement: Requirement, path: tuple[str, ...], versions: list[Version],
        unmet: Requirement | None = None,
    ) -> None:
        super().__init__(f"{parent.name} {', '.join(map(str, versions))} all need {' -> '.join(path)}")
        self.parent = parent
        self.requirement = requirement
        self.path = path
        self.versions = versions
        self.unmet = unmet


class Provider(AbstractProvider):
    def __init__(
        self,
        sources: Sources,
        *,
        pre: bool = False,
        constraints: Mapping[str, list[Requirement]] | None = None,
        deps: bool = True,
        excluded: frozenset[str] = frozenset(),
        dead_ends: dict[tuple[str, tuple[str, ...]], set[Version]] | None = None,
    ) -> None:
        self.sources = sources
        self.pre = pre
        self.constraints = constraints or {}
        self.deps = deps
        self.excluded = excluded  # keep_going: projects already reported as unusable
        self.parents: dict[str, set[str]] = {}  # identifier -> identifiers that required it
        self.yanked_picks: set[Candidate] = set()
        self.no_match: dict[str, list[Rejected]] = {}  # identifiers with no candidate, and why
        # (project, path to a dead project) -> releases of the project rejected for needing it.
        # Shared by every round of one resolution (each round replays the one before).
        self.dead_ends = dead_ends if dead_ends is not None else {}
        self._dead_memo: dict[tuple[str, str, int], tuple[str, ...] | None] = {}
        self._unmet: dict[str, Requirement] = {}  # dead by version: the requirement no usable release meets

    # ---- resolvelib interface --------------------------------------------------------

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return requirement_or_candidate.identifier
        req = requirement_or_candidate
        return identifier_for(canonicalize_name(req.name), frozenset(canonicalize_name(e) for e in req.extras))

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Any:
        infos = list(information[identifier])
        reqs = [i.requirement for i in infos]
        pinned = any(r.url or any(s.operator in ("==", "===") for s in r.specifier) for r in reqs)
        in_causes = any(self.identify(c.requirement) == identifier for c in backtrack_causes)
        # Conflict causes first, then pinned, then the plain project before its extras; name for stability.
        return (not in_causes, not pinned, "[" in identifier, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Iterable[Candidate]:
        reqs = list(requirements[identifier])
        bad = {(c.version, c.source, c.url) for c in incompatibilities[identifier]}
        name, extras = _split(identifier)
        all_reqs = reqs + self.constraints.get(name, [])
        url_reqs = [r for r in all_reqs if r.url]
        if url_reqs:
            options = [self.sources.url_candidate(url_reqs[0])]
        else:
            options = self.sources.candidates(name)
            installed = [c for c in options if c.source == INSTALLED]
            if installed and not self.sources.reinstall:
                # Without reinstall=True an installed distribution keeps its version: modules
                # already imported could not be swapped safely (Pyodide's micropip rule).
                # With it, the installed version still comes first when it satisfies (as in
                # Pyodide's micropip, reinstall replaces only what does not fit).
                options = installed
        specs = [r.specifier for r in all_reqs]
        versions = list({c.version for c in options})
        allowed = set(allowed_versions(versions, specs, pre=self.pre))
        usable = {c.version for c in options if not self.sources.metadata_problem(c)}
        if not self.pre and not allowed & usable:
            # Every matching final release turned out unusable (e.g. its Requires-Python):
            # matching pre-releases count then, as when there is no final release at all.
            allowed = set(allowed_versions(versions, specs, pre=True))
        matches: list[Candidate] = []
        for cand in options:
            if (cand.version, cand.source, cand.url) in bad:
                continue
            if cand.source == INSTALLED:
                # Kept when it satisfies the requirements, pre-release or not.
                if not all(spec.contains(cand.version, prereleases=True) for spec in specs):
                    continue
            elif cand.version not in allowed:
                continue
            if any(r.url and candidate_url(r.url) != cand.url and cand.source == URL for r in all_reqs):
                continue
            if cand.yanked and not is_exact_pin(specs, cand.version):
                continue
            fatal = self.sources.metadata_errors.get(cand.url or "")
            if fatal is not None and (isinstance(fatal, (HashMismatchError, BuildError)) or cand.source == URL):
                # Tampering, the one file the user named, or an sdist that cannot be built here
                # (tried only once no wheel would do): never fall back silently.
                raise fatal
            if self.sources.metadata_problem(cand):
                continue
            matches.append(cand.with_extras(extras) if extras else cand)
        if not matches and not url_reqs and self.sources.need_index(name):
            # Pyodide's lock was asked first and its version does not do: the index may have one.
            raise NeedData(pages={name})
        if not matches:
            self._record_no_match(identifier, name, options, specs)
        else:
            self.no_match.pop(identifier, None)
        return matches

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if canonicalize_name(requirement.name) != candidate.name:
            return False
        if requirement.url:
            return candidate.source == URL and candidate.url == candidate_url(requirement.url)
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Requirement]:
        if candidate.yanked:
            self.yanked_picks.add(candidate)
        deps: list[Requirement] = []
        if candidate.extras:
            # The extras node depends on its plain project at the very same version.
            base = f"{candidate.name}=={candidate.version}"
            if candidate.source == URL and candidate.url:
                base = f"{candidate.name} @ {candidate.url}"
            deps.append(Requirement(base))
        if self.deps:
            deps += [d for d in self.sources.dependencies(candidate) if canonicalize_name(d.name) not in self.excluded]
        for dep in deps:
            self.parents.setdefault(self.identify(dep), set()).add(candidate.identifier)
        if candidate.source != INSTALLED:
            self._count_dead_ends(candidate, deps)
        return deps

    # ---- dead ends ----------------------------------------------------------------------

    def _count_dead_ends(self, candidate: Candidate, deps: list[Requirement]) -> None:
        """Note a release that needs a dead project; past ``DEAD_END_LIMIT`` of them, stop (``DeadEnd``)."""
        for dep in deps:
            if dep.url or canonicalize_name(dep.name) == candidate.name:
                continue
            path = self.dead_path(dep)
            if path is None:
                continue
            seen = self.dead_ends.setdefault((candidate.name, path), set())
            seen.add(candidate.version)
            if len(seen) >= DEAD_END_LIMIT:
                raise DeadEnd(candidate, dep, path, sorted(seen, reverse=True), self._unmet.get(path[-1]))

    def dead_path(self, req: Requirement, depth: int = 0, above: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
        """The projects from ``req`` down to one with no usable candidate, if ``req`` can never be met.

        Only from what is already fetched (never raises ``NeedData``): a project with no
        candidate at all or none in the versions asked for, or one whose few releases that
        fit all need such a project.
        """
        name = canonicalize_name(req.name)
        if name in self.excluded or name in above:
            return None
        key = (name, str(req.specifier), depth)
        if key in self._dead_memo:
            return self._dead_memo[key]
        self._dead_memo[key] = None  # a cycle back here finds nothing
        self._dead_memo[key] = found = self._dead_path(name, req, depth, above | {name})
        return found

    def _dead_path(self, name: str, req: Requirement, depth: int, above: frozenset[str]) -> tuple[str, ...] | None:
        try:
            options = self.sources.candidates(name)
        except (NeedData, MicropipError):
            return None
        if name in self.sources.lock_packages or any(r.url for r in self.constraints.get(name, [])):
            return None  # Pyodide's lockfile has it (maybe as a shared library), or a URL pins it
        if not options:
            return (name,)
        if any(c.source == INSTALLED for c in options):
            return None  # kept, or a version change to explain (explain() does)
        fitting = [c for c in options if req.specifier.contains(c.version, prereleases=True)]
        if not fitting:
            self._unmet[name] = req
            return (name,)
        if depth >= DEAD_DEPTH or len(fitting) > DEAD_THROUGH_MAX:
            return None  # too deep, or too many releases to know them all
        found: tuple[str, ...] | None = None
        for cand in fitting:
            if self.sources.metadata_problem(cand):
                continue  # unusable anyway
            try:
                deps = self.sources.dependencies(cand)
            except (NeedData, MicropipError):
                return None
            below = next(
                (p for d in deps if not d.url and (p := self.dead_path(d, depth + 1, above)) is not None), None
            )
            if below is None:
                return None  # this release may work
            found = found or below
        return (name, *found) if found is not None else None

    # ---- explanations -----------------------------------------------------------------

    def _record_no_match(self, identifier: str, name: str, options: list[Candidate], specs: list[SpecifierSet]) -> None:
        reasons = list(self.sources.rejections.get(name, []))
        for cand in options:
            problem = self.sources.metadata_problem(cand)
            if problem:
                reasons.append(Rejected(cand.file.filename if cand.file else str(cand), problem))
            elif cand.yanked and not is_exact_pin(specs, cand.version):
                reason = cand.file.yanked_reason if cand.file else None
                reasons.append(Rejected(cand.file.filename if cand.file else str(cand), f"yanked{': ' + reason if reason else ''} (only taken for an exact == pin)"))
        self.no_match[identifier] = reasons


def _split(identifier: str) -> tuple[str, frozenset[str]]:
    if "[" not in identifier:
        return identifier, frozenset()
    name, rest = identifier.split("[", 1)
    return name, frozenset(e for e in rest.rstrip("]").split(",") if e)

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
from resolvelib.providers import AbstractProvider

from .candidates import URL, Candidate, identifier_for
from ..errors import HashMismatchError
from .selection import Rejected, allowed_versions, is_exact_pin
from .sources import NeedData, Sources


class Provider(AbstractProvider):
    def __init__(
        self,
        sources: Sources,
        *,
        pre: bool = False,
        constraints: Mapping[str, list[Requirement]] | None = None,
        deps: bool = True,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        self.sources = sources
        self.pre = pre
        self.constraints = constraints or {}
        self.deps = deps
        self.excluded = excluded  # keep_going: projects already reported as unusable
        self.parents: dict[str, set[str]] = {}  # identifier -> identifiers that required it
        self.yanked_picks: set[Candidate] = set()
        self.no_match: dict[str, list[Rejected]] = {}  # identifiers with no candidate, and why

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
        specs = [r.specifier for r in all_reqs]
        allowed = set(allowed_versions(list({c.version for c in options}), specs, pre=self.pre))
        matches: list[Candidate] = []
        for cand in options:
            if cand.version not in allowed or (cand.version, cand.source, cand.url) in bad:
                continue
            if any(r.url and r.url.split("#")[0] != cand.url and cand.source == URL for r in all_reqs):
                continue
            if cand.yanked and not is_exact_pin(specs, cand.version):
                continue
            fatal = self.sources.metadata_errors.get(cand.url or "")
            if fatal is not None and (isinstance(fatal, HashMismatchError) or cand.source == URL):
                raise fatal  # tampering, or the one file the user named: never fall back silently
            if self.sources.metadata_problem(cand):
                continue
            matches.append(cand.with_extras(extras) if extras else cand)
        if not matches:
            self._record_no_match(identifier, name, options, specs)
        else:
            self.no_match.pop(identifier, None)
        return matches

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if canonicalize_name(requirement.name) != candidate.name:
            return False
        if requirement.url:
            return candidate.source == URL and candidate.url == requirement.url.split("#")[0]
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
        return deps

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

"""A thin adapter from resolvelib's questions to our Sources.

It knows no network and no files: missing data surfaces as ``NeedData``,
rejected files and yanked picks are recorded for the explanation.

resolvelib asks the same questions many times while it backtracks (the candidates of
botocore under the same few requirements, thousands of times for boto3 + s3fs), so the
answers are cached: per project and per generation of what is known about it
(``Sources.generation``), which one provider keeps for a whole resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
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
from .version_index import VersionIndex


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
# Candidates counted for the preference (``get_preference``): enough to tell a project with a
# few dozen releases left from one with thousands, without walking all of them every round.
FEW_CANDIDATES = 1000


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
        # identifiers with no candidate: (project, its options, the specifiers), see ``rejected_for``
        self.no_match: dict[str, tuple[str, tuple[Candidate, ...], tuple[SpecifierSet, ...]]] = {}
        # (project, path to a dead project) -> releases of the project rejected for needing it.
        # Shared by every round of one resolution (each round replays the one before).
        self.dead_ends = dead_ends if dead_ends is not None else {}
        # dead_path's conclusions (by the identity of the specifier, kept alive in the entry):
        # final ones, and those drawn while data was missing, with the projects they wait for
        # (``Sources.arrivals`` when drawn).
        self._dead_final: dict[tuple[str, int, int], tuple[SpecifierSet, tuple[str, ...] | None]] = {}
        self._dead_memo: dict[tuple[str, int, int], tuple[SpecifierSet, tuple[str, ...] | None, dict[str, int]]] = {}
        self._needs: dict[str, int] = {}
        self._dead_counted: dict[Candidate, dict[str, int]] = {}  # releases counted, and what they waited for
        self._unmet: dict[str, Requirement] = {}  # dead by version: the requirement no usable release meets
        # Releases the resolver tried to pin, by project (how far a walk back went: ``lookahead``).
        self.tried: dict[str, set[Version]] = {}
        # Caches of answers (see the module docstring): find_matches by the identities of
        # the requirements and the incompatible candidates; the versions a specifier allows,
        # per project; dependencies per candidate.
        self._matches: dict[tuple, tuple[list, list[Candidate], tuple | None]] = {}
        self._allowed: dict[tuple[str, int, int], tuple[SpecifierSet, frozenset[Version]]] = {}
        self._positions: dict[str, tuple[int, list[Candidate], dict[Version, list[int]]]] = {}
        self._deps: dict[Candidate, list[Requirement]] = {}
        self._latest: dict[str, list[Candidate]] = {}  # the last matches handed out per identifier

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
        pinned = any(r.url or any(s.operator in ("==", "===") and not s.version.endswith(".*") for s in r.specifier) for r in reqs)
        bounded = any(s.operator in ("<", "<=", "~=") or s.version.endswith(".*") for r in reqs for s in r.specifier)
        in_causes = any(self.identify(c.requirement) == identifier for c in backtrack_causes)
        # The most constrained first: a project with few candidates left is decided before one
        # with many, so when they clash it is the one with many releases (boto3, a release a
        # day) that walks back to a release that fits, not the one with few (s3fs, aiobotocore).
        left = _count(candidates, identifier)
        # Conflict causes first, then pinned, then capped from above (an upper bound is what
        # clashes: pip's rule), then the fewest candidates, then the plain project before its
        # extras; the name for stability.
        return (not in_causes, not pinned, not bounded, left, "[" in identifier, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Iterable[Candidate]:
        reqs = list(requirements[identifier])
        bad_cands = list(incompatibilities[identifier])
        name, _extras = _split(identifier)
        key = (identifier, tuple(map(id, reqs)), tuple(map(id, bad_cands)), self.sources.generation(name))
        hit = self._matches.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], reqs + bad_cands)):  # ids not reused
            matches, no_match = hit[1], hit[2]
        else:
            matches, options, specs = self._find_matches(identifier, reqs, bad_cands)
            no_match = None if matches else (name, tuple(options), tuple(specs))
            # The objects stay referenced by the entry, so their ids in the key stay theirs.
            self._matches[key] = (reqs + bad_cands, matches, no_match)
        if no_match is not None:
            self.no_match[identifier] = no_match
        else:
            self.no_match.pop(identifier, None)
            self._latest[identifier] = matches
        return matches

    def _find_matches(
        self, identifier: str, reqs: list[Requirement], bad_cands: list[Candidate]
    ) -> tuple[list[Candidate], list[Candidate], list[SpecifierSet]]:
        """The matches, newest first, with the options and specifiers they were chosen from."""
        bad = {(c.version, c.source, c.url) for c in bad_cands}
        name, extras = _split(identifier)
        all_reqs = reqs + self.constraints.get(name, [])
        url_reqs = [r for r in all_reqs if r.url]
        if url_reqs:
            options = [self.sources.url_candidate(url_reqs[0])]
        else:
            options = self.sources.candidates(name)
            if options and options[0].source == INSTALLED and not self.sources.reinstall:  # installed comes first
                # Without reinstall=True an installed distribution keeps its version: modules
                # already imported could not be swapped safely (Pyodide's micropip rule).
                # With it, the installed version still comes first when it satisfies (as in
                # Pyodide's micropip, reinstall replaces only what does not fit).
                options = [c for c in options if c.source == INSTALLED]
        specs = [r.specifier for r in all_reqs]
        full = not url_reqs and options is self.sources.candidates(name)  # per-specifier sets cached
        allowed = self._allowed_versions(name, options, specs, pre=self.pre, cache=full)
        if not self.pre and all(self.sources.metadata_problem(c) for c in self._in_order(name, options, allowed, full)):
            # Every matching final release turned out unusable (e.g. its Requires-Python):
            # matching pre-releases count then, as when there is no final release at all.
            allowed = self._allowed_versions(name, options, specs, pre=True, cache=full)
        considered = self._in_order(name, options, allowed, full)
        if options and options[0].source == INSTALLED and (not considered or considered[0] is not options[0]):
            considered.insert(0, options[0])  # judged by its own rule below
        matches: list[Candidate] = []
        for cand in considered:
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
        return matches, options, specs

    def _in_order(self, name: str, options: list[Candidate], versions: set[Version], full: bool) -> list[Candidate]:
        """The options whose version is in ``versions``, in the options' order: from the
        positions of each version when the options are the project's full list (a few
        releases out of botocore's thousands), else by looking at each."""
        if not full or 4 * len(versions) > len(options):
            return [c for c in options if c.version in versions]
        generation = self.sources.generation(name)
        entry = self._positions.get(name)
        if entry is None or entry[0] != generation or entry[1] is not options:
            positions: dict[Version, list[int]] = {}
            for i, c in enumerate(options):
                positions.setdefault(c.version, []).append(i)
            entry = self._positions[name] = (generation, options, positions)
        found = entry[2]
        return [options[i] for i in sorted(i for v in versions for i in found.get(v, ()))]

    def _allowed_versions(
        self, name: str, options: list[Candidate], specs: list[SpecifierSet], *, pre: bool, cache: bool
    ) -> set[Version]:
        """``selection.allowed_versions`` of the options' versions, from one set per specifier,
        found by bisection (``version_index``) and cached for a project's full list of
        candidates (``cache``): a backtracking walk asks about botocore's thousands of
        releases under the same few specifiers again and again."""
        generation = self.sources.generation(name)
        index = (generation, self.sources.version_index(name, options) if cache else VersionIndex(c.version for c in options))
        sets = []
        for spec in specs:
            key = (name, id(spec), generation)
            entry = self._allowed.get(key) if cache else None
            if entry is None or entry[0] is not spec:
                entry = (spec, index[1].allowed(spec))
                if cache:
                    self._allowed[key] = entry
            sets.append(entry[1])
        matching = set(min(sets, key=len)).intersection(*sets) if sets else set(index[1].versions)
        if pre or any(s.prereleases for s in specs):
            return matching
        finals = matching - index[1].prereleases
        return finals or matching

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if canonicalize_name(requirement.name) != candidate.name:
            return False
        if requirement.url:
            return candidate.source == URL and candidate.url == candidate_url(requirement.url)
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Requirement]:
        if candidate.yanked:
            self.yanked_picks.add(candidate)
        self.tried.setdefault(candidate.name, set()).add(candidate.version)
        deps = self._deps.get(candidate)
        if deps is None:
            deps = []
            if candidate.extras:
                # The extras node depends on its plain project at the very same version.
                base = f"{candidate.name}=={candidate.version}"
                if candidate.source == URL and candidate.url:
                    base = f"{candidate.name} @ {candidate.url}"
                deps.append(Requirement(base))
            if self.deps:
                try:
                    found = self.sources.dependencies(candidate)
                except NeedData as need:
                    raise self._with_ahead(need, candidate) from None
                deps += [d for d in found if canonicalize_name(d.name) not in self.excluded]
            self._deps[candidate] = deps
            for dep in deps:
                self.parents.setdefault(self.identify(dep), set()).add(candidate.identifier)
        if candidate.source != INSTALLED:
            self._count_dead_ends(candidate, deps)
        return deps

    def _with_ahead(self, need: NeedData, candidate: Candidate) -> NeedData:
        """``need`` with what to read ahead of ``candidate``: the candidates resolvelib would try
        after it, and how many releases of its project were tried (``lookahead``)."""
        latest = self._latest.get(candidate.identifier, [])
        after = next((latest[i + 1:] for i, c in enumerate(latest) if c == candidate), [])
        # A walk that has met only releases needing a dead project stops at DEAD_END_LIMIT of
        # them (``DeadEnd``): nothing past that point is read ahead.
        dead = max((len(v) for (name, _path), v in self.dead_ends.items() if name == candidate.name), default=0)
        tried = len(self.tried.get(candidate.name, ())) - 1
        for cand in need.metadata:
            need.ahead[cand] = (after, tried, DEAD_END_LIMIT - dead - 1 if dead else None)
        return need

    # ---- dead ends ----------------------------------------------------------------------

    def _count_dead_ends(self, candidate: Candidate, deps: list[Requirement]) -> None:
        """Note a release that needs a dead project; past ``DEAD_END_LIMIT`` of them, stop (``DeadEnd``).

        A release is counted again only once data it was waiting for arrived: resolvelib
        tries the same releases in every round it resumes."""
        counted = self._dead_counted.get(candidate)
        if counted is not None and self._still_valid(counted):
            return
        outer, self._needs = self._needs, {}
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
        self._dead_counted[candidate] = self._needs
        self._needs = outer

    def _still_valid(self, needs: dict[str, int]) -> bool:
        """No data arrived for the projects a conclusion was waiting for."""
        arrivals = self.sources.arrivals
        return all(arrivals.get(name, 0) == seen for name, seen in needs.items())

    def _waits_for(self, name: str) -> None:
        """The conclusion being drawn depends on data of ``name`` that is not here yet."""
        self._needs[name] = self.sources.arrivals.get(name, 0)

    def dead_path(self, req: Requirement, depth: int = 0, above: frozenset[str] = frozenset()) -> tuple[str, ...] | None:
        """The projects from ``req`` down to one with no usable candidate, if ``req`` can never be met.

        Only from what is already fetched (never raises ``NeedData``): a project with no
        candidate at all or none in the versions asked for, or one whose few releases that
        fit all need such a project. Conclusions are kept: for good when no data was
        missing, else until data arrives for a project that was missing.
        """
        name = canonicalize_name(req.name)
        if name in self.excluded or name in above:
            return None
        key = (name, id(req.specifier), depth)
        final = self._dead_final.get(key)
        if final is not None and final[0] is req.specifier:
            return final[1]
        memo = self._dead_memo.get(key)
        if memo is not None and memo[0] is req.specifier and self._still_valid(memo[2]):
            self._needs.update(memo[2])
            return memo[1]
        outer, self._needs = self._needs, {}
        try:
            found = self._dead_path(name, req, depth, above | {name})  # ``above``: no cycle comes back here
        finally:
            needs, self._needs = self._needs, outer
        if needs:
            self._dead_memo[key] = (req.specifier, found, needs)
            self._needs.update(needs)
        else:
            self._dead_final[key] = (req.specifier, found)  # more data cannot change it
        return found

    def _dead_path(self, name: str, req: Requirement, depth: int, above: frozenset[str]) -> tuple[str, ...] | None:
        try:
            options = self.sources.candidates(name)
        except NeedData:
            self._waits_for(name)
            return None
        except MicropipError:
            return None
        if name in self.sources.lock_packages or any(r.url for r in self.constraints.get(name, [])):
            return None  # Pyodide's lockfile has it (maybe as a shared library), or a URL pins it
        if not options:
            return (name,)
        if options[0].source == INSTALLED:  # an installed distribution comes first
            return None  # kept, or a version change to explain (explain() does)
        allowed = self._allowed_versions(name, options, [req.specifier], pre=True, cache=True)
        if not allowed:
            self._unmet[name] = req
            return (name,)
        if depth >= DEAD_DEPTH or len(allowed) > DEAD_THROUGH_MAX:
            return None  # too deep, or too many releases to know them all
        found: tuple[str, ...] | None = None
        for cand in self._in_order(name, options, allowed, True):
            if self.sources.metadata_problem(cand):
                continue  # unusable anyway
            try:
                deps = self.sources.dependencies(cand)
            except NeedData:
                self._waits_for(name)
                return None
            except MicropipError:
                return None
            below = next(
                (p for d in deps if not d.url and (p := self.dead_path(d, depth + 1, above)) is not None), None
            )
            if below is None:
                return None  # this release may work
            found = found or below
        return (name, *found) if found is not None else None

    # ---- explanations -----------------------------------------------------------------

    def rejected_for(self, identifier: str) -> list[Rejected]:
        """Why the files of a project that found no match were refused (for the explanation;
        worked out only when an error asks, the resolver meets empty matches all the time)."""
        entry = self.no_match.get(identifier)
        if entry is None:
            return []
        name, options, specs = entry
        reasons = list(self.sources.rejections.get(name, []))
        for cand in options:
            problem = self.sources.metadata_problem(cand)
            if problem:
                reasons.append(Rejected(cand.file.filename if cand.file else str(cand), problem))
            elif cand.yanked and not is_exact_pin(list(specs), cand.version):
                reason = cand.file.yanked_reason if cand.file else None
                reasons.append(Rejected(cand.file.filename if cand.file else str(cand), f"yanked{': ' + reason if reason else ''} (only taken for an exact == pin)"))
        return reasons


def _count(candidates: Mapping[str, Iterator[Candidate]], identifier: str) -> int:
    """How many candidates are left for ``identifier``, up to ``FEW_CANDIDATES``.

    resolvelib hands them over as an iterator; walking it for every project in every round
    was a third of the resolver's time for 60 roots in Pyodide. The list our ``find_matches``
    returned is behind it (resolvelib's criterion and sequence view): its length is read
    there when that is what it is, else the iterator is counted."""
    criterion = getattr(candidates, "_mapping", {}).get(identifier)
    sequence = getattr(getattr(criterion, "candidates", None), "_sequence", None)
    if isinstance(sequence, list) and not getattr(candidates, "_appends", None):
        return min(len(sequence), FEW_CANDIDATES)
    return sum(1 for _ in islice(candidates[identifier], FEW_CANDIDATES))


def _split(identifier: str) -> tuple[str, frozenset[str]]:
    if "[" not in identifier:
        return identifier, frozenset()
    name, rest = identifier.split("[", 1)
    return name, frozenset(e for e in rest.rstrip("]").split(",") if e)

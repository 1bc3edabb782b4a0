"""Resolve root requirements into a Plan, explaining failures in words.

Drives resolvelib with our Provider (``search``): when the provider lacks data the
Sources fetch it and the search goes on where it stopped, within a budget of time and
rounds (``budget``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, deque
from collections.abc import Mapping

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import ResolutionImpossible, ResolutionTooDeep

from .candidates import INDEX, INSTALLED, URL, Candidate
from ..index.auth import redact_url
from ..errors import MicropipError, NoCompatibleWheelError, PackageNotFoundError, ResolutionError, VersionChangeError
from ..plan import Plan, PlannedPackage
from .provider import DEAD_END_LIMIT, DeadEnd, Provider, _split
from .requirements import RootRequirement
from .selection import KIND_LABELS, KIND_ORDER, KIND_SDIST, Rejected, allowed_versions, listed_versions
from .environment import TargetEnvironment
from .sources import NeedData, Sources
from .budget import DEFAULT_TIMEOUT, MAX_ROUNDS, BackAndForth, Budget, OutOfBudget, budget_error
from .search import Search
from .version_index import newest_allowed

logger = logging.getLogger("micropip")


async def resolve(
    roots: list[RootRequirement],
    sources: Sources,
    *,
    pre: bool = False,
    constraints: list[Requirement] | None = None,
    deps: bool = True,
    keep_going: bool = False,
    index_urls: tuple[str, ...] = (),
    list_all_files: bool | None = None,
    resolve_timeout: float | None = DEFAULT_TIMEOUT,
    max_rounds: int = MAX_ROUNDS,
) -> Plan:
    """Pick one candidate per project; on failure raise an error that explains it.

    ``list_all_files``: list every rejected file of a project without a usable wheel
    (None: when micropip's logger is verbose); otherwise many files are summarized.
    ``resolve_timeout`` (seconds, None: no limit) and ``max_rounds`` are the budget: past
    either, ``ResolutionBudgetError`` names what the search went back and forth on.
    """
    budget = Budget(resolve_timeout, max_rounds)
    reporter = BackAndForth(budget)
    roots = [r for r in roots if _applies(r.requirement, sources.env)]
    constraints = [c for c in constraints or [] if _applies(c, sources.env)]
    by_name: dict[str, list[Requirement]] = {}
    for c in constraints:
        by_name.setdefault(canonicalize_name(c.name), []).append(c)
    pins: dict[str, SpecifierSet] = {}
    for req in [r.requirement for r in roots] + constraints:
        if not req.url:
            name = canonicalize_name(req.name)
            pins[name] = pins.get(name, SpecifierSet()) & req.specifier
    excluded: set[str] = set()
    problems: list[MicropipError] = []
    dead_ends: dict = {}  # shared by the rounds: releases rejected for needing a dead project
    search: Search | None = None
    provider: Provider | None = None
    try:
        await _within(budget, sources.prefetch([r.requirement for r in roots], pins, pre=pre, deps=deps))
        while True:
            if search is None:
                provider = Provider(
                    sources, pre=pre, constraints=by_name, deps=deps, excluded=frozenset(excluded), dead_ends=dead_ends
                )
                search = Search(provider, [r.requirement for r in roots if r.name not in excluded], reporter)
            assert provider is not None
            try:
                result = search.run(budget.rounds_left())
            except NeedData as need:
                budget.check()
                budget.fetches += 1
                await _within(budget, sources.fill(need))
                search.data_arrived(sources)
                continue
            except DeadEnd as dead:
                error = explain_dead_end(dead, provider, roots, sources, index_urls, list_all_files)
                hopeless = {dead.path[-1]}
                if keep_going and not hopeless <= excluded:
                    problems.append(error)
                    excluded |= hopeless
                    search = None
                    continue
                raise _combine(problems + [error]) from None
            except ResolutionImpossible as exc:
                error, hopeless = explain(exc, provider, roots, sources, index_urls, list_all_files)
                if keep_going and hopeless and not hopeless <= excluded:
                    problems.append(error)
                    excluded |= hopeless
                    search = None
                    continue
                raise _combine(problems + [error]) from None
            if problems:
                raise _combine(problems)
            logger.debug(
                "resolved in %.2f s: %d rounds, %d fetches, %d runs (%d resumed, %d restarted)",
                budget.elapsed(), budget.used_rounds, budget.fetches, search.runs, search.resumed, search.restarted,
            )
            return build_plan(result, provider, roots, sources)
    except (OutOfBudget, ResolutionTooDeep) as exc:
        raise budget_error(
            budget, reporter, provider.tried if provider is not None else {}, [r.origin for r in roots],
            rounds_ran_out=isinstance(exc, ResolutionTooDeep),
        ) from None
    finally:
        sources.stop_reading_ahead()


async def _within(budget: Budget, work) -> None:
    """Await ``work`` for at most the time left in the budget (``OutOfBudget`` past it)."""
    left = budget.time_left()
    if left is None:
        await work
        return
    try:
        await asyncio.wait_for(work, max(left, 0.001))
    except asyncio.TimeoutError:
        raise OutOfBudget() from None


def _applies(req: Requirement, env: TargetEnvironment) -> bool:
    """A requirement or constraint whose marker does not hold here is ignored, as pip ignores it."""
    if req.marker is None or req.marker.evaluate(dict(env.markers, extra="")):
        return True
    logger.info("Ignoring %s: markers '%s' don't match this Python (%s)", req.name, req.marker, env.python_version)
    return False


def _combine(problems: list[MicropipError]) -> MicropipError:
    if len(problems) == 1:
        return problems[0]
    text = "\n\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
    cls = type(problems[0]) if all(type(p) is type(problems[0]) for p in problems) else ResolutionError
    # keep_going: the projects without a usable wheel first, on one line, as Pyodide's micropip says it.
    no_wheel = [m for p in problems for m in _NO_WHEEL_PHRASE.findall(str(p))]
    head = f"Can't find a pure Python 3 wheel for: {', '.join(map(repr, dict.fromkeys(no_wheel)))}\n" if no_wheel else ""
    return cls(f"{head}{len(problems)} problems:\n\n{text}")


_NO_WHEEL_PHRASE = re.compile(r"Can't find a pure Python 3 wheel for '([^']+)'")


def build_plan(result, provider: Provider, roots: list[RootRequirement], sources: Sources) -> Plan:
    root_names = {r.name for r in roots}
    plan = Plan()
    mapping: Mapping[str, Candidate] = result.mapping
    for identifier, cand in sorted(mapping.items()):
        if cand.extras:
            continue
        parents = sorted(
            "requested" if p is None else str(mapping[p]) for p in result.graph.iter_parents(identifier)
        )
        # A project asked for with extras is a root too, through its extras node.
        requested = cand.name in root_names
        if cand.source == INSTALLED:
            plan.keep.append((cand.display_name or cand.name, str(cand.version)))
            continue
        f = cand.file
        assert f is not None
        depends = sorted(
            {_split(child)[0] for child in result.graph.iter_children(identifier)}
            | {_split(child)[0] for ident, c in mapping.items() if c.name == cand.name and c.extras for child in result.graph.iter_children(ident)}
            - {cand.name}
        )
        plan.install.append(
            PlannedPackage(
                name=cand.name,
                version=str(cand.version),
                source=cand.source,
                url=f.url,
                filename=f.filename,
                sha256=f.sha256,
                requested=requested,
                required_by=tuple(dict.fromkeys(parents or ["requested"])),
                extras=tuple(sorted({e for c in mapping.values() if c.name == cand.name for e in c.extras})),
                direct_url=cand.source == URL,
                size=f.size,
                depends=tuple(depends),
            )
        )
        if cand.name in sources.installed:
            have = sources.installed[cand.name]
            if not sources.reinstall and have.version != str(cand.version):
                who = ", ".join(parents) if parents else "requested"
                raise VersionChangeError(
                    f"Requested '{cand.name} @ {f.url}', but {cand.name}=={have.version} is already installed.\n"
                    f"{have.name} {have.version} is installed and would have to be replaced by {cand.name} {cand.version} "
                    f"({who}). Modules already imported keep running the installed version, so micropip does not "
                    "change it unless asked. Install with reinstall=True to replace it (then restart the "
                    "interpreter, or importlib.reload() the modules already imported)."
                )
            plan.replace.append(cand.name)
    for cand in provider.yanked_picks:
        if mapping.get(cand.identifier) == cand:
            reason = cand.file.yanked_reason if cand.file else None
            where = f" at {redact_url(cand.file.url)}" if cand.file else ""
            plan.warnings.append(  # pip's words (Pyodide's micropip uses them too), then why it was taken
                "The candidate selected for download or install is a yanked version: "
                f"'{cand.name}' candidate (version {cand.version}{where})\n"
                f"Reason for being yanked: {reason or '<none given>'}\n"
                f"(installed only because it is pinned with ==; {cand} is yanked)"
            )
    plan.warnings += explain_older_picks(mapping, provider, roots, sources)
    plan.warnings += unknown_extras(mapping, sources)
    plan.bytes_index_pages = sources.index.bytes_fetched
    plan.bytes_metadata = sources.bytes_metadata
    plan.bytes_wheels_for_metadata = sources.bytes_wheels_for_metadata
    return plan


# ---- explanations ---------------------------------------------------------------------


def unknown_extras(mapping: Mapping[str, Candidate], sources: Sources) -> list[str]:
    """As pip warns: ``x[typo]`` names an extra the release neither declares nor uses, so adds nothing."""
    out = []
    for cand in mapping.values():
        meta = sources.metadata.get(cand.file.url) if cand.extras and cand.file else None
        if meta is None:
            continue
        used = set(meta.provides_extra)
        for req in meta.requires_dist:
            used |= {canonicalize_name(e) for e in re.findall(r"extra\s*==\s*['\"]([^'\"]*)", str(req.marker or ""))}
        out += [f"{meta.name} {meta.version} does not provide the extra {e!r}: it adds nothing (check its spelling)"
                for e in sorted(cand.extras) if canonicalize_name(e) not in used]
    return out


def explain_older_picks(
    mapping: Mapping[str, Candidate], provider: Provider, roots: list[RootRequirement], sources: Sources
) -> list[str]:
    """For each requested project, why the version picked is older than its newest release (if it is)."""
    notes = []
    for root in roots:
        cand = mapping.get(root.name)
        # Only index picks: an installed version is kept by rule, and a version Pyodide
        # itself ships (its lockfile) is the expected one even when the index has newer.
        if root.url or cand is None or cand.source != INDEX:
            continue
        specs = [root.requirement.specifier] + [c.specifier for c in provider.constraints.get(root.name, [])]
        newest = _newest_release(root.name, specs, provider.pre, sources, floor=cand.version)
        if newest is None or newest <= cand.version:
            continue
        reason = _why_not(root.name, newest, provider, sources)
        notes.append(
            f"{cand.display_name or cand.name} {cand.version} was picked, not the newest release {newest}: {reason}"
        )
    return notes


def _newest_release(
    name: str, specs: list[SpecifierSet], pre: bool, sources: Sources, *, floor: Version | None = None
) -> Version | None:
    """The newest version the index (or the Pyodide lockfile) offers that the requirement allows, yanked aside
    (``floor``: the version picked, see ``newest_allowed``)."""
    page = sources.pages.get(name)
    listed = [(f.filename, f.yanked) for f in page.files] + list(page.set_aside) if page is not None else []
    versions = listed_versions(filename for filename, yanked in listed if not yanked)
    lock = sources.lock_packages.get(name)
    if lock is not None:
        try:
            versions.add(Version(lock.version))
        except InvalidVersion:
            pass
    return newest_allowed(versions, specs, pre=pre, floor=floor)


def _why_not(name: str, version: Version, provider: Provider, sources: Sources) -> str:
    """In words, why ``name`` ``version`` could not be used here."""
    try:
        options = [c for c in sources.candidates(name) if c.version == version and c.source != INSTALLED]
    except (NeedData, MicropipError):
        options = []
    if not options:
        files = [r for r in sources.rejections.get(name, []) if r.version == version]
        if not files:
            return "it is not offered for this Pyodide"
        best = min(files, key=lambda r: KIND_ORDER.index(r.kind) if r.kind in KIND_ORDER else len(KIND_ORDER))
        more = f" (and {len(files) - 1} other file{'s' if len(files) > 2 else ''})" if len(files) > 1 else ""
        return f"no file of {version} can be used here: {best.filename}{more}: {best.reason}"
    cand = options[0]
    if cand.is_sdist:
        return f"{version} has only a source distribution, and a wheel is always preferred to a build"
    problem = sources.metadata_problem(cand)
    if problem:
        return f"{cand.file.filename if cand.file else cand}: {problem}"
    try:
        deps = sources.dependencies(cand)
    except (NeedData, MicropipError):
        return "it does not fit together with the other requirements"
    for dep in deps:
        dep_name = canonicalize_name(dep.name)
        if dep.url:
            continue
        try:
            dep_options = sources.candidates(dep_name)
        except NeedData:
            continue
        except MicropipError as exc:
            return f"it requires {dep}, which cannot be looked up: {exc}"
        if not dep_options:
            if sources.pages.get(dep_name) is None and dep_name not in sources.lock_packages:
                return f"it requires {dep}, which no configured index has"
            return f"it requires {dep}, which has no wheel usable in this Pyodide"
        have = sources.installed.get(dep_name)
        if have is not None and not sources.reinstall and not dep.specifier.contains(Version(have.version), prereleases=True):
            return f"it requires {dep}, but {have.name} {have.version} is installed (reinstall=True would replace it)"
        if newest_allowed({c.version for c in dep_options}, [dep.specifier], pre=provider.pre) is None:
            return f"it requires {dep}, and no version of {dep_name} usable here matches"
    return "it does not fit together with the other requirements"

FAQ_NO_WHEEL = "https://pyodide.org/en/stable/usage/faq.html#why-can-t-micropip-find-a-pure-python-wheel-for-a-package"
FULL_LIST_UP_TO = 6  # rejected files listed one per line up to this many; a summary past it


def describe_rejections(rejected: list[Rejected], *, verbose: bool | None = None) -> tuple[list[str], bool]:
    """Lines explaining rejected files, and whether they are a summary.

    A few files are listed one per line. Many (a project with no Pyodide wheel can have
    thousands) are summarized: the newest releases considered, counts by reason, the
    closest misses. The full list comes back with verbose logging (``verbose=True``).
    """
    if verbose is None:
        verbose = logger.isEnabledFor(logging.INFO)
    if len(rejected) <= FULL_LIST_UP_TO or verbose:
        return [f"  {r.filename}: {r.reason}" for r in rejected], False
    versions = sorted({v for r in rejected if (v := r.version) is not None}, reverse=True)
    lines = []
    if versions:
        shown = ", ".join(str(v) for v in versions[:3])
        more = f" and {len(versions) - 3} older" if len(versions) > 3 else ""
        lines.append(f"  newest releases considered: {shown}{more}")
    counts = Counter(r.kind for r in rejected)
    by_kind = ", ".join(f"{n:,} {KIND_LABELS[k]}" for k, n in sorted(counts.items(), key=lambda kn: (-kn[1], KIND_ORDER.index(kn[0]))))
    lines.append(f"  {len(rejected):,} files rejected: {by_kind}")
    # The closest misses: the best file of the two most promising kinds, newest first.
    newest_first = sorted(rejected, key=lambda r: r.version or Version("0"), reverse=True)
    closest = [next(r for r in newest_first if r.kind == k) for k in KIND_ORDER if counts.get(k)][:2]
    lines += [f"  closest: {r.filename}: {r.reason}" for r in closest]
    return lines, True


def _version_change(
    name: str, infos: list, provider: Provider, roots: list[RootRequirement], sources: Sources
) -> str | None:
    """Why an installed distribution would have to change version; None when that is not the problem."""
    info = sources.installed.get(name)
    if info is None or sources.reinstall or any(i.requirement.url for i in infos):
        return None
    try:
        options = [c for c in sources.candidates(name) if c.source != INSTALLED]
    except MicropipError:
        return None
    specs = [i.requirement.specifier for i in infos] + [c.specifier for c in provider.constraints.get(name, [])]
    versions = allowed_versions([c.version for c in options if not c.yanked], specs, pre=provider.pre)
    if not versions:
        return None  # no single version would do: a plain conflict, explained as such
    unmet = [i for i in infos if not i.requirement.specifier.contains(Version(info.version), prereleases=True)]
    first = (unmet or infos)[0]
    lines = []
    for i in unmet or infos:
        parent = i.parent
        who = "requested" if parent is None else f"required by {parent} (via {' -> '.join(chain_to(parent.identifier, provider, roots))})"
        lines.append(f"  {i.requirement}  ({who})")
    return (
        f"Requested '{first.requirement}', but {name}=={info.version} is already installed.\n"
        f"{info.name} {info.version} is installed and would have to be replaced by {name} {versions[0]}:\n"
        + "\n".join(lines)
        + "\nModules already imported keep running the installed version, so micropip does not change it "
        "unless asked. Install with reinstall=True to replace it (then restart the interpreter, or "
        "importlib.reload() the modules already imported)."
    )


def chain_to(identifier: str, provider: Provider, roots: list[RootRequirement]) -> list[str]:
    """Shortest chain of projects from a root requirement down to ``identifier``; a project
    asked for with extras keeps them (``fastapi[standard] -> fastar``: the extra brought it in)."""
    root_ids = {provider.identify(r.requirement) for r in roots}
    queue = deque([[identifier]])
    seen = {identifier}
    while queue:
        path = queue.popleft()
        if path[-1] in root_ids:
            names = [p if p != path[0] else _split(p)[0] for p in reversed(path)]
            return [n for i, n in enumerate(names) if i == 0 or _split(n)[0] != _split(names[i - 1])[0]]
        for parent in sorted(provider.parents.get(path[-1], ())):
            if parent not in seen:
                seen.add(parent)
                queue.append(path + [parent])
    return [_split(identifier)[0]]


def _unusable(
    name: str, chain: str, sources: Sources, index_urls: tuple[str, ...], list_all_files: bool | None
) -> tuple[str, type[MicropipError]]:
    """Why project ``name`` (reached through ``chain``) has no candidate at all, and the error class."""
    rejected = sources.rejections.get(name, [])
    if sources.pages.get(name) is None and name not in sources.lock_packages:
        where = ", ".join(index_urls) or "the configured indexes"
        return (
            f"{chain}: no package named {name!r} was found on {where} or in the Pyodide lockfile. "
            f"Can't fetch metadata for {name!r}: check the spelling, or add the index that has it "
            "with micropip.set_index_urls()."
        ), PackageNotFoundError
    lines, summarized = describe_rejections(rejected, verbose=list_all_files)
    if not rejected:
        lines = ["  (the index lists no files)"]
    return (
        f"{chain}: no wheel of {name} can be used in this Pyodide "
        f"(Python {sources.env.python_version}"
        f"{', ' + 'pyemscripten_' + sources.env.abi_version + '_wasm32' if sources.env.abi_version else ''}):\n"
        + "\n".join(lines)
        + f"\nCan't find a pure Python 3 wheel for '{name}' (see {FAQ_NO_WHEEL}).\n"
        + "Ask the project for a pure-Python or emscripten wheel, or pin a version that has one."
        + (
            " It publishes a source distribution: install(..., build_sdists=True) builds it here if it is pure Python."
            if summarized and sources.sdist_metadata is None and any(r.kind == KIND_SDIST and not r.invalid for r in rejected)
            else ""
        )
        + (" Every file is listed with verbose=True (pyodide-pm check: --verbose)." if summarized else "")
    ), NoCompatibleWheelError


def _unusable_versions(
    unmet: Requirement, chain: str, provider: Provider, sources: Sources, list_all_files: bool | None
) -> tuple[str, type[MicropipError]]:
    """Why no usable release of a project (reached through ``chain``) meets ``unmet``."""
    name = canonicalize_name(unmet.name)
    try:
        usable = sorted({c.version for c in sources.candidates(name) if c.source != INSTALLED}, reverse=True)
    except (NeedData, MicropipError):
        usable = []
    shown = ", ".join(str(v) for v in usable[:5]) + (f" and {len(usable) - 5} older" if len(usable) > 5 else "")
    rejected = [
        r for r in sources.rejections.get(name, [])
        if r.version is not None and unmet.specifier.contains(r.version, prereleases=True)
    ]
    lines = describe_rejections(rejected, verbose=list_all_files)[0] if rejected else [
        f"  the index has no release of {name} that matches {unmet.specifier}"
    ]
    return (
        f"{chain}: no release of {name} that '{unmet}' allows can be used in this Pyodide "
        f"(releases with a usable wheel: {shown or 'none'}):\n"
        + "\n".join(lines)
        + f"\nCan't find a pure Python 3 wheel for '{unmet}' (see {FAQ_NO_WHEEL}).\n"
        + f"Ask the project for a pure-Python or emscripten wheel of a release that matches {unmet.specifier}."
    ), NoCompatibleWheelError


def explain_dead_end(
    dead: DeadEnd,
    provider: Provider,
    roots: list[RootRequirement],
    sources: Sources,
    index_urls: tuple[str, ...],
    list_all_files: bool | None = None,
) -> MicropipError:
    """The error for a search stopped early: the newest releases of a project all need a dead one."""
    parent = dead.parent
    name = dead.path[-1]
    chain = " -> ".join(chain_to(parent.identifier, provider, roots) + list(dead.path))
    if dead.unmet is not None:
        text, cls = _unusable_versions(dead.unmet, chain, provider, sources, list_all_files)
    else:
        text, cls = _unusable(name, chain, sources, index_urls, list_all_files)
    who = parent.display_name or parent.name
    tried = ", ".join(str(v) for v in dead.versions)
    need = f"require {dead.requirement}"
    if len(dead.path) > 1:
        need += f", and every release of {dead.path[0]} that fits needs {' -> '.join(dead.path[1:])}"
    oldest = min(dead.versions)
    try:
        older = sorted(
            {c.version for c in sources.candidates(parent.name) if c.version < oldest and c.source != INSTALLED},
            reverse=True,
        )
    except (NeedData, MicropipError):
        older = []
    text += f"\n{who} {tried} (its newest releases that fit) all {need}."
    if older:
        text += (
            f" {len(older)} older release{'s' if len(older) > 1 else ''} of {who} (newest {older[0]}) "
            f"{'were' if len(older) > 1 else 'was'} not tried: the search stops after {DEAD_END_LIMIT} releases "
            f"that need {name}. If an older {who} does not need it, pin that version, "
            f"e.g. micropip.install('{who}<{oldest}')."
        )
    return cls(text)


def explain(
    exc: ResolutionImpossible,
    provider: Provider,
    roots: list[RootRequirement],
    sources: Sources,
    index_urls: tuple[str, ...],
    list_all_files: bool | None = None,
) -> tuple[MicropipError, set[str]]:
    """An actionable error for a failed resolution, and the projects that can never work."""
    causes = list(exc.causes)
    by_ident: dict[str, list] = {}
    for info in causes:
        by_ident.setdefault(provider.identify(info.requirement), []).append(info)

    hopeless: set[str] = set()
    messages: list[str] = []
    kinds: set[type] = set()
    for identifier, infos in by_ident.items():
        name, _extras = _split(identifier)
        chain = " -> ".join(chain_to(identifier, provider, roots))
        try:
            options = sources.candidates(name) if not any(i.requirement.url for i in infos) else [1]
        except MicropipError as err:
            messages.append(f"{chain}: {err}")
            hopeless.add(name)
            kinds.add(ResolutionError)
            continue
        if not options:
            hopeless.add(name)
            text, kind = _unusable(name, chain, sources, index_urls, list_all_files)
            messages.append(text)
            kinds.add(kind)
            continue
        changed = _version_change(name, infos, provider, roots, sources)
        if changed is not None:
            messages.append(changed)
            kinds.add(VersionChangeError)
            continue
        lines = []
        for info in infos:
            parent = info.parent
            who = "requested" if parent is None else f"required by {parent} (via {' -> '.join(chain_to(parent.identifier, provider, roots))})"
            lines.append(f"  {info.requirement}  ({who})")
        lines += [f"  {c}  (constraint)" for c in provider.constraints.get(name, [])]
        rejected = provider.rejected_for(identifier)
        extra = "".join("\n" + line for line in describe_rejections(rejected, verbose=list_all_files)[0])
        available = ", ".join(str(c.version) for c in options[:8] if isinstance(c, Candidate))
        head = f"conflicting requirements for {name}:" if len(lines) > 1 else f"no release of {name} matches:"
        messages.append(
            head + "\n" + "\n".join(lines)
            + (f"\n  available versions: {available}" if available else "")
            + extra
        )
        kinds.add(ResolutionError)
    if not messages:
        messages.append(str(exc))
    cls = kinds.pop() if len(kinds) == 1 else ResolutionError
    text = "\n".join(messages)
    if cls is ResolutionError:
        text = "Cannot find a set of versions that works:\n" + text + "\nRelax or change one of these requirements."
    return cls(text), hopeless

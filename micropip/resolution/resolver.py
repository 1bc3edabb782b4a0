"""Resolve root requirements into a Plan, explaining failures in words.

Drives resolvelib with our Provider; when the provider lacks data the
Sources fetch it and resolution runs again (it is cheap next to the network).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from .candidates import INSTALLED, URL, Candidate
from ..errors import MicropipError, NoCompatibleWheelError, PackageNotFoundError, ResolutionError
from ..plan import Plan, PlannedPackage
from .provider import Provider, _split
from .requirements import RootRequirement
from .sources import NeedData, Sources

MAX_FILLS = 200  # rounds of fetching; each round fetches many things in parallel
MAX_RESOLVER_ROUNDS = 5000


async def resolve(
    roots: list[RootRequirement],
    sources: Sources,
    *,
    pre: bool = False,
    constraints: list[Requirement] | None = None,
    deps: bool = True,
    keep_going: bool = False,
    index_urls: tuple[str, ...] = (),
) -> Plan:
    by_name: dict[str, list[Requirement]] = {}
    for c in constraints or []:
        by_name.setdefault(canonicalize_name(c.name), []).append(c)
    pins: dict[str, SpecifierSet] = {}
    for req in [r.requirement for r in roots] + list(constraints or []):
        if not req.url:
            name = canonicalize_name(req.name)
            pins[name] = pins.get(name, SpecifierSet()) & req.specifier
    await sources.prefetch([r.requirement for r in roots], pins, pre=pre, deps=deps)
    excluded: set[str] = set()
    problems: list[MicropipError] = []
    for _ in range(MAX_FILLS):
        provider = Provider(sources, pre=pre, constraints=by_name, deps=deps, excluded=frozenset(excluded))
        reqs = [r.requirement for r in roots if r.name not in excluded]
        try:
            result = Resolver(provider, BaseReporter()).resolve(reqs, max_rounds=MAX_RESOLVER_ROUNDS)
        except NeedData as need:
            await sources.fill(need)
            continue
        except ResolutionImpossible as exc:
            error, hopeless = explain(exc, provider, roots, sources, index_urls)
            if keep_going and hopeless and not hopeless <= excluded:
                problems.append(error)
                excluded |= hopeless
                continue
            raise _combine(problems + [error]) from None
        except ResolutionTooDeep:
            raise ResolutionError(
                f"gave up after {MAX_RESOLVER_ROUNDS} resolution rounds: the requirements "
                f"{', '.join(r.origin for r in roots)} need too much backtracking; pin some versions"
            ) from None
        if problems:
            raise _combine(problems)
        return build_plan(result, provider, roots, sources)
    raise ResolutionError("resolution needed more than {MAX_FILLS} rounds of fetching; giving up")


def _combine(problems: list[MicropipError]) -> MicropipError:
    if len(problems) == 1:
        return problems[0]
    text = "\n\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
    cls = type(problems[0]) if all(type(p) is type(problems[0]) for p in problems) else ResolutionError
    return cls(f"{len(problems)} problems:\n\n{text}")


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
            plan.replace.append(cand.name)
    for cand in provider.yanked_picks:
        if mapping.get(cand.identifier) == cand:
            reason = cand.file.yanked_reason if cand.file else None
            plan.warnings.append(
                f"{cand} is yanked{' (' + reason + ')' if reason else ''}; installed only because it is pinned with =="
            )
    plan.bytes_index_pages = sources.index.bytes_fetched
    plan.bytes_metadata = sources.bytes_metadata
    plan.bytes_wheels_for_metadata = sources.bytes_wheels_for_metadata
    return plan


# ---- explanations ---------------------------------------------------------------------


def chain_to(identifier: str, provider: Provider, roots: list[RootRequirement]) -> list[str]:
    """Shortest chain of projects from a root requirement down to ``identifier``."""
    root_ids = {provider.identify(r.requirement) for r in roots}
    queue = deque([[identifier]])
    seen = {identifier}
    while queue:
        path = queue.popleft()
        if path[-1] in root_ids:
            return [_split(p)[0] for p in reversed(path)]
        for parent in sorted(provider.parents.get(path[-1], ())):
            if parent not in seen:
                seen.add(parent)
                queue.append(path + [parent])
    return [_split(identifier)[0]]


def explain(
    exc: ResolutionImpossible,
    provider: Provider,
    roots: list[RootRequirement],
    sources: Sources,
    index_urls: tuple[str, ...],
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
            rejected = sources.rejections.get(name, [])
            if sources.pages.get(name) is None and name not in sources.lock_packages:
                where = ", ".join(index_urls) or "the configured indexes"
                messages.append(
                    f"{chain}: no package named {name!r} was found on {where} or in the Pyodide lockfile. "
                    "Check the spelling, or add the index that has it with micropip.set_index_urls()."
                )
                kinds.add(PackageNotFoundError)
            else:
                lines = [f"  {r.filename}: {r.reason}" for r in rejected] or ["  (the index lists no files)"]
                messages.append(
                    f"{chain}: no wheel of {name} can be used in this Pyodide "
                    f"(Python {sources.env.python_version}"
                    f"{', ' + 'pyemscripten_' + sources.env.abi_version + '_wasm32' if sources.env.abi_version else ''}):\n"
                    + "\n".join(lines)
                    + "\nAsk the project for a pure-Python or emscripten wheel, or pin a version that has one."
                )
                kinds.add(NoCompatibleWheelError)
            continue
        lines = []
        for info in infos:
            parent = info.parent
            who = "requested" if parent is None else f"required by {parent} (via {' -> '.join(chain_to(parent.identifier, provider, roots))})"
            lines.append(f"  {info.requirement}  ({who})")
        rejected = provider.no_match.get(identifier, [])
        extra = "".join(f"\n  {r.filename}: {r.reason}" for r in rejected)
        available = ", ".join(str(c.version) for c in options[:8] if isinstance(c, Candidate))
        messages.append(
            f"conflicting requirements for {name}:\n" + "\n".join(lines)
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

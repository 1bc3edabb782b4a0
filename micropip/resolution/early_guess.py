"""A first install's likely tree, asked for while the resolver is still being compiled.

``index.early`` asks for the roots' pages before the machinery is imported (~300-400 ms
of compiling in Pyodide); their answers came back long before the resolver could read
them, and the next round trip - the chosen release's metadata file and wheel - only left
once it had. Here each early page is read as it arrives, in the gaps between two imports:
the release the resolver would pick (the newest final release the root's specifier allows
with a wheel this interpreter can use, the best tag first, as ``sources`` crawls it) has its
PEP 658 metadata asked for (``index.http.begin_hashed``) and its wheel downloaded
(``wheel``: ``installation.early_lock``), and its dependencies' pages are asked for in turn
(``index.early.ask``), a few levels down. The resolver takes each answer when it asks for
the same URL; what it never asks for is dropped with the rest of the head start.

Only a guess: it never decides anything. It stops when the resolver starts (``stop``), and
stays away from anything unusual: a page over ``MAX_PAGE_BYTES``, a release without a
metadata file (no deeper), a project already installed, a credentialed index.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..index import early, http
from ..index.formats import parse_project_page
from ..index.metadata import parse_core_metadata
from ..index.project import ProjectFile
from ..transport import Response
from .environment import TargetEnvironment
from .selection import Usable, allowed_versions, judge_file, left_unread, wheel_version_text

MAX_DEPTH = 3  # the roots are level 1
MAX_GUESSES = 24  # releases guessed in all (each: a metadata file, a wheel, its dependencies' pages)
MAX_PAGE_BYTES = 1_000_000  # bigger pages are left to the resolver (thinned in JavaScript there)

_tasks: set[asyncio.Future] = set()
_state: dict = {"on": False, "left": 0}


def start(requirements: object, wheel: Callable[[ProjectFile], None] | None, deps: bool = True) -> None:
    """Read each root page ``index.early`` asked for as it arrives, and guess from it;
    ``wheel`` downloads a guessed wheel (None: no wheel, as in a dry run); without ``deps``
    no dependency's page is asked (``install(..., deps=False)``)."""
    specs: dict[str, SpecifierSet] = {}
    for item in [requirements] if isinstance(requirements, str) else list(requirements or []):  # type: ignore[call-overload]
        try:
            req = Requirement(item) if isinstance(item, str) else None
        except InvalidRequirement:
            continue
        if req is not None and not req.url and (req.marker is None or req.marker.evaluate()):
            specs[canonicalize_name(req.name)] = req.specifier
    installed = _installed_names()
    _state.update(on=True, left=MAX_GUESSES, wheel=wheel, seen=set(specs) | installed, deps=deps)
    for name, spec in specs.items():
        future = early.peek(name)
        if future is not None and name not in installed:
            _follow(name, spec, future, 1)


def stop() -> None:
    """The resolver starts: it asks from now on (what was guessed stays for it to take)."""
    _state["on"] = False


def discard() -> None:
    """Cancel the guesses still running and forget them (the install is over)."""
    stop()
    for task in _tasks:
        task.cancel()  # its done callback takes it out of the set later
    _tasks.clear()
    http.drop_begun()


def _follow(name: str, spec: SpecifierSet, page: asyncio.Future, level: int) -> None:
    task = asyncio.ensure_future(_guess(name, spec, page, level))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _guess(name: str, spec: SpecifierSet, page: asyncio.Future, level: int) -> None:
    try:
        await _guess_from(name, spec, page, level)
    except Exception:  # noqa: BLE001 - a guess that failed is nobody's error: the resolver asks again
        pass


async def _guess_from(name: str, spec: SpecifierSet, page: asyncio.Future, level: int) -> None:
    # Shielded: the page (and the metadata below) are the resolver's too; a cancelled guess must not cancel them.
    response: Response = await asyncio.shield(page)
    if not _state["on"] or _state["left"] <= 0 or not response.ok or len(response.body) > MAX_PAGE_BYTES:
        return
    env = TargetEnvironment.current()
    parsed = parse_project_page(
        response.body, response.content_type, response.url, name,
        keep=lambda filename: not left_unread(filename, env),  # a guess is a wheel
    )
    chosen = pick(parsed.files, spec, env)
    if chosen is None or not _state["on"] or _state["left"] <= 0:
        return
    _state["left"] -= 1
    if _state["wheel"] is not None and chosen.sha256:
        _state["wheel"](chosen)
    meta_sha = (chosen.core_metadata or {}).get("sha256")
    if chosen.metadata_url is None or not meta_sha:
        return
    response = await asyncio.shield(http.begin_hashed(chosen.metadata_url, meta_sha))
    if not _state["on"] or not response.ok or level >= MAX_DEPTH or not _state["deps"]:
        return
    metadata = parse_core_metadata(response.body, chosen.metadata_url)
    context = dict(env.markers, extra="")
    for req in metadata.requires_dist:
        dep = canonicalize_name(req.name)
        if req.url or dep in _state["seen"] or (req.marker is not None and not req.marker.evaluate(context)):
            continue
        _state["seen"].add(dep)
        future = early.ask(dep)
        if future is not None:
            _follow(dep, req.specifier, future, level + 1)


def pick(files: tuple[ProjectFile, ...], spec: SpecifierSet, env: TargetEnvironment) -> ProjectFile | None:
    """The wheel the resolver would likely take first: of the newest release ``spec`` allows
    (``selection.allowed_versions``: PEP 440's pre-release rule) that has a usable wheel, the
    one with the best tag (None: no such release)."""
    by_version: dict[str, list[ProjectFile]] = {}
    for f in files:
        if f.filename.endswith(".whl") and not f.yanked and (text := wheel_version_text(f.filename)):
            by_version.setdefault(text, []).append(f)
    spelled: dict[Version, str] = {}
    for text in by_version:
        try:
            spelled[Version(text)] = text
        except InvalidVersion:
            continue
    for version in allowed_versions(list(spelled), [spec], pre=False):
        usable = [u for u in (judge_file(f, env) for f in by_version[spelled[version]]) if isinstance(u, Usable)]
        if usable:
            return min(usable, key=lambda u: u.rank).file
    return None


def _installed_names() -> set[str]:
    """Projects with a ``.dist-info`` in site-packages: the resolver keeps those that fit, so
    their pages are not guessed (one directory listing, no metadata read)."""
    names: set[str] = set()
    for folder in sys.path:
        if folder.endswith("site-packages") and os.path.isdir(folder):
            names.update(canonicalize_name(e[:-10].rsplit("-", 1)[0]) for e in os.listdir(folder) if e.endswith(".dist-info"))
    return names

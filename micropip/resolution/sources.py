"""Everything the resolver may ask about: index pages, metadata, the Pyodide
lockfile and installed distributions, fetched ahead of the (synchronous) resolver.

resolvelib is synchronous while fetching is async, so the provider raises
``NeedData`` for what it lacks; ``Sources.fill`` fetches it (and, speculatively,
the metadata of the likely choices and the pages of their dependencies, all in
parallel) and the resolver goes on with a warmer cache. While it walks back through
a project's releases, the next ones are read ahead in batches (``lookahead``).
"""

from __future__ import annotations

import asyncio
import io
import weakref
import logging
import urllib.parse
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .. import transport
from ..index import auth, http
from .candidates import INDEX, INSTALLED, LOCKFILE, SOURCE_ORDER, URL, Candidate
from .environment import TargetEnvironment
from .lookahead import MetadataBatches, batch_size, next_releases
from .version_index import VersionIndex, newest_allowed
from ..errors import HashRequiredError, MetadataError, MicropipError, NoCompatibleWheelError, RequirementError, TransportError
from ..index.client import IndexClient
from ..index.formats import fragment_hashes
from ..index.metadata import CoreMetadata, parse_core_metadata
from ..index.project import ProjectFile, ProjectPage
from .selection import (
    KIND_PLATFORM, SDIST_OPT_IN, Rejected, allowed_versions, classify_files, is_sdist, judge_file, set_aside_rejections,
)

logger = logging.getLogger("micropip")
MAX_CRAWL = 400  # speculative fetches per fill; bounds an enormous fan-out


class NeedData(Exception):
    """Raised inside the resolver: these pages / metadata must be fetched first.

    ``ahead``: for an asked release, the releases the resolver would try after it (its
    current candidates, in order), how many of the project's releases it tried so far, and
    at most how many it may still try (None: no limit): what ``fill`` reads ahead while the
    resolver walks back (``lookahead``).
    """

    def __init__(
        self,
        pages: set[str] | None = None,
        metadata: set[Candidate] | None = None,
        ahead: dict[Candidate, tuple[list[Candidate], int, int | None]] | None = None,
    ) -> None:
        super().__init__("resolver needs more data")
        self.pages = pages or set()
        self.metadata = metadata or set()
        self.ahead = ahead or {}


@dataclass(frozen=True)
class LockPackage:
    """A package of a Pyodide lockfile (its prebuilt wheels)."""

    name: str
    version: str
    file_name: str
    url: str
    sha256: str | None
    depends: tuple[str, ...]
    package_type: str = "package"
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstalledInfo:
    """An installed distribution as the resolver sees it: its version and what it requires."""

    name: str
    version: str
    requires: tuple[str, ...]
    installer: str | None = None


def lock_packages_from(lock: dict, base_url: str) -> dict[str, LockPackage]:
    """Read a ``pyodide-lock.json`` dict; file names resolve against ``base_url``."""
    out: dict[str, LockPackage] = {}
    for key, entry in (lock.get("packages") or {}).items():
        try:
            name = canonicalize_name(entry.get("name", key))
            file_name = entry["file_name"]
        except (KeyError, AttributeError, TypeError):
            continue
        url = transport.lock_file_url(file_name, base_url)
        out[name] = LockPackage(
            name=name,
            version=str(entry.get("version", "")),
            file_name=transport.lock_file_basename(file_name),
            url=url,
            sha256=entry.get("sha256"),
            depends=tuple(canonicalize_name(d) for d in entry.get("depends", [])),
            package_type=entry.get("package_type", "package"),
            imports=tuple(entry.get("imports", [])),
        )
    return out


def evaluate_deps(requires: tuple[Requirement, ...], env: TargetEnvironment, extras: frozenset[str]) -> list[Requirement]:
    """Dependencies whose markers hold for the target, for the given extras only."""
    out = []
    contexts = None
    for req in requires:
        if req.marker is None:
            out.append(req)
            continue
        # Releases share their parsed requirements (``index.metadata``): a marker is judged
        # once per target and extras. The entry keeps the marker, so its id stays its own.
        key = (id(req.marker), extras)
        known = _MARKERS.get(env)
        if known is None or len(known) > 50_000:
            known = _MARKERS[env] = {}
        hit = known.get(key)
        if hit is None or hit[0] is not req.marker:
            if contexts is None:
                # A dependency of an extra counts only on the node that asked for that extra.
                contexts = [dict(env.markers, extra=e) for e in sorted(extras)] if extras else [dict(env.markers, extra="")]
            hit = known[key] = (req.marker, any(req.marker.evaluate(ctx) for ctx in contexts))
        if hit[1]:
            out.append(req)
    return out


def extras_only(
    requires: "tuple[Requirement, ...] | tuple[str, ...]", env: TargetEnvironment, extras: frozenset[str] | None
) -> list[Requirement]:
    """The dependencies that hold only with one of ``extras`` (with None: kept for any extra,
    for ``evaluate_deps`` to pick later)."""
    out = []
    for req in (r if isinstance(r, Requirement) else Requirement(r) for r in requires):
        if req.marker is None or req.marker.evaluate(dict(env.markers, extra="")):
            continue
        if extras is None or any(req.marker.evaluate(dict(env.markers, extra=e)) for e in extras):
            out.append(req)
    return out


_MARKERS: "weakref.WeakKeyDictionary[TargetEnvironment, dict]" = weakref.WeakKeyDictionary()


class Sources:
    def __init__(
        self,
        env: TargetEnvironment,
        index: IndexClient,
        *,
        lock_packages: dict[str, LockPackage] | None = None,
        installed: dict[str, InstalledInfo] | Callable[[], dict[str, InstalledInfo]] | None = None,
        reinstall: bool = False,
        speculate: Callable[[ProjectFile], None] | None = None,
        fetched_ahead: Callable[[str], Awaitable | None] | None = None,
        wheel_cache: http.CacheLike | None = None,
        require_hashes: bool = False,
        credentials: str | None = None,
        sdist_metadata: Callable[[ProjectFile], Awaitable[bytes]] | None = None,
        upgrade: frozenset[str] = frozenset(),
    ) -> None:
        self.env = env
        # Projects to take at their newest allowed version, installed or not (pip's --upgrade).
        self.upgrade = upgrade
        # build_sdists: an sdist is a candidate (after every wheel); this gives its core
        # metadata (static PKG-INFO, or a build's METADATA). None: sdists are rejected.
        self.sdist_metadata = sdist_metadata
        # Wheels read for their METADATA (no PEP 658 file) go through the persistent cache too.
        self.wheel_cache = wheel_cache
        # Files without a sha256 are refused when chosen, before any of their bytes is fetched.
        self.require_hashes = require_hashes
        self.credentials = credentials
        # Told of each file the crawl expects the resolver to pick, so it can be fetched ahead.
        self.speculate = speculate
        # The download ``speculate`` began for a URL, if any (shared, not started twice).
        self.fetched_ahead = fetched_ahead
        self.index = index
        self.lock_packages = lock_packages or {}
        # A callable is read on first use (``installed``): scanning the installed distributions
        # then happens while the first index pages download, not before the first request.
        self._installed = installed if installed is not None else {}
        self.reinstall = reinstall
        self.pages: dict[str, ProjectPage | None] = {}
        self.page_errors: dict[str, MicropipError] = {}
        self.metadata: dict[str, CoreMetadata] = {}
        self.metadata_errors: dict[str, MicropipError] = {}
        self.wheel_bytes: dict[str, bytes] = {}
        self.url_candidates: dict[str, Candidate] = {}  # by url
        self.rejections = _Rejections(env)
        self._candidates: dict[str, list[Candidate]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future] = {}
        # Bumped whenever what is known of a project changes what the resolver may pick (its
        # page; a release whose metadata rules it out): the provider caches per generation.
        self._generation: dict[str, int] = {}
        # Counts changes to projects whose candidates the resolver was already offered: a
        # search resumed across fetches must start over when it changed (``search``).
        self.revisions = 0
        self._offered: set[str] = set()
        self.arrivals: dict[str, int] = {}  # pages and metadata read, by project
        self._version_indexes: dict[str, tuple[int, list[Candidate], VersionIndex]] = {}
        self.batches = MetadataBatches(self._read_ahead_one)
        self.bytes_metadata = 0
        # Steering for the speculative crawl (set by prefetch): pins by name, pre-releases, deps.
        self.pins: dict[str, SpecifierSet] = {}
        self.crawl_pre = False
        self.crawl_deps = True
        self.bytes_wheels_for_metadata = 0
        self._speculated: set[str] = set()  # projects a wheel was fetched ahead for (one guess each)
        # The first crawl stops going deeper once it meets a project nothing can be picked from:
        # the resolver must backtrack (or report a dead end) before the rest of the tree matters.
        self._prefetching = False
        self._dead_seen = False
        self._need_index: set[str] = set()  # lock packages whose lock version a requirement ruled out
        # Set once an index page has been read (or failed): the requests it leads to are on
        # their way then, a wait that ``package_manager._warm_up`` fills with work for later.
        self.page_read = asyncio.Event()

    @property
    def installed(self) -> dict[str, InstalledInfo]:
        """What is installed now, by canonical name (read once)."""
        if callable(self._installed):
            self._installed = self._installed()
        return self._installed

    # ---- synchronous questions from the provider -------------------------------------

    def page(self, name: str) -> ProjectPage | None:
        if name in self.page_errors:
            if name in self.lock_packages:
                # Pyodide's lock has it: an unreachable index (an offline JupyterLite site, a
                # blocked CDN) must not stop the install, as it never stops Pyodide's micropip.
                logger.info("using %s from Pyodide's lockfile: the index failed (%s)", name, self.page_errors[name])
                return None
            raise self.page_errors[name]
        if name not in self.pages:
            if self._lock_only(name):
                return None
            raise NeedData(pages={name})
        return self.pages[name]

    def _lock_only(self, name: str) -> bool:
        """Pyodide's lockfile answers for ``name`` without any index.

        Always for what only Pyodide builds (shared libraries). For a package, until a
        requirement rules its lock version out (``need_index``): Pyodide's micropip takes
        numpy, pandas, ... from the lock without asking an index, and asking cost one round
        trip per such package (a 404 on every private index)."""
        lock = self.lock_packages.get(name)
        return lock is not None and (lock.package_type != "package" or name not in self._need_index)

    def need_index(self, name: str) -> bool:
        """The lock's version of ``name`` does not do: its index pages count from now on.
        False when that changes nothing (not in the lock, or already asked)."""
        lock = self.lock_packages.get(name)
        if lock is None or lock.package_type != "package" or name in self._need_index:
            return False
        self._need_index.add(name)
        self._candidates.pop(name, None)
        self._changed(name)
        return True

    def generation(self, name: str) -> int:
        """Changes whenever anything known about ``name`` changes (see ``__init__``)."""
        return self._generation.get(name, 0)

    def _changed(self, name: str) -> None:
        self._generation[name] = self._generation.get(name, 0) + 1
        if name in self._offered:
            self.revisions += 1

    def candidates(self, name: str) -> list[Candidate]:
        """All candidates of a project, newest first, preferred source first."""
        if name in self._candidates:
            return self._candidates[name]
        page = self.page(name)
        found: list[Candidate] = []
        rejected: list[Rejected] = []
        if page is not None:
            usable, rejected = classify_files(page.files, self.env, build_sdists=self.sdist_metadata is not None)
            if self.require_hashes:
                usable = self._hashed_only(page, usable, rejected)
            for version, entries in usable.items():
                best = entries[0]
                found.append(Candidate(name, version, INDEX, best.file, yanked=best.file.yanked))
        lock = self.lock_packages.get(name)
        if lock is not None and lock.package_type == "package":
            try:
                found.append(
                    Candidate(
                        name,
                        Version(lock.version),
                        LOCKFILE,
                        ProjectFile(lock.file_name, lock.url, {"sha256": lock.sha256} if lock.sha256 else {}),
                        known_deps=tuple(Requirement(d) for d in lock.depends),
                    )
                )
            except InvalidVersion:
                rejected.append(Rejected(lock.file_name, f"invalid version {lock.version!r} in the Pyodide lockfile"))
        info = self.installed.get(name)
        if info is not None:  # offered even with reinstall=True, which only allows replacing it
            try:
                if lock is not None and lock.package_type == "package" and Version(lock.version) == Version(info.version):
                    # Pyodide's own package (loadPackage put it there): its lock's `depends` are what
                    # Pyodide ships it with, as for the lock candidate; its METADATA may name more
                    # (ipython 9's ipython-pygments-lexers), which Pyodide's micropip never asks for.
                    # Its extras' dependencies still come from its METADATA (they hold only with the extra).
                    deps = tuple(Requirement(d) for d in lock.depends) + tuple(extras_only(info.requires, self.env, None))
                else:
                    deps = tuple(Requirement(r) for r in info.requires)
                found.append(Candidate(name, Version(info.version), INSTALLED, None, known_deps=deps, display_name=info.name))
            except Exception:  # broken installed metadata: treat as not installed
                logger.warning("ignoring installed %s %s: its metadata cannot be read", info.name, info.version)
        found = _newest_first(found, upgrade=name in self.upgrade)
        self._candidates[name] = found
        self._offered.add(name)
        self.rejections[name] = rejected
        if page is not None and page.set_aside:
            self.rejections.later(name, [filename for filename, _yanked in page.set_aside])
        return found

    def _hashed_only(self, page: ProjectPage, usable: dict, rejected: list[Rejected]) -> dict:
        """``require_hashes``: drop the files without a sha256; none left with some usable is an error."""
        kept: dict = {}
        unhashed = []
        for version, entries in usable.items():
            ok = [u for u in entries if has_sha256(u.file)]
            unhashed += [u.file for u in entries if not has_sha256(u.file)]
            if ok:
                kept[version] = ok
        rejected += [Rejected(f.filename, "no sha256 on the index, and require_hashes is on") for f in unhashed]
        if unhashed and not kept:
            where = auth.redact_url(unhashed[0].index_url or page.url)
            names = "; ".join(f"{f.filename} from {auth.redact_url(f.url)}" for f in unhashed[:5])
            names += f"; and {len(unhashed) - 5} more" if len(unhashed) > 5 else ""
            raise HashRequiredError(
                f"require_hashes is on, but the index page {where} gives no sha256 for any usable file of "
                f"{page.name!r} ({names}); nothing was downloaded. Use an index that publishes sha256 hashes "
                "(PEP 503 #sha256= fragments or PEP 691 'hashes'), add #sha256=<hash> to a wheel URL, or install "
                "from a lockfile."
            )
        return kept

    def url_candidate(self, req: Requirement) -> Candidate:
        assert req.url
        url = req.url
        if url not in self.url_candidates:
            parts = urllib.parse.urlsplit(url)
            hashes = fragment_hashes(parts.fragment)
            auth.take_credentials(url.split("#", 1)[0])
            clean = candidate_url(url)
            filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
            from packaging.utils import parse_sdist_filename, parse_wheel_filename

            if is_sdist(filename) and self.sdist_metadata is None:
                raise RequirementError(f"{req.name} @ {auth.redact_url(clean)}: {filename} is {SDIST_OPT_IN}")
            if is_sdist(filename):
                version = parse_sdist_filename(filename)[1]
            else:
                try:
                    _n, version, _b, tags = parse_wheel_filename(filename)
                except ValueError as exc:
                    raise RequirementError(
                        f"{req.name} @ {auth.redact_url(clean)}: {exc}; a wheel's file name must follow PEP 427 "
                        "(name-version-python-abi-platform.whl)"
                    ) from None
                verdict = judge_file(ProjectFile(filename, clean), self.env)
                if isinstance(verdict, Rejected):  # refused before a byte is downloaded
                    raise NoCompatibleWheelError(url_wheel_refusal(filename, auth.redact_url(clean), verdict, tags, self.env))
            self.url_candidates[url] = Candidate(canonicalize_name(req.name), version, URL, ProjectFile(filename, clean, hashes))
        return self.url_candidates[url]

    def dependencies(self, cand: Candidate) -> list[Requirement]:
        if cand.known_deps is not None:
            deps = evaluate_deps(cand.known_deps, self.env, cand.extras)
            if cand.extras and cand.source == LOCKFILE:
                # A lock's ``depends`` know no extras: ``requests[socks]`` needs its METADATA.
                deps += extras_only(self.candidate_metadata(cand).requires_dist, self.env, cand.extras)
            return deps
        meta = self.candidate_metadata(cand)
        return evaluate_deps(meta.requires_dist, self.env, cand.extras)

    def candidate_metadata(self, cand: Candidate) -> CoreMetadata:
        assert cand.file is not None
        url = cand.file.url
        if url in self.metadata_errors:
            raise self.metadata_errors[url]
        if url not in self.metadata:
            raise NeedData(metadata={cand})
        return self.metadata[url]

    def metadata_problem(self, cand: Candidate) -> str | None:
        """Why a candidate's metadata makes it unusable (None when fine or not yet known)."""
        if cand.file is None or cand.known_deps is not None:
            return None
        url = cand.file.url
        if url in self.metadata_errors:
            return str(self.metadata_errors[url])
        meta = self.metadata.get(url)
        if meta is not None:
            if meta.requires_python is not None and not meta.requires_python.contains(self.env.python, prereleases=True):
                return f"requires Python {meta.requires_python}, this is Python {self.env.python_version}"
            if canonicalize_name(meta.name) != cand.name or meta.version != cand.version:
                return f"its metadata says {meta.name} {meta.version}, not {cand.name} {cand.version}"
        return None

    # ---- asynchronous fetching ------------------------------------------------------

    async def prefetch(
        self, roots: list[Requirement], pins: dict[str, SpecifierSet], *, pre: bool = False, deps: bool = True
    ) -> None:
        """Fetch every root's page and the likely tree below it in one parallel round.

        Without this the resolver would ask for the roots one at a time, one network
        round trip each. ``pins`` (root specifiers and constraints by name) steer the
        speculative crawl to the versions the resolver can actually pick.
        """
        self.pins = pins
        self.crawl_pre = pre
        self.crawl_deps = deps
        budget = [MAX_CRAWL]
        seen: set[tuple[str, str]] = set()
        jobs = []
        for req in roots:
            if req.url:
                try:
                    jobs.append(self._crawl_candidate(self.url_candidate(req), seen, budget))
                except (MicropipError, ValueError):
                    continue  # the resolver reports it with context
            else:
                jobs.append(self._crawl_page(canonicalize_name(req.name), req.specifier, seen, budget))
        self._prefetching, self._dead_seen = True, False
        try:
            await asyncio.gather(*jobs)
        finally:
            self._prefetching = False

    async def fill(self, need: NeedData) -> None:
        """Fetch what the resolver asked for, and speculatively what it will ask next: the
        likely tree below it (awaited), and the releases a backtracking walk will try next
        (read in the background, ``lookahead``: the resolver goes on as soon as what it asked
        for is here)."""
        budget = [MAX_CRAWL]
        seen: set[tuple[str, str]] = set()
        self.read_ahead(need)
        jobs = [self._crawl_page(name, SpecifierSet(), seen, budget) for name in need.pages]
        # A release the resolver walks back to is likely rejected too: only the pages of its
        # dependencies come with it (what resolvelib reads to judge it), not the tree below.
        walking = {c for c, (_after, tried, _cap) in need.ahead.items() if tried >= 1}
        jobs += [self._crawl_candidate(c, seen, budget, shallow=c in walking) for c in need.metadata]
        await asyncio.gather(*jobs)

    def read_ahead(self, need: NeedData) -> int:
        """Queue the releases after each asked one that a backtracking walk will try next;
        returns how many reads were queued."""
        queued = 0
        for cand, (compatible, tried, cap) in need.ahead.items():
            size = batch_size(tried) if cap is None else min(batch_size(tried), cap)
            if not size or cand.source != INDEX:
                continue
            batch = next_releases(cand, compatible, self._older_releases(cand), size, self._known_or_coming)
            queued += self.batches.add(batch)
        return queued

    def _known_or_coming(self, cand: Candidate) -> bool:
        url = cand.url or ""
        return url in self.metadata or url in self.metadata_errors or ("meta", url) in self._inflight or self.batches.is_queued(cand)

    def _older_releases(self, cand: Candidate) -> Iterator[Candidate]:
        """The releases of ``cand``'s project older than it, newest first, that the user's own
        pins allow (the walk never goes past those) and the pre-release rule lets in; lazily
        (the window takes a few of thousands)."""
        try:
            options = self.candidates(cand.name)
        except (NeedData, MicropipError):
            return
        pin = self.pins.get(cand.name, SpecifierSet())
        for c in options:
            if (
                c.source == INDEX and c.version < cand.version and pin.contains(c.version, prereleases=True)
                and (not c.version.is_prerelease or self.crawl_pre or cand.version.is_prerelease)
            ):
                yield c

    async def _read_ahead_one(self, cand: Candidate) -> None:
        await self.ensure_metadata(cand)

    def stop_reading_ahead(self) -> None:
        """The resolution is over: queue nothing more (reads in flight finish on their own)."""
        self.batches.stop()

    async def _crawl_page(self, name: str, spec: SpecifierSet, seen: set, budget: list[int]) -> None:
        key = (name, str(spec))
        if key in seen or budget[0] <= 0:
            return
        seen.add(key)
        budget[0] -= 1
        lock = self.lock_packages.get(name)
        if lock is not None and name not in self._need_index and not _lock_fits(lock, [spec, self.pins.get(name, SpecifierSet())]):
            self.need_index(name)
        await self.ensure_page(name)
        if name in self.page_errors:
            return
        try:
            options = self.candidates(name)
        except (NeedData, MicropipError):
            return
        specs = [spec, self.pins.get(name, SpecifierSet())]
        index = self.version_index(name, options)
        fitting = set.intersection(*(set(index.allowed(s)) for s in specs))
        newest = newest_allowed({c.version for c in options if not c.yanked and c.version in fitting}, specs, pre=self.crawl_pre)
        best = next((c for c in options if newest is not None and c.version == newest), None)
        if best is not None and best.is_sdist:
            # The resolver tries every wheel before an sdist: crawl (and build) the one it will take.
            allowed = set(allowed_versions([c.version for c in options if not c.yanked], specs, pre=self.crawl_pre))
            best = next((c for c in options if c.version in allowed and not c.is_sdist), best)
        if best is None and name not in self.lock_packages:
            self._dead_seen = True  # nothing to pick (no usable wheel, or none that fits)
        if self._prefetching and self._dead_seen:
            return
        if best is not None:
            if (
                self.speculate is not None and best.file is not None and best.source in (INDEX, LOCKFILE)
                and name not in self._speculated
            ):
                # One guess per project: while backtracking (a parent walking down its releases
                # pins a different version each time) the wheels guessed would mostly be waste.
                self._speculated.add(name)
                self.speculate(best.file)
            await self._crawl_candidate(best, seen, budget)

    async def _crawl_candidate(self, cand: Candidate, seen: set, budget: list[int], *, shallow: bool = False) -> None:
        if cand.known_deps is None or (cand.extras and cand.source == LOCKFILE):  # as ``dependencies`` reads
            await self.ensure_metadata(cand)
        if not self.crawl_deps or (self._prefetching and self._dead_seen):
            return
        try:
            deps = self.dependencies(cand)
        except (NeedData, MicropipError):
            return
        if any(not d.url and self._known_dead(d) for d in deps):
            return  # the resolver will reject this release: what else it needs does not matter
        if shallow:
            await asyncio.gather(*(self.ensure_page(canonicalize_name(d.name)) for d in deps if not d.url))
            return
        await asyncio.gather(
            *(self._crawl_page(canonicalize_name(d.name), d.specifier, seen, budget) for d in deps if not d.url)
        )

    def _known_dead(self, req: Requirement) -> bool:
        """Nothing can ever be picked for ``req``: its page is here, and no usable release fits
        both it and what the user asked for that project (roots and constraints always hold)."""
        name = canonicalize_name(req.name)
        if name not in self.pages or name in self.lock_packages:
            return False
        try:
            options = self.candidates(name)
        except (NeedData, MicropipError):
            return False
        fitting = self.version_index(name, options).allowed(req.specifier)
        pin = self.pins.get(name)
        return not any(pin is None or pin.contains(v, prereleases=True) for v in fitting)

    def version_index(self, name: str, options: list[Candidate]) -> VersionIndex:
        """The sorted versions of ``name``'s candidates (``options``: ``candidates(name)``), kept
        while nothing about the project changes: a specifier's matches by bisection."""
        entry = self._version_indexes.get(name)
        if entry is None or entry[0] != self.generation(name) or entry[1] is not options:
            entry = self._version_indexes[name] = (self.generation(name), options, VersionIndex(c.version for c in options))
        return entry[2]

    async def ensure_page(self, name: str) -> None:
        if name in self.pages or name in self.page_errors or self._lock_only(name):
            return
        await self._once(("page", name), self._load_page(name))

    async def _load_page(self, name: str) -> None:
        try:
            self.pages[name] = await self.index.project(name)
        except MicropipError as exc:
            self.page_errors[name] = exc
        finally:
            self._changed(name)
            self.arrivals[name] = self.arrivals.get(name, 0) + 1
            self.page_read.set()

    async def ensure_metadata(self, cand: Candidate) -> None:
        assert cand.file is not None
        url = cand.file.url
        if url in self.metadata or url in self.metadata_errors:
            return
        await self._once(("meta", url), self._load_metadata(cand))

    async def _once(self, key: tuple[str, str], coro) -> None:
        """Run ``coro`` once per key, however many callers ask concurrently. Shielded: a
        caller that gives up (a budget's time limit) does not cancel it for the others."""
        if key not in self._inflight:
            self._inflight[key] = asyncio.ensure_future(coro)
        else:
            coro.close()
        await asyncio.shield(self._inflight[key])

    async def _load_metadata(self, cand: Candidate) -> None:
        f = cand.file
        assert f is not None
        try:
            if self.require_hashes and not has_sha256(f):
                raise HashRequiredError(
                    f"require_hashes is on, but {f.filename} ({auth.redact_url(f.url)}) has no sha256 to verify it "
                    "against; nothing was downloaded. Add #sha256=<hash> to the URL or use an index that publishes hashes."
                )
            data = None
            if cand.is_sdist and self.sdist_metadata is not None:
                data = await self.sdist_metadata(f)
            elif f.metadata_url:
                # kept by its sha256 across page loads (``index.http.get_hashed``)
                response = await http.get_hashed(f.metadata_url, (f.core_metadata or {}).get("sha256"))
                if response.ok:
                    expected = (f.core_metadata or {}).get("sha256")
                    if expected:
                        http.check_sha256(response.body, expected, f.metadata_url, f"metadata of {f.filename}")
                    self.bytes_metadata += len(response.body)
                    data = response.body
            if data is None:
                data = await self.wheel_metadata(f)
            if cand.is_sdist:
                self.metadata[f.url] = parse_core_metadata(data, f"{f.url} (PKG-INFO or built METADATA)")
                return
            self.metadata[f.url] = parse_core_metadata(data, f.metadata_url or f.url)
        except (MicropipError, TransportError) as exc:
            self.metadata_errors[f.url] = exc
            logger.warning("skipping %s: %s", f.filename, exc)
        self.arrivals[cand.name] = self.arrivals.get(cand.name, 0) + 1
        if f.url in self.metadata_errors or self.metadata_problem(cand):
            self._changed(cand.name)  # a candidate the resolver was offered is out now

    async def wheel_metadata(self, f: ProjectFile) -> bytes:
        """No metadata file: read METADATA from the wheel itself (kept for install)."""
        if f.url not in self.wheel_bytes:
            pending = self.fetched_ahead(f.url) if self.fetched_ahead is not None else None
            if pending is not None:
                # Shielded: the install takes the same download later, whatever happens here.
                body = transport.as_bytes(await asyncio.shield(pending))
            else:
                body = await http.download_cached(
                    f.url, f.sha256, f.filename, credentials=self.credentials, cache=self.wheel_cache
                )
            self.wheel_bytes[f.url] = body
            self.bytes_wheels_for_metadata += len(body)
        try:
            with zipfile.ZipFile(io.BytesIO(self.wheel_bytes[f.url])) as zf:
                names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
                if len(names) != 1:
                    raise MetadataError(f"{f.filename} ({f.url}) has no single .dist-info/METADATA")
                return zf.read(names[0])
        except zipfile.BadZipFile as exc:
            raise MetadataError(f"{f.filename} ({f.url}) is not a valid zip file: {exc}") from exc


class _Rejections(dict):
    """Rejected files by project. The wheels a page reader set aside (other platforms only:
    15 000 on pydantic-core's page) become ``Rejected`` records only when an error asks."""

    def __init__(self, env: TargetEnvironment) -> None:
        super().__init__()
        self._env = env
        self._later: dict[str, list[str]] = {}

    def later(self, name: str, filenames: list[str]) -> None:
        self._later[name] = filenames

    def __getitem__(self, name: str) -> list[Rejected]:
        pending = self._later.pop(name, None)
        if pending:
            self[name] = list(super().get(name, [])) + set_aside_rejections(pending, self._env)
        return super().__getitem__(name)

    def get(self, name: str, default=None):  # type: ignore[override]
        return self[name] if name in self else default


def _lock_fits(lock: LockPackage, specs: list[SpecifierSet]) -> bool:
    try:
        version = Version(lock.version)
    except InvalidVersion:
        return False
    return all(s.contains(version, prereleases=True) for s in specs)


def has_sha256(f: ProjectFile) -> bool:
    """A well-formed sha256 to verify the file against (``require_hashes``)."""
    value = f.sha256 or ""
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value.lower())


def _newest_first(cands: list[Candidate], *, upgrade: bool = False) -> list[Candidate]:
    """The installed version first (an install never upgrades what already satisfies), then every
    wheel newest first, then sdists newest first (built only when no wheel will do). ``upgrade``:
    the installed version only where it is the newest."""
    if upgrade:
        return sorted(
            cands, key=lambda c: (not c.is_sdist, c.version, c.source == INSTALLED, -SOURCE_ORDER[c.source]), reverse=True
        )
    return sorted(
        cands, key=lambda c: (c.source == INSTALLED, not c.is_sdist, c.version, -SOURCE_ORDER[c.source]), reverse=True
    )


def url_wheel_refusal(filename: str, url: str, verdict: Rejected, tags, env: TargetEnvironment) -> str:
    """Why a wheel given by URL cannot be installed here, in the words Pyodide's micropip uses
    for a foreign platform (``Wheel platform '...' is not compatible with Pyodide's platform``)."""
    first = f"Can't install {filename} ({url}): {verdict.reason}."
    if verdict.kind == KIND_PLATFORM:
        platform = sorted({t.platform for t in tags})[0]
        target = f"pyemscripten_{env.abi_version}_wasm32" if env.abi_version else "emscripten_wasm32"
        first = f"Wheel platform '{platform}' is not compatible with Pyodide's platform '{target}': {first}"
    return first + " Use a pure-Python wheel (py3-none-any) or one built for Pyodide."


def candidate_url(url: str) -> str:
    """The URL a direct-URL candidate carries for a requirement's URL: no fragment, no user-info.

    Written back from its parts as given (``file:/tmp/x.whl`` stays so; ``urlunsplit`` would make
    it ``file:///tmp/x.whl``), so the requirement and its candidate compare equal."""
    return auth.split_userinfo(url.split("#", 1)[0])[0]

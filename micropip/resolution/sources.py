"""Everything the resolver may ask about: index pages, metadata, the Pyodide
lockfile and installed distributions, fetched ahead of the (synchronous) resolver.

resolvelib is synchronous while fetching is async, so the provider raises
``NeedData`` for what it lacks; ``Sources.fill`` fetches it (and, speculatively,
the metadata of the likely choices and the pages of their dependencies, all in
parallel) and the resolver runs again with a warmer cache.
"""

from __future__ import annotations

import asyncio
import io
import logging
import posixpath
import urllib.parse
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..index import http
from .candidates import INDEX, INSTALLED, LOCKFILE, SOURCE_ORDER, URL, Candidate
from .environment import TargetEnvironment
from ..errors import MetadataError, MicropipError, TransportError
from ..index.client import IndexClient
from ..index.formats import fragment_hashes
from ..index.metadata import CoreMetadata, parse_core_metadata
from ..index.project import ProjectFile, ProjectPage
from .selection import Rejected, allowed_versions, classify_files

logger = logging.getLogger("micropip")
MAX_CRAWL = 400  # speculative fetches per fill; bounds an enormous fan-out


class NeedData(Exception):
    """Raised inside the resolver: these pages / metadata must be fetched first."""

    def __init__(self, pages: set[str] | None = None, metadata: set[Candidate] | None = None) -> None:
        super().__init__("resolver needs more data")
        self.pages = pages or set()
        self.metadata = metadata or set()


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
        url = file_name if "://" in file_name else urllib.parse.urljoin(base_url, file_name) if base_url else file_name
        out[name] = LockPackage(
            name=name,
            version=str(entry.get("version", "")),
            file_name=posixpath.basename(urllib.parse.urlsplit(file_name).path),
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
    for req in requires:
        if req.marker is None:
            out.append(req)
            continue
        # A dependency of an extra counts only on the node that asked for that extra.
        contexts = [dict(env.markers, extra=e) for e in sorted(extras)] if extras else [dict(env.markers, extra="")]
        if any(req.marker.evaluate(ctx) for ctx in contexts):
            out.append(req)
    return out


class Sources:
    def __init__(
        self,
        env: TargetEnvironment,
        index: IndexClient,
        *,
        lock_packages: dict[str, LockPackage] | None = None,
        installed: dict[str, InstalledInfo] | None = None,
        reinstall: bool = False,
        speculate: Callable[[ProjectFile], None] | None = None,
    ) -> None:
        self.env = env
        # Told of each file the crawl expects the resolver to pick, so it can be fetched ahead.
        self.speculate = speculate
        self.index = index
        self.lock_packages = lock_packages or {}
        self.installed = installed or {}
        self.reinstall = reinstall
        self.pages: dict[str, ProjectPage | None] = {}
        self.page_errors: dict[str, MicropipError] = {}
        self.metadata: dict[str, CoreMetadata] = {}
        self.metadata_errors: dict[str, MicropipError] = {}
        self.wheel_bytes: dict[str, bytes] = {}
        self.url_candidates: dict[str, Candidate] = {}  # by url
        self.rejections: dict[str, list[Rejected]] = {}
        self._candidates: dict[str, list[Candidate]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future] = {}
        self.bytes_metadata = 0
        # Steering for the speculative crawl (set by prefetch): pins by name, pre-releases, deps.
        self.pins: dict[str, SpecifierSet] = {}
        self.crawl_pre = False
        self.crawl_deps = True
        self.bytes_wheels_for_metadata = 0

    # ---- synchronous questions from the provider -------------------------------------

    def page(self, name: str) -> ProjectPage | None:
        if name in self.page_errors:
            raise self.page_errors[name]
        if name not in self.pages:
            if self._lock_only(name):
                return None
            raise NeedData(pages={name})
        return self.pages[name]

    def _lock_only(self, name: str) -> bool:
        """Never ask the index for packages only Pyodide builds (shared libraries)."""
        lock = self.lock_packages.get(name)
        return lock is not None and lock.package_type != "package"

    def candidates(self, name: str) -> list[Candidate]:
        """All candidates of a project, newest first, preferred source first."""
        if name in self._candidates:
            return self._candidates[name]
        page = self.page(name)
        found: list[Candidate] = []
        rejected: list[Rejected] = []
        if page is not None:
            usable, rejected = classify_files(page.files, self.env)
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
        if info is not None and not self.reinstall:
            try:
                deps = tuple(Requirement(r) for r in info.requires)
                found.append(Candidate(name, Version(info.version), INSTALLED, None, known_deps=deps, display_name=info.name))
            except Exception:  # broken installed metadata: treat as not installed
                logger.warning("ignoring installed %s %s: its metadata cannot be read", info.name, info.version)
        found = _newest_first(found)
        self._candidates[name] = found
        self.rejections[name] = rejected
        return found

    def url_candidate(self, req: Requirement) -> Candidate:
        assert req.url
        url = req.url
        if url not in self.url_candidates:
            parts = urllib.parse.urlsplit(url)
            hashes = fragment_hashes(parts.fragment)
            clean = urllib.parse.urlunsplit(parts._replace(fragment=""))
            filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
            from packaging.utils import parse_wheel_filename

            _n, version, _b, _t = parse_wheel_filename(filename)
            self.url_candidates[url] = Candidate(canonicalize_name(req.name), version, URL, ProjectFile(filename, clean, hashes))
        return self.url_candidates[url]

    def dependencies(self, cand: Candidate) -> list[Requirement]:
        if cand.known_deps is not None:
            return evaluate_deps(cand.known_deps, self.env, cand.extras)
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
        await asyncio.gather(*jobs)

    async def fill(self, need: NeedData) -> None:
        """Fetch what the resolver asked for, and speculatively what it will ask next."""
        budget = [MAX_CRAWL]
        seen: set[tuple[str, str]] = set()
        jobs = [self._crawl_page(name, SpecifierSet(), seen, budget) for name in need.pages]
        jobs += [self._crawl_candidate(c, seen, budget) for c in need.metadata]
        await asyncio.gather(*jobs)

    async def _crawl_page(self, name: str, spec: SpecifierSet, seen: set, budget: list[int]) -> None:
        key = (name, str(spec))
        if key in seen or budget[0] <= 0:
            return
        seen.add(key)
        budget[0] -= 1
        await self.ensure_page(name)
        if name in self.page_errors:
            return
        try:
            options = self.candidates(name)
        except (NeedData, MicropipError):
            return
        specs = [spec, self.pins.get(name, SpecifierSet())]
        versions = allowed_versions([c.version for c in options if not c.yanked], specs, pre=self.crawl_pre)
        best = next((c for c in options if versions and c.version == versions[0]), None)
        if best is not None:
            if self.speculate is not None and best.file is not None and best.source in (INDEX, LOCKFILE):
                self.speculate(best.file)
            await self._crawl_candidate(best, seen, budget)

    async def _crawl_candidate(self, cand: Candidate, seen: set, budget: list[int]) -> None:
        if cand.known_deps is None:
            await self.ensure_metadata(cand)
        if not self.crawl_deps:
            return
        try:
            deps = self.dependencies(cand)
        except (NeedData, MicropipError):
            return
        await asyncio.gather(
            *(self._crawl_page(canonicalize_name(d.name), d.specifier, seen, budget) for d in deps if not d.url)
        )

    async def ensure_page(self, name: str) -> None:
        if name in self.pages or name in self.page_errors or self._lock_only(name):
            return
        await self._once(("page", name), self._load_page(name))

    async def _load_page(self, name: str) -> None:
        try:
            self.pages[name] = await self.index.project(name)
        except MicropipError as exc:
            self.page_errors[name] = exc

    async def ensure_metadata(self, cand: Candidate) -> None:
        assert cand.file is not None
        url = cand.file.url
        if url in self.metadata or url in self.metadata_errors:
            return
        await self._once(("meta", url), self._load_metadata(cand))

    async def _once(self, key: tuple[str, str], coro) -> None:
        """Run ``coro`` once per key, however many callers ask concurrently."""
        if key not in self._inflight:
            self._inflight[key] = asyncio.ensure_future(coro)
        else:
            coro.close()
        await self._inflight[key]

    async def _load_metadata(self, cand: Candidate) -> None:
        f = cand.file
        assert f is not None
        try:
            data = None
            if f.metadata_url:
                response = await http.get(f.metadata_url)
                if response.ok:
                    expected = (f.core_metadata or {}).get("sha256")
                    if expected:
                        http.check_sha256(response.body, expected, f.metadata_url, f"metadata of {f.filename}")
                    self.bytes_metadata += len(response.body)
                    data = response.body
            if data is None:
                data = await self.wheel_metadata(f)
            self.metadata[f.url] = parse_core_metadata(data, f.metadata_url or f.url)
        except (MicropipError, TransportError) as exc:
            self.metadata_errors[f.url] = exc
            logger.warning("skipping %s: %s", f.filename, exc)

    async def wheel_metadata(self, f: ProjectFile) -> bytes:
        """No metadata file: read METADATA from the wheel itself (kept for install)."""
        if f.url not in self.wheel_bytes:
            body = await http.download(f.url, sha256=f.sha256, what=f.filename)
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


def _newest_first(cands: list[Candidate]) -> list[Candidate]:
    """The installed version first (an install never upgrades what already satisfies), then newest."""
    return sorted(cands, key=lambda c: (c.source == INSTALLED, c.version, -SOURCE_ORDER[c.source]), reverse=True)

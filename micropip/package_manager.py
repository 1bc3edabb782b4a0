"""The public operations, one pipeline each:
requirements -> resolve (plan) -> fetch -> verify -> install, and back (uninstall).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import json
import logging
import sys
import tempfile
import textwrap
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .resolution import hash_policy
from .index import auth, http
from . import package_index, transport
from . import cache
from .resolution.environment import TargetEnvironment
from .errors import BuildError, MicropipError, NotAMockError, RequirementError
from .installation import execution
from .installation.execution import DEFAULT_CHANNEL, INSTALLER_NAME, REQUIRES_FILE, SHA256_FILE, SOURCE_FILE, URL_FILE
from .installation.fetch import WheelPrefetcher, fetch_all
from .index.client import LOCK_SETTINGS_KEY, IndexClient, default_index_urls, index_urls_from_lock
from .installation.installed import InstalledDist, Scheme, distributions_by_name, find_distribution, installed_distributions
from .plan import Plan, PlannedPackage
from .progress import ProgressCallback, Reporter, verbosity
from .resolution.file_roots import settle_file_roots
from .resolution.requirements import RootRequirement, parse_inputs
from .resolution.budget import DEFAULT_TIMEOUT as DEFAULT_RESOLVE_TIMEOUT
from .resolution import remembered
from .index.formats import ACCEPT_HEADER
from .resolution.resolver import resolve
from .resolution.selection import is_sdist, left_unread
from .resolution.sources import InstalledInfo, LockPackage, Sources, lock_packages_from

# The install stage (``installation.installer``, ``wheelfile``, ``uninstaller``) is imported on
# first use: compiling it from source took ~140 ms of a first install in Chromium before the
# first request could go out. ``_warm_install_stage`` imports it while the first pages download.

logger = logging.getLogger("micropip")
MOCK_INSTALLER_NAME = "micropip-mock"


class PackageMetadata(dict):
    """One installed package: ``p.name``, ``p.version``, ``p.source`` (and ``p["name"]`` ...).

    As in Pyodide's micropip it unpacks to its values (``name, version, source = p``) and
    shows as ``PackageMetadata(name=..., version=..., source=...)``."""

    def __init__(self, name: str, version: str, source: str) -> None:
        super().__init__(name=name, version=version, source=source)

    def __iter__(self):
        return iter((self["name"], self["version"], self["source"]))

    def __repr__(self) -> str:
        return f"PackageMetadata(name={self['name']!r}, version={self['version']!r}, source={self['source']!r})"

    @property
    def name(self) -> str:
        return self["name"]

    @property
    def version(self) -> str:
        return self["version"]

    @property
    def source(self) -> str:
        return self["source"]


class PackageDict(dict):
    """Installed packages by normalized name (each a ``PackageMetadata``); prints as a table.

    Looked up under any spelling of a name (``["PyYAML"]``, ``"typing_extensions" in``), as in
    Pyodide's micropip."""

    def __setitem__(self, name: str, value: PackageMetadata) -> None:
        super().__setitem__(canonicalize_name(name), value)

    def __getitem__(self, name: str) -> PackageMetadata:
        return super().__getitem__(canonicalize_name(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(canonicalize_name(name))

    def get(self, name: str, default: object = None) -> object:
        return super().get(canonicalize_name(name), default) if isinstance(name, str) else default

    def __repr__(self) -> str:
        """The table Pyodide's micropip prints (``Name | Version | Source``), header only when empty."""
        rows = [("Name", "Version", "Source")] + [(p["name"], p["version"], p["source"]) for p in self.values()]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, " | ".join("-" * w for w in widths))
        return "\n".join(lines)


class PackageManager:
    def __init__(self, compat: object = None) -> None:  # (Pyodide's micropip takes a compatibility layer)
        self.index_urls: list[str] = default_index_urls()  # a site's lock may name its own index first
        self.merge_indexes = False
        self.constraints: list[str] = []
        self._gate: asyncio.Lock | None = None
        self.lock_override: tuple[dict, str] | None = None  # tests and the CLI can point at another lockfile
        self._lock_memo: tuple[dict, str, dict[str, LockPackage]] | None = None
        self.build_sdists = False  # install()'s default (set_build_sdists)
        self.build_timeout: float | None = None  # seconds per sdist build (None: the build stage's default)

    @property
    def _lock(self) -> asyncio.Lock:
        # Created on first use so it binds to the running event loop.
        if self._gate is None:
            self._gate = asyncio.Lock()
        return self._gate

    # ---- configuration ------------------------------------------------------------------

    def set_index_urls(self, urls: str | Iterable[str]) -> None:
        """Indexes to use, in order; ``{package_name}`` in a URL is replaced by the name."""
        self.index_urls = [urls] if isinstance(urls, str) else list(urls)

    def set_build_sdists(self, enabled: bool = True, *, timeout: float | None = None) -> None:
        """The default of ``install(..., build_sdists=None)``; ``timeout``: seconds per build."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ValueError(f"timeout must be a number of seconds > 0, not {timeout!r}")
        self.build_sdists = bool(enabled)
        if timeout is not None:
            self.build_timeout = float(timeout)

    def set_constraints(self, constraints: str | Iterable[str]) -> None:
        items = [constraints] if isinstance(constraints, str) else list(constraints)
        for c in items:
            try:
                Requirement(c)
            except Exception as exc:
                raise RequirementError(f"invalid constraint {c!r}: {exc}") from exc
        self.constraints = items

    # ---- install ----------------------------------------------------------------------

    async def install(
        self,
        requirements: str | list[str],
        keep_going: bool = False,
        deps: bool = True,
        credentials: str | None = None,
        pre: bool = False,
        index_urls: str | list[str] | None = None,
        *,
        constraints: list[str] | None = None,
        reinstall: bool = False,
        verbose: bool | int | None = None,
        dry_run: bool = False,
        merge_indexes: bool | None = None,
        lockfile: str | None = None,
        progress: ProgressCallback | bool | None = None,
        require_hashes: bool = False,
        build_sdists: bool | None = None,
        upgrade: bool = False,
        resolve_timeout: float | None = DEFAULT_RESOLVE_TIMEOUT,
    ) -> Plan | None:
        """Resolve, download, verify and install; on any failure nothing changes.

        ``upgrade``: the requested packages go to their newest allowed version even when an
        installed one satisfies (pip's ``--upgrade``); replacing them is allowed, as with ``reinstall``.
        ``resolve_timeout``: seconds the resolver may search (None: no limit); past it,
        ``ResolutionBudgetError`` says what it went back and forth on and which pin settles it.
        """
        if lockfile is not None:
            names = [requirements] if isinstance(requirements, str) else list(requirements or [])
            return await self.install_lockfile(
                lockfile, packages=names or None, reinstall=reinstall, credentials=credentials, verbose=verbose, dry_run=dry_run,
                progress=progress, build_sdists=build_sdists,
            )
        with verbosity(verbose):
            return await self._install(
                requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall or upgrade, verbose,
                dry_run, merge_indexes, progress, require_hashes,
                self.build_sdists if build_sdists is None else bool(build_sdists), upgrade,
                resolve_timeout=resolve_timeout,
            )

    async def _install(
        self, requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall, verbose, dry_run,
        merge_indexes, progress, require_hashes, build_sdists=False, upgrade=False, *,
        resolve_timeout=DEFAULT_RESOLVE_TIMEOUT,
    ) -> Plan | None:
        async with self._lock, Reporter(progress, verbose, _redacted(requirements)) as report:
            plain = not (
                dry_run or require_hashes or reinstall or upgrade or constraints or merge_indexes or build_sdists
            ) and credentials is None
            asked = self._question(requirements, deps, pre, index_urls) if plain else None
            # The wheels the resolver will likely pick download while it still works (a fresh
            # page's lockfile wheels may be on their way already: ``installation.early_lock``).
            ahead = _adopt_early_lock_wheels(credentials)
            if ahead is not None and (dry_run or require_hashes):
                await ahead.close()
                ahead = None
            elif ahead is None and not (dry_run or require_hashes):
                ahead = WheelPrefetcher(credentials=credentials, cache=cache.current(), opener=execution.open_wheel)
            async with execution.finishing(ahead):
                plan, sources = await self._plan(
                    requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall,
                    merge_indexes, ahead, require_hashes=require_hashes, build_sdists=build_sdists, upgrade=upgrade,
                    resolve_timeout=resolve_timeout,
                )
                report.resolved(plan)
                if require_hashes:
                    hash_policy.require_hashes(plan)
                for warning in plan.warnings:
                    logger.warning(warning)
                if dry_run:
                    report.done(plan, dry_run=True)
                    return plan
                if plan.install:
                    await self._execute(
                        plan, sources.wheel_bytes, credentials, report, reinstall=reinstall, ahead=ahead,
                        builder=sources.builder,
                    )
                if asked is not None:  # a returning visitor's same install takes this plan (head_start)
                    await remembered.remember(asked, sources.index.pages_read, ACCEPT_HEADER, plan, self._source_labels)
            report.done(plan)
            return None

    def _question(self, requirements, deps, pre, index_urls) -> dict | None:
        # ``resolution.remembered``'s question; None with settings a fresh interpreter lacks.
        urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or self.index_urls)
        if self.constraints or self.merge_indexes or self.build_sdists or self.lock_override or not package_index.is_original():
            return None
        if any(auth.take_credentials(u) != u or auth.has_credentials(u) for u in urls):
            return None
        return remembered.question(requirements, urls, deps=deps, pre=pre, installed=installed_distributions)

    async def install_lockfile(
        self,
        lockfile: str,
        *,
        packages: Iterable[str] | None = None,
        reinstall: bool = False,
        credentials: str | None = None,
        verbose: bool | int | None = None,
        dry_run: bool = False,
        progress: ProgressCallback | bool | None = None,
        build_sdists: bool | None = None,
    ) -> Plan | None:
        """Install exactly what a ``pyodide-lock.json`` or ``pylock.toml`` pins: no resolution."""
        build = self.build_sdists if build_sdists is None else bool(build_sdists)
        with verbosity(verbose):
            return await self._install_lockfile(lockfile, packages, reinstall, credentials, verbose, dry_run, progress, build)

    async def _install_lockfile(
        self, lockfile, packages, reinstall, credentials, verbose, dry_run, progress, build_sdists=False
    ) -> Plan | None:
        from lockfile import detect_format

        from .resolution.lock_plan import plan_from_lockfile

        lockfile = auth.take_credentials(lockfile)  # user-info becomes a header; the plan's URLs carry none
        async with self._lock, Reporter(progress, verbose, [lockfile]) as report:
            response = await http.get(lockfile, credentials=credentials)
            if response.status in (401, 403):
                raise http.auth_error(response.status, lockfile, "reading the lockfile")
            if not response.ok:
                raise MicropipError(f"cannot read lockfile {lockfile}: HTTP {response.status}; check the URL or path")
            runtime = self.lock_override or transport.pyodide_lockfile()
            if detect_format(transport.resolve_url(lockfile), response.body) == "pylock":
                await transport.load_optional_part("micropip-pylock", "lockfile.pylock")  # apart in the bundle
            plan = plan_from_lockfile(
                response.body,
                transport.resolve_url(lockfile),
                TargetEnvironment.current(),
                installed={d.canonical_name: str(d.version) for d in installed_distributions()},
                names=packages,
                reinstall=reinstall,
                runtime_lock=runtime[0] if runtime else None,
            )
            report.resolved(plan)
            if dry_run:
                report.done(plan, dry_run=True)
                return plan
            if plan.install:
                builder = None
                if build_sdists and any(is_sdist(p.filename) for p in plan.install):
                    index = IndexClient(tuple(self.index_urls), merge=self.merge_indexes, credentials=credentials)
                    builder = self.sdist_builder(index, credentials=credentials)
                await self._execute(plan, {}, credentials, report, reinstall=reinstall, builder=builder)
            report.done(plan)
            return None

    async def _plan(
        self, requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall, merge_indexes,
        ahead: WheelPrefetcher | None = None, *, require_hashes: bool = False, build_sdists: bool = False,
        upgrade: bool = False, resolve_timeout: float | None = DEFAULT_RESOLVE_TIMEOUT,
    ) -> tuple[Plan, Sources]:
        env = TargetEnvironment.current()
        parsed = await parse_inputs(requirements, read_file=http.read_requirements_text)
        # A wheel named as in Pyodide's lock is that entry; a missing local file is said first.
        parsed.requirements = await settle_file_roots(parsed.requirements, self.lock_override or transport.pyodide_lockfile())
        urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or self.index_urls)
        # User-info leaves the URLs now (a header for their origin): nothing below sees a secret.
        urls = [auth.take_credentials(u) for u in urls]
        all_constraints = [Requirement(c) for c in self.constraints + list(constraints or [])] + parsed.constraints
        index = IndexClient(
            tuple(urls), merge=self.merge_indexes if merge_indexes is None else merge_indexes, credentials=credentials,
            lookup=package_index.lookup_override(urls, credentials),
            keep=lambda filename: not left_unread(filename, env, build_sdists=build_sdists),
            platforms=env.platforms,
            sdists_unread=not build_sdists,
        )
        builder = self.sdist_builder(index, credentials=credentials) if build_sdists else None
        sources = Sources(
            env,
            index,
            lock_packages=self._lock_packages(),
            installed=_installed_infos,
            reinstall=reinstall,
            speculate=ahead.start if ahead is not None else None,
            fetched_ahead=ahead.peek if ahead is not None else None,
            wheel_cache=cache.current(),
            require_hashes=require_hashes,
            credentials=credentials,
            sdist_metadata=builder.metadata if builder is not None else None,
            upgrade=frozenset(r.name for r in parsed.requirements) if upgrade else frozenset(),
        )
        sources.builder = builder  # the install takes the wheels it built while resolving
        warm = asyncio.ensure_future(_warm_up(sources))
        try:
            plan = await resolve(
                parsed.requirements,
                sources,
                pre=pre,
                constraints=all_constraints,
                deps=deps,
                keep_going=keep_going,
                index_urls=tuple(urls),
                resolve_timeout=resolve_timeout,
            )
        finally:
            # Not waited for: an install that read no page (URLs, the lock, all installed)
            # imports the install stage when it gets there.
            warm.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warm
        pins: dict[str, frozenset[str]] = {}
        for root in parsed.requirements:
            if root.hashes:
                pins[root.name] = pins.get(root.name, frozenset()) | root.hashes
        hash_policy.apply_pinned_hashes(plan, pins)
        return plan, sources

    def sdist_builder(self, index: IndexClient, *, credentials: str | None = None) -> "_LazyBuilder":
        """The build stage for one install (``micropip.sdist`` is imported on its first build)."""
        return sdist_builder(index, credentials=credentials, timeout=self.build_timeout)

    def _lock_packages(self) -> dict[str, LockPackage]:
        found = self.lock_override or transport.pyodide_lockfile()
        if not found:
            return {}
        return self._lock_packages_of(found)

    def _lock_packages_of(self, found: tuple[dict, str]) -> dict[str, LockPackage]:
        # ``lock_packages_from`` once per lockfile object: the runtime lock is read once per
        # interpreter, and parsing its few hundred entries on every install cost ~25 ms each time.
        memo = self._lock_memo
        if memo is None or memo[0] is not found[0] or memo[1] != found[1]:
            memo = self._lock_memo = (found[0], found[1], lock_packages_from(*found))
        return memo[2]

    async def _execute(
        self,
        plan: Plan,
        cached: dict[str, bytes],
        credentials: str | None,
        progress: Reporter | None = None,
        *,
        reinstall: bool = False,
        ahead: WheelPrefetcher | None = None,
        builder=None,
    ) -> None:
        labels = self._source_labels(plan.install)
        # Source distributions are built (or taken from the cache) before anything is written.
        cached, packages, built_from = await _built_wheels(plan.install, dict(cached), builder)
        await execution.execute(
            plan, packages, cached, credentials, progress or Reporter(False), labels,
            reinstall=reinstall, ahead=ahead, built_from=built_from,
        )

    def _source_labels(self, packages: Iterable[PlannedPackage]) -> dict[str, tuple[str, str]]:
        # Each package's source as ``list()`` reports it, and its name for ``pyodide.loadedPackages``.
        #
        # ``"pyodide"`` for a package of the running Pyodide's lockfile, ``"pypi"`` for a
        # file whose sha256 an index (or a lockfile) gave, else the wheel's URL (always for
        # a direct URL requirement), as Pyodide's micropip does.
        found = self.lock_override or transport.pyodide_lockfile()
        runtime = self._lock_packages_of(found) if found else {}
        raw_names = {
            canonicalize_name(str(e.get("name", k))): str(e.get("name", k))
            for k, e in ((found[0].get("packages") or {}) if found else {}).items()
            if isinstance(e, dict)
        }
        out: dict[str, tuple[str, str]] = {}
        for pkg in packages:
            ours = runtime.get(pkg.name)
            if pkg.direct_url:
                out[pkg.name] = (pkg.url, pkg.name)
            elif ours is not None and ours.version == pkg.version and (ours.url == pkg.url or (pkg.sha256 and ours.sha256 == pkg.sha256)):
                out[pkg.name] = ("pyodide", raw_names.get(pkg.name, pkg.name))
            elif pkg.sha256:
                out[pkg.name] = ("pypi", pkg.name)
            else:
                out[pkg.name] = (pkg.url, pkg.name)
        return out

    # ---- inspect -------------------------------------------------------------------------

    def list(self) -> PackageDict:
        """Installed packages: every distribution, and what ``pyodide.loadPackage`` loaded without one."""
        out = PackageDict()
        seen = set()
        for dist in sorted(installed_distributions(), key=lambda d: d.canonical_name):
            out[dist.name] = PackageMetadata(dist.name, str(dist.version), _source_of(dist))
            seen.add(dist.canonical_name)
        loaded = transport.loaded_packages()
        if loaded:
            found = self.lock_override or transport.pyodide_lockfile()
            lock = (found[0].get("packages") or {}) if found else {}
            for name, channel in sorted(loaded.items()):
                if canonicalize_name(name) in seen:
                    continue
                entry = lock.get(name) or lock.get(canonicalize_name(name)) or {}
                source = "pyodide" if channel == DEFAULT_CHANNEL else channel
                out[name] = PackageMetadata(name, str(entry.get("version", "unknown")), source)
        return out

    def list_packages(self) -> PackageDict:
        """The same as ``list()`` (the name Pyodide's micropip gives this method)."""
        return self.list()

    def freeze(self) -> str:
        """The environment as ``pyodide-lock.json`` text: Pyodide's lock plus what micropip installed."""
        from .installation.wheelfile import top_level_modules
        from lockfile import LockPackage as LockEntry

        found = self.lock_override or transport.pyodide_lockfile()
        lock = json.loads(json.dumps(found[0])) if found else {"info": _lock_info(), "packages": {}}
        packages = lock.setdefault("packages", {})
        base_url = found[1] if found else ""
        if base_url:  # absolute URLs: the frozen lock works wherever it is served from
            for entry in packages.values():
                if isinstance(entry, dict) and isinstance(entry.get("file_name"), str):
                    entry["file_name"] = urllib.parse.urljoin(base_url, entry["file_name"])
            site_indexes = index_urls_from_lock(lock, base_url)
            if site_indexes:  # a site's own index, named relative to its lock
                lock[LOCK_SETTINGS_KEY]["index_urls"] = site_indexes
        env = TargetEnvironment.current()
        for dist in installed_distributions():
            if dist.installer not in (INSTALLER_NAME,):
                continue
            url = _read_dist_file(dist, URL_FILE)
            sha = _read_dist_file(dist, SHA256_FILE)
            if not url:  # installed before PYODIDE_URL was written: PYODIDE_SOURCE held the URL
                legacy = _read_dist_file(dist, SOURCE_FILE)
                url = legacy if legacy not in (None, "", "pypi", "pyodide") else None
            if not url:
                continue
            kept = packages.get(dist.canonical_name)
            resolved = _recorded_depends(dist)  # what it was installed with, extras' dependencies included
            if (
                _read_dist_file(dist, SOURCE_FILE) == "pyodide"
                and isinstance(kept, dict)
                and str(kept.get("version")) == str(dist.version)
            ):
                # Pyodide's own package: its lock entry (absolute now) says it best, plus what
                # extras asked for brought in (``requests[socks]``: PySocks).
                if resolved - set(kept.get("depends") or []):
                    kept["depends"] = sorted(set(kept.get("depends") or []) | resolved)
                continue
            depends = sorted(
                resolved
                | {canonicalize_name(r.name) for r in map(Requirement, dist.requires) if r.marker is None or r.marker.evaluate(dict(env.markers, extra=""))}
            )
            packages[dist.canonical_name] = LockEntry.site_wheel(
                dist.name, str(dist.version), url, sha or "", list(top_level_modules(str(f) for f in dist.files)), depends
            ).to_dict()
        lock["packages"] = dict(sorted(packages.items()))
        return json.dumps(lock, indent=2, sort_keys=True)

    # ---- uninstall and mocks --------------------------------------------------------

    def uninstall(self, packages: str | Iterable[str], *, verbose: bool | int | None = None) -> "Uninstalled":
        """Remove installed distributions now (no network): all of them or, on failure, none.

        Synchronous, as in Pyodide's micropip. The result may still be awaited (code
        written for an ``async`` uninstall keeps working); while an install is running
        the removal waits for it, and awaiting the result waits for both.
        """
        names = [packages] if isinstance(packages, str) else list(packages)
        if self._gate is not None and self._gate.locked():

            async def after_install() -> Uninstalled:
                async with self._lock:
                    return self._uninstall_now(names, verbose)

            return Uninstalled([], [], pending=asyncio.ensure_future(after_install()))
        return self._uninstall_now(names, verbose)

    def _uninstall_now(self, names: list[str], verbose: bool | int | None) -> "Uninstalled":
        from .installation.uninstaller import uninstall_distributions
        with verbosity(verbose):
            present: list[InstalledDist] = []
            skipped = []
            installed = distributions_by_name()
            for name in names:
                dist = installed.get(canonicalize_name(name))
                if dist is None:
                    logger.warning("Skipping '%s' as it is not installed.", name)
                    skipped.append(name)
                elif dist.canonical_name not in {d.canonical_name for d in present}:
                    present.append(dist)
            for dist in present:
                logger.info("Found existing installation: %s %s", dist.name, dist.version)
            if present:
                mocked = {d.name: _mock_modules(d) for d in present if d.installer == MOCK_INSTALLER_NAME}
                reports = uninstall_distributions([d.name for d in present])
                transport.forget_loaded_packages([d.name for d in present])
                for dist, report in zip(present, reports):
                    if dist.name in mocked:
                        from .installation import mocks  # imported for mocks only: a first install skips it

                        mocks.forget(dist.name)
                        mocks.unload_modules(mocked[dist.name])
                    for path in report.missing_files:
                        logger.warning("A file '%s' listed in the metadata of '%s' does not exist.", path, dist.name)
                    for folder in report.remaining_dirs:
                        logger.warning(
                            "A directory '%s' is not empty after uninstallation of '%s': it holds files the "
                            "package did not list, which may get in the way of installing it again.", folder, dist.name
                        )
                    logger.info("  Successfully uninstalled %s-%s", dist.name, dist.version)
            return Uninstalled([(d.name, str(d.version)) for d in present], skipped)

    def add_mock_package(
        self,
        name: str,
        version: str,
        *,
        modules: dict[str, str | Callable[[ModuleType], object] | None] | None = None,
        persistent: bool = False,
    ) -> None:
        """Pretend ``name`` is installed (with optional modules), e.g. to satisfy a dependency.

        ``modules`` maps module names to source text, ``None`` (an empty module) or, unless
        ``persistent``, a callable that initialises the module object when it is imported.
        ``persistent=True`` writes a real distribution into site-packages (it lasts as long
        as the file system does); otherwise the mock lives in memory only.
        """
        from .installation.installer import InstallItem, install_wheels
        from .installation.wheelfile import WheelFile
        from .installation import mocks
        from .installation.wheelbuilder import make_metadata, write_wheel

        modules = modules if modules is not None else {canonicalize_name(name).replace("-", "_"): ""}
        # Source written inside a function or a triple-quoted string is indented: as in Pyodide's micropip, dedented.
        modules = {m: textwrap.dedent(src) if isinstance(src, str) else src for m, src in modules.items()}
        existing = find_distribution(name)
        if existing is not None and existing.installer != MOCK_INSTALLER_NAME:
            raise MicropipError(
                f"cannot add a mock {name}: {existing.name} {existing.version} is installed; uninstall it first"
            )
        if existing is not None:
            self.remove_mock_package(name)  # a new mock of the same name replaces the old one
        if not persistent:
            mocks.add_memory_mock(name, version, modules, make_metadata(name, version))
            return
        callables = sorted(m for m, src in modules.items() if callable(src))
        if callables:
            raise MicropipError(
                f"mock package {name}: module(s) {', '.join(callables)} are given as callables, which cannot be "
                "written to the file system; pass source text, or use persistent=False"
            )
        files = {f"{mod.replace('.', '/')}/__init__.py": (src or "") for mod, src in modules.items()}
        with tempfile.TemporaryDirectory() as tmp:
            path = write_wheel(Path(tmp), name, version, files, metadata=make_metadata(name, version))
            wheel = WheelFile.from_bytes(path.name, path.read_bytes(), source="mock")
        install_wheels([InstallItem(wheel, requested=True, installer=MOCK_INSTALLER_NAME)], Scheme.from_sysconfig())

    def list_mock_packages(self) -> list[str]:
        return sorted(d.name for d in installed_distributions() if d.installer == MOCK_INSTALLER_NAME)

    def remove_mock_package(self, name: str) -> None:
        from .installation import mocks
        from .installation.uninstaller import uninstall_distributions
        dist = find_distribution(name)
        if dist is None or dist.installer != MOCK_INSTALLER_NAME:
            what = "not installed" if dist is None else f"installed by {dist.installer or 'an unknown installer'}"
            raise NotAMockError(
                f"Package {name} doesn't seem to be a micropip mock ({what}); micropip.list_mock_packages() "
                "lists the mocks, micropip.uninstall() removes other packages"
            )
        modules = _mock_modules(dist)
        uninstall_distributions([name])
        mocks.forget(name)  # an in-memory mock: its modules, and the finder with the last one
        mocks.unload_modules(modules)  # a persistent one: the modules its files made importable


class Uninstalled:
    """What ``uninstall`` removed. Awaiting it is harmless (it gives None, as the call
    itself does in Pyodide's micropip); a notebook shows nothing for it."""

    def __init__(self, removed: list[tuple[str, str]], skipped: list[str], *, pending: "asyncio.Future | None" = None) -> None:
        self.removed = removed
        self.skipped = skipped
        self._pending = pending

    def __await__(self):
        if self._pending is not None:
            done = yield from self._pending.__await__()
            self.removed, self.skipped, self._pending = done.removed, done.skipped, None
        return None

    def _ipython_display_(self) -> None:  # like a None result: no Out[] in a notebook
        return None

    def __repr__(self) -> str:
        if self._pending is not None:
            return "<uninstall waiting for the running install; await it to wait too>"
        if not self.removed:
            return "Nothing uninstalled." if not self.skipped else f"Nothing uninstalled: {', '.join(self.skipped)} not installed."
        return "Successfully uninstalled " + " ".join(f"{n}-{v}" for n, v in self.removed)


# ---- helpers --------------------------------------------------------------------------------


def _redacted(requirements):
    """Requirements as shown in progress and logs: user-info of any URL in them hidden."""
    if isinstance(requirements, str):
        return auth.redact_text(requirements)
    if isinstance(requirements, (list, tuple)):
        return [auth.redact_text(r) if isinstance(r, str) else r for r in requirements]
    return requirements


# ---- the build stage (build_sdists): micropip.sdist, given resolution + installation as callbacks --


def sdist_builder(
    index: IndexClient,
    *,
    credentials: str | None = None,
    lock_packages: dict[str, LockPackage] | None = None,
    timeout: float | None = None,
) -> "_LazyBuilder":
    """What ``Sources(sdist_metadata=...)`` and ``_execute`` ask for sdists (and pyodide_pm's
    ``lock`` and ``check``); ``micropip.sdist`` is imported on the first question.

    Build requirements resolve with this resolver (wheels only, from ``index`` plus
    ``lock_packages``, for the running interpreter) into the build's prefix, never
    site-packages. Pyodide's lockfile is not used by default: its wheels carry
    Pyodide-specific dependencies and may be where only ``loadPackage`` finds them.
    """
    kept = cache.current()

    async def install_into(prefix: Path, requirements: list[str]) -> None:
        from .installation.installer import InstallItem, install_wheels
        from .installation.wheelfile import WheelFile
        env = TargetEnvironment.current()
        sources = Sources(
            env, index, lock_packages=lock_packages or {}, wheel_cache=kept, credentials=credentials,
            installed={
                d.canonical_name: InstalledInfo(d.name, str(d.version), tuple(d.requires), d.installer)
                for d in installed_distributions([str(prefix)])
            },
        )
        roots = [RootRequirement(Requirement(r), f"build requirement {r}") for r in requirements]
        plan = await resolve(roots, sources, index_urls=index.index_urls)
        if not plan.install:
            return
        data = await fetch_all(plan.install, cached=sources.wheel_bytes, credentials=credentials, cache=kept)
        items = [
            InstallItem(
                WheelFile.from_bytes(p.filename, transport.as_bytes(data[p.name]), source=p.url),
                requested=p.requested, installer=INSTALLER_NAME,
            )
            for p in plan.install
        ]
        install_wheels(items, Scheme(prefix, prefix, prefix / "bin", prefix / "data", prefix / "include"))

    settings = {"cache": kept, "credentials": credentials}
    if timeout is not None:
        settings["timeout"] = timeout
    return _LazyBuilder(install_into, settings)


class _LazyBuilder:
    """``micropip.sdist.service.SdistBuilder``, created (and imported) when first asked."""

    def __init__(self, install_into, settings: dict) -> None:
        self._install_into = install_into
        self._settings = settings
        self._real = None

    async def real(self):
        if self._real is None:
            # The browser bundle ships the build stage as a wheel of its own: loaded now.
            await transport.load_optional_part("micropip-sdist", "micropip.sdist")
            from .sdist.service import SdistBuilder

            self._real = SdistBuilder(self._install_into, **self._settings)
        return self._real

    async def metadata(self, f) -> bytes:
        return await (await self.real()).metadata(f)

    async def wheel(self, url: str, filename: str, sha256: str | None):
        return await (await self.real()).wheel(url, filename, sha256)


async def _warm_up(sources: Sources) -> None:
    # Work for the network waits: what is installed, and the install stage's modules.
    #
    # Both used to delay the first request (~250 ms in Chromium). The install stage compiles
    # once the first page is read: each step of an answer's arrival waits for the Python
    # running, so compiling while the page travelled held it back on a 30 ms link. A failure
    # is left for the real use to report.
    await asyncio.sleep(0.005)
    try:
        sources.installed  # noqa: B018 - read now, see Sources.installed
        await sources.page_read.wait()
        await asyncio.sleep(0.001)  # the requests the page led to leave first
        for stage in ("wheelfile", "uninstaller", "installer"):
            await asyncio.sleep(0)
            importlib.import_module(f"{__package__}.installation.{stage}")
    except Exception:  # noqa: BLE001 - reported by the real use, in context
        pass


def _adopt_early_lock_wheels(credentials: str | None) -> WheelPrefetcher | None:
    # The lockfile wheels ``micropip.install`` began downloading before the machinery loaded.
    early_lock = sys.modules.get(f"{__package__}.installation.early_lock")
    ahead = early_lock.adopt() if early_lock is not None else None
    if ahead is not None:
        ahead.credentials = credentials
        ahead.open_with(execution.open_wheel)
    return ahead


async def _built_wheels(
    packages: list[PlannedPackage], cached: dict, builder: "_LazyBuilder | None"
) -> tuple[dict, list[PlannedPackage], dict[str, tuple[str, str]]]:
    # Plan entries for sdists become their built wheels (bytes in ``cached``, by the sdist URL).
    #
    # Returns the ``cached`` bytes, the packages to fetch and verify, and for each built one
    # ``(sdist URL, sdist sha256)``: what ``list()``/``freeze()`` record as its origin.
    out, built_from = [], {}
    for pkg in packages:
        if not is_sdist(pkg.filename):
            out.append(pkg)
            continue
        if builder is None:
            raise BuildError(
                f"{pkg.name} {pkg.version} is the source distribution {pkg.filename} ({auth.redact_url(pkg.url)}); "
                "install with build_sdists=True (or call micropip.set_build_sdists(True)) to build it here "
                "(pure-Python projects only)"
            )
        built = await builder.wheel(pkg.url, pkg.filename, pkg.sha256)
        cached[pkg.url] = built.data
        out.append(
            dataclasses.replace(pkg, filename=built.filename, sha256=transport.sha256_hex(built.data), size=len(built.data))
        )
        built_from[pkg.name] = (pkg.url, built.sdist_sha256)
    return cached, out, built_from


def _installed_infos() -> dict[str, InstalledInfo]:
    return {
        d.canonical_name: InstalledInfo(d.name, str(d.version), tuple(d.requires), d.installer)
        for d in installed_distributions()
    }


def _recorded_depends(dist: InstalledDist) -> set[str]:
    # The dependencies resolved when ``dist`` was installed (``PYODIDE_REQUIRES``), as canonical names.
    text = _read_dist_file(dist, REQUIRES_FILE)
    try:
        names = json.loads(text) if text else []
    except ValueError:
        return set()
    return {canonicalize_name(n) for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def _mock_modules(dist: InstalledDist) -> tuple[str, ...]:
    # The top-level modules a mock's files provide (a persistent mock's; an in-memory one has none).
    from .installation.wheelfile import top_level_modules

    return top_level_modules(str(f) for f in dist.files)


def _source_of(dist: InstalledDist) -> str:
    # ``"pyodide"``, ``"pypi"`` or a URL as PYODIDE_SOURCE says (micropip and Pyodide's loader write it).
    if dist.installer == MOCK_INSTALLER_NAME:
        return "mock"
    source = _read_dist_file(dist, SOURCE_FILE)
    if source:
        return source
    if dist.installer in ("pyodide", "pyodide.loadPackage"):
        return "pyodide"
    return dist.installer or "unknown"


def _read_dist_file(dist: InstalledDist, name: str) -> str | None:
    path = Path(dist.dist_info) / name
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _lock_info() -> dict:
    env = TargetEnvironment.current()
    return {"arch": "wasm32", "platform": env.platform or sys.platform, "version": env.pyodide_version or "", "python": env.python_version, "abi_version": env.abi_version or ""}

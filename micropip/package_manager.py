"""The public operations, one pipeline each:
requirements -> resolve (plan) -> fetch -> verify -> install, and back (uninstall).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .resolution import hash_policy
from .index import http
from . import transport
from .installation import wheel_cache
from .resolution.environment import TargetEnvironment
from .errors import InstallError, MicropipError, RequirementError
from .installation.fetch import WheelPrefetcher, fetch_all
from .index.client import DEFAULT_INDEX_URLS, IndexClient
from .installation.installed import InstalledDist, find_distribution, installed_distributions
from .installation.installer import IncrementalInstall, InstallItem, Scheme, install_transaction, install_wheels
from .plan import Plan, PlannedPackage
from .progress import ProgressCallback, Reporter
from .resolution.requirements import parse_inputs
from .resolution.resolver import resolve
from .resolution.sources import InstalledInfo, LockPackage, Sources, lock_packages_from
from .installation.uninstaller import uninstall_distributions
from .installation.wheelfile import WheelFile, top_level_modules

logger = logging.getLogger("micropip")
INSTALLER_NAME = "micropip"
MOCK_INSTALLER_NAME = "micropip-mock"
SOURCE_FILE = "PYODIDE_SOURCE"  # the URL a wheel came from (Pyodide's loader writes the same file)
SHA256_FILE = "PYODIDE_SHA256"


class PackageDict(dict):
    """Installed packages by name; prints as a table in a notebook."""

    def __repr__(self) -> str:
        if not self:
            return "No packages installed."
        rows = [("Name", "Version", "Source")] + [(p["name"], p["version"], p["source"]) for p in self.values()]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


class PackageManager:
    def __init__(self) -> None:
        self.index_urls: list[str] = list(DEFAULT_INDEX_URLS)
        self.merge_indexes = False
        self.constraints: list[str] = []
        self._gate: asyncio.Lock | None = None
        self.lock_override: tuple[dict, str] | None = None  # tests and the CLI can point at another lockfile

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
    ) -> Plan | None:
        """Resolve, download, verify and install; on any failure nothing changes."""
        if lockfile is not None:
            names = [requirements] if isinstance(requirements, str) else list(requirements or [])
            return await self.install_lockfile(
                lockfile, packages=names or None, reinstall=reinstall, credentials=credentials, verbose=verbose, dry_run=dry_run,
                progress=progress,
            )
        _set_verbosity(verbose)
        async with self._lock, Reporter(progress, verbose, requirements) as report:
            # Large wheels the resolver will likely pick download while it still works.
            ahead = None if dry_run or require_hashes else WheelPrefetcher(credentials=credentials, cache=wheel_cache.current())
            try:
                plan, sources = await self._plan(
                    requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall,
                    merge_indexes, ahead,
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
                    await self._execute(plan, sources.wheel_bytes, credentials, report, reinstall=reinstall, ahead=ahead)
            finally:
                if ahead is not None:
                    await ahead.close()
            report.done(plan)
            return None

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
    ) -> Plan | None:
        """Install exactly what a ``pyodide-lock.json`` or ``pylock.toml`` pins: no resolution."""
        from .resolution.lock_plan import plan_from_lockfile

        _set_verbosity(verbose)
        async with self._lock, Reporter(progress, verbose, [lockfile]) as report:
            response = await http.get(lockfile, credentials=credentials)
            if not response.ok:
                raise MicropipError(f"cannot read lockfile {lockfile}: HTTP {response.status}; check the URL or path")
            runtime = self.lock_override or transport.pyodide_lockfile()
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
                await self._execute(plan, {}, credentials, report, reinstall=reinstall)
            report.done(plan)
            return None

    async def _plan(
        self, requirements, keep_going, deps, credentials, pre, index_urls, constraints, reinstall, merge_indexes,
        ahead: WheelPrefetcher | None = None,
    ) -> tuple[Plan, Sources]:
        env = TargetEnvironment.current()
        parsed = await parse_inputs(requirements, read_file=http.read_requirements_text)
        urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or self.index_urls)
        all_constraints = [Requirement(c) for c in self.constraints + list(constraints or [])] + parsed.constraints
        index = IndexClient(
            tuple(urls), merge=self.merge_indexes if merge_indexes is None else merge_indexes, credentials=credentials
        )
        sources = Sources(
            env,
            index,
            lock_packages=self._lock_packages(),
            installed=_installed_infos(),
            reinstall=reinstall,
            speculate=ahead.start if ahead is not None else None,
        )
        plan = await resolve(
            parsed.requirements,
            sources,
            pre=pre,
            constraints=all_constraints,
            deps=deps,
            keep_going=keep_going,
            index_urls=tuple(urls),
        )
        pins: dict[str, frozenset[str]] = {}
        for root in parsed.requirements:
            if root.hashes:
                pins[root.name] = pins.get(root.name, frozenset()) | root.hashes
        hash_policy.apply_pinned_hashes(plan, pins)
        return plan, sources

    def _lock_packages(self) -> dict[str, LockPackage]:
        found = self.lock_override or transport.pyodide_lockfile()
        if not found:
            return {}
        lock, base_url = found
        return lock_packages_from(lock, base_url)

    async def _execute(
        self,
        plan: Plan,
        cached: dict[str, bytes],
        credentials: str | None,
        progress: Reporter | None = None,
        *,
        reinstall: bool = False,
        ahead: WheelPrefetcher | None = None,
    ) -> None:
        progress = progress or Reporter(False)
        progress.download_started(plan.install)
        opened: list[WheelFile] = []
        scheme = Scheme.from_sysconfig()
        # Nothing to replace: each wheel is written as soon as it is verified, while the
        # others still download; any failure later undoes those writes as well.
        early = IncrementalInstall(scheme) if not plan.replace and not reinstall else None

        async def verify(pkg: PlannedPackage, data: bytes | transport.JsBytes) -> InstallItem:
            # Each wheel is inflated, hashed and checked as soon as it arrives, while others download.
            archive = await transport.open_archive(data)
            try:
                item = self._install_item(pkg, data, archive)
            except BaseException:
                if archive is not None:
                    archive.release()
                raise
            opened.append(item.wheel)
            if early is not None:
                try:
                    early.add(item)
                except (KeyboardInterrupt, SystemExit) as exc:  # out of a task they would stop the event loop
                    raise _Interrupted(exc) from None
            return item

        try:
            try:
                verified = await fetch_all(
                    plan.install,
                    cached=cached,
                    credentials=credentials,
                    on_start=progress.file_started,
                    on_done=progress.file_finished,
                    keep_in_js=True,
                    then=verify,
                    cache=wheel_cache.current(),
                    prefetched=ahead,
                )
            except _Interrupted as interrupted:
                raise interrupted.exc from None  # add() already undid everything
            except BaseException:
                if early is not None:
                    early.abort()
                raise
            items = [verified[p.name] for p in plan.install]
            progress.install_started(plan.install)
            # Loading shared libraries is part of the transaction: a failure or a cancellation
            # there undoes every write, replaced distributions included.
            transaction = (
                early.transaction()
                if early is not None
                else install_transaction(items, scheme, replace=plan.replace, replace_owners=reinstall)
            )
            with transaction as report:
                await transport.load_shared_libraries([str(p) for p in report.shared_libraries])
        finally:
            for wheel in opened:
                wheel.release()
        progress.installed(plan.install)

    def _install_item(
        self, pkg: PlannedPackage, data: bytes | transport.JsBytes, archive: transport.NativeArchive | None
    ) -> InstallItem:
        if archive is not None:
            wheel = WheelFile.from_archive(pkg.filename, archive, source=pkg.url)
        else:
            wheel = WheelFile.from_bytes(pkg.filename, transport.as_bytes(data), source=pkg.url)
        if wheel.canonical_name != pkg.name or str(wheel.version) != pkg.version:
            raise InstallError(f"{pkg.url} contains {wheel.name} {wheel.version}, expected {pkg.name} {pkg.version}")
        sha256 = pkg.sha256 or transport.sha256_hex(data)  # a known hash was already checked by fetch_all
        direct_url = {"url": pkg.url, "archive_info": {"hashes": {"sha256": sha256}}} if pkg.direct_url else None
        extra = {SOURCE_FILE: pkg.url.encode(), SHA256_FILE: sha256.encode()}
        return InstallItem(wheel, requested=pkg.requested, direct_url=direct_url, installer=INSTALLER_NAME, extra_dist_info=extra)

    # ---- inspect -------------------------------------------------------------------------

    def list(self) -> PackageDict:
        out = PackageDict()
        for dist in sorted(installed_distributions(), key=lambda d: d.canonical_name):
            out[dist.name] = {"name": dist.name, "version": str(dist.version), "source": _source_of(dist)}
        return out

    def freeze(self) -> str:
        """The environment as ``pyodide-lock.json`` text: Pyodide's lock plus what micropip installed."""
        from lockfile import LockPackage as LockEntry

        found = self.lock_override or transport.pyodide_lockfile()
        lock = json.loads(json.dumps(found[0])) if found else {"info": _lock_info(), "packages": {}}
        packages = lock.setdefault("packages", {})
        env = TargetEnvironment.current()
        for dist in installed_distributions():
            if dist.installer not in (INSTALLER_NAME,):
                continue
            url = _read_dist_file(dist, SOURCE_FILE)
            sha = _read_dist_file(dist, SHA256_FILE)
            if not url:
                continue
            depends = sorted(
                {canonicalize_name(r.name) for r in map(Requirement, dist.requires) if r.marker is None or r.marker.evaluate(dict(env.markers, extra=""))}
            )
            packages[dist.canonical_name] = LockEntry.site_wheel(
                dist.name, str(dist.version), url, sha or "", list(top_level_modules(str(f) for f in dist.files)), depends
            ).to_dict()
        lock["packages"] = dict(sorted(packages.items()))
        return json.dumps(lock, indent=2, sort_keys=True)

    # ---- uninstall and mocks --------------------------------------------------------

    async def uninstall(self, packages: str | Iterable[str], *, verbose: bool | int | None = None) -> None:
        _set_verbosity(verbose)
        names = [packages] if isinstance(packages, str) else list(packages)
        async with self._lock:
            present = []
            for name in names:
                if find_distribution(name) is None:
                    logger.warning("Skipping %r: it is not installed", name)
                else:
                    present.append(name)
            if present:
                uninstall_distributions(present)
                transport.forget_loaded_packages([canonicalize_name(n) for n in present])
                for name in present:
                    logger.info("Uninstalled %s", name)

    def add_mock_package(
        self, name: str, version: str, *, modules: dict[str, str | None] | None = None, persistent: bool = False
    ) -> None:
        """Pretend ``name`` is installed (with optional module sources), e.g. to satisfy a dependency."""
        from .installation.wheelbuilder import make_metadata, write_wheel

        modules = modules if modules is not None else {canonicalize_name(name).replace("-", "_"): ""}
        files = {f"{mod.replace('.', '/')}/__init__.py": (src or "") for mod, src in modules.items()}
        with tempfile.TemporaryDirectory() as tmp:
            path = write_wheel(Path(tmp), name, version, files, metadata=make_metadata(name, version))
            wheel = WheelFile.from_bytes(path.name, path.read_bytes(), source="mock")
        install_wheels([InstallItem(wheel, requested=True, installer=MOCK_INSTALLER_NAME)], Scheme.from_sysconfig())

    def list_mock_packages(self) -> list[str]:
        return sorted(d.name for d in installed_distributions() if d.installer == MOCK_INSTALLER_NAME)

    def remove_mock_package(self, name: str) -> None:
        dist = find_distribution(name)
        if dist is None or dist.installer != MOCK_INSTALLER_NAME:
            raise MicropipError(f"{name!r} is not a mock package; see micropip.list_mock_packages()")
        uninstall_distributions([name])


# ---- helpers --------------------------------------------------------------------------------


class _Interrupted(Exception):
    """Carries a KeyboardInterrupt or SystemExit out of a download task, to be raised again."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


def _installed_infos() -> dict[str, InstalledInfo]:
    return {
        d.canonical_name: InstalledInfo(d.name, str(d.version), tuple(d.requires), d.installer)
        for d in installed_distributions()
    }


def _source_of(dist: InstalledDist) -> str:
    if dist.installer == INSTALLER_NAME:
        return _read_dist_file(dist, SOURCE_FILE) or "micropip"
    if dist.installer == MOCK_INSTALLER_NAME:
        return "mock"
    if dist.installer == "pyodide":
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




def _set_verbosity(verbose: bool | int | None) -> None:
    if verbose is None:
        return
    level = logging.DEBUG if (verbose is True or (isinstance(verbose, int) and verbose > 1)) else logging.INFO if verbose else logging.WARNING
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)

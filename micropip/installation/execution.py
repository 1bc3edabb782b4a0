"""fetch -> verify -> install of a finished plan, all or nothing.

Every install ends here, the lockfile-only one (``resolution.lock_only``) too: nothing of
the resolver is imported, so a plan that needed none does not compile it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from .. import transport
from ..errors import InstallError
from ..index import http
from ..plan import Plan, PlannedPackage
from .. import cache
from . import bytecode
from .fetch import WheelPrefetcher, fetch_all
from .installed import Scheme

if TYPE_CHECKING:
    from .installer import InstallItem
    from .wheelfile import WheelFile

INSTALLER_NAME = "micropip"
SOURCE_FILE = "PYODIDE_SOURCE"  # where it came from, as list() says: "pypi", "pyodide" or a URL (Pyodide's loader reads it)
URL_FILE = "PYODIDE_URL"  # the URL of the wheel file itself (freeze writes it into the lock)
SHA256_FILE = "PYODIDE_SHA256"
REQUIRES_FILE = "PYODIDE_REQUIRES"  # the resolved dependencies, extras' included (JSON list; freeze's ``depends``)
DEFAULT_CHANNEL = "default channel"  # how pyodide.loadedPackages names Pyodide's own packages


class Milestones(Protocol):
    """The install stage's progress (``micropip.progress.Reporter``)."""

    def download_started(self, packages: Sequence[PlannedPackage]) -> None: ...
    def file_started(self, pkg: PlannedPackage) -> None: ...
    def file_finished(self, pkg: PlannedPackage, nbytes: int) -> None: ...
    def install_started(self, packages: Sequence[PlannedPackage]) -> None: ...
    def installed(self, packages: Iterable[PlannedPackage]) -> None: ...


async def execute(
    plan: Plan,
    packages: list[PlannedPackage],
    cached: dict,
    credentials: str | None,
    progress: Milestones,
    labels: Mapping[str, tuple[str, str]],
    *,
    reinstall: bool = False,
    ahead: WheelPrefetcher | None = None,
    built_from: Mapping[str, tuple[str, str]] | None = None,
    proven: bool = False,
) -> None:
    """Download, verify and install ``packages`` (``plan.install``, sdists replaced by the
    wheels built, bytes in ``cached``); on any failure nothing changes. ``labels``: each
    package's ``list()`` source and ``pyodide.loadedPackages`` name; ``built_from``: a built
    wheel's sdist URL and sha256, its recorded origin. ``proven``: an earlier install checked
    these packages' wheels file by file (a remembered plan's): once their bytes hash to each
    package's sha256 again, RECORD's hashes are not computed again (``WheelFile.from_bytes``).
    """
    from .installer import IncrementalInstall, install_transaction

    built_from = built_from or {}
    progress.download_started(plan.install)
    opened: list[WheelFile] = []
    scheme = Scheme.from_sysconfig()
    # Nothing to replace: each wheel is written as soon as it is verified, while the
    # others still download; any failure later undoes those writes as well.
    early = IncrementalInstall(scheme) if not plan.replace and not reinstall else None

    async def verify(pkg: PlannedPackage, data: bytes | transport.JsBytes) -> InstallItem:
        # Each wheel is inflated, hashed and checked as soon as it arrives, while others download
        # (a wheel fetched ahead was opened on arrival, while the resolver still waited).
        wheel = await ahead.opened(pkg.url) if ahead is not None else None
        if wheel is not None and wheel.filename != pkg.filename:  # cannot happen for one URL; be safe
            wheel.release()
            wheel = None
        if wheel is None:
            # fetch_all checked the bytes against pkg.sha256 (on download or on the cache's read)
            wheel = await open_wheel(pkg.url, pkg.filename, data, proven=proven and bool(pkg.sha256))
        opened.append(wheel)
        item = install_item(pkg, data, wheel, labels[pkg.name][0], built_from.get(pkg.name))
        if early is not None:
            try:
                early.add(item)
            except (KeyboardInterrupt, SystemExit) as exc:  # out of a task they would stop the event loop
                raise _Interrupted(exc) from None
        return item

    try:
        try:
            verified = await fetch_all(
                packages,
                cached=cached,
                credentials=credentials,
                on_start=progress.file_started,
                on_done=progress.file_finished,
                keep_in_js=True,
                then=verify,
                cache=cache.current(),
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
        # Kept bytecode of these wheels goes beside their sources now (the import that follows
        # loads it); what had none is compiled in idle time and kept (``bytecode``).
        wheels = _installed_sources(plan.install, report, scheme)
        missing = await bytecode.restore([w for w in wheels if http.came_from_cache(w.sha256)])
        bytecode.keep_later([w for w in wheels if not http.came_from_cache(w.sha256)] + missing)
        # Pyodide's loader learns what is installed now, so loadPackage does not load it again.
        transport.record_loaded_packages(
            {key: DEFAULT_CHANNEL if label == "pyodide" else label for label, key in (labels[p.name] for p in plan.install)}
        )
    finally:
        for wheel in opened:
            wheel.release()
        await http.flush_cache_writes()  # the wheel cache is complete when install() returns
        bytecode.start_idle()
    progress.installed(plan.install)


@contextlib.asynccontextmanager
async def finishing(ahead: WheelPrefetcher | None) -> AsyncIterator[None]:
    """How every install ends, resolved or decided by the lockfile, failed or not: what was
    fetched ahead and not taken is cancelled, the cache writes it began are done, and then the
    compiling of what it installed may begin in idle time (``bytecode``)."""
    try:
        yield
    finally:
        if ahead is not None:
            await ahead.close()
        await http.flush_cache_writes()
        bytecode.start_idle()  # the compiling kept for idle time begins once all this is over


def _installed_sources(
    packages: Sequence[PlannedPackage], report, scheme: Scheme
) -> list[bytecode.WheelFiles]:
    """Each installed wheel's sha256 and the ``.py`` files it wrote into site-packages."""
    by_name = {transport.normalized_name(d.name): d for d in report.distributions}
    out = []
    for pkg in packages:
        dist = by_name.get(pkg.name)
        wheel = bytecode.wheel_files(pkg.sha256, scheme.purelib, dist.files) if dist is not None else None
        if wheel is not None:
            out.append(wheel)
    return out


def install_item(
    pkg: PlannedPackage, data: bytes | transport.JsBytes, wheel: "WheelFile", label: str,
    built_from: tuple[str, str] | None = None,
) -> "InstallItem":
    """One verified wheel as the installer takes it, with the files that say where it came from."""
    from .installer import InstallItem

    if wheel.canonical_name != pkg.name or str(wheel.version) != pkg.version:
        raise InstallError(f"{pkg.url} contains {wheel.name} {wheel.version}, expected {pkg.name} {pkg.version}")
    sha256 = pkg.sha256 or transport.sha256_hex(data)  # a known hash was already checked by fetch_all
    if built_from is not None:  # built from an sdist: where it came from is the sdist (URL, sha256)
        sha256 = built_from[1]
    direct_url = {"url": pkg.url, "archive_info": {"hashes": {"sha256": sha256}}} if pkg.direct_url else None
    extra = {
        SOURCE_FILE: label.encode(), URL_FILE: pkg.url.encode(), SHA256_FILE: sha256.encode(),
        REQUIRES_FILE: json.dumps(sorted(pkg.depends)).encode(),
    }
    return InstallItem(wheel, requested=pkg.requested, direct_url=direct_url, installer=INSTALLER_NAME, extra_dist_info=extra)


async def open_wheel(url: str, filename: str, data: bytes | transport.JsBytes, *, proven: bool = False) -> "WheelFile":
    """A downloaded wheel inflated, hashed and checked (natively in Pyodide when it can): nothing
    written. ``proven``: see ``WheelFile.from_bytes``."""
    from .wheelfile import WheelFile

    archive = await transport.open_archive(data)
    try:
        if archive is not None:
            return WheelFile.from_archive(filename, archive, source=url, proven=proven)
        return WheelFile.from_bytes(filename, transport.as_bytes(data), source=url, proven=proven)
    except BaseException:
        if archive is not None:
            archive.release()
        raise


class _Interrupted(Exception):
    """Carries a KeyboardInterrupt or SystemExit out of a download task, to be raised again."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc

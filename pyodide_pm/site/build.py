"""``pyodide-pm site``, start to end: one page that reads as the steps it takes.

target release -> our bundle -> the deployer's wheels -> resolve -> download and verify ->
(JupyterLite's build) -> ``packages/`` -> runtime (offline) -> the flavour's files ->
manifest -> rename into place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from micropip import __version__
from micropip.index.auth import redact_text, split_userinfo
from micropip.index.client import DEFAULT_INDEX_URLS
from micropip.resolution.sources import lock_packages_from

from ..bundle import write_bundle
from ..catalog import LOCK_NAME, Catalog, Release
from . import jupyterlite, page, pyscript
from .closure import Closure, resolve_closure
from .downloads import download_all
from .loader_files import LOADER_FILES, add_loader
from .local_wheels import read_local_wheels
from .options import SiteError, SiteOptions
from .payload import PACKAGES, manifest_text, plan_contents, read_bundle_lock, write_packages
from .staging import MANIFEST, Staging

RUNTIME = "pyodide/"  # an offline site's copy of the release's runtime files
RUNTIME_SKIPPED = (LOCK_NAME, "README.md")  # the release's own lock is not the site's
RUNTIME_SKIPPED_SUFFIXES = (".map", ".d.ts", ".html")
# What a site runs on; --pages may not replace it (its index.html is only a starting page).
SITE_OWN = frozenset({*LOADER_FILES, "pyodide-ready.mjs", MANIFEST, PACKAGES, RUNTIME.rstrip("/"), "pyscript"})


@dataclass
class SiteResult:
    out: Path
    release: Release
    closure: Closure
    preload: list[str]
    size: int  # bytes in OUT


def build_site(options: SiteOptions, catalog: Catalog | None = None) -> SiteResult:
    """Build the site ``options`` describe at ``options.out``, atomically; raises ``SiteError``."""
    catalog = catalog or Catalog()
    if options.pyodide_lock:
        release = catalog.release_from_lock(options.pyodide_lock, options.pyodide, base_url=options.package_base_url)
    else:
        release = catalog.release(options.pyodide)
        if options.package_base_url:
            release = dataclasses.replace(release, package_base_url=options.package_base_url)
    runtime_files = release.runtime_files() if options.offline else {}  # fail early: before resolving
    with Staging(options.out) as site, tempfile.TemporaryDirectory(prefix=".site-work-", dir=site.parent) as work:
        bundle_dir = Path(work) / "bundle"
        write_bundle(bundle_dir, release=release, package_base_url=release.base_url)
        bundle_lock = read_bundle_lock(bundle_dir)
        wheel_dirs, requirements = list(options.wheels), list(options.requirements)
        if options.flavour == "jupyterlite":
            wheel_dirs.append(jupyterlite.kernel_wheels())
            requirements += ["piplite", *jupyterlite.KERNEL_PACKAGES]
        local = read_local_wheels(wheel_dirs, release.environment(), release.version)
        lock_packages = lock_packages_from(bundle_lock.to_dict(), bundle_dir.resolve().as_uri() + "/")
        closure, contents, data = asyncio.run(
            _resolve_and_download(options, requirements, release, lock_packages, local, bundle_lock, bundle_dir)
        )
        if options.flavour == "jupyterlite":
            jupyterlite.build_app(site, options.lite_dir)
        write_packages(
            site, contents=contents, closure=closure, data=data, bundle_lock=bundle_lock, offline=options.offline,
            public_indexes=_published(options.index_urls or DEFAULT_INDEX_URLS), piplite=options.flavour == "jupyterlite",
        )
        copy_runtime(runtime_files, site / RUNTIME)
        runtime_url = RUNTIME if options.offline else release.cdn_url
        preload = _preload(closure, options.flavour)
        _add_flavour_files(site, options, release.version, runtime_url, preload)
        if options.pages is not None:
            copy_pages(options.pages, site)
        (site / MANIFEST).write_text(manifest_text(_manifest(options, release, closure, preload, runtime_url)))
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return SiteResult(Path(options.out), release, closure, preload, size)


async def _resolve_and_download(options, requirements, release, lock_packages, local, bundle_lock, bundle_dir):
    closure = await resolve_closure(
        requirements, options.available, release=release, index_urls=options.index_urls, local=local, pre=options.pre,
        lock_packages=lock_packages,
    )
    contents = plan_contents(closure, bundle_lock, bundle_dir, options.offline)
    pyodide_names = {p.name for p in closure.plan.install if p.source == "lockfile"}
    data = await download_all(contents.downloads(closure, options.offline), pyodide_names=pyodide_names, release_version=release.version)
    return closure, contents, data


def copy_runtime(files: dict[str, Path], folder: Path) -> None:
    """The release's runtime files an offline site serves (not its lock, docs or source maps)."""
    for name, path in files.items():
        if name not in RUNTIME_SKIPPED and not name.endswith(RUNTIME_SKIPPED_SUFFIXES):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / name)


def _add_flavour_files(site: Path, options: SiteOptions, version: str, runtime_url: str, preload: list[str]) -> None:
    if options.flavour == "page":
        page.add_files(site, pyodide_version=version, preload=preload)
    elif options.flavour == "pyscript":
        pyscript.add_files(site, offline=options.offline, pyodide_version=version, preload=preload)
    else:
        add_loader(site)  # the kernel's worker starts Pyodide through the site's loader (warm on return)
        jupyterlite.configure(
            site, pyodide_url="./pyodide.mjs", lock_url=f"./{PACKAGES}/{LOCK_NAME}", preload=preload,
            piplite_url=f"./{PACKAGES}/all.json",
        )


def copy_pages(pages: Path, site: Path) -> None:
    """The deployer's own files, into the site; their ``index.html`` replaces the starting page,
    but nothing may replace a file the site runs on (the loader, the manifest, ``packages/``, ...)."""
    if not Path(pages).is_dir():
        raise SiteError(f"--pages {pages}: no such folder")
    theirs = [p.relative_to(pages) for p in sorted(Path(pages).rglob("*")) if p.is_file()]
    ours = [t for t in theirs if t.parts[0] in SITE_OWN or (len(t.parts) == 1 and t.name in SITE_OWN)]
    if ours:
        raise SiteError(
            f"--pages {pages} has files where the site keeps its own ({', '.join(map(str, ours[:5]))}); "
            f"rename them: {', '.join(sorted(SITE_OWN))} are the site's"
        )
    for relative in theirs:
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(pages) / relative, site / relative)


def _published(urls) -> list[str]:
    """Index URLs as a public site may show them: without user-info (a password, a token)."""
    return [split_userinfo(url)[0] for url in urls]


def _preload(closure: Closure, flavour: str) -> list[str]:
    """What the site loads at start: micropip, (JupyterLite) the kernel's packages, the requirements."""
    first = list(jupyterlite.PRELOAD) if flavour == "jupyterlite" else ["micropip"]
    return list(dict.fromkeys([*first, *closure.roots]))


def _manifest(options: SiteOptions, release: Release, closure: Closure, preload: list[str], runtime_url: str) -> dict:
    """``pyodide-site.json``: what the loader reads (``pyodide``, ``lock``, ``preload``) and how
    the site was made (rerun with the same inputs, changed, to update it)."""
    return {
        "generator": f"pyodide-pm {__version__} site",
        "flavour": options.flavour,
        "offline": options.offline,
        "pyodide": {"version": release.version, "url": runtime_url},
        "lock": f"{PACKAGES}/{LOCK_NAME}",
        "index": f"{PACKAGES}/simple/",
        "preload": preload,
        "requirements": [redact_text(r) for r in options.requirements],
        "available": [redact_text(r) for r in options.available],
        "index_urls": _published(options.index_urls),
        "wheels": [str(w) for w in options.wheels],
        "pages": str(options.pages) if options.pages else None,
        "lite_dir": str(options.lite_dir) if options.lite_dir else None,
        "packages": {p.name: p.version for p in sorted(closure.plan.install, key=lambda p: p.name)},
    }

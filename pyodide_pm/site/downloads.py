"""Get every file the site carries, each checked against the sha256 its source gave.

Index wheels come from their index, the deployer's from disk, ours from the bundle, and
(for an offline site) Pyodide's own packages from the release's CDN folder, or wherever
``--package-base-url`` / ``PYODIDE_PM_CDN_URL`` point, checked against the release's lock.
Every failure is collected and named (package, version, URL) in one error: a site that
would miss a file is not built.
"""

from __future__ import annotations

import asyncio

from micropip.errors import MicropipError
from micropip.installation.fetch import fetch_all
from micropip.plan import PlannedPackage

from .options import SiteError


async def download_all(packages: list[PlannedPackage], *, pyodide_names: set[str], release_version: str) -> dict[str, bytes]:
    """File name -> verified bytes for each of ``packages``; ``pyodide_names``: those Pyodide builds."""

    async def one(package: PlannedPackage) -> tuple[str, bytes]:
        data = await fetch_all([package])
        return package.filename, data[package.name]

    results = await asyncio.gather(*(one(p) for p in packages), return_exceptions=True)
    failures = []
    for package, result in zip(packages, results):
        if isinstance(result, MicropipError):
            what = f"{package.name} {package.version}"
            if package.name in pyodide_names:
                what += f", a package of Pyodide {release_version}"
            failures.append(f"  - {what}: {result}")
        elif isinstance(result, BaseException):
            raise result
    if failures:
        raise SiteError(
            "cannot get every file the site needs:\n" + "\n".join(failures) + "\n"
            "Pyodide's own packages are downloaded from the release's CDN folder: point --package-base-url "
            "(or PYODIDE_PM_CDN_URL) at a reachable copy, or leave the package out"
        )
    return dict(r for r in results if isinstance(r, tuple))

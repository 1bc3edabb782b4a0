"""PyScript's own files (``@pyscript/core``'s ``dist/``) for an offline PyScript site.

An online site loads PyScript from its CDN. An offline one carries it: the pinned
version's npm tarball, verified against the registry's integrity hash and kept in the
user cache (``pyscript/``) for later builds, also offline. A ``node_modules/@pyscript/core``
of the same version in the current folder or above is used as it is, never required.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from micropip.errors import TransportError

from .. import npm_registry, user_cache
from .options import SiteError

PYSCRIPT_VERSION = "0.7.31"  # the version the suite runs (package.json pins it)
PACKAGE = "@pyscript/core"
CDN_DIST = f"https://cdn.jsdelivr.net/npm/{PACKAGE}@{PYSCRIPT_VERSION}/dist/"


def prefetch(version: str = PYSCRIPT_VERSION) -> Path:
    """Put the verified tarball in the user cache (a CI step before going offline); its path."""
    _tarball(version)
    return user_cache.cache_dir("pyscript") / f"core-{version}.tgz"


def copy_dist(dest: Path, version: str = PYSCRIPT_VERSION) -> None:
    """Write PyScript's ``dist/`` (without source maps) into ``dest``."""
    local = _node_modules(version)
    if local is not None:
        _copy_tree(local / "dist", dest)
        return
    data = _tarball(version)
    with tempfile.TemporaryDirectory() as unpacked:
        npm_registry.unpack_tarball(data, Path(unpacked), f"{PACKAGE} {version}")
        _copy_tree(Path(unpacked) / "dist", dest)


def _copy_tree(source: Path, dest: Path) -> None:
    if not (source / "core.js").is_file():
        raise SiteError(f"{source} has no core.js: not a {PACKAGE} {PYSCRIPT_VERSION} package")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.map"))


def _node_modules(version: str) -> Path | None:
    start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        package = folder / "node_modules" / "@pyscript" / "core"
        try:
            if json.loads((package / "package.json").read_text()).get("version") == version:
                return package
        except (OSError, ValueError, AttributeError):
            continue
    return None


def _tarball(version: str) -> bytes:
    """The verified tarball: from the cache (checked again), else the registry (then cached)."""
    cache = user_cache.cache_dir("pyscript")
    path, record = cache / f"core-{version}.tgz", cache / f"core-{version}.json"
    if path.is_file() and record.is_file():
        data = path.read_bytes()
        try:
            npm_registry.verify_integrity(data, json.loads(record.read_text())["integrity"], str(path))
            return data
        except (ValueError, KeyError, npm_registry.RegistryError):
            pass  # damaged: fetched again below
    registry = npm_registry.registry_url()
    if user_cache.offline():
        raise SiteError(
            f"an offline PyScript site carries {PACKAGE} {version}, which is not in the cache {cache} "
            f"and {user_cache.OFFLINE_ENV} forbids downloading it: run the command once with network access"
        )
    try:
        published = npm_registry.parse_document(npm_registry.fetch_document(registry, PACKAGE), registry).get(version)
        if published is None:
            raise SiteError(f"the npm registry {registry} has no {PACKAGE} {version}")
        data = npm_registry.download_tarball(published)
    except (npm_registry.RegistryError, TransportError) as exc:
        raise SiteError(f"cannot get {PACKAGE} {version} for an offline PyScript site: {exc}") from None
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record.write_text(json.dumps({"integrity": published.integrity, "tarball": published.tarball}) + "\n")
    return data


if __name__ == "__main__":  # python -m pyodide_pm.site.pyscript_core: cache PyScript for offline builds
    print(f"verified {prefetch()}")

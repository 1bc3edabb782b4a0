"""The release catalog: any Pyodide release's lock, facts and runtime files, for the host tools.

``lock``, ``check`` and ``bundle`` (and ``site``) target one Pyodide release. What they
need from it comes from that release itself, never from whatever happens to sit in the
current folder:

- its ``pyodide-lock.json`` (the packages Pyodide builds: numpy, pandas, pydantic-core, ...);
- its facts: Python version, ABI and platform, read from the lock's ``info``;
- its runtime files (``pyodide.mjs``, ``pyodide.asm.wasm``, ``python_stdlib.zip``, ...);
- the CDN folder its packages are published in (``https://cdn.jsdelivr.net/pyodide/v{version}/full/``).

Sources, in order: the per-user cache (``user_cache``), a ``node_modules/pyodide`` of the
same version in the current folder or above it (used in place, never required), the
``pyodide`` package on the npm registry (its tarball, verified against the registry's
integrity hash, then cached), and, when the registry cannot be reached, the lock alone
from the release's CDN folder. ``Catalog.release_from_lock`` reads a lock given by the
user instead (``--pyodide-lock FILE|URL``).

The cache holds one folder per version and tarball hash (``pyodide/{version}/{key}/``)
with a ``release.json`` that records every file's sha256, checked again when a file is
used. Once a release is cached, nothing is downloaded for it again: offline works.

``PYODIDE_PM_NPM_REGISTRY`` and ``PYODIDE_PM_CDN_URL`` (or the constructor's arguments)
point the catalog at other hosts: a mirror, or stand-ins on 127.0.0.1 in the tests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lockfile import LockfileError, PyodideLock, read_pyodide_lock
from micropip.errors import HashMismatchError, MicropipError, TransportError
from micropip.resolution.environment import PYODIDE_RELEASES, PyodideRelease, TargetEnvironment
from micropip.transport.host import fetch_host

from . import npm_registry, user_cache
from .pinned import sha256_file

PINNED_VERSION = PYODIDE_RELEASES[0].version  # the default target: the release the runtime is tested on
CDN_ENV = "PYODIDE_PM_CDN_URL"
DEFAULT_CDN = "https://cdn.jsdelivr.net/pyodide"
LOCK_NAME = "pyodide-lock.json"
RECORD_NAME = "release.json"
OLDEST_WITH_LOCK = Version("0.23.0")  # releases before it shipped repodata.json, not pyodide-lock.json
_FULL_VERSION = re.compile(r"^\d+\.\d+\.\d+([-.+].+)?$")
_PLATFORM = re.compile(r"^emscripten_(\d+)_(\d+)_(\d+)$")


class CatalogError(MicropipError):
    """A release (or one of its files) could not be had; the message lists what was tried."""


class UnknownReleaseError(CatalogError, ValueError):
    """No such Pyodide release exists; the message names the ones that do."""


def cdn_base(explicit: str | None = None) -> str:
    """Where releases are published: the argument, ``$PYODIDE_PM_CDN_URL``, else jsDelivr's ``/pyodide``."""
    return (explicit or os.environ.get(CDN_ENV, "").strip() or DEFAULT_CDN).rstrip("/")


def release_cdn_url(version: str, base: str | None = None) -> str:
    """The CDN folder of one release's files and packages (ends with ``/``)."""
    return f"{cdn_base(base)}/v{version}/full/"


@dataclass
class Release:
    """One Pyodide release: its validated lock, the facts read from it, and where its files are."""

    version: str
    lock: PyodideLock
    lock_source: str  # where the lock was read, for messages ("the npm registry, cached in ...")
    cdn_url: str  # the release's CDN folder; Pyodide's packages are published there
    folder: Path | None = None  # the npm package's files (cache or node_modules); None: the lock alone
    file_hashes: dict[str, str] | None = None  # sha256 per file of ``folder`` when the cache recorded them
    lock_path: Path | None = None  # a local copy of the lock, when there is one
    package_base_url: str | None = None  # where relative file names of the lock resolve; default cdn_url
    catalog: Catalog | None = field(default=None, repr=False, compare=False)

    @property
    def base_url(self) -> str:
        """Where the lock's relative ``file_name`` entries are: ``package_base_url`` or the CDN folder."""
        return self.package_base_url or self.cdn_url

    @cached_property
    def facts(self) -> PyodideRelease:
        """Python, ABI and Emscripten version, from the lock's ``info`` (the table fills an older lock's gaps)."""
        info = self.lock.info
        match = _PLATFORM.match(info.platform)
        if match is None:
            raise CatalogError(
                f"Pyodide {self.version}: the lock's info.platform {info.platform!r} ({self.lock_source}) is not "
                "emscripten_X_Y_Z; cannot tell which wheels fit this release"
            )
        known = next((r for r in PYODIDE_RELEASES if r.version == self.version), None)
        abi = info.abi_version or (known.abi_version if known else "")
        return PyodideRelease(self.version, info.python, abi, ".".join(match.groups()))

    @property
    def python(self) -> str:
        return self.facts.python

    @property
    def abi_version(self) -> str:
        return self.facts.abi_version

    @property
    def platform(self) -> str:
        """As in the lock's ``info``, e.g. ``emscripten_5_0_3``."""
        return self.lock.info.platform

    @property
    def emscripten(self) -> str:
        return self.facts.emscripten

    def environment(self) -> TargetEnvironment:
        """Markers and wheel tags of this release, for resolving on the host."""
        return TargetEnvironment.for_release(self.facts)

    def package_url(self, file_name: str, base_url: str | None = None) -> str:
        """A lock entry's file as an absolute URL (absolute names stay as they are)."""
        if "://" in file_name:
            return file_name
        return urllib.parse.urljoin(base_url or self.base_url, file_name)

    def absolute_lock(self, base_url: str | None = None) -> PyodideLock:
        """The lock with every ``file_name`` an absolute URL, so it loads from any host.

        A lock served from your own site would otherwise resolve Pyodide's bare file names
        against your site, where the packages are not.
        """
        packages = {
            key: dataclasses.replace(p, file_name=self.package_url(p.file_name, base_url)) for key, p in self.lock.packages.items()
        }
        return PyodideLock(self.lock.info, packages, dict(self.lock.extra))

    def lock_packages(self, base_url: str | None = None) -> dict:
        """The lock as the resolver reads it (canonical name -> ``sources.LockPackage``, absolute URLs)."""
        from micropip.resolution.sources import lock_packages_from

        return lock_packages_from(self.lock.to_dict(), base_url or self.base_url)

    @property
    def has_runtime(self) -> bool:
        return self.folder is not None and (self.folder / "pyodide.mjs").is_file()

    def runtime_dir(self) -> Path:
        """A folder with the release's runtime files (``pyodide.mjs`` loads from it), verified.

        A release known only by its lock gets its npm package from the catalog first.
        """
        if not self.has_runtime:
            if self.catalog is None:
                raise CatalogError(f"Pyodide {self.version}: no runtime files ({self.lock_source} gave the lock alone)")
            return self.catalog.release(self.version, runtime=True).runtime_dir()
        assert self.folder is not None
        for name in self.file_hashes or {}:
            self._verified(name)
        return self.folder

    def runtime_file(self, name: str) -> Path:
        """One file of the release's npm package (``pyodide.mjs``, ``pyodide.asm.wasm``, ...), verified."""
        if not self.has_runtime:
            return self.runtime_dir() / name if self.catalog is None else self.catalog.release(self.version, runtime=True).runtime_file(name)
        return self._verified(name)

    def runtime_files(self) -> dict[str, Path]:
        """Every file of the release's npm package: relative path -> local path (not yet verified)."""
        folder = self.runtime_dir()
        names = sorted(self.file_hashes) if self.file_hashes else sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != RECORD_NAME
        )
        return {name: folder / name for name in names}

    def _verified(self, name: str) -> Path:
        assert self.folder is not None
        path = self.folder / name
        if not path.is_file():
            raise CatalogError(f"Pyodide {self.version} has no file {name!r} in {self.folder}")
        expected = (self.file_hashes or {}).get(name)
        if expected is not None and sha256_file(path) != expected:
            raise CatalogError(
                f"the cached {name} of Pyodide {self.version} ({path}) is damaged: its sha256 differs from the one "
                f"recorded when it was downloaded. Delete {self.folder} and run the command again"
            )
        return path


@dataclass
class _Attempt:
    """What was tried for a release and what came of it (for the error when everything fails)."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, outcome: str) -> None:
        self.lines.append(f"{where}: {outcome}")

    def text(self) -> str:
        return "".join(f"\n  - {line}" for line in self.lines)


class Catalog:
    """Finds and caches Pyodide releases. One instance per command run; cheap to make."""

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        registry: str | None = None,
        cdn: str | None = None,
        offline: bool | None = None,
        search_from: Path | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else user_cache.cache_dir("pyodide")
        self.registry = npm_registry.registry_url(registry)
        self.cdn = cdn_base(cdn)
        self.offline = user_cache.offline() if offline is None else offline
        self.search_from = search_from
        self._published: dict[str, npm_registry.PublishedVersion] | None = None
        self._releases: dict[tuple[str, bool, bool], Release] = {}

    # ---- what exists -------------------------------------------------------------------------

    def versions(self, *, refresh: bool = False) -> list[str]:
        """Published versions that have a ``pyodide-lock.json`` era (0.23+), newest first."""
        published = self._document(refresh=refresh, tried=_Attempt())
        if published is None:
            raise CatalogError(f"cannot list Pyodide releases: the npm registry {self.registry} was not reached and nothing is cached")
        return _sorted_versions(published)

    def cached_versions(self) -> list[str]:
        """Versions with a complete copy in the cache, newest first."""
        if not self.cache_dir.is_dir():
            return []
        found = [p.name for p in self.cache_dir.iterdir() if p.is_dir() and any((p / k / RECORD_NAME).is_file() for k in _subdirs(p))]
        return _sorted_versions(dict.fromkeys(found))

    # ---- one release -------------------------------------------------------------------------

    def release(self, version: str | None = None, *, runtime: bool = False, cached_only: bool = False) -> Release:
        """The release ``version`` (default: the pinned one); "314" picks the newest 314.x.y.

        ``runtime``: its npm package's files are needed too (a lock taken from the CDN alone
        does not do). ``cached_only``: a copy in the cache, never a ``node_modules`` folder
        (``pyodide-pm release`` fills the cache for offline use). Raises
        ``UnknownReleaseError`` for a version that does not exist and ``CatalogError`` when
        nothing could provide it (the message lists what was tried).
        """
        text = (version or PINNED_VERSION).strip().removeprefix("v")
        key = (text, runtime, cached_only)
        if key not in self._releases:
            self._releases[key] = self._find(text, runtime, cached_only)
        return self._releases[key]

    def release_from_lock(self, location: str, version: str | None = None, *, base_url: str | None = None) -> Release:
        """A release given by its lock (``--pyodide-lock FILE|URL``), instead of the catalog's.

        The version is the lock's ``info.version`` when it has one (314's locks do not),
        else ``version``, else the pinned release. Relative file names resolve against
        ``base_url``, else the lock URL's folder, else (a local file) the release's CDN folder.
        """
        is_url = urllib.parse.urlsplit(location).scheme in ("http", "https")
        try:
            if is_url:
                response = fetch_host(location, {}, npm_registry.DOCUMENT_TIMEOUT)
                if not response.ok:
                    raise CatalogError(f"--pyodide-lock {location}: HTTP {response.status}")
                data = response.body
            else:
                data = Path(location).read_bytes()
        except (OSError, TransportError) as exc:
            raise CatalogError(f"cannot read the Pyodide lock {location}: {exc}") from None
        lock = read_pyodide_lock(data, source=location)
        if lock.info.version and version and lock.info.version != version.removeprefix("v"):
            raise CatalogError(
                f"{location} is the lock of Pyodide {lock.info.version}, not {version}; drop --pyodide or pass the matching lock"
            )
        chosen = lock.info.version or (version or PINNED_VERSION).removeprefix("v")
        if is_url and base_url is None:
            base_url = location.rsplit("/", 1)[0] + "/"
        return Release(
            version=chosen, lock=lock, lock_source=location, cdn_url=release_cdn_url(chosen, self.cdn),
            lock_path=None if is_url else Path(location), package_base_url=base_url, catalog=self,
        )

    def resolve_version(self, version: str) -> str:
        """The exact version ``version`` names ("314" -> the newest 314.x.y), without downloading a release.

        Raises ``UnknownReleaseError`` when the registry's list (cached, or fetched) lacks it;
        offline with no list cached, a full version is taken as given (a later ``release``
        says whether it can be had).
        """
        text = version.strip().removeprefix("v")
        tried = _Attempt()
        if not _FULL_VERSION.match(text):
            return self._newest_matching(text, tried)
        if (self.cache_dir / text).is_dir():
            return text
        published = self._document(refresh=False, tried=tried)
        if published is not None and text not in published and not self.offline:
            published = self._document(refresh=True, tried=tried)
        if published is not None and text not in published:
            raise UnknownReleaseError(_unknown_message(text, published, self.registry))
        return text

    def _find(self, text: str, runtime: bool, cached_only: bool = False) -> Release:
        tried = _Attempt()
        if _FULL_VERSION.match(text):
            version = text
        else:
            version = self._newest_matching(text, tried)
        found = self._from_cache(version, runtime, tried)
        if found is None and not cached_only:
            found = self._from_node_modules(version, tried)
        if found is not None:
            return found
        if self.offline:
            tried.add("the npm registry and the CDN", f"not asked ({user_cache.OFFLINE_ENV} is set)")
            raise self._not_found(version, tried)
        published = self._document(refresh=False, tried=tried)
        if published is not None and version not in published:
            published = self._document(refresh=True, tried=tried)  # a release newer than the cached document?
        if published is not None:
            if version not in published:
                raise UnknownReleaseError(_unknown_message(version, published, self.registry))
            return self._download(published[version], tried)
        if not runtime:
            lock_only = self._lock_from_cdn(version, tried)
            if lock_only is not None:
                return lock_only
        raise self._not_found(version, tried)

    def _not_found(self, version: str, tried: _Attempt) -> CatalogError:
        return CatalogError(
            f"cannot get Pyodide {version}'s pyodide-lock.json. Tried:{tried.text()}\n"
            "Run the command once with network access (the release is cached for offline use afterwards), "
            "or give the lock with --pyodide-lock FILE"
        )

    def _newest_matching(self, prefix: str, tried: _Attempt) -> str:
        """"314" -> the newest published 314.x.y (pre-releases only when asked for by name).

        Offline, the newest one in the cache: the one that can be used.
        """
        def newest(versions) -> str | None:
            matching = [v for v in _sorted_versions(versions) if v.startswith(prefix + ".") and not _is_pre(v)]
            return matching[0] if matching else None

        cached = self.cached_versions()
        if self.offline and newest(cached):
            return newest(cached)  # type: ignore[return-value]
        published = self._document(refresh=False, tried=tried)
        if published is None and not self.offline:
            published = self._document(refresh=True, tried=tried)
        candidates = dict.fromkeys([*cached, *(published or {})])
        if newest(candidates):
            return newest(candidates)  # type: ignore[return-value]
        if published is not None or candidates:
            raise UnknownReleaseError(_unknown_message(prefix, published or candidates, self.registry))
        raise self._not_found(prefix, tried)

    # ---- sources -----------------------------------------------------------------------------

    def _from_cache(self, version: str, runtime: bool, tried: _Attempt) -> Release | None:
        folder = self.cache_dir / version
        entries = []
        for key in _subdirs(folder):
            try:
                record = json.loads((folder / key / RECORD_NAME).read_text())
            except (OSError, ValueError):
                continue  # an interrupted write: never renamed into place, or damaged
            entries.append((folder / key, record))
        entries.sort(key=lambda e: (bool(e[1].get("runtime")), e[1].get("fetched", "")), reverse=True)
        for path, record in entries:
            if runtime and not record.get("runtime"):
                continue
            lock_path = path / LOCK_NAME
            hashes = record.get("files") or {}
            if not lock_path.is_file() or sha256_file(lock_path) != hashes.get(LOCK_NAME):
                tried.add(f"the cache {path}", "damaged (the lock's sha256 differs from the record); ignored")
                continue
            lock = read_pyodide_lock(lock_path.read_bytes(), source=str(lock_path))
            return Release(
                version=version, lock=lock, lock_source=f"{record.get('source', 'the cache')} (cached in {path})",
                cdn_url=release_cdn_url(version, self.cdn), folder=path, file_hashes=hashes, lock_path=lock_path,
                catalog=self,
            )
        tried.add(f"the cache {folder}", "nothing usable for this version" if not entries else "no copy with the runtime files")
        return None

    def _from_node_modules(self, version: str, tried: _Attempt) -> Release | None:
        start = (self.search_from or Path.cwd()).resolve()
        seen = []
        for folder in (start, *start.parents):
            package = folder / "node_modules" / "pyodide"
            try:
                found = json.loads((package / "package.json").read_text()).get("version")
            except (OSError, ValueError, AttributeError):
                continue
            if found == version and (package / LOCK_NAME).is_file():
                lock = read_pyodide_lock((package / LOCK_NAME).read_bytes(), source=str(package / LOCK_NAME))
                return Release(
                    version=version, lock=lock, lock_source=str(package / LOCK_NAME), cdn_url=release_cdn_url(version, self.cdn),
                    folder=package, lock_path=package / LOCK_NAME, catalog=self,
                )
            seen.append(f"{package} is {found}")
        tried.add(f"node_modules/pyodide in {start} or above", "; ".join(seen) or "none")
        return None

    def _document(self, *, refresh: bool, tried: _Attempt) -> dict[str, npm_registry.PublishedVersion] | None:
        """The registry's versions: the cached package document, fetched when missing or ``refresh``."""
        path = self.cache_dir / "npm" / (hashlib.sha256(self.registry.encode()).hexdigest()[:16] + ".json")
        if self._published is not None and not refresh:
            return self._published
        if not refresh and path.is_file():
            try:
                self._published = npm_registry.parse_document(path.read_bytes(), str(path))
                return self._published
            except npm_registry.RegistryError:
                pass  # damaged: fetch it again below
        if self.offline:
            return self._published
        url = npm_registry.document_url(self.registry)
        try:
            body = npm_registry.fetch_document(self.registry)
        except (npm_registry.RegistryError, TransportError) as exc:
            tried.add(f"the npm registry {url}", str(exc))
            return self._published
        _write_atomically(path, body)
        self._published = npm_registry.parse_document(body, url)
        return self._published

    def _download(self, published: npm_registry.PublishedVersion, tried: _Attempt) -> Release:
        try:
            data = npm_registry.download_tarball(published)
        except HashMismatchError:
            raise
        except (npm_registry.RegistryError, TransportError) as exc:
            tried.add(f"the npm registry's tarball {published.tarball}", str(exc))
            lock_only = self._lock_from_cdn(published.version, tried)
            if lock_only is not None:
                return lock_only
            raise self._not_found(published.version, tried) from None
        key = hashlib.sha512(data).hexdigest()[:16]
        with self._staging() as staging:
            files = npm_registry.unpack_tarball(data, staging, published.tarball)
            if LOCK_NAME not in files:
                raise CatalogError(
                    f"Pyodide {published.version}'s npm package ({published.tarball}) has no {LOCK_NAME}: "
                    f"releases before {OLDEST_WITH_LOCK} are not supported"
                )
            read_pyodide_lock((staging / LOCK_NAME).read_bytes(), source=f"{published.tarball}: {LOCK_NAME}")
            record = {
                "version": published.version, "source": f"the npm registry ({published.tarball})",
                "integrity": published.integrity, "runtime": True, "files": files, "fetched": _now(),
            }
            final = self._store(staging, published.version, key, record)
        return self._from_cache(published.version, True, tried) or self._broken_store(final)

    def _lock_from_cdn(self, version: str, tried: _Attempt) -> Release | None:
        """The lock alone, from the release's CDN folder (when the registry cannot be reached)."""
        url = release_cdn_url(version, self.cdn) + LOCK_NAME
        try:
            response = fetch_host(url, {}, npm_registry.DOCUMENT_TIMEOUT)
        except TransportError as exc:
            tried.add(f"the CDN {url}", str(exc))
            return None
        if not response.ok:
            tried.add(f"the CDN {url}", f"HTTP {response.status}")
            return None
        try:
            read_pyodide_lock(response.body, source=url)
        except LockfileError as exc:
            tried.add(f"the CDN {url}", f"not a usable lock ({exc})")
            return None
        key = "cdn-" + hashlib.sha256(response.body).hexdigest()[:16]
        with self._staging() as staging:
            (staging / LOCK_NAME).write_bytes(response.body)
            record = {
                "version": version, "source": f"the CDN ({url})", "runtime": False,
                "files": {LOCK_NAME: hashlib.sha256(response.body).hexdigest()}, "fetched": _now(),
            }
            final = self._store(staging, version, key, record)
        return self._from_cache(version, False, tried) or self._broken_store(final)

    # ---- cache writes ------------------------------------------------------------------------

    def _staging(self):
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        return _TemporaryFolder(self.cache_dir)

    def _store(self, staging: Path, version: str, key: str, record: dict) -> Path:
        """Move a complete copy into place (a rename: readers never see half a release)."""
        (staging / RECORD_NAME).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        final = self.cache_dir / version / key
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            shutil.rmtree(final)  # a damaged copy under the same hash: replaced by the verified one
        os.replace(staging, final)
        return final

    def _broken_store(self, final: Path) -> Release:
        raise CatalogError(f"the release just written to {final} cannot be read back; check the disk and try again")


class _TemporaryFolder:
    """A staging folder inside the cache (same file system, so the final rename is atomic)."""

    def __init__(self, parent: Path) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)  # gone already after a successful rename


def _subdirs(folder: Path) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _version_key(text: str) -> tuple:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, text)


def _is_pre(text: str) -> bool:
    try:
        return Version(text).is_prerelease
    except InvalidVersion:
        return True


def _sorted_versions(versions) -> list[str]:
    """Versions of the pyodide-lock.json era, newest first."""
    usable = [v for v in versions if _version_key(v)[0] == 0 or Version(v) >= OLDEST_WITH_LOCK]
    return sorted(usable, key=_version_key, reverse=True)


def _unknown_message(version: str, published, registry: str) -> str:
    ordered = _sorted_versions(published)
    stable = [v for v in ordered if not _is_pre(v)]
    pre = [v for v in ordered if _is_pre(v)]
    listed = ", ".join(stable) or "none"
    extra = f" (and pre-releases: {', '.join(pre)})" if pre else ""
    return (
        f"unknown Pyodide release {version!r}: the npm registry {registry} has no such version of 'pyodide'. "
        f"Releases with a pyodide-lock.json: {listed}{extra}"
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

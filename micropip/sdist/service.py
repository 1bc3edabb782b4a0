"""What an install asks of the build stage: metadata to resolve with, then the wheel to install.

``SdistBuilder`` serves one install (or one ``lock``/``check`` run). For each sdist (by
URL) it downloads the file at most once, with its sha256 checked, and builds it at most
once, in this order of preference:

1. a wheel built earlier from the same bytes: the persistent wheel cache maps the sdist's
   sha256 to the built wheel (``get_built``/``put_built``), so nothing is downloaded or built;
2. for resolution only, PKG-INFO when PEP 643 says Requires-Dist, Requires-Python and
   Provides-Extra are static: the release is then built only if the resolver picks it;
3. a build (``build.build_sdist``): its wheel gives the METADATA and is kept for the install.

Builds run one at a time (each one swaps the interpreter's import state while its
backend runs) in a temporary folder that is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import transport
from ..index import http
from ..index.project import ProjectFile
from .build import DEFAULT_TIMEOUT, InstallInto, build_sdist
from .pkg_info import check_identity, parse_pkg_info, static_metadata
from .unpack import read_pkg_info

logger = logging.getLogger("micropip")


@dataclass(frozen=True)
class Built:
    """A pure wheel built from (or cached for) one sdist."""

    filename: str
    data: bytes
    sdist_sha256: str
    seconds: dict[str, float]  # empty when it came from the cache

    @property
    def metadata(self) -> bytes:
        with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
            (name,) = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            return zf.read(name)


class SdistBuilder:
    def __init__(
        self,
        install_into: InstallInto,
        *,
        cache: Any = None,
        credentials: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.install_into = install_into
        self.cache = cache  # a WheelCache (get_built / put_built), or None
        self.credentials = credentials
        self.timeout = timeout
        self.built: dict[str, Built] = {}  # by sdist URL
        self.static: set[str] = set()  # sdist URLs resolved from static PKG-INFO, not built (yet)
        self._sdists: dict[str, tuple[bytes, str]] = {}  # URL -> (bytes, sha256)
        self._gate = asyncio.Lock()

    async def metadata(self, f: ProjectFile) -> bytes:
        """Core metadata of the sdist ``f`` for the resolver (see the module doc for the order)."""
        built = await self._from_cache(f.url, f.sha256)
        if built is not None:
            return built.metadata
        data, _sha = await self._download(f.url, f.filename, f.sha256)
        raw = read_pkg_info(data, filename=f.filename)
        if raw is not None:
            info = parse_pkg_info(raw, source=f"{f.filename}: PKG-INFO")
            try:
                from packaging.utils import parse_sdist_filename

                name, version = parse_sdist_filename(f.filename)
                check_identity(info, str(name), version, source=f"{f.filename}: PKG-INFO")
            except ValueError:
                pass  # the build reports a bad file name with its own words
            meta, why = static_metadata(info, source=f"{f.filename}: PKG-INFO")
            if meta is not None:
                logger.info("%s: PKG-INFO is static (PEP 643); built only if chosen", f.filename)
                self.static.add(f.url)
                return raw
            logger.info("%s: %s; building it to learn its dependencies", f.filename, why)
        return (await self.wheel(f.url, f.filename, f.sha256)).metadata

    async def wheel(self, url: str, filename: str, sha256: str | None) -> Built:
        """The pure wheel of this sdist: built already, cached, or built now."""
        built = await self._from_cache(url, sha256)
        if built is not None:
            return built
        async with self._gate:
            if url in self.built:
                return self.built[url]
            data, sha = await self._download(url, filename, sha256)
            built = await self._from_cache(url, sha)
            if built is not None:
                return built
            logger.info("building %s from source (build_sdists=True)", filename)
            work = Path(tempfile.mkdtemp(prefix="micropip-sdist-"))
            try:
                result = await build_sdist(
                    data, filename, work_dir=work / "w", install_into=self.install_into, timeout=self.timeout
                )
                wheel = result.path.read_bytes()
                name, seconds = result.path.name, result.seconds
            finally:
                shutil.rmtree(work, ignore_errors=True)
            logger.info("built %s from %s in %.1f s", name, filename, seconds.get("total", 0.0))
            built = Built(name, wheel, sha, seconds)
            self.built[url] = built
            if self.cache is not None and hasattr(self.cache, "put_built"):
                await self.cache.put_built(sha, name, wheel)
            return built

    async def _from_cache(self, url: str, sha256: str | None) -> Built | None:
        if url in self.built:
            return self.built[url]
        if not sha256 or self.cache is None or not hasattr(self.cache, "get_built"):
            return None
        found = await self.cache.get_built(sha256)
        if found is None:
            return None
        name, data = found
        logger.info("using %s from the wheel cache (built earlier from sdist sha256 %s)", name, sha256[:12])
        self.built[url] = Built(name, transport.as_bytes(data), sha256.lower(), {})
        return self.built[url]

    async def _download(self, url: str, filename: str, sha256: str | None) -> tuple[bytes, str]:
        if url not in self._sdists:
            data = transport.as_bytes(
                await http.download(url, sha256=sha256, what=f"{filename} (sdist)", credentials=self.credentials)
            )
            self._sdists[url] = (data, transport.sha256_hex(data))
        return self._sdists[url]

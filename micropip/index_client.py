"""Ask package indexes about projects: PEP 691/503 simple pages and the JSON API.

With several indexes a project comes from the first index that has it, so a
public index cannot shadow a private one (dependency confusion); ``merge=True``
combines them instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from . import http
from .errors import IndexFormatError, TransportError
from .index_formats import ACCEPT_HEADER, parse_project_page
from .project import ProjectFile, ProjectPage

DEFAULT_INDEX_URLS = ("https://pypi.org/simple",)


def project_url(index_url: str, name: str) -> str:
    """The page for ``name`` on an index given as a template or a base URL.

    ``{package_name}`` in the URL is replaced; a base ending in ``/pypi`` is the
    JSON API; anything else is a simple repository root.
    """
    if "{package_name}" in index_url:
        return index_url.replace("{package_name}", name)
    base = index_url.rstrip("/")
    if base.endswith("/pypi"):
        return f"{base}/{name}/json"
    return f"{base}/{name}/"


@dataclass
class IndexClient:
    index_urls: tuple[str, ...] = DEFAULT_INDEX_URLS
    merge: bool = False
    credentials: str | None = None

    def __post_init__(self) -> None:
        self._pages: dict[str, asyncio.Future] = {}
        self.bytes_fetched = 0

    async def project(self, name: str) -> ProjectPage | None:
        """All files of ``name``, or None when no index has it. Cached per client."""
        key = canonicalize_name(name)
        if key not in self._pages:
            self._pages[key] = asyncio.ensure_future(self._lookup(key))
        return await self._pages[key]

    async def _lookup(self, name: str) -> ProjectPage | None:
        if self.merge:
            pages = await asyncio.gather(*(self._from_index(url, name) for url in self.index_urls))
            found = [p for p in pages if p is not None]
            if not found:
                return None
            files: list[ProjectFile] = []
            seen: set[str] = set()
            for page in found:
                for f in page.files:
                    if f.filename not in seen:
                        seen.add(f.filename)
                        files.append(f)
            return ProjectPage(name, tuple(files), found[0].url)
        for index_url in self.index_urls:
            page = await self._from_index(index_url, name)
            if page is not None:
                return page
        return None

    async def _from_index(self, index_url: str, name: str) -> ProjectPage | None:
        url = project_url(index_url, name)
        response = await http.get(url, headers={"Accept": ACCEPT_HEADER}, credentials=self.credentials)
        self.bytes_fetched += len(response.body)
        if response.status in (404, 410):
            return None
        if not response.ok:
            raise TransportError(
                f"index {index_url} answered HTTP {response.status} for project {name!r} ({url}); "
                "check the index URL or try again later",
                url=url,
                status=response.status,
            )
        try:
            return parse_project_page(response.body, response.content_type, response.url or url, name)
        except IndexFormatError:
            raise
        except Exception as exc:  # the parsers promise IndexFormatError; be defensive
            raise IndexFormatError(f"cannot read index page {url} for {name!r}: {exc}", url=url) from exc

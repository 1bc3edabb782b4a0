"""Ask package indexes about projects: PEP 691/503 simple pages and the JSON API.

With several indexes a project comes from the first index that has it, so a
public index cannot shadow a private one (dependency confusion); ``merge=True``
combines them instead.

Which indexes may be asked, and where a project's page is, is ``urls``' business;
a first install's root pages may already be on their way (``early``), and pages
come through the persistent cache with their HTTP validators (``page_cache``).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from . import auth, early, http, page_cache
from .. import transport
from ..errors import IndexFormatError, InsecureIndexError, TransportError
from .formats import ACCEPT_HEADER, parse_project_page
from .project import ProjectFile, ProjectPage
from .urls import (
    DEFAULT_INDEX_URLS, LOCAL_SCHEMES, LOCK_SETTINGS_KEY, check_index_url, default_index_urls, index_urls_from_lock,
    insecure_reason, is_loopback_host, project_url,
)

__all__ = [
    "DEFAULT_INDEX_URLS", "LOCAL_SCHEMES", "LOCK_SETTINGS_KEY", "IndexClient", "check_index_url", "default_index_urls",
    "index_urls_from_lock", "insecure_reason", "is_loopback_host", "project_url",
]

@dataclass
class IndexClient:
    """Asks the indexes for project pages and metadata (one per install, which keeps its answers)."""

    index_urls: tuple[str, ...] = DEFAULT_INDEX_URLS
    merge: bool = False
    credentials: str | None = None
    # Asked instead of the indexes when set: a client's replacement of
    # ``micropip.package_index.query_package`` (see ``package_index.lookup_override``).
    lookup: Callable[[str], Awaitable[ProjectPage | None]] | None = None
    # Files whose names this refuses are left unread (see ``parse_project_page``).
    keep: Callable[[str], bool] | None = None
    # The target's platform tags, when ``keep`` refuses the wheels built only for others:
    # a big PEP 691 page is then thinned in JavaScript first (``transport.thin_project_page``).
    platforms: frozenset[str] | None = None
    # ``keep`` refuses sdists too (none is built): the JavaScript thinning drops them as well.
    sdists_unread: bool = False

    def __post_init__(self) -> None:
        # User-info leaves the URLs here (remembered for their origin, see ``auth``), so
        # no index URL kept, shown or stored carries a secret.
        self.index_urls = tuple(auth.take_credentials(url) for url in self.index_urls)
        for url in self.index_urls:
            check_index_url(url)
        self._pages: dict[str, asyncio.Future] = {}
        self._roots: dict[str, asyncio.Future] = {}  # index URL -> the projects its root lists
        self.bytes_fetched = 0
        self.pages_read: list[str] = []  # every project page URL asked, in order (``resolution.remembered``)

    async def project(self, name: str) -> ProjectPage | None:
        """All files of ``name``, or None when no index has it. Cached per client."""
        key = canonicalize_name(name)
        if key not in self._pages:
            self._pages[key] = asyncio.ensure_future(self._lookup(key))
        return await self._pages[key]

    async def _lookup(self, name: str) -> ProjectPage | None:
        if self.lookup is not None:
            return await self.lookup(name)
        if self.merge:
            pages = await asyncio.gather(*(self._from_index(url, name) for url in self.index_urls))
            found = [p for p in pages if p is not None]
            if not found:
                return None
            files: list[ProjectFile] = []
            set_aside: list[tuple[str, bool]] = []
            seen: set[str] = set()
            for page in found:
                for f in page.files:
                    if f.filename not in seen:
                        seen.add(f.filename)
                        files.append(f)
                for entry in page.set_aside:
                    if entry[0] not in seen:
                        seen.add(entry[0])
                        set_aside.append(entry)
            return ProjectPage(name, tuple(files), found[0].url, tuple(set_aside))
        for index_url in self.index_urls:
            page = await self._from_index(index_url, name)
            if page is not None:
                return page
        return None

    async def _from_index(self, index_url: str, name: str) -> ProjectPage | None:
        url = project_url(index_url, name)
        self.pages_read.append(url)
        ahead = early.take(url, self.credentials)  # a first install's root page may be on its way already
        try:
            if ahead is not None:
                response = await ahead
            else:
                response = await page_cache.get_page(url, ACCEPT_HEADER, credentials=self.credentials)
        except TransportError as exc:
            raise TransportError(
                f"cannot read the index page for {name!r} from {index_url}: {exc}", url=exc.url, status=exc.status
            ) from exc
        self.bytes_fetched += len(response.body)
        final = response.url or url
        if final != url and (reason := insecure_reason(final)) is not None:
            raise InsecureIndexError(
                f"index page {url} for {name!r} redirected to {final}: {reason}; refusing to read it"
            )
        if response.status in (401, 403):
            raise http.auth_error(response.status, url, f"reading the page of {name!r}", index_url)
        if response.status in (404, 410):
            await self._check_not_a_simple_url(index_url, name, url, response.status)
            return None
        if not response.ok:
            what = " (too many requests)" if response.status == 429 else ""
            raise TransportError(
                f"index {index_url} answered HTTP {response.status}{what} for project {name!r} ({url})"
                f"{http.attempts_note(response)}; check the index URL or try again later",
                url=url,
                status=response.status,
            )
        body, set_aside = response.body, ()
        if self.platforms is not None and response.content_type.lower().endswith("json"):
            thinned = await transport.thin_project_page(body, self.platforms, sdists=self.sdists_unread)
            if thinned is not None:
                body, set_aside = thinned
        try:
            return parse_project_page(
                body, response.content_type, final, name, keep=self.keep, set_aside=set_aside
            )
        except IndexFormatError:
            raise
        except Exception as exc:  # the parsers promise IndexFormatError; be defensive
            raise IndexFormatError(f"cannot read index page {url} for {name!r}: {exc}", url=url) from exc

    async def _check_not_a_simple_url(self, index_url: str, name: str, url: str, status: int) -> None:
        """A project page that is missing although the index's root lists the project: a wrong base URL.

        devpi's ``/user/index/`` answers like a simple root (it lists its projects) while
        the project pages live under ``/user/index/+simple/``; a working simple repository
        never lists a project whose page is missing. Checked only for a base URL without
        ``simple`` in it (never PyPI's huge root), once per index.
        """
        if not _worth_checking(index_url):
            return
        if index_url not in self._roots:
            self._roots[index_url] = asyncio.ensure_future(self._root_projects(index_url))
        listed = await self._roots[index_url]
        if name not in listed:
            return
        base = index_url.rstrip("/") + "/"
        path = urllib.parse.urlsplit(base).path.strip("/").split("/")
        devpi = len(path) == 2 and not path[1].startswith("+")
        suggestion = (
            f"devpi serves the simple API of an index at {base}+simple/ - use that URL"
            if devpi
            else f"use the index's simple repository URL (devpi: {base}+simple/, pypiserver and most others: .../simple/)"
        )
        raise IndexFormatError(
            f"index {index_url} lists {name!r} at its root, but its page {url} answered HTTP {status}: "
            f"{index_url} is not a simple repository URL; {suggestion}",
            url=url,
        )

    async def _root_projects(self, index_url: str) -> frozenset[str]:
        try:
            response = await http.get(index_url, headers={"Accept": ACCEPT_HEADER})
        except TransportError:
            return frozenset()
        if not response.ok or len(response.body) > ROOT_CHECK_MAX_BYTES:
            return frozenset()
        return _listed_projects(response.body, response.content_type)


ROOT_CHECK_MAX_BYTES = 4 << 20  # a root page larger than this is not examined


def _worth_checking(index_url: str) -> bool:
    if "{package_name}" in index_url or transport.is_local(index_url):
        return False
    path = urllib.parse.urlsplit(index_url).path.lower().rstrip("/")
    return "simple" not in path and not path.endswith("/pypi")


def _listed_projects(body: bytes, content_type: str) -> frozenset[str]:
    """Canonical project names a root page (PEP 691 JSON or PEP 503 HTML) lists; empty when unreadable."""
    import json
    import re

    text = body.decode("utf-8", "replace")
    names: list[str] = []
    if content_type.endswith("json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return frozenset()
        projects = data.get("projects") if isinstance(data, dict) else None
        if isinstance(projects, list):
            names = [p["name"] for p in projects if isinstance(p, dict) and isinstance(p.get("name"), str)]
    else:
        names = [m.strip() for m in re.findall(r"<a\b[^>]*>([^<]+)</a>", text, flags=re.I)]
    return frozenset(canonicalize_name(n) for n in names if n)

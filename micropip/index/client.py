"""Ask package indexes about projects: PEP 691/503 simple pages and the JSON API.

With several indexes a project comes from the first index that has it, so a
public index cannot shadow a private one (dependency confusion); ``merge=True``
combines them instead.

Indexes are fetched over https only; plain http is accepted for loopback
(127.0.0.0/8, ::1, localhost), for local paths and, in a browser, for the page's
own origin. Anything else is refused before the first request.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from . import http
from .. import transport
from ..errors import IndexFormatError, InsecureIndexError, TransportError
from .formats import ACCEPT_HEADER, parse_project_page
from .project import ProjectFile, ProjectPage

DEFAULT_INDEX_URLS = ("https://pypi.org/simple",)
LOCAL_SCHEMES = frozenset({"", "emfs", "file"})


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1, ``localhost`` and names under ``.localhost`` (RFC 6761)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    if ":" not in host and not host.replace(".", "").isdigit():
        return False  # a name, not an IP literal
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_reason(url: str) -> str | None:
    """Why fetching an index from ``url`` would be unsafe, or None when it is fine."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES or scheme == "https" or (len(scheme) == 1 and not transport.IN_PYODIDE):
        return None  # local files (a one-letter scheme is a Windows drive), or TLS
    if scheme != "http":
        return f"its scheme {scheme!r} is not https"
    if is_loopback_host(host):
        return None
    page = transport.page_origin()
    if page is not None and transport.origin(page) == transport.origin(url):
        return None  # the page's own origin: the page came over the same connection
    return f"it uses plain http to the remote host {host or '(none)'!r}, which anyone on the network can read and change"


def check_index_url(url: str) -> None:
    """Raise ``InsecureIndexError`` for an index that must not be used (no request is made)."""
    reason = insecure_reason(url)
    if reason is not None:
        suggestion = ""
        if url.lower().startswith("http://"):
            suggestion = f" (e.g. https://{url[len('http://'):]})"
        raise InsecureIndexError(
            f"refusing index {url}: {reason}. Remote indexes must use https{suggestion}; plain http is "
            "allowed only for loopback addresses (127.0.0.0/8, ::1, localhost)."
        )


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
        for url in self.index_urls:
            check_index_url(url)
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
        try:
            response = await http.get(url, headers={"Accept": ACCEPT_HEADER}, credentials=self.credentials)
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
        if response.status in (404, 410):
            return None
        if not response.ok:
            what = " (too many requests)" if response.status == 429 else ""
            raise TransportError(
                f"index {index_url} answered HTTP {response.status}{what} for project {name!r} ({url})"
                f"{http.attempts_note(response)}; check the index URL or try again later",
                url=url,
                status=response.status,
            )
        try:
            return parse_project_page(response.body, response.content_type, final, name)
        except IndexFormatError:
            raise
        except Exception as exc:  # the parsers promise IndexFormatError; be defensive
            raise IndexFormatError(f"cannot read index page {url} for {name!r}: {exc}", url=url) from exc

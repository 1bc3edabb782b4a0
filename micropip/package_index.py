"""The project-lookup surface that clients of Pyodide's micropip reach into.

JupyterLite's ``piplite`` imports ``CompatibilityLayer`` and ``ProjectInfo`` from here and
patches ``query_package`` during an install to answer from its own ``all.json``. Every
install looks ``query_package`` up here when it starts (``lookup_override``); when it was
replaced, it is asked for each project and feeds the resolver like an index page. Left
alone, lookups take our index client's path and this module costs nothing.

May import: ``micropip.errors``, ``micropip.index`` and ``micropip.transport``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from . import transport
from .errors import PackageNotFoundError, TransportError
from .index import http
from .index.client import DEFAULT_INDEX_URLS as _DEFAULT_INDEX_URLS
from .index.client import IndexClient
from .index.formats import JSON_SIMPLE, parse_json_api, parse_project_page, parse_simple_html, parse_simple_json
from .index.project import ProjectFile, ProjectPage

DEFAULT_INDEX_URLS: list[str] = list(_DEFAULT_INDEX_URLS)

__all__ = ["CompatibilityLayer", "DEFAULT_INDEX_URLS", "ProjectInfo", "query_package"]


class CompatibilityLayer:
    """Fetching as the running interpreter does it (the browser's ``fetch`` in Pyodide, urllib on the host).

    Clients receive this class as ``compat_layer`` and call its static methods; the
    ``kwargs`` mapping may carry ``credentials`` (the fetch credentials mode) and
    ``headers``.
    """

    @staticmethod
    async def fetch_bytes(url: str, kwargs: Mapping[str, Any] | None = None) -> bytes:
        """The body of ``url``; an HTTP error status raises ``TransportError`` naming the URL."""
        response = await _get(url, kwargs)
        return response.body

    @staticmethod
    async def fetch_string_and_headers(url: str, kwargs: Mapping[str, Any] | None = None) -> tuple[str, dict[str, str]]:
        """The body of ``url`` as text, and its response headers (lower-case names)."""
        response = await _get(url, kwargs)
        return response.body.decode("utf-8", errors="replace"), dict(response.headers)


async def _get(url: str, kwargs: Mapping[str, Any] | None) -> transport.Response:
    kwargs = dict(kwargs or {})
    response = await http.get(url, headers=kwargs.get("headers"), credentials=kwargs.get("credentials"))
    if not response.ok:
        raise TransportError(f"HTTP {response.status} for {url}", url=url, status=response.status)
    return response


@dataclass
class ProjectInfo:
    """One project's files by version, however the index described them.

    ``releases`` maps each version to that release's files (``ProjectFile``: filename,
    url, hashes, requires-python, yanked, PEP 658 metadata). Files whose version cannot
    be read from their name are kept in ``unversioned`` for the resolver, which reports
    them.
    """

    name: str
    releases: dict[Version, tuple[ProjectFile, ...]] = field(default_factory=dict)
    url: str = ""
    unversioned: tuple[ProjectFile, ...] = ()

    @classmethod
    def from_files(cls, name: str, files: Iterable[ProjectFile], url: str = "") -> ProjectInfo:
        by_version: dict[Version, list[ProjectFile]] = {}
        other: list[ProjectFile] = []
        for f in files:
            version = _version_of(f.filename)
            if version is None:
                other.append(f)
            else:
                by_version.setdefault(version, []).append(f)
        releases = {v: tuple(by_version[v]) for v in sorted(by_version)}
        return cls(canonicalize_name(name), releases, url, tuple(other))

    @classmethod
    def from_page(cls, page: ProjectPage) -> ProjectInfo:
        return cls.from_files(page.name, page.files, page.url)

    @classmethod
    def from_json_api(cls, data: str | bytes | Mapping[str, Any], url: str = "") -> ProjectInfo:
        """From a PyPI-style JSON API answer (``/pypi/<name>/json``)."""
        doc = _as_object(data)
        name = str((doc.get("info") or {}).get("name") or "")
        return cls.from_files(name, parse_json_api(dict(doc), url), url)

    @classmethod
    def from_simple_json_api(cls, data: str | bytes | Mapping[str, Any], url: str = "") -> ProjectInfo:
        """From a PEP 691 JSON project page."""
        doc = _as_object(data)
        return cls.from_files(str(doc.get("name") or ""), parse_simple_json(dict(doc), url), url)

    @classmethod
    def from_simple_html_api(cls, data: str | bytes, name: str, url: str = "") -> ProjectInfo:
        """From a PEP 503 HTML project page."""
        body = data.encode() if isinstance(data, str) else data
        return cls.from_files(name, parse_simple_html(body, url), url)

    @classmethod
    def _compatible_only(cls, name: str, releases: Mapping[str, Iterable[Mapping[str, Any]]]) -> ProjectInfo:
        """From the ``releases`` mapping of a JSON API answer (what piplite's ``all.json`` holds).

        Every file is kept: the resolver checks each against the running interpreter and
        says why one does not fit, which an early filter here could not.
        """
        doc = {"info": {"name": name}, "releases": {v: list(files) for v, files in releases.items()}}
        return cls.from_json_api(doc)

    @property
    def files(self) -> tuple[ProjectFile, ...]:
        return tuple(f for files in self.releases.values() for f in files) + self.unversioned

    def to_page(self) -> ProjectPage:
        return ProjectPage(canonicalize_name(self.name), self.files, self.url)


def _version_of(filename: str) -> Version | None:
    """The version in a wheel's or an sdist's file name; None when the name is not one."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _as_object(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise ValueError("a project page in JSON must be an object")
    return loaded


async def query_package(
    name: str,
    index_urls: list[str] | str | None = None,
    *,
    fetch_kwargs: Mapping[str, Any] | None = None,
    compat_layer: type[CompatibilityLayer] = CompatibilityLayer,
) -> ProjectInfo:
    """Every file the indexes list for ``name``, from the first index that has it.

    ``index_urls`` defaults to ``DEFAULT_INDEX_URLS`` (the running installer passes its
    own); a URL may hold a ``{package_name}`` placeholder. Raises ``ValueError`` (a
    ``PackageNotFoundError``) when no index knows the project.
    """
    urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or DEFAULT_INDEX_URLS)
    credentials = (fetch_kwargs or {}).get("credentials")
    if compat_layer is CompatibilityLayer:
        page = await IndexClient(tuple(urls), credentials=credentials).project(name)
        if page is not None:
            return ProjectInfo.from_page(page)
    else:  # a client's own fetching: ask it for each index in turn, read the page ourselves
        from .index.client import project_url
        from .index.formats import ACCEPT_HEADER

        for index_url in urls:
            url = project_url(index_url, canonicalize_name(name))
            kwargs = {**(fetch_kwargs or {}), "headers": {"Accept": ACCEPT_HEADER}}
            try:
                text, headers = await compat_layer.fetch_string_and_headers(url, kwargs)
            except TransportError as exc:
                if exc.status in (404, 410):
                    continue
                raise
            content_type = str(headers.get("content-type", JSON_SIMPLE)).split(";")[0].strip()
            return ProjectInfo.from_page(parse_project_page(text.encode(), content_type, url, name))
    raise PackageNotFoundError(
        f"Can't fetch metadata for {name!r}: no index knows it ({', '.join(urls)}); "
        "check the name, or the index_urls given to micropip"
    )


# ---- what an install asks -----------------------------------------------------------------------

_ORIGINAL = query_package

ProjectLookup = Callable[[str], Awaitable["ProjectPage | None"]]


def is_original() -> bool:
    """Whether ``query_package`` is still ours (nobody has replaced it)."""
    return globals()["query_package"] is _ORIGINAL


def lookup_override(index_urls: Iterable[str], credentials: str | None) -> ProjectLookup | None:
    """A project lookup through a replaced ``query_package``, or None when nobody replaced it.

    Read once per install, when it starts: a client that patches the module around
    ``await micropip.install(...)`` (as piplite does) is obeyed for that install.
    """
    if is_original():
        return None
    replaced = globals()["query_package"]
    urls = list(index_urls)
    fetch_kwargs = {"credentials": credentials} if credentials else {}

    async def lookup(name: str) -> ProjectPage | None:
        try:
            info = await replaced(name=name, index_urls=urls, compat_layer=CompatibilityLayer, fetch_kwargs=fetch_kwargs)
        except PackageNotFoundError:
            return None
        if info is None:
            return None
        if isinstance(info, ProjectInfo):
            return info.to_page()
        if isinstance(info, ProjectPage):
            return info
        raise TypeError(
            f"the replaced micropip.package_index.query_package returned {type(info).__name__} for {name!r}; "
            "it must return a micropip.package_index.ProjectInfo (e.g. ProjectInfo._compatible_only(name, releases))"
        )

    return lookup

"""The index's URL space: ``/simple/``, ``/files/`` and ``/pypi/`` mapped to answers.

Layout (the static build writes the same tree)::

    /simple/                      project list (PEP 691 JSON or PEP 503 HTML)
    /simple/<name>/               project page
    /files/<wheel or sdist>       the file
    /files/<wheel>.metadata       its METADATA (PEP 658), unless metadata files are off (wheels only)
    /pypi/<name>/json             PyPI JSON API, project
    /pypi/<name>/<version>/json   PyPI JSON API, one release
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from . import pages
from .catalog import Catalog, IndexContents, Project
from .negotiation import SUPPORTED, negotiate
from .paths import RequestPath
from .responses import Response, not_found, ok, redirect, send_file
from .static_files import content_type_for

ROOTS = frozenset({"simple", "files", "pypi"})

_JSON_API_TYPE = "application/json"
_METADATA_SUFFIX = ".metadata"
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")


@dataclass(frozen=True)
class Request:
    """What routing may look at; the method and socket stay in the HTTP layer."""

    path: RequestPath
    accept: str | None = None
    host: str | None = None  # the Host header, for absolute file URLs


@dataclass
class IndexRoutes:
    catalog: Catalog
    metadata_files: bool = True
    absolute_urls: bool = False
    fallback_host: str = "127.0.0.1"

    def handle(self, request: Request) -> Response | None:
        """The answer, or None when the path is outside the index (left to static folders)."""
        segments = request.path.segments
        if not segments or segments[0] not in ROOTS:
            return None
        index = self.catalog.contents()
        root, rest = segments[0], segments[1:]
        if root == "simple":
            return self._simple(index, request, rest)
        if root == "files":
            return self._files(index, request, rest)
        return self._json_api(index, request, rest)

    # ---- simple API ---------------------------------------------------------------------------

    def _simple(self, index: IndexContents, request: Request, rest: tuple[str, ...]) -> Response:
        path = request.path
        if not rest:
            if not path.trailing_slash:
                return redirect(_with_query("/simple/", path))
            return self._negotiated(
                request, lambda: pages.project_list_json(index), lambda: pages.project_list_html(index)
            )
        if len(rest) > 1:
            return not_found(_shown(path))
        project = index.projects.get(canonicalize_name(rest[0]))
        if project is None:
            return not_found(f"project {rest[0]!r} (not in this index)")
        if rest[0] != project.name or not path.trailing_slash:
            return redirect(_with_query(f"/simple/{quote(project.name)}/", path))
        base = self._files_base(request, pages.FILES_FROM_SIMPLE_PAGE)
        return self._negotiated(
            request,
            lambda: pages.project_page_json(project, base, metadata_files=self.metadata_files),
            lambda: pages.project_page_html(project, base, metadata_files=self.metadata_files),
        )

    def _negotiated(self, request: Request, json_body, html_body) -> Response:
        vary = ("Vary", "Accept")
        accept = request.accept
        for key, _, value in (item.partition("=") for item in request.path.query.split("&")):
            if key == "format":  # PEP 691's URL override of the Accept header
                accept = unquote(value)  # not unquote_plus: "+" belongs to the media type
        choice = negotiate(accept)
        if choice is None:
            body = "406 Not Acceptable: this index serves " + ", ".join(SUPPORTED) + "\n"
            return Response(406, body=body.encode(), headers=[vary])
        body = json_body() if choice.format == "json" else html_body()
        return ok(body, choice.content_type, vary, ("Cache-Control", "no-cache"))

    # ---- files --------------------------------------------------------------------------------

    def _files(self, index: IndexContents, request: Request, rest: tuple[str, ...]) -> Response:
        if len(rest) != 1 or request.path.trailing_slash:
            return not_found(_shown(request.path))
        name = rest[0]
        entry = index.files.get(name)
        if entry is not None:
            return send_file(entry.path, content_type_for(entry.path))
        if name.endswith(_METADATA_SUFFIX) and self.metadata_files:
            entry = index.files.get(name[: -len(_METADATA_SUFFIX)])
            if entry is not None and entry.has_metadata_file:
                return ok(entry.metadata, content_type_for(name))
        return not_found(_shown(request.path))

    # ---- PyPI JSON API ------------------------------------------------------------------------

    def _json_api(self, index: IndexContents, request: Request, rest: tuple[str, ...]) -> Response:
        path = request.path
        if len(rest) not in (2, 3) or rest[-1] != "json" or path.trailing_slash:
            return not_found(_shown(path))
        project = index.projects.get(canonicalize_name(rest[0]))
        if project is None:
            return not_found(f"project {rest[0]!r} (not in this index)")
        if len(rest) == 2:
            if rest[0] != project.name:
                return redirect(_with_query(f"/pypi/{quote(project.name)}/json", path))
            base = self._files_base(request, pages.FILES_FROM_PROJECT_JSON)
            body = pages.json_api_project(project, base, metadata_files=self.metadata_files)
            return ok(body, _JSON_API_TYPE, ("Cache-Control", "no-cache"))
        version = _release(project, rest[1])
        if version is None:
            return not_found(f"version {rest[1]!r} of {project.name}")
        if rest[0] != project.name or rest[1] != version:
            return redirect(_with_query(f"/pypi/{quote(project.name)}/{quote(version)}/json", path))
        base = self._files_base(request, pages.FILES_FROM_RELEASE_JSON)
        body = pages.json_api_release(project, version, base, metadata_files=self.metadata_files)
        return ok(body, _JSON_API_TYPE, ("Cache-Control", "no-cache"))

    def _files_base(self, request: Request, relative: str) -> str:
        if not self.absolute_urls:
            return relative
        host = request.host if request.host and _SAFE_HOST.match(request.host) else self.fallback_host
        return f"http://{host}/files/"


def _release(project: Project, asked: str) -> str | None:
    """The release ``asked`` names, compared as PEP 440 versions (``1.0.0`` finds ``1.0``)."""
    if asked in project.versions:
        return asked
    try:
        wanted = Version(asked)
    except InvalidVersion:
        return None
    return next((v for v in project.versions if Version(v) == wanted), None)


def _with_query(location: str, path: RequestPath) -> str:
    return location + (f"?{path.query}" if path.query else "")


def _shown(path: RequestPath) -> str:
    return "/" + "/".join(path.segments) + ("/" if path.trailing_slash and path.segments else "")


"""Response bodies for the index: PEP 503 HTML, PEP 691 JSON and the PyPI JSON API.

Bodies depend only on the catalog and on where file links point (``files_base``),
never on the request, so the live server and the static build produce the same
bytes for the same folder. Sdists are listed like wheels (hash, size, Requires-Python)
but never advertise a metadata file: that is PEP 658's, for wheels.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

from packaging.version import Version

from .catalog import IndexContents, Project, WheelEntry

API_VERSION = "1.1"  # PEP 700: sizes, upload times and the versions list

# Where wheels live relative to each kind of page (the server mounts them at /files/).
FILES_FROM_SIMPLE_PAGE = "../../files/"  # /simple/<name>/
FILES_FROM_PROJECT_JSON = "../../files/"  # /pypi/<name>/json
FILES_FROM_RELEASE_JSON = "../../../files/"  # /pypi/<name>/<version>/json


def file_url(entry: WheelEntry, files_base: str) -> str:
    return files_base + quote(entry.filename)


# ---- PEP 503 HTML -----------------------------------------------------------------------------


def _html_page(title: str, links: list[str]) -> bytes:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        f"    <title>{escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{escape(title)}</h1>",
        *(f"    {link}<br>" for link in links),
        "  </body>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def project_list_html(index: IndexContents) -> bytes:
    links = [f'<a href="{escape(quote(name))}/">{escape(name)}</a>' for name in index.projects]
    return _html_page("Simple index", links)


def project_page_html(project: Project, files_base: str, *, metadata_files: bool = True) -> bytes:
    links = []
    for f in project.files:
        attrs = [("href", f"{file_url(f, files_base)}#sha256={f.sha256}")]
        if f.requires_python:
            attrs.append(("data-requires-python", f.requires_python))
        if metadata_files and f.has_metadata_file:
            # PEP 714 names the attribute data-core-metadata; older clients read the PEP 658 name.
            attrs.append(("data-core-metadata", f"sha256={f.metadata_sha256}"))
            attrs.append(("data-dist-info-metadata", f"sha256={f.metadata_sha256}"))
        if f.yanked is not None:
            attrs.append(("data-yanked", f.yanked))
        rendered = " ".join(f'{key}="{escape(value, quote=True)}"' for key, value in attrs)
        links.append(f"<a {rendered}>{escape(f.filename)}</a>")
    return _html_page(f"Links for {project.name}", links)


# ---- PEP 691 JSON -----------------------------------------------------------------------------


def _dump(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def project_list_json(index: IndexContents) -> bytes:
    return _dump({"meta": {"api-version": API_VERSION}, "projects": [{"name": name} for name in index.projects]})


def project_page_json(project: Project, files_base: str, *, metadata_files: bool = True) -> bytes:
    files = []
    for f in project.files:
        item: dict[str, object] = {
            "filename": f.filename,
            "url": file_url(f, files_base),
            "hashes": {"sha256": f.sha256},
        }
        if f.requires_python:
            item["requires-python"] = f.requires_python
        if metadata_files and f.has_metadata_file:
            item["core-metadata"] = {"sha256": f.metadata_sha256}
            item["dist-info-metadata"] = {"sha256": f.metadata_sha256}
        item["size"] = f.size
        item["upload-time"] = f.upload_time
        item["yanked"] = _pep691_yanked(f)
        files.append(item)
    return _dump(
        {"meta": {"api-version": API_VERSION}, "name": project.name, "versions": project.versions, "files": files}
    )


def _pep691_yanked(f: WheelEntry) -> bool | str:
    if f.yanked is None:
        return False
    return f.yanked or True  # an empty reason is still a yank


# ---- PyPI JSON API ----------------------------------------------------------------------------


def json_api_project(project: Project, files_base: str, *, metadata_files: bool = True) -> bytes:
    """``/pypi/<name>/json``: the current release's info plus every release."""
    current = current_version(project)
    return _dump(
        {
            "info": _json_api_info(project, current),
            "urls": [_json_api_file(f, files_base, metadata_files) for f in project.release(current)],
            "releases": {
                v: [_json_api_file(f, files_base, metadata_files) for f in project.release(v)]
                for v in project.versions
            },
        }
    )


def json_api_release(project: Project, version: str, files_base: str, *, metadata_files: bool = True) -> bytes:
    """``/pypi/<name>/<version>/json``: one release; ``version`` must be one of ``project.versions``."""
    return _dump(
        {
            "info": _json_api_info(project, version),
            "urls": [_json_api_file(f, files_base, metadata_files) for f in project.release(version)],
        }
    )


def piplite_index(index: IndexContents, files_base: str) -> bytes:
    """JupyterLite's ``all.json`` (piplite): every project's releases as the JSON API lists them.

    piplite resolves a file ``url`` that starts with ``.`` against the folder of ``all.json``,
    so ``files_base`` is relative to it (``./files/``). It appends ``?sha256=...`` to that URL,
    where a PEP 658 ``.metadata`` suffix would no longer name the metadata file: none is listed.
    """
    return _dump(
        {
            name: {"releases": {v: [_json_api_file(f, files_base, False) for f in project.release(v)] for v in project.versions}}
            for name, project in index.projects.items()
        }
    )


def current_version(project: Project) -> str:
    """What PyPI shows as a project's version: the newest final release that is not yanked."""
    versions = project.versions  # oldest first

    def live(v: str) -> bool:
        return any(f.yanked is None for f in project.release(v))

    for candidates in (
        [v for v in versions if live(v) and not Version(v).is_prerelease],
        [v for v in versions if live(v)],
        versions,
    ):
        if candidates:
            return candidates[-1]
    raise ValueError(f"project {project.name} has no files")


def _json_api_info(project: Project, version: str) -> dict[str, object]:
    files = project.release(version)
    # PyPI's info comes from the release's metadata; a wheel's METADATA is the built truth,
    # an sdist's PKG-INFO only a fallback for releases without wheels.
    first = next((f for f in files if f.is_wheel), files[0])
    yanked = all(f.yanked is not None for f in files)
    return {
        "name": project.name,
        "version": version,
        "summary": first.summary,
        "requires_python": first.requires_python,
        "requires_dist": list(first.requires_dist) if first.requires_dist else None,
        "yanked": yanked,
        "yanked_reason": first.yanked if yanked else None,
    }


def _json_api_file(f: WheelEntry, files_base: str, metadata_files: bool) -> dict[str, object]:
    item: dict[str, object] = {
        "filename": f.filename,
        "url": file_url(f, files_base),
        "digests": {"sha256": f.sha256},
        "requires_python": f.requires_python,
        "size": f.size,
        "upload_time_iso_8601": f.upload_time,
        "yanked": f.yanked is not None,
        "yanked_reason": f.yanked,
        "packagetype": f.packagetype,
    }
    if metadata_files and f.has_metadata_file:
        item["core_metadata"] = {"sha256": f.metadata_sha256}
    return item

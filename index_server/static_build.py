"""Write the index as plain files, for any static host (GitHub Pages, S3, ``python -m http.server``).

The tree mirrors the live server's URLs and the bodies come from the same
renderers, so a static host serving ``out`` answers with the same bytes::

    simple/index.html               simple/index.json
    simple/<name>/index.html        simple/<name>/index.json
    files/<wheel>                   files/<wheel>.metadata
    pypi/<name>/json                pypi/<name>/<version>/json
    all.json                        (``piplite=True``: JupyterLite's piplite index)

``index.json`` holds the PEP 691 JSON for hosts that can be told to serve it for
JSON requests; a plain static host serves the HTML, which every client reads.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from . import pages
from .catalog import Catalog, IndexContents


def build_static(folder: Path | Sequence[Path], out: Path, *, metadata_files: bool = True) -> list[Path]:
    """Write the index for the wheels and sdists in ``folder`` (or several folders) under ``out``; returns the written paths.

    Broken wheels are reported on stderr and left out, as the live server does.
    """
    return write_index(Catalog(folder).contents(), Path(out), metadata_files=metadata_files)


def write_index(index: IndexContents, out: Path, *, metadata_files: bool = True, piplite: bool = False) -> list[Path]:
    """Write ``index`` under ``out``; ``piplite`` adds JupyterLite's ``all.json`` beside ``simple/``."""
    written: list[Path] = []

    def put(relative: str, data: bytes) -> None:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)

    put("simple/index.html", pages.project_list_html(index))
    put("simple/index.json", pages.project_list_json(index))
    if piplite:
        put("all.json", pages.piplite_index(index, "./files/"))
    for name, project in index.projects.items():
        simple_base, project_base = pages.FILES_FROM_SIMPLE_PAGE, pages.FILES_FROM_PROJECT_JSON
        put(f"simple/{name}/index.html", pages.project_page_html(project, simple_base, metadata_files=metadata_files))
        put(f"simple/{name}/index.json", pages.project_page_json(project, simple_base, metadata_files=metadata_files))
        put(f"pypi/{name}/json", pages.json_api_project(project, project_base, metadata_files=metadata_files))
        for version in project.versions:
            body = pages.json_api_release(project, version, pages.FILES_FROM_RELEASE_JSON, metadata_files=metadata_files)
            put(f"pypi/{name}/{version}/json", body)
    files = out / "files"
    files.mkdir(parents=True, exist_ok=True)
    for entry in index.files.values():
        target = files / entry.filename
        shutil.copy2(entry.path, target)  # copy2 keeps mtime: upload times stay what the pages say
        written.append(target)
        if metadata_files and entry.metadata is not None:  # wheels only
            put(f"files/{entry.filename}.metadata", entry.metadata)
    return written

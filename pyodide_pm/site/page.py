"""The page flavour: any HTML page gets Python with ``<script type="module" src="pyodide-ready.mjs">``.

``pyodide-ready.mjs`` sets ``globalThis.pyodideReady`` (a promise of the interpreter,
resolved once the site's requirements are installed) and then ``globalThis.pyodide``;
``pyodide.mjs`` is the site's loader (see ``loader.mjs``). ``index.html`` is a starting page.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from .loader_files import add_loader

HERE = files(__package__)


def add_files(site: Path, *, pyodide_version: str, preload: list[str]) -> None:
    add_loader(site)
    (site / "pyodide-ready.mjs").write_bytes(HERE.joinpath("ready.mjs").read_bytes())
    page = HERE.joinpath("page.html").read_text().format(
        pyodide=html.escape(pyodide_version), packages=html.escape(", ".join(preload))
    )
    (site / "index.html").write_text(page)

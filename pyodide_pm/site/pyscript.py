"""The PyScript flavour: a page whose ``<script type="py">`` runs on the site's Pyodide.

PyScript (0.7) imports the module its ``interpreter`` setting names and calls its
``loadPyodide``; it passes no lock of its own (it reads the lock beside Pyodide's
``pyodide.mjs``). The site's ``pyodide.mjs`` is that module: it loads the release's runtime
with the site's lock and preloads the requirements, so they are installed before any
``<script type="py">`` runs, without PyScript's ``packages`` setting (which would resolve
them again with micropip on every first visit). Offline, PyScript's own files are in
``pyscript/``; online they come from its CDN.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from .loader_files import add_loader
from .pyscript_core import CDN_DIST, copy_dist

HERE = files(__package__)


def add_files(site: Path, *, offline: bool, pyodide_version: str, preload: list[str]) -> None:
    """``pyodide.mjs`` (the interpreter), ``index.html`` (a starting page) and, offline, ``pyscript/``."""
    add_loader(site)
    core = "./pyscript/" if offline else CDN_DIST
    if offline:
        copy_dist(site / "pyscript")
    page = HERE.joinpath("pyscript.html").read_text().format(
        core=html.escape(core), pyodide=html.escape(pyodide_version), packages=html.escape(", ".join(preload))
    )
    (site / "index.html").write_text(page)


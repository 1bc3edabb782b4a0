"""The site's loader, ``pyodide.mjs`` (``loader.mjs``), and the two files it imports: the warm
start (``warm_start.mjs``) and the worker that makes its snapshot (``snapshot_worker.mjs``).
Every flavour ships all three (JupyterLite's kernel imports the loader too); the browser
bundle ships the warm start alone, for pages that start Pyodide themselves."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

HERE = files(__package__)
WARM_START_FILES = {"pyodide-warm-start.mjs": "warm_start.mjs", "pyodide-snapshot-worker.mjs": "snapshot_worker.mjs"}
LOADER_FILES = {"pyodide.mjs": "loader.mjs", **WARM_START_FILES}


def add_loader(site: Path) -> None:
    """Write the loader and its modules at the root of ``site``."""
    _write(site, LOADER_FILES)


def add_warm_start(folder: Path) -> None:
    """Write the warm start and its worker into ``folder`` (the browser bundle), for pages that
    start Pyodide themselves: ``loadPyodideWarm(runtime, settings, workerURL)``."""
    _write(folder, WARM_START_FILES)


def _write(folder: Path, files: dict[str, str]) -> None:
    for served, shipped in files.items():
        (folder / served).write_bytes(HERE.joinpath(shipped).read_bytes())

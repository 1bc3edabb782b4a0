"""The site's loader, ``pyodide.mjs`` (``loader.mjs``), and the two files it imports: the warm
start (``warm_start.mjs``) and the worker that makes its snapshot (``snapshot_worker.mjs``).
Every flavour that starts Pyodide from the page (the page and PyScript) ships all three."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

HERE = files(__package__)
LOADER_FILES = {
    "pyodide.mjs": "loader.mjs",
    "pyodide-warm-start.mjs": "warm_start.mjs",
    "pyodide-snapshot-worker.mjs": "snapshot_worker.mjs",
}


def add_loader(site: Path) -> None:
    """Write the loader and its modules at the root of ``site``."""
    for served, shipped in LOADER_FILES.items():
        (site / served).write_bytes(HERE.joinpath(shipped).read_bytes())

"""Where the host tools keep what they download once: the per-user cache folder.

Release files from the npm registry (``catalog``) and pinned third-party wheels
(``pinned``) are fetched once and verified, then read from here, also offline. The
folder is the platform's cache folder for the user, never the folder a command runs
in: an installed ``pyodide-pm`` has no checkout to write into.

``PYODIDE_PM_CACHE_DIR`` moves it (a CI cache step, the test suite);
``PYODIDE_PM_OFFLINE=1`` forbids downloads, so only what is cached is used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_DIR_ENV = "PYODIDE_PM_CACHE_DIR"
OFFLINE_ENV = "PYODIDE_PM_OFFLINE"
APP_NAME = "pyodide-pm"


def cache_root() -> Path:
    """The cache folder: ``$PYODIDE_PM_CACHE_DIR``, else the platform's per-user cache folder.

    Read at each call, so a test or a wrapper script can set the variable at any time.
    """
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP_NAME / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_NAME
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else home / ".cache") / APP_NAME


def cache_dir(kind: str) -> Path:
    """A sub-folder of the cache for one kind of file (``pyodide``, ``wheels``, ...)."""
    return cache_root() / kind


def offline() -> bool:
    """True when ``PYODIDE_PM_OFFLINE`` asks for no downloads at all."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")

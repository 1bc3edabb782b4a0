"""Lockfile formats micropip reads and writes: Pyodide's ``pyodide-lock.json`` and PEP 751 ``pylock.toml``.

Runs on host CPython and inside Pyodide with only the standard library and
``packaging``; writing ``pylock.toml`` additionally needs ``tomli-w`` (host only).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from .errors import LockfileError, LockfileWarning
from .pyodide_lock import LockInfo, LockPackage, PyodideLock, read_pyodide_lock

__all__ = [
    "LockInfo",
    "LockPackage",
    "LockfileError",
    "LockfileWarning",
    "PyodideLock",
    "detect_format",
    "read_pyodide_lock",
]

_PYLOCK_NAMES = frozenset(
    {"Pylock", "PylockFile", "PylockPackage", "PylockWheel", "read_pylock", "select_files", "select_for_environment", "write_pylock"}
)


def __getattr__(name: str):
    """``lockfile.read_pylock`` and the other PEP 751 names (documented in ``lockfile.pylock``)
    load ``tomllib`` on first use: installing from Pyodide's JSON lock or an index never needs TOML."""
    if name in _PYLOCK_NAMES:
        from . import pylock

        return getattr(pylock, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# PEP 751's file name rule: pylock.toml or pylock.<name>.toml.
_PYLOCK_NAME = re.compile(r"pylock\.([^.]+\.)?toml", re.IGNORECASE)


def detect_format(path_or_name: str, text: str | bytes) -> Literal["pyodide-lock", "pylock"]:
    """Which reader a file needs: by its name (PEP 751 names, ``*.json``), else by its first character.

    Users pass whatever lockfile they have (``--lock pylock.web.toml``, a URL), so the
    installer must not make them say which format it is.
    """
    name = str(path_or_name)
    if "://" in name:
        name = urlsplit(name).path
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if _PYLOCK_NAME.fullmatch(name):
        return "pylock"
    if name.lower().endswith(".json"):
        return "pyodide-lock"
    head = text[:64] if isinstance(text, str | bytes) else ""
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    return "pyodide-lock" if head.lstrip("\ufeff \t\r\n").startswith("{") else "pylock"

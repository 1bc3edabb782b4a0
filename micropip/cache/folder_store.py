"""The cache's store on the host CPython: a folder, each file replaced atomically.

Host-only (``pyodide_pm.bundle.HOST_SHIMS``): a page's cache lives in Cache Storage, Node's in a
folder it reaches through Node's ``fs`` (``stores``), so the page wheels leave this out.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from .. import transport
from ..transport import JsBytes


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/pyodide-pm/wheels``, else ``~/.cache/pyodide-pm/wheels``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "pyodide-pm" / "wheels"


class FolderStore:
    """A folder on the host CPython's disk; each file is replaced atomically (temp file + rename)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def describe(self) -> str:
        return str(self.folder)

    async def read(self, name: str, *, keep_in_js: bool = False) -> bytes | None:
        return await asyncio.to_thread(self._read, name)

    async def write(self, name: str, data: bytes | JsBytes) -> None:
        data = transport.as_bytes(data)
        await asyncio.to_thread(self._write, name, data)

    async def remove(self, name: str) -> None:
        await asyncio.to_thread(self._remove, name)

    async def list(self) -> dict[str, int]:
        return await asyncio.to_thread(self._list)

    def _read(self, name: str) -> bytes | None:
        try:
            return (self.folder / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.folder / name)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _remove(self, name: str) -> None:
        try:
            (self.folder / name).unlink()
        except FileNotFoundError:
            pass

    def _list(self) -> dict[str, int]:
        try:
            with os.scandir(self.folder) as it:
                return {e.name: e.stat().st_size for e in it if e.is_file()}
        except (FileNotFoundError, NotADirectoryError):
            return {}

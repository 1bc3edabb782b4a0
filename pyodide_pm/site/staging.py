"""Write a site atomically: build it in a sibling folder, then rename it into place.

A failed build removes its half-written folder and leaves ``OUT`` as it was (absent, or
the previous site). Replacing a site is two renames (the old one aside, the new one in);
a reader sees the old site, or for an instant no folder, never a mix. A folder that is
not a site this command built is never replaced: it may hold someone's work.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from .options import SiteError

MANIFEST = "pyodide-site.json"  # written into every site; marks a folder as one of ours


class Staging:
    """``with Staging(out) as folder:`` builds into ``folder``; leaving the block without an
    error puts it at ``out``, with one removes it."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out).resolve()
        if self.out.exists():
            if not self.out.is_dir():
                raise SiteError(f"{self.out} exists and is not a folder; choose another output folder")
            if any(self.out.iterdir()) and not (self.out / MANIFEST).is_file():
                raise SiteError(
                    f"{self.out} is not empty and holds no {MANIFEST}, so it is not a site pyodide-pm built; "
                    "choose a new output folder (or empty this one): it is never overwritten"
                )
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".building", dir=self.out.parent))

    def __enter__(self) -> Path:
        return self.folder

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        self.commit()

    def commit(self) -> None:
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".old", dir=self.out.parent))
            os.rmdir(old)
            os.rename(self.out, old)
        try:
            os.rename(self.folder, self.out)
        except OSError:
            if old is not None:
                os.rename(old, self.out)  # put the previous site back
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

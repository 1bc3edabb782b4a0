"""A stand-in for the Pyodide CDN on 127.0.0.1: a release's folder as the CDN lays it out.

``/pyodide/v{version}/full/`` holds the release's runtime files (from the release catalog's
cache) and the wheels of the lock entries a test needs. The real CDN is out of reach, so
those wheels are the same projects' wheels from a package index (PEP 783 builds, or PyPI's
pure wheels that setup caches), and a copy of the release's lock names them with their
sha256: pass it with ``--pyodide-lock``, and point the catalog at the stand-in
(``PYODIDE_PM_CDN_URL`` or ``Catalog(cdn=...)``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import parse_wheel_filename

from index_server.server import start_static_server
from pyodide_pm.catalog import Catalog

VERSION = "314.0.7"


@dataclass
class CdnStandIn:
    base: str  # what PYODIDE_PM_CDN_URL takes: http://127.0.0.1:PORT/pyodide
    full: str  # the release's folder URL (ends with /)
    lock: Path  # the copied lock, entries rewritten for the wheels served here


def standin_folder(root: Path, wheels: Mapping[str, Path], version: str = VERSION) -> tuple[Path, Path]:
    """(the CDN root to serve, the copied lock): runtime files plus ``wheels`` (lock key -> wheel)."""
    release = Catalog().release(version, runtime=True)
    full = root / "pyodide" / f"v{version}" / "full"
    full.mkdir(parents=True)
    for name, path in release.runtime_files().items():
        if name != "pyodide-lock.json":
            shutil.copyfile(path, full / name)
    lock = release.lock.to_dict()
    for key, wheel in wheels.items():
        shutil.copyfile(wheel, full / wheel.name)
        entry = lock["packages"][key]
        entry.update(
            file_name=wheel.name, version=str(parse_wheel_filename(wheel.name)[1]),
            sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(), unvendored_tests=False,
        )
    copied = root / "pyodide-lock.json"
    copied.write_text(json.dumps(lock))
    (full / "pyodide-lock.json").write_text(json.dumps(lock))
    return root, copied


@contextmanager
def serve_standin(root: Path, wheels: Mapping[str, Path], version: str = VERSION) -> Iterator[CdnStandIn]:
    folder, lock = standin_folder(root, wheels, version)
    with start_static_server({"/pyodide/": folder / "pyodide"}) as server:
        base = server.url + "pyodide"
        yield CdnStandIn(base, f"{base}/v{version}/full/", lock)

"""An index that makes a resolver walk back through many releases (issue 31), made at test time.

``walk-app`` N releases, release i requiring ``walk-lib>=i``; ``walk-lib`` N releases. Asked
for ``walk-app`` with ``walk-lib<4``, a resolver must reject every walk-app release from N
down to 4 (each needs a newer walk-lib than allowed) and picks walk-app 3.0 with walk-lib
3.0: the shape of ``fastapi`` with ``pydantic<2``, where each rejection costs a metadata
file. ``walk-app`` has an extra ``fast`` (nothing in it), so the same releases can be
walked by two identifiers (``walk-app`` and ``walk-app[fast]``).

The wheels are tiny and written into a temporary folder (a few hundred of them would be
clutter in ``fixtures/``); ``index_server`` serves them with PEP 658 metadata files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def _make_wheels():
    if "make_wheels" in sys.modules:
        return sys.modules["make_wheels"]
    spec = importlib.util.spec_from_file_location("make_wheels", REPO / "fixtures" / "make_wheels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_wheels"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_walk_index(folder: Path, releases: int) -> Path:
    """Write the walk-app / walk-lib wheels (``releases`` of each) into ``folder``."""
    make = _make_wheels()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, releases + 1):
        make.write_spec(folder, make.Spec("walk-app", f"{i}.0", [f"walk-lib>={i}.0"], extras=["fast"]))
        make.write_spec(folder, make.Spec("walk-lib", f"{i}.0"))
    return folder

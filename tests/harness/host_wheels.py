"""The wheels ``pip install`` of this project needs, kept so the installed-wheel test installs offline.

``python -m tests.harness.host_wheels`` (run by scripts/setup.sh) fetches them once into
``.cache/host-wheels``, pinned by sha256 like every third-party wheel the suite uses:
the runtime's packaging and resolvelib (the same pins as the browser bundle) and the
host tools' tomli-w.
"""

from __future__ import annotations

import sys
from pathlib import Path

from micropip.errors import MicropipError
from pyodide_pm.bundle import PINNED_WHEELS
from pyodide_pm.pinned import PinnedWheel, fetch_pinned_wheels

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_WHEELS = REPO_ROOT / ".cache" / "host-wheels"
PINS = (
    *PINNED_WHEELS,
    PinnedWheel("tomli-w", "1.2.0", "tomli_w-1.2.0-py3-none-any.whl", "188306098d013b691fcadc011abd66727d3c414c571bb01b1a174ba8c983cf90"),
)


def main() -> int:
    try:
        paths = fetch_pinned_wheels(PINS, HOST_WHEELS)
    except MicropipError as exc:
        raise SystemExit(f"host_wheels: {exc}") from None
    print(f"host_wheels: {len(paths)} pinned wheels in {HOST_WHEELS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

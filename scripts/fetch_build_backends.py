"""Fetch the PEP 517 build backends the sdist-build tests serve, as pinned, verified wheels.

``python scripts/fetch_build_backends.py [DEST]`` (default ``.cache/build-backends/``)
downloads each pinned wheel once with pip (``--no-deps --only-binary``) and checks its
sha256; a file that does not match is deleted and the run fails. The tests serve this
folder next to ``fixtures/wheels`` and ``fixtures/sdists`` from one loopback index, so
building an sdist inside Pyodide installs its backend from there and never from PyPI.

The pins are whole dependency closures for Python 3.14 (Pyodide 314) and the host's
3.11+: setuptools vendors its own dependencies; hatchling needs packaging, pathspec,
pluggy, trove-classifiers and tomlkit; ``wheel`` is there because many legacy projects
still list it in ``[build-system] requires``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from pyodide_pm.bundle import sha256_file  # the one streaming file hash (the bundle's pinned wheels use it too)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / ".cache" / "build-backends"


class Pin(NamedTuple):
    requirement: str
    filename: str
    sha256: str


PINS: tuple[Pin, ...] = (
    Pin("setuptools==84.2.1", "setuptools-84.2.1-py3-none-any.whl", "ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2"),
    Pin("wheel==0.48.0", "wheel-0.48.0-py3-none-any.whl", "3217dcc807155e45db462d7ef2431f5ddda0d7273b700d05a67b271ceb1287ab"),
    Pin("flit_core==4.2.0", "flit_core-4.2.0-py3-none-any.whl", "2bee22dc8ba89c2e35b4e1ad575e596aac945c85672dd8f3cad21b629036e044"),
    Pin("hatchling==1.33.0", "hatchling-1.33.0-py3-none-any.whl", "415290b84f464d2884303fca8974d38e7b85579069fab02a15db0828fbb1446d"),
    Pin("packaging==26.4", "packaging-26.4-py3-none-any.whl", "81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2"),
    Pin("pathspec==1.1.1", "pathspec-1.1.1-py3-none-any.whl", "a00ce642f577bf7f473932318056212bc4f8bfdf53128c78bbd5af0b9b20b189"),
    Pin("pluggy==1.7.0", "pluggy-1.7.0-py3-none-any.whl", "7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec"),
    Pin(
        "trove-classifiers==2026.9.21.13",
        "trove_classifiers-2026.9.21.13-py3-none-any.whl",
        "8b1ff4f9c191b1040b71c37f1e445ab99732911e3cd91de52838453a854d7a17",
    ),
    Pin("tomlkit==0.15.2", "tomlkit-0.15.2-py3-none-any.whl", "05562412163a3037b94497385fb7f9204c637bc605af7a48199e41cf2272f437"),
)


def fetch(dest: Path = DEFAULT_DEST) -> list[Path]:
    """Make ``dest`` hold every pinned wheel, verified; returns their paths.

    Already-present files that match are kept, so a second run needs no network.
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing = [pin for pin in PINS if not _good(dest / pin.filename, pin)]
    if missing:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--only-binary=:all:", "--dest", str(dest), *(pin.requirement for pin in missing),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"fetch_build_backends: pip download failed: {result.stderr.strip()[-800:]}")
    paths = []
    for pin in PINS:
        path = dest / pin.filename
        if not path.exists():
            raise SystemExit(f"fetch_build_backends: pip did not write {path} for {pin.requirement}")
        actual = sha256_file(path)
        if actual != pin.sha256:
            path.unlink()
            raise SystemExit(
                f"fetch_build_backends: {pin.filename} has sha256 {actual}, expected the pinned {pin.sha256}; "
                "the file was removed"
            )
        paths.append(path)
    return paths


def _good(path: Path, pin: Pin) -> bool:
    return path.exists() and sha256_file(path) == pin.sha256


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else DEFAULT_DEST
    paths = fetch(dest)
    print(f"fetch_build_backends: {len(paths)} pinned wheels in {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

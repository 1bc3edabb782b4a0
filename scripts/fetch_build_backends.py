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

import sys
from pathlib import Path

from micropip.errors import MicropipError
from pyodide_pm.pinned import PinnedWheel, fetch_pinned_wheels

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / ".cache" / "build-backends"


PINS: tuple[PinnedWheel, ...] = (
    PinnedWheel("setuptools", "84.2.1", "setuptools-84.2.1-py3-none-any.whl", "ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2"),
    PinnedWheel("wheel", "0.48.0", "wheel-0.48.0-py3-none-any.whl", "3217dcc807155e45db462d7ef2431f5ddda0d7273b700d05a67b271ceb1287ab"),
    PinnedWheel("flit_core", "4.2.0", "flit_core-4.2.0-py3-none-any.whl", "2bee22dc8ba89c2e35b4e1ad575e596aac945c85672dd8f3cad21b629036e044"),
    PinnedWheel("hatchling", "1.33.0", "hatchling-1.33.0-py3-none-any.whl", "415290b84f464d2884303fca8974d38e7b85579069fab02a15db0828fbb1446d"),
    PinnedWheel("packaging", "26.4", "packaging-26.4-py3-none-any.whl", "81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2"),
    PinnedWheel("pathspec", "1.1.1", "pathspec-1.1.1-py3-none-any.whl", "a00ce642f577bf7f473932318056212bc4f8bfdf53128c78bbd5af0b9b20b189"),
    PinnedWheel("pluggy", "1.7.0", "pluggy-1.7.0-py3-none-any.whl", "7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec"),
    PinnedWheel(
        "trove-classifiers",
        "2026.9.21.13",
        "trove_classifiers-2026.9.21.13-py3-none-any.whl",
        "8b1ff4f9c191b1040b71c37f1e445ab99732911e3cd91de52838453a854d7a17",
    ),
    PinnedWheel("tomlkit", "0.15.2", "tomlkit-0.15.2-py3-none-any.whl", "05562412163a3037b94497385fb7f9204c637bc605af7a48199e41cf2272f437"),
)


def fetch(dest: Path = DEFAULT_DEST) -> list[Path]:
    """Make ``dest`` hold every pinned wheel, verified; returns their paths.

    Already-present files that match are kept, so a second run needs no network.
    """
    try:
        return fetch_pinned_wheels(PINS, dest)
    except MicropipError as exc:
        raise SystemExit(f"fetch_build_backends: {exc}") from None


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else DEFAULT_DEST
    paths = fetch(dest)
    print(f"fetch_build_backends: {len(paths)} pinned wheels in {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

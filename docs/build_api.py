"""Build the API reference from the docstrings, with pdoc: ``python docs/build_api.py [--out DIR]``.

Writes HTML to ``build/api/`` (open ``build/api/index.html``). Only the public
modules are documented: ``micropip`` and the modules its users meet (errors,
plans, progress events, magics), and the ``lockfile`` formats.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# micropip's __all__ names no submodules, so pdoc documents only those listed here.
MODULES = ["micropip", "micropip.errors", "micropip.plan", "micropip.progress", "micropip.magics", "lockfile", "lockfile.pylock"]
# ``micropip.list`` shadows the builtin in that module, so pdoc cannot evaluate ``list[str]``
# annotations there; it shows them as written, which is what we want.
KNOWN_WARNING = "Error parsing type annotation"


def build(out: Path) -> Path:
    try:
        import pdoc
        import pdoc.render
    except ImportError:
        raise SystemExit("pdoc is not installed: run `bash scripts/setup.sh` (the test extras include pdoc)") from None
    sys.path.insert(0, str(REPO_ROOT))
    pdoc.render.configure(docformat="restructuredtext", footer_text="micropip API reference")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=out)
    for w in caught:
        if KNOWN_WARNING not in str(w.message):
            print(f"warning: {w.message}", file=sys.stderr)
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the API reference (HTML) with pdoc.")
    parser.add_argument("--out", default=str(REPO_ROOT / "build" / "api"), help="output folder (default: build/api)")
    args = parser.parse_args(argv)
    index = build(Path(args.out))
    try:
        shown = index.relative_to(Path.cwd())
    except ValueError:
        shown = index
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

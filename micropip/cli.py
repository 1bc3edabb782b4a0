"""Kept so ``python -m micropip.cli ...`` still works: the host command moved to ``pyodide_pm.cli``."""

import sys

if __name__ == "__main__":
    print("note: `python -m micropip.cli` moved to `pyodide-pm` (or `python -m pyodide_pm`)", file=sys.stderr)
    try:
        from pyodide_pm.cli import main
    except ImportError:
        sys.exit("the host tools (pyodide_pm) are not installed here")
    sys.exit(main())

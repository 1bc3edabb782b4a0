"""``python -m micropip`` runs the host command, which now lives in ``pyodide_pm``."""

import sys

try:
    from pyodide_pm.cli import main
except ImportError:  # micropip installed without the host tools (as in a page)
    sys.exit("the micropip command line moved to `pyodide-pm` (python -m pyodide_pm); install the host tools")

sys.exit(main())

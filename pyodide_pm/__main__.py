import sys

from pyodide_pm.cli import main

sys.exit(main())

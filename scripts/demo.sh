#!/usr/bin/env bash
# Serve the browser console: Pyodide + our micropip, with the bundled fixture index.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pyodide-pm demo "$@"

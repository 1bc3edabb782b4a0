#!/usr/bin/env bash
# Real-client sites for tests/test_clients_browser.py (issue 15): a JupyterLite site whose
# Pyodide kernel uses our bundle lock, and a Pyodide folder for PyScript pages with our
# bundle lock. Needs .venv (jupyterlite-core, jupyterlite-pyodide-kernel from the test
# extra), node_modules (pyodide, @pyscript/core) and build/bundle. Idempotent: downloads are
# cached under .cache/clients/ and a stamp skips the build when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m tests.harness.client_sites

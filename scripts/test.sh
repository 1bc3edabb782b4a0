#!/usr/bin/env bash
# Run the whole test suite (host CPython, Pyodide in Node, Chromium). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
set +e
# Two workers by default (pytest-xdist; CI has 2 cores), a module at a time per worker so a
# module's fixtures stay on one worker. PYTEST_WORKERS=0 runs everything in this process.
.venv/bin/python -m pytest -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
code=$?
set -e
if [ "$code" = "5" ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$code"

#!/usr/bin/env bash
# The install benchmark in one command: set-up (idempotent), then bench/run.py.
# Arguments go to bench/run.py (e.g. --profile, --reps 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python bench/run.py "$@"

#!/usr/bin/env bash
# The real-network benchmark in one command: set-up (idempotent), the recording of PyPI if
# there is none yet (bench/record.py, about 10 minutes through the gateway), then
# bench/network.py (arguments go there, e.g. --roots rich,pydantic --reps 2 --settings 100ms).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -f .cache/bench/recording/manifest.json ]; then
  .venv/bin/python bench/record.py
fi
exec .venv/bin/python bench/network.py "$@"

#!/usr/bin/env bash
# Issue 29's benchmark in one command: set-up (idempotent), the recording of the roots if any
# is missing (bench/record.py reaches PyPI), then on both links (100 ms / 20 Mbit/s and
# 30 ms / 100 Mbit/s), ours / micropip 0.11.1 / the floor interleaved:
#   1. bench/returning.py: Chromium, first visit then reload (returning visitor, time to import
#      after install fresh and returning, first use with `import micropip`)
#      -> bench/results/returning.json + returning.png
#   2. bench/network.py: install only in Node, the same roots -> bench/results/network-returning-roots.json + .png
# ROOTS and REPS may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTS="${ROOTS:-attrs,tqdm,rich,requests,pydantic,sympy}"
REPS="${REPS:-3}"
bash scripts/setup.sh
.venv/bin/python bench/record.py --roots "$ROOTS"
.venv/bin/python bench/returning.py --roots "$ROOTS" --reps "$REPS"
exec .venv/bin/python bench/network.py --roots "$ROOTS" --reps "$REPS" --bootstrap-reps 0 --lock-roots-reps 0 \
  --out bench/results/network-returning-roots.json

#!/usr/bin/env bash
# Idempotent set-up: venv + Python deps, pinned Pyodide (npm ci), Chromium, the bundle,
# and the real PEP 783 wheel the tests install. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.deps-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "installing Python dependencies"
  .venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
  touch "$stamp"
fi

lock_sum=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.ci-stamp ] || [ "$(cat node_modules/.ci-stamp)" != "$lock_sum" ]; then
  log "npm ci (pinned pyodide)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.ci-stamp
fi

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The host tools' user cache lives in the repository for the suite (tests/conftest.py uses
# the same folder and forbids downloads): the release catalog's 314.0.7 (the default target)
# and 0.27.7 (the older target the tests check against), and the pinned wheels.
export PYODIDE_PM_CACHE_DIR="$PWD/.cache/pyodide-pm"
log "release catalog: Pyodide 314.0.7 and 0.27.7"
.venv/bin/pyodide-pm release 314.0.7 0.27.7 >&2

log "building the bundle and fetching pinned wheels"
.venv/bin/pyodide-pm bundle build/bundle --with-test-wheels >&2
bash scripts/setup_clients.sh  # JupyterLite site + PyScript runtime on our bundle lock (issue 15)
.venv/bin/python scripts/fetch_build_backends.py  # pinned PEP 517 backends for the sdist-build tests (issue 18)
.venv/bin/python -m tests.harness.host_wheels  # what `pip install` of the project needs, for the offline installed-wheel test (issue 27)
.venv/bin/python -m pyodide_pm.site.pyscript_core  # @pyscript/core for offline PyScript sites (docs/deploy.md, issue 28)

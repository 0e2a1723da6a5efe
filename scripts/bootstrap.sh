#!/usr/bin/env bash
# Create .venv and install the runtime, the app and the test tools (idempotent, quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.medgrid-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ runtime/pyproject.toml -nt "$stamp" ]; then
  echo "Installing MedGrid and its dependencies into .venv (log: .venv/install.log) …"
  {
    .venv/bin/pip install --upgrade pip
    .venv/bin/pip install -e runtime -e ".[test]"
  } > .venv/install.log 2>&1 || { tail -30 .venv/install.log; exit 1; }
  touch "$stamp"
fi
# Byte-compile the repo's own code (pip compiles the dependencies, not editable installs): this
# environment sets PYTHONDONTWRITEBYTECODE=1, so imports never write .pyc files and every process — each
# forked job too — would compile runtime/ and medgrid/ from source again. Python still reads .pyc files
# with the variable set; compileall recompiles only what changed, so this is quick after the first run.
.venv/bin/python -m compileall -q -j 0 -x '/(node_modules|tests)/' runtime medgrid sandbox > /dev/null 2>&1 || true
# Browser libraries from the npm registry (package.json: frappe-charts for the order-flow dashboard), copied to
# medgrid/public/vendor/ by its postinstall and served from there; without npm the dashboard keeps its tables
charts=medgrid/public/vendor/frappe-charts/frappe-charts.min.umd.js
if [ ! -f "$charts" ] || [ package.json -nt "$charts" ] || [ package-lock.json -nt "$charts" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund >> .venv/install.log 2>&1 || echo "npm ci failed (see .venv/install.log): the dashboard shows no charts"
  else
    echo "npm not found: the order-flow dashboard shows its numbers without charts (apt-get install npm)"
  fi
fi

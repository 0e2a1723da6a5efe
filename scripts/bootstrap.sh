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
# Browser libraries from the npm registry (package.json: frappe-charts for the order-flow dashboard, jQuery
# for the runtime's Desk), copied by its postinstall (scripts/vendor_assets.js) into git-ignored folders
charts=medgrid/public/vendor/frappe-charts/frappe-charts.min.umd.js
jquery=runtime/frappe/public/js/lib/jquery.min.js
stale=0
for built in "$charts" "$jquery"; do
  if [ ! -f "$built" ] || [ package.json -nt "$built" ] || [ package-lock.json -nt "$built" ]; then stale=1; fi
done
if [ "$stale" = 1 ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund >> .venv/install.log 2>&1 \
      || echo "npm ci failed (see .venv/install.log): the Desk at /app and the dashboard's charts need it" >&2
  else
    echo "npm not found (apt-get install npm): the Desk at /app and the dashboard's charts need it" >&2
  fi
fi

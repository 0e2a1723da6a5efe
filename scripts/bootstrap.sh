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

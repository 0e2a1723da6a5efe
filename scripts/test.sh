#!/usr/bin/env bash
# The test command: installs what the tests need into .venv, starts the services, runs every suite
# on SQLite, then MariaDB, then the runtime suites on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/services.sh
# Browser tests (tests/browser) drive Debian's Chromium through Playwright (the pip package only;
# never `playwright install`, which downloads a browser build): install chromium when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests (log: .venv/chromium-install.log) …"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
    > .venv/chromium-install.log 2>&1 \
    || echo "WARNING: chromium could not be installed (see .venv/chromium-install.log): tests/browser will be skipped" >&2
fi
PY=.venv/bin/python
status=0
run() {  # run pytest; exit code 5 ("no tests ran") is a failure for us
  local db=$1; shift
  echo "== pytest on ${db}: $*"
  MEDGRID_TEST_DB=$db "$PY" -m pytest -q -p no:cacheprovider "$@" || status=1
}
run sqlite tests
run mariadb tests
run postgres tests/runtime
exit $status

#!/usr/bin/env bash
# The test command: installs what the tests need into .venv, starts the services, runs every suite
# on SQLite, then MariaDB, then the runtime, app and end-to-end suites on PostgreSQL; on each engine
# also the app's own tests (medgrid/**/test_*.py) through `medgrid-runtime run-tests --app medgrid`.
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
# The multi-host test (tests/e2e/test_multi_host.py) and `setup nginx`'s `nginx -t` check run Debian's
# nginx as an unprivileged foreground process with its own config in a temp folder: install the
# package when it is missing (its own service is not used).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing Debian's nginx for the multi-host tests (log: .venv/nginx-install.log) …"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; } \
    > .venv/nginx-install.log 2>&1 \
    || echo "WARNING: nginx could not be installed (see .venv/nginx-install.log): the multi-host tests will be skipped" >&2
fi
PY=.venv/bin/python
status=0
run() {  # run pytest; exit code 5 ("no tests ran") is a failure for us
  local db=$1; shift
  echo "== pytest on ${db}: $*"
  MEDGRID_TEST_DB=$db "$PY" -m pytest -q -p no:cacheprovider "$@" || status=1
}
app_tests() {  # the app's own tests (medgrid/**/test_*.py) on a fresh site, through run-tests as on a bench
  local db=$1 site=apptests.localhost sites
  sites=$(mktemp -d)
  local mg=(.venv/bin/medgrid-runtime --sites-path "$sites")
  local new=(new-site "$site" --db-type "$db" --admin-password admin --install-app erpnext --install-app medgrid)
  [ "$db" = sqlite ] || new+=(--db-name "_mgapp_$(date +%s)_$RANDOM")
  echo "== run-tests on ${db}: --app medgrid"
  if ! { "${mg[@]}" "${new[@]}" > "$sites/new-site.log" 2>&1 \
         && "${mg[@]}" --site "$site" set-config allow_tests true > /dev/null \
         && "${mg[@]}" --site "$site" run-tests --app medgrid; }; then
    status=1
    tail -n 20 "$sites/new-site.log"
  fi
  "$PY" - "$sites" "$site" <<'PYTHON' || true
import os, sys
import frappe
from frappe.installer import drop_site_database
sites, site = sys.argv[1:]
if os.path.exists(os.path.join(sites, site, "site_config.json")):
    drop_site_database(frappe.get_site_config(sites, os.path.join(sites, site)))
PYTHON
  rm -rf "$sites"
}
run sqlite tests
app_tests sqlite
run mariadb tests
app_tests mariadb
# PostgreSQL: the runtime, the app's suites and the end-to-end stack (the browser, contract and
# conformance replays are engine-independent HTTP checks and run on the two engines above)
run postgres tests/runtime tests/medgrid tests/e2e
app_tests postgres
exit $status

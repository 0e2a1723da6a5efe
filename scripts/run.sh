#!/usr/bin/env bash
# The run command: MedGrid on its embedded default (a SQLite demo site) with the vendor sandboxes.
# Starts the sandboxes, the web server, the scheduler (and an RQ worker when Redis answers), checks that each
# part came up (a clear message and exit 1 otherwise), prints what to try, and stops everything on Ctrl-C.
#
#   MEDGRID_PORT            web port (default 8000)
#   MEDGRID_SANDBOX_PORTS   the sandboxes' ports: "auto" (free ports), ports in the order
#                           perfectrx,shipstation,sinq,centre_research,shopify, or NAME=PORT pairs;
#                           default each sandbox's own port (9101-9105). The demo's settings follow them.
#   MEDGRID_SITES_PATH      where the demo site lives (default ./sites; logs in its logs/ folder)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PORT=${MEDGRID_PORT:-8000}
export MEDGRID_SITES_PATH="${MEDGRID_SITES_PATH:-$PWD/sites}"
PY=.venv/bin/python
RT=.venv/bin/medgrid-runtime
SITE=medgrid.localhost
LOGS="$MEDGRID_SITES_PATH/logs"
mkdir -p "$LOGS"

fail() {
  echo "" >&2
  echo "MedGrid did NOT start: $1" >&2
  [ -n "${2:-}" ] && [ -f "$2" ] && { echo "--- last lines of $2:" >&2; tail -n 15 "$2" >&2; }
  exit 1
}

# --- ports: every sandbox's port is decided (and checked free) before anything starts
SANDBOX_PORTS=$("$PY" scripts/run_ports.py "${MEDGRID_SANDBOX_PORTS:-}" "$PORT") || fail "see the port message above"

REDIS_URL=""
if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  REDIS_URL="redis://127.0.0.1:6379"
fi
"$PY" scripts/demo_site.py --sites-path "$MEDGRID_SITES_PATH" --port "$PORT" --sandbox-ports "$SANDBOX_PORTS" \
  --redis "$REDIS_URL"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# a part that exited is a failed start, whatever it printed
alive() { kill -0 "$1" 2>/dev/null; }

READY="$LOGS/sandboxes.ready.json"
rm -f "$READY"
port_args=()
for pair in ${SANDBOX_PORTS//,/ }; do port_args+=(--port "$pair"); done
# the Shopify sandbox shows its install screen, as Shopify does, when a vendor connects a store
SANDBOX_SHOPIFY_AUTHORIZE_SCREEN=1 "$PY" -m sandbox --medgrid-url "http://127.0.0.1:$PORT" --step-delay 3 \
  "${port_args[@]}" --ready-file "$READY" > "$LOGS/sandboxes.log" 2>&1 &
SANDBOX_PID=$!
pids+=($SANDBOX_PID)
"$RT" --site "$SITE" enable-scheduler >/dev/null
"$RT" schedule > "$LOGS/scheduler.log" 2>&1 &
SCHEDULER_PID=$!
pids+=($SCHEDULER_PID)
WORKER_PID=""
if [ -n "$REDIS_URL" ]; then
  "$RT" worker > "$LOGS/worker.log" 2>&1 &
  WORKER_PID=$!
  pids+=($WORKER_PID)
fi
"$RT" serve --port "$PORT" --site "$SITE" --noreload > "$LOGS/web.log" 2>&1 &
WEB_PID=$!
pids+=($WEB_PID)

# --- readiness: each part within 60 s, or a message naming the part and its log
sandboxes_ready=""; web_ready=""; worker_ready=""
[ -z "$WORKER_PID" ] && worker_ready=skip
for _ in $(seq 1 120); do
  alive "$SANDBOX_PID" || fail "the vendor sandboxes exited (a port in use?)" "$LOGS/sandboxes.log"
  alive "$SCHEDULER_PID" || fail "the scheduler exited" "$LOGS/scheduler.log"
  alive "$WEB_PID" || fail "the web server exited (port $PORT in use?)" "$LOGS/web.log"
  [ -n "$WORKER_PID" ] && { alive "$WORKER_PID" || fail "the RQ worker exited" "$LOGS/worker.log"; }
  if [ -z "$sandboxes_ready" ] && [ -s "$READY" ]; then
    # every sandbox listens on the port the demo's settings name, and answers
    "$PY" scripts/run_ports.py --check-ready "$READY" "$SANDBOX_PORTS" || fail "a sandbox is not the one the demo expects" "$LOGS/sandboxes.log"
    sandboxes_ready=1
  fi
  if [ -z "$web_ready" ] && curl -fs "http://127.0.0.1:$PORT/api/method/ping" >/dev/null 2>&1; then web_ready=1; fi
  if [ -z "$worker_ready" ]; then
    # RQ registers a live worker (with its pid) in Redis once it listens
    for key in $(redis-cli -h 127.0.0.1 -p 6379 smembers rq:workers 2>/dev/null); do
      [ "$(redis-cli -h 127.0.0.1 -p 6379 hget "$key" pid 2>/dev/null)" = "$WORKER_PID" ] && worker_ready=1
    done
  fi
  [ -n "$sandboxes_ready" ] && [ -n "$web_ready" ] && [ -n "$worker_ready" ] && break
  sleep 0.5
done
[ -n "$sandboxes_ready" ] || fail "the vendor sandboxes did not report ready within 60 s" "$LOGS/sandboxes.log"
[ -n "$web_ready" ] || fail "the web server did not answer /api/method/ping within 60 s" "$LOGS/web.log"
[ -n "$worker_ready" ] || fail "the RQ worker did not register with Redis within 60 s" "$LOGS/worker.log"
alive "$SCHEDULER_PID" || fail "the scheduler exited" "$LOGS/scheduler.log"

cat <<MSG

MedGrid is running on http://127.0.0.1:$PORT (site $SITE, Sandbox environment; logs in $LOGS/).
Ready: web, scheduler, $( [ -n "$WORKER_PID" ] && echo "RQ worker on $REDIS_URL" || echo "jobs in-process (no Redis found)" ), sandboxes ($SANDBOX_PORTS).

Log in at http://127.0.0.1:$PORT/login (password MedGrid-Demo-1):
  partner@clinic.example  → /sales-order            rep@medgrid.example    → /sales-order
  vendor@vendor.example   → /portal/integrations    admin@medgrid.example  → /medgrid-admin/dispatches
The API calls to try (create → name → submit → track) are in README.md, "Try it".
Ctrl-C stops everything.
MSG
wait

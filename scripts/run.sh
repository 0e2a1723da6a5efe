#!/usr/bin/env bash
# The run command: MedGrid on its embedded default (a SQLite demo site) with the vendor sandboxes.
# Starts the sandboxes, the web server, the scheduler (and an RQ worker when Redis answers),
# prints what to try, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PORT=${MEDGRID_PORT:-8000}
export MEDGRID_SITES_PATH="$PWD/sites"
PY=.venv/bin/python
RT=.venv/bin/medgrid-runtime

REDIS_URL=""
if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  REDIS_URL="redis://127.0.0.1:6379"
fi
"$PY" scripts/demo_site.py --sites-path "$MEDGRID_SITES_PATH" --port "$PORT" --redis "$REDIS_URL"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

mkdir -p sites/logs
"$PY" -m sandbox --medgrid-url "http://127.0.0.1:$PORT" --step-delay 3 > sites/logs/sandboxes.log 2>&1 &
pids+=($!)
"$RT" --site medgrid.localhost enable-scheduler >/dev/null
"$RT" schedule > sites/logs/scheduler.log 2>&1 &
pids+=($!)
if [ -n "$REDIS_URL" ]; then
  "$RT" worker > sites/logs/worker.log 2>&1 &
  pids+=($!)
fi
"$RT" serve --port "$PORT" --site medgrid.localhost --noreload > sites/logs/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$PORT/api/method/ping" >/dev/null 2>&1 && break
  sleep 0.5
done

cat <<MSG

MedGrid is running on http://127.0.0.1:$PORT (site medgrid.localhost; logs in sites/logs/).
Sandboxes: PerfectRx :9101, ShipStation :9102, SINQ :9103, Centre Research :9104, Shopify :9105.
Jobs: $( [ -n "$REDIS_URL" ] && echo "RQ worker on $REDIS_URL" || echo "in-process (no Redis found)" ).

Try (use the partner's key printed above as KEY:SECRET):
  export AUTH="Authorization: token KEY:SECRET"
  curl -s "http://127.0.0.1:$PORT/api/method/medgrid.catalog.list_warehouses" -H "\$AUTH"
  curl -s "http://127.0.0.1:$PORT/api/method/medgrid.catalog.items_in_warehouse?warehouse=Skydell+Main+-+SM" -H "\$AUTH"
  curl -s "http://127.0.0.1:$PORT/api/method/medgrid.catalog.search_items?query=BPC" -H "\$AUTH"
  curl -s -X POST "http://127.0.0.1:$PORT/api/resource/Sales%20Order" -H "\$AUTH" -H "Content-Type: application/json" \\
    -d '{"customer": "Demo Clinic Partner", "delivery_date": "$(date -d '+7 days' +%F)", "shipping_address_name": "Demo Clinic Partner-Shipping",
         "items": [{"item_code": "ITEM-001", "qty": 5, "rate": 89.00, "warehouse": "Skydell Main - SM"},
                   {"item_code": "ITEM-002", "qty": 1, "warehouse": "Skydell Main - SM"},
                   {"item_code": "ITEM-003", "qty": 1, "warehouse": "Skydell Main - SM"},
                   {"item_code": "ITEM-005", "qty": 1, "warehouse": "Skydell Exoceuticals - SM"}]}'
  curl -s -X PUT "http://127.0.0.1:$PORT/api/resource/Sales%20Order/SO-XXXX-XXXXX" -H "\$AUTH" -H "Content-Type: application/json" -d '{"docstatus": 1}'
  curl -s -X POST "http://127.0.0.1:$PORT/api/method/medgrid.fulfillment_router.aggregate_shipments" -H "\$AUTH" \\
    -H "Content-Type: application/json" -d '{"sales_order": "SO-XXXX-XXXXX"}'
Pages: http://127.0.0.1:$PORT/login (users and password printed above), /portal/integrations, /app.
Ctrl-C stops everything.
MSG
wait

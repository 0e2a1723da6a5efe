"""Webhook endpoint throughput (issue 6, item 6): signed vendor webhooks against gunicorn on MariaDB.

    scripts/services.sh   # MariaDB + Redis
    .venv/bin/python benchmarks/webhook_throughput.py --vendor sinq --rate 200 --duration 30

What runs:

1. a MariaDB site (frappe + erpnext + medgrid, the demo catalog, a few submitted orders, the vendor's
   webhook secrets) under ``--sites-path``, created once and reused (``--fresh`` recreates it); the
   site uses Redis for ``frappe.cache()`` (PerfectRx nonces must be shared by both workers) and for the
   job queue, so the endpoint only enqueues — applying is an RQ worker's business, as in production
   (no worker runs during the benchmark; the apply jobs stay queued under this bench's own id);
2. ``gunicorn -w 2 --preload frappe.app:application`` on loopback (its own process group, stopped at
   the end);
3. a second process (this script with ``--loadgen``) sends validly signed webhooks **open-loop** at
   ``--rate`` per second for ``--duration`` seconds — SINQ (``key`` + ``X-Webhook-Signature``, a fresh
   ``id`` each) or PerfectRx (HMAC over nonce + timestamp + body hash, a fresh nonce each) — from a
   thread pool, each request sent at its scheduled moment whatever the previous answers did;
4. the figures: requests answered per second, latency p50 / p90 / p99 / max (measured from the
   scheduled send time, so a server that falls behind shows it), and the ``MedGrid Webhook Event``
   rows stored for the deliveries answered 200 — "lost" counts 200s without a row;

``--prototype-no-db-tls`` (a PROTOTYPE, not the runtime): PyMySQL ≥ 1.1.1 builds an SSL context
(loading the system CA bundle) on every ``connect()``, and the runtime connects once per request; the
flag starts gunicorn with a config file that defaults connections to ``ssl_disabled=True`` so the run
shows what the webhook path costs once the runtime stops paying for that.

Nothing here asserts a timing; the script prints figures and exits 1 only if a delivery was lost.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PYTHON = os.path.join(VENV_BIN, "python") if os.path.exists(os.path.join(VENV_BIN, "python")) else sys.executable
GUNICORN = os.path.join(VENV_BIN, "gunicorn")
REDIS_URL = "redis://127.0.0.1:6379"

SITE = "webhook-bench.localhost"
DB_NAME = "_mgbench_webhooks"
ORDERS = 20
SINQ_KEY, SINQ_SECRET = "bench-sinq-key", "bench-sinq-secret"
PRX_SECRET = "bench-perfectrx-secret"
PATHS = {"sinq": "/api/method/medgrid.sinq.webhook", "perfectrx": "/api/method/medgrid.perfectrx.webhook"}
WEBHOOK_EVENT = "MedGrid Webhook Event"
SINQ_STATUSES = ("synced", "pending", "shipped", "completed")


def log(*args) -> None:
    print(*args, flush=True)


def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-int(p * len(ordered)) // 100))
    return ordered[min(rank, len(ordered)) - 1]


# ---------------------------------------------------------------------------------- the site

def prepare_site(sites_path: str, fresh: bool) -> list[str]:
    """Create (or reuse) the bench site; returns the names of the orders the webhooks refer to."""
    os.makedirs(sites_path, exist_ok=True)
    os.environ["MEDGRID_SITES_PATH"] = sites_path
    common_config = os.path.join(sites_path, "common_site_config.json")
    with open(common_config, "w", encoding="utf-8") as f:
        # bench_id: this bench's own RQ queue names, whatever folder the sites live in
        json.dump({"redis_cache": REDIS_URL, "redis_queue": REDIS_URL, "bench_id": "medgrid-webhook-bench"}, f,
                  indent=1)
    state_file = os.path.join(sites_path, SITE, "bench_state.json")

    import frappe

    if fresh or not os.path.exists(state_file):
        from frappe.installer import new_site

        t0 = time.perf_counter()
        new_site(SITE, sites_path=sites_path, db_type="mariadb", db_name=DB_NAME, admin_password="admin",
                 install_apps=["erpnext", "medgrid"], force=True)
        log(f"site {SITE} (mariadb) created in {time.perf_counter() - t0:.1f} s")
        frappe.init(SITE, sites_path=sites_path, force=True)
        frappe.connect()
        frappe.set_user("Administrator")
        orders = _make_orders()
        frappe.destroy()
        with open(state_file, "w", encoding="utf-8") as f:
            json.dump({"orders": orders}, f)
    with open(state_file, encoding="utf-8") as f:
        orders = json.load(f)["orders"]
    frappe.init(SITE, sites_path=sites_path, force=True)
    frappe.connect()
    frappe.set_user("Administrator")
    try:
        secrets = (("SINQ Settings", {"sinq_webhook_key": SINQ_KEY, "sinq_webhook_secret": SINQ_SECRET}),
                   ("PerfectRx Settings", {"client_secret": PRX_SECRET, "webhook_tolerance_seconds": 300}))
        for doctype, values in secrets:
            doc = frappe.get_single(doctype)
            doc.update(values)
            doc.save(ignore_permissions=True)
        frappe.db.commit()
    finally:
        frappe.destroy()
    return orders


def _make_orders() -> list[str]:
    import frappe
    from frappe.utils import add_days, nowdate

    from medgrid.setup.demo import make_demo_data

    make_demo_data()
    frappe.flags.medgrid_skip_dispatch = True  # the benchmark must not call real vendors
    names = []
    for _ in range(ORDERS):
        order = frappe.get_doc({
            "doctype": "Sales Order", "customer": "Demo Clinic Partner", "company": "Skydell",
            "delivery_date": add_days(nowdate(), 7), "shipping_address_name": "Demo Clinic Partner-Shipping",
            "items": [{"item_code": "ITEM-003", "qty": 1, "warehouse": "Skydell Main - SM"}],
        }).insert()
        order.submit()
        names.append(order.name)
    frappe.db.commit()
    return names


def count_stored(sites_path: str, vendor: str, identities: list[str]) -> tuple[int, dict]:
    """Rows stored for ``identities`` and their statuses (dedupe key = sha256("<vendor>:<identity>"))."""
    import frappe

    frappe.init(SITE, sites_path=sites_path, force=True)
    frappe.connect()
    try:
        keys = [hashlib.sha256(f"{vendor}:{i}".encode()).hexdigest() for i in identities]
        found, statuses = 0, {}
        for start in range(0, len(keys), 500):
            rows = frappe.get_all(WEBHOOK_EVENT, filters={"dedupe_key": ["in", keys[start:start + 500]]},
                                  fields=["status"])
            found += len(rows)
            for row in rows:
                statuses[row.status] = statuses.get(row.status, 0) + 1
        return found, statuses
    finally:
        frappe.destroy()


# ---------------------------------------------------------------------------------- gunicorn

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# PROTOTYPE gunicorn config (--prototype-no-db-tls): executed in the master before the app is preloaded
NO_DB_TLS_CONFIG = """
# PROTOTYPE, benchmarks only: PyMySQL connections default to ssl_disabled=True (see webhook_throughput.py)
import pymysql.connections

_init = pymysql.connections.Connection.__init__


def _init_without_tls(self, *args, **kwargs):
    if not any(kwargs.get(k) for k in ("ssl", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert",
                                       "ssl_verify_identity")):
        kwargs.setdefault("ssl_disabled", True)
    _init(self, *args, **kwargs)


pymysql.connections.Connection.__init__ = _init_without_tls
"""


def start_gunicorn(sites_path: str, port: int, workers: int, no_db_tls: bool = False) -> subprocess.Popen:
    error_log = os.path.join(sites_path, "gunicorn-webhooks-error.log")
    cmd = [GUNICORN, "-b", f"127.0.0.1:{port}", "-w", str(workers), "--preload", "-t", "120",
           "--max-requests", "5000", "--max-requests-jitter", "500", "--error-logfile", error_log]
    if no_db_tls:
        config = os.path.join(sites_path, "prototype_no_db_tls.gunicorn.py")
        with open(config, "w", encoding="utf-8") as f:
            f.write(NO_DB_TLS_CONFIG)
        cmd += ["-c", config]
    cmd.append("frappe.app:application")
    env = dict(os.environ, MEDGRID_SITES_PATH=sites_path, MEDGRID_DEFAULT_SITE=SITE)
    proc = subprocess.Popen(cmd, cwd=sites_path, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {error_log}")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/method/ping", headers={"Host": SITE})
            with urllib.request.urlopen(request, timeout=5) as reply:
                reply.read()
            time.sleep(1.0)  # the second worker boots too
            return proc
        except Exception:
            time.sleep(0.2)
    stop_gunicorn(proc)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {error_log}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """Stop the gunicorn we started (its own process group, by its pid)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------------------------- load

def build_request(vendor: str, orders: list[str], index: int) -> tuple[str, bytes, dict]:
    """(identity, raw body, headers) of one validly signed delivery; signed at send time."""
    order = orders[index % len(orders)]
    if vendor == "sinq":
        identity = str(uuid.uuid4())
        body = json.dumps({"id": identity, "reference": order, "status": SINQ_STATUSES[index % len(SINQ_STATUSES)],
                           "tracking": {"trackingNumber": f"1Z{index:016d}", "shipBy": "UPS"}}).encode()
        signature = "sha256=" + hmac.new(SINQ_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return identity, body, {"key": SINQ_KEY, "X-Webhook-Signature": signature}
    identity = str(uuid.uuid4())
    body = json.dumps({"event": "ORDER_SHIPPED", "externalOrderId": order, "referenceId": f"PRX-{order}",
                       "data": {"trackingNumber": f"1Z{index:016d}", "carrier": "UPS"}}).encode()
    timestamp = str(int(time.time()))
    message = identity + timestamp + hashlib.sha256(body).hexdigest()
    return identity, body, {"X-PerfectRx-Nonce": identity, "X-PerfectRx-Timestamp": timestamp,
                            "X-PerfectRx-Signature": hmac.new(PRX_SECRET.encode(), message.encode(),
                                                              hashlib.sha256).hexdigest()}


def loadgen(args) -> None:
    """The load process: open-loop sends at a fixed rate; writes one JSON result file."""
    with open(args.orders_file, encoding="utf-8") as f:
        orders = json.load(f)
    path = PATHS[args.vendor]
    total_warmup = int(args.rate * args.warmup)
    total = total_warmup + int(args.rate * args.duration)
    interval = 1.0 / args.rate
    counter = iter(range(total))
    lock = threading.Lock()
    results = []  # (index, identity, status, latency_from_schedule, latency_from_send, send_lag)
    start = time.perf_counter() + 0.5

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        local = []
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            scheduled = start + index * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            identity, body, headers = build_request(args.vendor, orders, index)
            headers.update({"Host": SITE, "Content-Type": "application/json", "Accept": "application/json"})
            sent = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                reply = connection.getresponse()
                reply.read()
                status = reply.status
                if reply.getheader("Connection", "").lower() == "close":
                    connection.close()  # gunicorn's sync workers close after every response
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
            done = time.perf_counter()
            local.append((index, identity, status, done - scheduled, done - sent, max(0.0, sent - scheduled)))
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.warmup + args.duration + 120)
    measured = [r for r in results if r[0] >= total_warmup]
    first = start + total_warmup * interval
    finished = max((start + r[0] * interval + r[3] for r in measured), default=first)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"sent": len(results), "measured": measured, "ok_identities": [r[1] for r in results if r[2] == 200],
                   "errors": [r[2] for r in results if r[2] != 200], "window": finished - first}, f)


# ---------------------------------------------------------------------------------- main

def in_process(sites_path: str, vendor: str, orders: list[str], n: int) -> dict:
    """CPU time and SQL statements per verified-and-stored webhook in this process (no gunicorn, no
    load generator): the yardstick that holds on a busy machine. The apply jobs stay queued."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _bench
    from werkzeug.test import Client

    import frappe.app

    os.environ["MEDGRID_SITES_PATH"] = sites_path
    os.environ["MEDGRID_DEFAULT_SITE"] = SITE
    client = Client(frappe.app.application)

    def send(index):
        _identity, body, headers = build_request(vendor, orders, index)
        reply = client.post(PATHS[vendor], data=body, headers={"Host": SITE, "Content-Type": "application/json",
                                                                 **headers})
        assert reply.status_code == 200, reply.get_data()[:300]

    with _bench.statement_log() as statements_sent:
        for i in range(20):  # warm-up
            send(i)
        with statements_sent.counting():
            cpu0 = time.process_time()
            for i in range(n):
                send(1000 + i)
            cpu = (time.process_time() - cpu0) / n * 1000
    statements = len(statements_sent.statements) / n
    log(f"in-process {vendor} webhook: {cpu:.2f} ms CPU and {statements:g} SQL statements per verified and "
        f"stored delivery ({n} deliveries, load avg {os.getloadavg()[0]:.2f})")
    return {"cpu_ms": round(cpu, 2), "statements": statements}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendor", choices=sorted(PATHS), default="sinq")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds sent first and left out of the figures")
    parser.add_argument("--connections", type=int, default=64, help="sender threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--sites-path", default=os.path.join(tempfile.gettempdir(), "medgrid-webhook-bench"))
    parser.add_argument("--fresh", action="store_true", help="recreate the site")
    parser.add_argument("--prototype-no-db-tls", action="store_true",
                        help="PROTOTYPE: PyMySQL connections without the per-connect SSL context")
    parser.add_argument("--in-process", type=int, default=300, metavar="N",
                        help="first, CPU and SQL statements per webhook over N in-process deliveries (0: skip)")
    parser.add_argument("--in-process-only", action="store_true", help="only the in-process figures")
    parser.add_argument("--json", help="also write the figures to this file (benchmarks/issue17.py reads it)")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--orders-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen(args)
        return 0

    sites_path = os.path.abspath(args.sites_path)
    orders = prepare_site(sites_path, args.fresh)
    figures = {"vendor": args.vendor, "rate": args.rate, "duration": args.duration}
    if args.in_process:
        figures["in_process"] = in_process(sites_path, args.vendor, orders, args.in_process)
    if args.in_process_only:
        write_json(args.json, figures)
        return 0
    port = free_port()
    log(f"gunicorn -w {args.workers} --preload frappe.app:application on 127.0.0.1:{port} (site {SITE}, MariaDB)"
        + (" — PROTOTYPE: PyMySQL without per-connect SSL context" if args.prototype_no_db_tls else ""))
    proc = start_gunicorn(sites_path, port, args.workers, args.prototype_no_db_tls)
    work = tempfile.mkdtemp(prefix="medgrid-webhook-load-")
    orders_file, out = os.path.join(work, "orders.json"), os.path.join(work, "result.json")
    with open(orders_file, "w", encoding="utf-8") as f:
        json.dump(orders, f)
    try:
        log(f"load: {args.vendor} webhooks, {args.rate:g}/s open loop, {args.warmup:g} s warm-up + "
            f"{args.duration:g} s measured, {args.connections} sender threads (separate process)")
        subprocess.run([PYTHON, os.path.abspath(__file__), "--loadgen", "--vendor", args.vendor, "--rate",
                        str(args.rate), "--duration", str(args.duration), "--warmup", str(args.warmup),
                        "--connections", str(args.connections), "--port", str(port), "--orders-file", orders_file,
                        "--out", out], check=True)
    finally:
        stop_gunicorn(proc)
    with open(out, encoding="utf-8") as f:
        result = json.load(f)

    measured = result["measured"]
    ok = [r for r in measured if r[2] == 200]
    scheduled_latency = [r[3] for r in ok]
    service_latency = [r[4] for r in ok]
    lag = [r[5] for r in measured]
    stored, statuses = count_stored(sites_path, args.vendor, result["ok_identities"])
    lost = len(result["ok_identities"]) - stored
    log("")
    log(f"sent {result['sent']} (measured {len(measured)}), answered 200: {len(result['ok_identities'])}, "
        f"errors: {len(result['errors'])} {sorted(set(result['errors']))[:5]}")
    log(f"throughput: {len(ok) / result['window']:.1f} req/s answered 200 over {result['window']:.1f} s "
        f"(offered {args.rate:g}/s)")
    log("latency from scheduled send (ms): p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}".format(
        *(1000 * percentile(scheduled_latency, p) for p in (50, 90, 99, 100))))
    log("latency from actual send (ms):    p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}".format(
        *(1000 * percentile(service_latency, p) for p in (50, 90, 99, 100))))
    log(f"sender lag p99: {1000 * percentile(lag, 99):.1f} ms (how late the load generator sent)")
    log(f"stored MedGrid Webhook Event rows for the 200s: {stored} — lost: {lost} — statuses {statuses}")
    figures.update(sent=result["sent"], answered_200=len(result["ok_identities"]), errors=len(result["errors"]),
                   stored=stored, lost=lost, load_average=os.getloadavg()[0],
                   **{f"p{p}_ms": 1000 * percentile(scheduled_latency, p) for p in (50, 90, 99, 100)})
    write_json(args.json, figures)
    return 1 if lost else 0


def write_json(path: str | None, figures: dict) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())

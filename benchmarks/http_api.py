"""HTTP API throughput/latency of the MedGrid runtime against real Frappe 15 (issue 3 item 10).

What it does, bounded and on loopback only:

1. creates (or, with a matching ``bench_state.json``, reuses) a benchmark site with frappe+erpnext on
   MariaDB (default), SQLite or PostgreSQL (``--db-type sqlite|postgres``), an API user with System Manager and 7 more roles
   and keys from ``frappe.core.doctype.user.user.generate_keys``, and ~100 Items;
2. for every endpoint × concurrency: starts ``gunicorn frappe.app:application`` with bench's production
   flags (2 sync workers, ``--preload``, ``--max-requests 5000``…) and the runtime's settings
   (``-c python:medgrid_runtime.gunicorn_conf``, as ``setup production`` writes it; env
   ``MEDGRID_SITES_PATH`` and ``MEDGRID_DEFAULT_SITE``) as a subprocess, runs a discarded 3 s warm-up and a measured run from a
   separate load-generator process (``wrk -t1 -c<C> -d<D>s --latency``, the method of
   ``recordings/perf.md``; a Python thread-pool generator when wrk is missing), then stops gunicorn;
   the endpoints are (i) token-authenticated ``GET /api/method/frappe.auth.get_logged_user`` and
   (ii) ``GET /api/resource/Item?limit_page_length=20``;
3. prints req/s, p50, p99 beside the real-Frappe figures of ``recordings/perf.md`` and the ratios;
4. ``--profile N``: N in-process requests of each endpoint under cProfile (one process, no gunicorn),
   printing the hot spots (file:function) by own time and by cumulative time.

    .venv/bin/python benchmarks/http_api.py                      # MariaDB, c=4 and c=1, 20 s runs
    .venv/bin/python benchmarks/http_api.py --db-type sqlite
    .venv/bin/python benchmarks/http_api.py --db-type postgres --connections 4
    .venv/bin/python benchmarks/http_api.py --duration 5 --connections 4 --profile 500
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _bench  # noqa: E402
from _bench import log  # noqa: E402

API_USER = "api-bench@example.com"
API_ROLES = ["System Manager", "Stock Manager", "Stock User", "Sales Manager", "Sales User", "Item Manager",
             "Accounts User", "Purchase User"]  # System Manager + 7 more, like the baseline's token user
N_ITEMS = 100
STATE_VERSION = 1

ENDPOINTS = {
    "get_logged_user": ("(i)", "/api/method/frappe.auth.get_logged_user"),
    "item_list": ("(ii)", "/api/resource/Item?limit_page_length=20"),
}

# recordings/perf.md, used when the file cannot be read: (endpoint, connections) → figures
FALLBACK_BASELINE = {
    ("get_logged_user", 4): {"rps": 218.6, "p50_ms": 17.24, "p99_ms": 31.13},
    ("item_list", 4): {"rps": 140.8, "p50_ms": 25.85, "p99_ms": 49.55},
    ("get_logged_user", 1): {"rps": 107.9, "p50_ms": 8.45, "p99_ms": 13.74},
    ("item_list", 1): {"rps": 67.8, "p50_ms": 15.31, "p99_ms": 20.97},
}


def read_baseline() -> tuple[dict, str]:
    """The results table of recordings/perf.md: {(endpoint, connections): {rps, p50_ms, p99_ms}}."""
    path = os.path.join(_bench.RECORDINGS, "perf.md")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return dict(FALLBACK_BASELINE), "built-in copy of perf.md"
    out = {}
    for line in text.splitlines():
        cells = [c.strip().replace("*", "") for c in line.strip().strip("|").split("|")]
        if len(cells) != 9 or not cells[1].isdigit():
            continue
        name = "get_logged_user" if "get_logged_user" in cells[0] else "item_list" if "Item" in cells[0] else None
        if not name:
            continue

        def num(cell):
            return float(re.sub(r"[^\d.]", "", cell))

        out[(name, int(cells[1]))] = {"rps": num(cells[3]), "p50_ms": num(cells[4]), "p99_ms": num(cells[7])}
    return (out or dict(FALLBACK_BASELINE)), path


# ------------------------------------------------------------------ site

def ensure_site(sites_path: str, site: str, db_type: str, rebuild: bool) -> dict:
    import frappe

    state = None if rebuild else _bench.read_state(sites_path, site)
    if state and state.get("version") == STATE_VERSION and state.get("db_type") == db_type:
        log(f"  reusing site {site} ({db_type}) from {sites_path}")
        return state
    _bench.create_site(sites_path, site, db_type, apps=("erpnext",))
    _bench.open_site(sites_path, site)
    try:
        t0 = time.perf_counter()
        creds = _bench.make_api_user(API_USER, API_ROLES)
        for i in range(1, N_ITEMS + 1):
            code = f"HTTP-BENCH-{i:03d}"
            if not frappe.db.exists("Item", code):
                frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": f"Bench Item {i:03d}",
                                "description": f"Benchmark item number {i}", "item_group": "Products",
                                "stock_uom": "Nos", "is_stock_item": 1}).insert(ignore_permissions=True)
        frappe.db.commit()
        n = frappe.db.count("Item")
        log(f"  API user + {n} Items in {time.perf_counter() - t0:.1f} s")
    finally:
        _bench.close_site()
    state = {"version": STATE_VERSION, "db_type": db_type, **creds}
    _bench.write_state(sites_path, site, state)
    return state


# ------------------------------------------------------------------ measurement

def check_endpoint(base_url: str, headers: dict, name: str, path: str, user: str) -> str:
    status, body = _bench.http_get(base_url + path, headers)
    if status != 200:
        raise SystemExit(f"{name}: HTTP {status}: {body[:500]!r}")
    data = json.loads(body)
    if name == "get_logged_user" and data.get("message") != user:
        raise SystemExit(f"{name}: unexpected body {data}")
    if name == "item_list" and len(data.get("data") or []) != 20:
        raise SystemExit(f"{name}: expected 20 rows, got {data}")
    return f"200, {len(body)} B"


def measure(args, sites_path, site, state) -> list[dict]:
    headers = {"Host": f"{site}:8000", "Authorization": f"token {state['api_key']}:{state['api_secret']}"}
    results = []
    for connections in args.connections:
        for name in args.endpoints:
            label, path = ENDPOINTS[name]
            server = _bench.Gunicorn(sites_path, site, max_requests=args.max_requests, tag="http", app=args.app)
            server.start()  # restarted before each run, like the baseline
            try:
                body = check_endpoint(server.base_url, headers, name, path, API_USER)
                res = _bench.run_load(server.base_url + path, headers, connections, args.duration,
                                      warmup=args.warmup, tool=args.loadgen)
                res["worker_boots"] = server.worker_boots()
            finally:
                server.stop()
            res.update(endpoint=name, label=label, body=body)
            results.append(res)
            load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
            log(f"  {label} {name:16s} c={connections}: {res['requests']} req, {res['rps']:.1f} req/s, "
                f"p50 {res['p50_ms']:.2f} ms, p99 {res['p99_ms']:.2f} ms, max {res['max_ms']:.2f} ms "
                f"[{res['tool']}; non-2xx {res['non_2xx']}; {res['socket_errors'] or 'no socket errors'}; "
                f"worker boots {res['worker_boots']}; body {body}; load avg after {load}]")
    return results


def report(results, baseline, baseline_src, db_type) -> None:
    log("")
    log(f"Results ({db_type}) beside real Frappe 15.101.1 + ERPNext 15.99.1 ({baseline_src})")
    log("| endpoint | c | MedGrid req/s | Frappe req/s | ratio | MedGrid p50 | Frappe p50 | MedGrid p99 | "
        "Frappe p99 | p99 ratio (Frappe/MedGrid) |")
    log("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        b = baseline.get((r["endpoint"], r["connections"]))
        if b:
            log(f"| {r['label']} {r['endpoint']} | {r['connections']} | {r['rps']:.1f} | {b['rps']:.1f} | "
                f"**{r['rps'] / b['rps']:.2f}×** | {r['p50_ms']:.2f} ms | {b['p50_ms']:.2f} ms | "
                f"{r['p99_ms']:.2f} ms | {b['p99_ms']:.2f} ms | {b['p99_ms'] / r['p99_ms']:.2f}× |")
        else:
            log(f"| {r['label']} {r['endpoint']} | {r['connections']} | {r['rps']:.1f} | – | – | "
                f"{r['p50_ms']:.2f} ms | – | {r['p99_ms']:.2f} ms | – | – |")
    log("")
    for r in results:
        b = baseline.get((r["endpoint"], r["connections"]))
        if b:
            ok = r["rps"] >= 2 * b["rps"]
            log(f"goal ≥ 2× real Frappe req/s — {r['endpoint']} c={r['connections']}: "
                f"{r['rps'] / b['rps']:.2f}× ({'met' if ok else 'NOT met'})")


# ------------------------------------------------------------------ in-process yardstick

def in_process(sites_path: str, site: str, state: dict, n: int) -> list[dict]:
    """CPU time and SQL statements per request, in this process (no HTTP server, no load generator):
    the yardstick that stays put when other jobs load the machine. Issue 17's real-Frappe figures on
    the same machine: 6.45 / 9.3 ms CPU and 5 / 6 statements."""
    from werkzeug.test import Client

    import frappe.app

    os.environ["MEDGRID_SITES_PATH"] = sites_path
    os.environ["MEDGRID_DEFAULT_SITE"] = site
    client = Client(frappe.app.application)
    headers = {"Host": f"{site}:8000", "Authorization": f"token {state['api_key']}:{state['api_secret']}"}
    frappe_figures = {"get_logged_user": (6.45, 5), "item_list": (9.3, 6)}
    out = []
    with _bench.statement_log() as statements_sent:
        for name in ENDPOINTS:
            _label, path = ENDPOINTS[name]
            for _ in range(20):  # warm the caches
                resp = client.get(path, headers=headers)
                assert resp.status_code == 200, resp.get_data()[:300]
            with statements_sent.counting():
                cpu0 = time.process_time()
                for _ in range(n):
                    client.get(path, headers=headers).get_data()
                cpu = (time.process_time() - cpu0) / n * 1000
            statements = len(statements_sent.statements) / n
            frappe_cpu, frappe_statements = frappe_figures[name]
            out.append({"endpoint": name, "cpu_ms": round(cpu, 2), "statements": statements})
            log(f"  in-process {name:16s}: {cpu:.2f} ms CPU per request (real Frappe {frappe_cpu} ms, "
                f"{frappe_cpu / cpu:.2f}×), {statements:g} SQL statements (real Frappe {frappe_statements}) "
                f"— {n} requests, load avg {os.getloadavg()[0]:.2f}")
    return out


# ------------------------------------------------------------------ profiling

def profile(sites_path: str, site: str, state: dict, n: int, top: int) -> None:
    """N requests per endpoint through frappe.app.application in this process, under cProfile."""
    import cProfile
    import io
    import pstats

    from werkzeug.test import Client

    import frappe.app

    os.environ["MEDGRID_SITES_PATH"] = sites_path
    os.environ["MEDGRID_DEFAULT_SITE"] = site
    client = Client(frappe.app.application)
    headers = {"Host": f"{site}:8000", "Authorization": f"token {state['api_key']}:{state['api_secret']}"}
    for name in ENDPOINTS:
        _label, path = ENDPOINTS[name]
        for _ in range(20):  # warm caches, not profiled
            resp = client.get(path, headers=headers)
            assert resp.status_code == 200, resp.get_data()[:300]
        t0 = time.perf_counter()
        for _ in range(n):
            client.get(path, headers=headers).get_data()
        plain = (time.perf_counter() - t0) / n
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            client.get(path, headers=headers).get_data()
        prof.disable()
        log("")
        log(f"== profile {name}: {n} in-process requests, {plain * 1000:.2f} ms/request without the profiler "
            f"(≈ {1 / plain:.0f} req/s on one core, no HTTP server)")
        for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf)
            stats.sort_stats(key).print_stats(top)
            text = buf.getvalue()
            log(f"-- top {top} by {title} (per-call figures are over {n} requests)")
            keep = False
            for line in text.splitlines():
                if line.strip().startswith("ncalls"):
                    keep = True
                if keep and line.strip():
                    log("   " + line.replace(_bench.ROOT + "/", "").replace(sys.prefix + "/", "<venv>/"))


# ------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-type", choices=["mariadb", "sqlite", "postgres"], default="mariadb")
    ap.add_argument("--sites-path", default=_bench.DEFAULT_SITES_PATH)
    ap.add_argument("--site", help="site name (default bench-http-<db>.localhost)")
    ap.add_argument("--rebuild", action="store_true", help="recreate the site even if it can be reused")
    ap.add_argument("--duration", type=int, default=20, help="seconds per measured run (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of discarded warm-up per run (default 3)")
    ap.add_argument("--connections", default="4,1", help="comma-separated concurrencies (default 4,1)")
    ap.add_argument("--endpoints", default=",".join(ENDPOINTS), help="comma-separated: " + ",".join(ENDPOINTS))
    ap.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--max-requests", type=int, default=5000, help="gunicorn --max-requests (baseline: 5000)")
    ap.add_argument("--no-redis", action="store_true", help="no redis_cache: per-process memory cache")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also profile N in-process requests per endpoint with cProfile")
    ap.add_argument("--profile-only", action="store_true", help="skip the HTTP runs")
    ap.add_argument("--top", type=int, default=30, help="rows per profile listing")
    ap.add_argument("--in-process", type=int, default=500, metavar="N",
                    help="CPU and SQL statements per request over N in-process requests (0: skip)")
    ap.add_argument("--in-process-only", action="store_true", help="only the in-process figures")
    ap.add_argument("--json", help="also write the figures to this file (benchmarks/issue17.py reads it)")
    args = ap.parse_args()
    args.connections = [int(c) for c in args.connections.split(",") if c]
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    args.app = "frappe.app:application"
    site = args.site or f"bench-http-{args.db_type}.localhost"
    sites_path = os.path.abspath(args.sites_path)

    log(f"MedGrid HTTP API benchmark — {_bench.machine_summary()}")
    log(f"  load generator: {'wrk' if args.loadgen != 'python' and _bench.have_wrk() else 'python'}; "
        f"cache: {'memory' if args.no_redis else 'redis ' + _bench.REDIS_URL}; sites: {sites_path}")
    log(f"  CPU calibration (2M-iteration Python loop, best of 3): {_bench.cpu_calibration():.3f} s")
    _bench.prepare_sites_path(sites_path, redis=not args.no_redis)
    state = ensure_site(sites_path, site, args.db_type, args.rebuild)
    baseline, baseline_src = read_baseline()

    figures = {"db_type": args.db_type, "machine": _bench.machine_summary(), "in_process": [], "http": []}
    if args.in_process:
        figures["in_process"] = in_process(sites_path, site, state, args.in_process)
    if not args.in_process_only and not args.profile_only:
        log(f"  gunicorn: {' '.join(_bench.Gunicorn(sites_path, site, app=args.app, tag='http').command()[1:])}")
        figures["http"] = measure(args, sites_path, site, state)
        report(figures["http"], baseline, baseline_src, args.db_type)
    if args.profile and not args.in_process_only:
        profile(sites_path, site, state, args.profile, args.top)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1, default=str)


if __name__ == "__main__":
    main()

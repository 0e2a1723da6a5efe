"""Issue 17's table, every row measured on this machine, beside the figures the issue quotes.

Runs, one after another (nothing else should run on the machine meanwhile; ~15 min at 100k items):

1. ``http_api.py`` on MariaDB: in-process CPU and SQL statements per request, then gunicorn -w 2 --preload and
   ``wrk -t1 -c4`` on ``frappe.auth.get_logged_user`` and ``/api/resource/Item?limit_page_length=20``
   (``--rounds`` times, as the issue's two rounds);
2. ``catalog.py --http`` on MariaDB (and ``--catalog-db-types``): the 100k-item rows, in-process and over HTTP;
3. ``webhook_throughput.py``: signed SINQ webhooks at 200/s for 20 s, open loop;
4. ``order_flow.py --burst 0``: 20 five-vendor orders 1 s apart (submit latency, all five vendors reached).

Each script writes its figures as JSON (``--json``); this one prints the table. The "real Frappe" and
"runtime before" columns are the issue's: measured by an independent run on another 2-vCPU machine (real
Frappe 15.101 / ERPNext 15.99 with MedGrid, MariaDB, gunicorn -w 2 --preload, wrk -t1 -c4 -d15s), not here:
real Frappe cannot run beside the runtime on this machine (it is not installable from the package
registries), so ratios against it compare machines. The in-process CPU and statement counts are the
yardstick that travels between machines.

    .venv/bin/python benchmarks/issue17.py                      # everything, 100k items
    .venv/bin/python benchmarks/issue17.py --items 1000000      # the catalog rows on the million-item sites
    .venv/bin/python benchmarks/issue17.py --only catalog,webhooks
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _bench  # noqa: E402
from _bench import log  # noqa: E402

PYTHON = sys.executable
PARTS = ("http", "catalog", "webhooks", "orders")

# The issue's table: (row, real Frappe, runtime before, goal)
ISSUE = {
    "get_logged_user req/s": ("288 / 300", "499 / 425", "≥ 2× Frappe"),
    "Item list req/s": ("208 / 196", "361 / 344", "≥ 2× Frappe"),
    "CPU per request (get_logged_user / Item list)": ("6.45 / 9.3 ms", "3.2 / 4.7 ms", "—"),
    "SQL statements per request (same two)": ("5 / 6", "6 / 11", "≤ Frappe's"),
    "search 'zzqx' (no match) p99, in-process": ("245–447 ms", "438–527 ms", "≤ 15 ms"),
    "items_in_warehouse at row 20,000 p99": ("943 ms", "987 ms", "≤ 20 ms"),
    "items_in_warehouse unpaged (46,497 rows)": ("3.3 s", "3.2 s", "≤ 0.5 s"),
    "HTTP c=4 page / 'BPC' / 'BPC'+warehouse p99": ("43 / 60 / 82 ms", "25 / 38 / 50 ms", "≤ 10 / 15 / 15 ms"),
    "SINQ webhooks 200/s 20 s: p50 / p99, lost": ("—", "11.8 / 139 ms, 0 lost", "p99 < 25 ms, 0 lost"),
    "20 five-vendor orders: submit PUT p50 / p99": ("263 / 378 ms", "94 / 155 ms", "p50 < 50 ms"),
    "… all five vendors have it after the answer p50 / p99": ("0.94 / 1.16 s", "0.83 / 1.68 s", "p99 < 1 s"),
}


def run(args: list[str], json_path: str) -> dict | None:
    log("$ " + " ".join(os.path.relpath(a, os.getcwd()) if a.startswith(HERE) else a for a in args))
    status = subprocess.run([PYTHON, *args, "--json", json_path]).returncode
    if not os.path.exists(json_path):
        log(f"  (exit {status}: no figures)")
        return None
    with open(json_path, encoding="utf-8") as f:
        return json.load(f)


def fmt(value, unit: str = "ms", digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}" + (f" {unit}" if unit else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ",".join(PARTS))
    ap.add_argument("--items", type=int, default=100_000, help="catalog size (sites are reused)")
    ap.add_argument("--catalog-db-types", default="mariadb", help="engines of the catalog rows (mariadb,sqlite)")
    ap.add_argument("--rounds", type=int, default=2, help="HTTP throughput rounds (the issue ran 2)")
    ap.add_argument("--duration", type=int, default=15, help="seconds per wrk run (the issue's -d15s)")
    ap.add_argument("--json", help="write all figures to this file")
    args = ap.parse_args()
    parts = [p for p in args.only.split(",") if p]
    work = tempfile.mkdtemp(prefix="medgrid-issue17-")
    load_before = os.getloadavg()
    log(f"Issue 17 on this machine — {_bench.machine_summary()}; load average {load_before[0]:.2f}")
    log(f"  CPU calibration (2M-iteration Python loop, best of 3): {_bench.cpu_calibration():.3f} s")
    figures: dict = {}

    if "http" in parts:
        rounds = []
        for n in range(args.rounds):
            rounds.append(run([os.path.join(HERE, "http_api.py"), "--db-type", "mariadb", "--connections", "4",
                               "--duration", str(args.duration), "--in-process", "300" if n == 0 else "0"],
                              os.path.join(work, f"http{n}.json")))
        figures["http"] = rounds
    if "catalog" in parts:
        figures["catalog"] = run([os.path.join(HERE, "catalog.py"), "--db-types", args.catalog_db_types, "--items",
                                  str(args.items), "--iterations", "100", "--http"], os.path.join(work, "catalog.json"))
    if "webhooks" in parts:
        figures["webhooks"] = run([os.path.join(HERE, "webhook_throughput.py"), "--rate", "200", "--duration", "20",
                                   "--in-process", "300"], os.path.join(work, "webhooks.json"))
    if "orders" in parts:
        figures["orders"] = run([os.path.join(HERE, "order_flow.py"), "--burst", "0", "--orders", "20", "--db",
                                 "mariadb"], os.path.join(work, "orders.json"))
    figures["load_average"] = {"before": load_before[0], "after": os.getloadavg()[0]}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)
    report(figures, args.items)
    return 0


def now_column(figures: dict, items: int) -> dict:
    """Each row of ISSUE as measured here."""
    out = {}
    rounds = [r for r in figures.get("http") or [] if r]
    if rounds:
        by = [{h["endpoint"]: h for h in r["http"]} for r in rounds]
        for key, endpoint in (("get_logged_user req/s", "get_logged_user"), ("Item list req/s", "item_list")):
            out[key] = " / ".join(f"{b[endpoint]['rps']:.0f} (p50 {b[endpoint]['p50_ms']:.1f}, p99 "
                                  f"{b[endpoint]['p99_ms']:.1f} ms)" for b in by if endpoint in b)
        ip = {x["endpoint"]: x for x in rounds[0].get("in_process") or []}
        if ip:
            out["CPU per request (get_logged_user / Item list)"] = (
                f"{ip['get_logged_user']['cpu_ms']:.2f} / {ip['item_list']['cpu_ms']:.2f} ms")
            out["SQL statements per request (same two)"] = (
                f"{ip['get_logged_user']['statements']:g} / {ip['item_list']['statements']:g}")
    catalog = figures.get("catalog")
    if catalog:
        for engine in catalog["engines"]:
            tag = f"{engine['db_type']} {engine['n_items']:,}: "
            calls = {c["row"]: c for c in engine.get("calls", []) if c["row"]}
            http = {h["row"]: h for h in engine.get("http", []) if h["row"]}
            for key, row in (("search 'zzqx' (no match) p99, in-process", "search no match"),
                             ("items_in_warehouse at row 20,000 p99", "offset 20,000"),
                             ("items_in_warehouse unpaged (46,497 rows)", "unpaged")):
                if row in calls:
                    c = calls[row]
                    text = f"{tag}p50 {fmt(c['p50'], '')} / p99 {fmt(c['p99'])}" + (
                        f" ({c['rows']:,} rows)" if row == "unpaged" else "")
                    out[key] = (out[key] + "; " if key in out else "") + text
            if all(r in http for r in ("page", "BPC", "BPC+warehouse")):
                text = tag + " / ".join(f"{http[r]['p99_ms']:.1f}" for r in ("page", "BPC", "BPC+warehouse")) + \
                    " ms (p50 " + " / ".join(f"{http[r]['p50_ms']:.1f}" for r in ("page", "BPC", "BPC+warehouse")) + ")"
                key = "HTTP c=4 page / 'BPC' / 'BPC'+warehouse p99"
                out[key] = (out[key] + "; " if key in out else "") + text
    hooks = figures.get("webhooks")
    if hooks and "p99_ms" in hooks:
        out["SINQ webhooks 200/s 20 s: p50 / p99, lost"] = (
            f"{hooks['p50_ms']:.1f} / {hooks['p99_ms']:.1f} ms, {hooks['lost']} lost of {hooks['answered_200']}")
    orders = (figures.get("orders") or {}).get("submit_latency")
    if orders:
        sub, fan = orders["submit_put"], orders["all_five_after_submit_answer"]
        out["20 five-vendor orders: submit PUT p50 / p99"] = f"{sub['p50'] * 1000:.1f} / {sub['p99'] * 1000:.1f} ms"
        out["… all five vendors have it after the answer p50 / p99"] = f"{fan['p50']:.2f} / {fan['p99']:.2f} s"
    return out


def report(figures: dict, items: int) -> None:
    now = now_column(figures, items)
    log("")
    log("| measurement | real Frappe (issue, other machine) | runtime before (issue) | goal | this machine now |")
    log("|---|---|---|---|---|")
    for row, (frappe_value, before, goal) in ISSUE.items():
        log(f"| {row} | {frappe_value} | {before} | {goal} | {now.get(row, 'not run')} |")
    load = figures["load_average"]
    log(f"\nload average before / after: {load['before']:.2f} / {load['after']:.2f}")


if __name__ == "__main__":
    sys.exit(main())

"""What a forked background job pays before its own work, with and without the worker preload (issue 17).

RQ forks a work-horse per job. This script forks N children the way the worker does and, in each,
times what a MedGrid dispatch job does before it talks to a vendor: ``frappe.init`` + ``connect``,
importing the dispatch code, ``requests`` and the five connectors, and the Metas of the doctypes a
dispatch reads and writes. It runs twice in fresh processes: once from a parent that only imported
``frappe`` (the worker before issue 17) and once from a parent that ran
``frappe.utils.worker_preload.preload`` (what ``medgrid-runtime worker`` does now).

    .venv/bin/python benchmarks/job_startup.py --sites-path /tmp/medgrid-webhook-bench --site webhook-bench.localhost

Any site with the MedGrid app works (``benchmarks/webhook_throughput.py`` leaves one at the path above).
Prints wall and CPU milliseconds per child; nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DISPATCH_MODULES = ("requests", "medgrid.fulfillment_router.dispatch", "medgrid.connectors.shipstation",
                    "medgrid.connectors.sinq", "medgrid.connectors.perfectrx", "medgrid.connectors.shopify",
                    "medgrid.connectors.centre_research")
DISPATCH_DOCTYPES = ("Sales Order", "Sales Order Item", "Fulfillment Dispatch", "Item", "Customer", "Address",
                     "Contact", "Warehouse", "Vendor Profile", "MedGrid Integration Log")


def child_job(site: str, sites_path: str) -> tuple[float, float]:
    import importlib

    import frappe

    wall, cpu = time.perf_counter(), time.process_time()
    frappe.init(site, sites_path=sites_path, force=True)
    frappe.connect()
    for name in DISPATCH_MODULES:
        importlib.import_module(name)
    for doctype in DISPATCH_DOCTYPES:
        try:
            frappe.get_meta(doctype)
        except Exception:
            pass  # a doctype this site does not have
    frappe.destroy()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def run_parent(mode: str, site: str, sites_path: str, forks: int) -> None:
    """One parent process: optionally preload, then fork ``forks`` children one after another."""
    sys.path.insert(0, os.path.join(ROOT, "runtime"))
    import frappe  # noqa: F401 - the parent has frappe imported in both modes, as the worker does

    if mode == "preload":
        from frappe.utils import worker_preload

        worker_preload.preload(sites_path)
    results = []
    for _ in range(forks):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.write(write_end, json.dumps(child_job(site, sites_path)).encode())
            os._exit(0)
        os.close(write_end)
        data = os.read(read_end, 4096)
        os.close(read_end)
        os.waitpid(pid, 0)
        results.append(json.loads(data))
    print(json.dumps(results))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites-path", default="/tmp/medgrid-webhook-bench")
    ap.add_argument("--site", default="webhook-bench.localhost")
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--parent", choices=["plain", "preload"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    if args.parent:
        run_parent(args.parent, args.site, sites_path, args.forks)
        return
    env = dict(os.environ, MEDGRID_SITES_PATH=sites_path)
    print(f"job start-up in {args.forks} forked children per mode, site {args.site} "
          f"(load average {os.getloadavg()[0]:.2f})")
    for mode in ("plain", "preload"):
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--parent", mode, "--site", args.site,
                               "--sites-path", sites_path, "--forks", str(args.forks)],
                              env=env, capture_output=True, text=True, check=True)
        rows = json.loads(done.stdout.strip().splitlines()[-1])
        walls, cpus = [r[0] for r in rows], [r[1] for r in rows]
        label = "parent imported frappe only" if mode == "plain" else "parent ran worker_preload"
        print(f"  {label:28s}: wall p50 {statistics.median(walls):7.1f} ms (max {max(walls):7.1f}), "
              f"CPU p50 {statistics.median(cpus):6.1f} ms (max {max(cpus):6.1f})")


if __name__ == "__main__":
    main()

"""SQL statements and CPU per Sales Order submit, in-process (issue 17).

Creates N five-vendor drafts (the demo catalog's ITEM-001…005, patient and prescriber for the Rx line)
as Administrator on a site with the MedGrid demo data, then submits each in a fresh site context (``doc.submit()``,
or with ``--rest`` as the REST ``PUT`` does: loaded for update, ``docstatus`` 1, saved) and
counts what the submit sends to the database (``tests/statement_log.py``, as the statement-budget tests
count: statements at the driver, transaction control left out) and the CPU it takes, the dispatch inserts and job enqueues included.
The most frequent statement shapes of the last submit are listed.

    .venv/bin/python benchmarks/submit_statements.py --sites-path /tmp/medgrid-webhook-bench --site webhook-bench.localhost

``benchmarks/webhook_throughput.py`` leaves such a site (MariaDB, Redis queue: the dispatch jobs stay
queued under that bench's own id, no vendor is called). Each run adds N submitted orders to the site.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))

RX_FIELDS = {"patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-12",
             "prescriber_npi": "1234567893", "prescriber_first_name": "Gregory", "prescriber_last_name": "House"}
MAIN_WAREHOUSE = "Skydell Main - SM"


def five_vendor_lines(frappe) -> list[dict]:
    exo = frappe.db.get_value("Warehouse", {"name": ["like", "%Exo%"]}, "name") or MAIN_WAREHOUSE
    return [{"item_code": "ITEM-001", "qty": 2, "rate": 89.00, "warehouse": MAIN_WAREHOUSE},
            {"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN_WAREHOUSE},
            {"item_code": "ITEM-003", "qty": 3, "warehouse": MAIN_WAREHOUSE},
            {"item_code": "ITEM-004", "qty": 1, "warehouse": MAIN_WAREHOUSE},
            {"item_code": "ITEM-005", "qty": 1, "warehouse": exo}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites-path", default="/tmp/medgrid-webhook-bench")
    ap.add_argument("--site", default="webhook-bench.localhost")
    ap.add_argument("--orders", type=int, default=5)
    ap.add_argument("--top", type=int, default=15, help="statement shapes listed")
    ap.add_argument("--rest", action="store_true",
                    help="submit as the REST PUT does (load the order for update, set docstatus 1, save)")
    args = ap.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    os.environ["MEDGRID_SITES_PATH"] = sites_path

    import _bench
    import frappe
    from frappe.utils import add_days, nowdate

    figures = []
    with _bench.statement_log() as statements_sent:
        for _ in range(args.orders):
            frappe.init(args.site, sites_path=sites_path, force=True)
            frappe.connect()
            frappe.set_user("Administrator")
            try:
                draft = frappe.get_doc({"doctype": "Sales Order", "customer": "Demo Clinic Partner",
                                        "company": "Skydell", "delivery_date": add_days(nowdate(), 7),
                                        "shipping_address_name": "Demo Clinic Partner-Shipping",
                                        "items": five_vendor_lines(frappe), **RX_FIELDS}).insert()
                frappe.db.commit()
            finally:
                frappe.destroy()
            frappe.init(args.site, sites_path=sites_path, force=True)
            frappe.connect()
            frappe.set_user("Administrator")
            try:
                with statements_sent.counting():
                    cpu = time.process_time()
                    if args.rest:
                        # what PUT /api/resource/Sales Order/<name> {"docstatus": 1} does
                        doc = frappe.get_doc("Sales Order", draft.name, for_update=True)
                        doc.update({"docstatus": 1})
                        doc.save()
                    else:
                        frappe.get_doc("Sales Order", draft.name).submit()
                    frappe.db.commit()
                    figures.append((len(statements_sent.statements), (time.process_time() - cpu) * 1000))
            finally:
                frappe.destroy()
    # the shapes of the last submit's statements: literals folded
    shapes = collections.Counter(re.sub(r"'[^']*'|\b\d+(\.\d+)?(e[+-]?\d+)?\b", "?", text)[:90]
                                 for text in statements_sent.statements)
    statements = [f[0] for f in figures]
    cpus = [f[1] for f in figures]
    print(f"{args.orders} five-vendor submits on {args.site}: statements per submit {statements} "
          f"(median {statistics.median(statements):g}), CPU median {statistics.median(cpus):.1f} ms "
          f"(load average {os.getloadavg()[0]:.2f})")
    print("most frequent statements of the last submit:")
    for shape, n in shapes.most_common(args.top):
        print(f"  {n:4d}  {shape}")


if __name__ == "__main__":
    main()

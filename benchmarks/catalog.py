"""Catalog endpoints at 100,000 items × 5 warehouses, on MariaDB and SQLite (issue 4 item 8).

1. Builds (or reuses) a site per engine with frappe+erpnext+medgrid, the demo masters
   (``medgrid.setup.demo.make_demo_data``: company Skydell/SM, price list Standard Selling …), 4 more
   leaf warehouses made with ``doc.insert()`` (Skydell Main/East/West/Cold Chain/Returns - SM take the
   catalog), then bulk-loads 100,000 Items with their UOM Conversion Detail and Item Default children,
   ~185,000 Bins and 100,000 Item Prices with multi-row ``INSERT``s through ``frappe.db.sql``. Every row
   starts as a copy of a row the runtime itself wrote for a demo item (all columns of the doctype), the
   method of ``recordings/perf-catalog.md``; names, codes, quantities, prices and dates are overridden
   from a seeded RNG (bins per item 1/2/3 at 40/35/25 %, 80 % of bins in stock, ~1.2 % of items
   called "BPC-…"). ``ANALYZE`` refreshes statistics afterwards; no index is added.
2. Calls ``medgrid.catalog.list_warehouses``, ``items_in_warehouse`` (20-row page) and ``search_items``
   ("BPC", 20-row page, with and without warehouse) in-process as the API user, each call framed like a
   request (fresh per-request caches, transaction ended), and prints p50/p90/p99/max; then the SQL
   alone (the statement the endpoint ran, captured from ``frappe.db.sql``) and its query plan
   (MariaDB ``EXPLAIN`` + ``ANALYZE``; SQLite ``EXPLAIN QUERY PLAN``).
3. ``--prototype``: PROTOTYPES, clearly labelled, nothing of the app is changed — (1) query rewrites of
   the three endpoints (``PrototypeCatalog``: same arguments, rows checked equal to the endpoint's),
   (2) candidate indexes Bin(warehouse, item_code) and Item Price(price_list, item_code) added with DDL,
   measured with the app's SQL and with the rewrites, then dropped, (3) a text index for rare terms
   (MariaDB FULLTEXT / SQLite FTS5 trigram), built, timed against LIKE, dropped.
4. ``--http``: the same calls over HTTP through gunicorn (2 workers, token auth) with wrk.
5. Prints the goal check: MariaDB p99 < 25 ms for search_items (with and without warehouse) and for a
   20-row page of items_in_warehouse.

    .venv/bin/python benchmarks/catalog.py                                   # both engines
    .venv/bin/python benchmarks/catalog.py --prototype --http                # + prototypes, HTTP
    .venv/bin/python benchmarks/catalog.py --db-types mariadb --no-extras --prototype --no-plans
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _bench  # noqa: E402
from _bench import log, percentile  # noqa: E402

STATE_VERSION = 1
API_USER = "api-bench@example.com"
API_ROLES = ["System Manager", "Stock Manager", "Stock User", "Sales Manager", "Sales User", "Item Manager",
             "Accounts User", "Purchase User"]
ABBR = "SM"
COMPANY = "Skydell"
CATALOG_WAREHOUSES = [f"Skydell {w} - {ABBR}" for w in ("Main", "East", "West", "Cold Chain", "Returns")]
MAIN = CATALOG_WAREHOUSES[0]
PRICE_LIST = "Standard Selling"
SEED = 20240415

# ------------------------------------------------------------------ names (seeded vocabulary)

OTHER_PEPTIDES = ["TB-500", "Tirzepatide", "Semaglutide", "Retatrutide", "CJC-1295", "Ipamorelin", "Sermorelin",
                  "GHK-Cu", "PT-141", "Tesamorelin", "AOD-9604", "MOTS-c", "Epitalon", "Selank", "Semax", "NAD+",
                  "Thymosin Alpha-1", "KPV", "LL-37", "Kisspeptin-10", "Oxytocin", "DSIP"]
BPC_PEPTIDES = ["BPC-157", "BPC-157/TB-500 Blend"]
STRENGTHS = ["2mg", "5mg", "10mg", "15mg", "20mg", "30mg", "50mg"]
FORMS = ["Vial", "Kit", "Nasal Spray", "Capsules", "Pen"]
PACKS = ["", " (Pack of 5)", " (Pack of 10)"]
PEPTIDE_VENDORS = ["Skydell", "Apex Labs", "Centre Research", "PerfectRx", "Exoceuticals", "SinQ"]
SUPPLY_FAMILIES = [
    ("Syringe {}ml Luer Lock Box of 100", ["1", "3", "5", "10", "20"], ["BD", "Terumo", "MedLine"]),
    ("Insulin Syringe {}ml 31G Box of 100", ["0.3", "0.5", "1"], ["BD", "Easy Touch"]),
    ("Hypodermic Needle {} Box of 100", ["18G", "21G", "23G", "25G", "27G", "30G"], ["BD", "Terumo"]),
    ("Nitrile Gloves {} Box of 100", ["XS", "S", "M", "L", "XL"], ["MedLine", "Halyard", "Ansell"]),
    ("Latex Gloves {} Box of 100", ["S", "M", "L"], ["MedLine", "Cardinal"]),
    ("Sodium Chloride 0.9% {} Bag", ["100ml", "250ml", "500ml", "1000ml"], ["Braun", "Baxter", "Fresenius"]),
    ("Bacteriostatic Water {} Vial", ["10ml", "30ml"], ["Hospira", "Fresenius"]),
    ("Sterile Water for Injection {} Vial", ["10ml", "20ml", "50ml"], ["Hospira", "Baxter"]),
    ("Alcohol Prep Pad {} Box of 200", ["Medium", "Large"], ["BD", "MedLine", "Dynarex"]),
    ("Gauze Pad {} Sterile Pack of 50", ["2x2", "3x3", "4x4"], ["Dynarex", "MedLine", "Covidien"]),
    ("Adhesive Bandage {} Box of 100", ["Small", "Regular", "Large"], ["Band-Aid", "Curad"]),
    ("Sharps Container {}", ["1 Quart", "2 Gallon", "5 Quart", "8 Gallon"], ["BD", "Covidien"]),
    ("Exam Table Paper {} Roll", ["18in", "21in"], ["MedLine", "Tidi"]),
    ("Face Mask {} Box of 50", ["Level 1", "Level 2", "Level 3"], ["Halyard", "3M", "MedLine"]),
    ("N95 Respirator {} Box of 20", ["Regular", "Small"], ["3M", "Moldex"]),
    ("IV Catheter {} Box of 50", ["18G", "20G", "22G", "24G"], ["BD", "B. Braun"]),
    ("IV Administration Set {}", ["10 drop", "15 drop", "60 drop"], ["Baxter", "B. Braun"]),
    ("Blood Collection Tube {} Pack of 100", ["Red Top", "Lavender Top", "Gold Top"], ["BD Vacutainer", "Greiner"]),
    ("Tourniquet {} Pack of 25", ["Latex-free", "Standard"], ["MedLine", "Dynarex"]),
    ("Lancet {} Box of 200", ["28G", "30G", "33G"], ["Unistrip", "Accu-Chek"]),
    ("Glucose Test Strip {} Box of 50", ["Type A", "Type B"], ["Accu-Chek", "OneTouch", "Contour"]),
    ("Thermometer Probe Cover {} Box of 100", ["Oral", "Rectal"], ["Welch Allyn", "Covidien"]),
    ("Cotton Tipped Applicator {} Pack of 100", ["3in", "6in"], ["Puritan", "Dynarex"]),
    ("Specimen Cup {} Pack of 100", ["4oz", "8oz"], ["Covidien", "MedLine"]),
    ("Elastic Bandage {} Roll", ["2in", "3in", "4in", "6in"], ["ACE", "MedLine"]),
    ("Medical Tape {} Roll", ["0.5in", "1in", "2in"], ["3M Transpore", "3M Micropore", "Durapore"]),
    ("Vitamin B12 {} Vial", ["1000mcg/ml 10ml", "1000mcg/ml 30ml"], ["Somerset", "American Regent"]),
    ("Lidocaine {} Vial", ["1% 20ml", "2% 20ml", "1% 50ml"], ["Hospira", "Fresenius"]),
    ("Vitamin D3 {} Capsules", ["1000 IU", "5000 IU", "10000 IU"], ["Thorne", "Pure Encapsulations"]),
    ("Zinc Picolinate {} Capsules", ["30mg", "50mg"], ["Thorne", "NOW Foods"]),
    ("Magnesium Glycinate {} Capsules", ["120mg", "200mg"], ["Thorne", "Pure Encapsulations"]),
    ("Biohazard Bag {} Roll of 200", ["10 Gallon", "33 Gallon"], ["MedLine", "Covidien"]),
    ("Pill Bottle {} Pack of 100", ["20 dram", "40 dram", "60 dram"], ["Rx Systems", "Kerr"]),
    ("Cold Pack {} Case of 24", ["Small", "Large"], ["Cardinal", "MedLine"]),
    ("Insulated Shipper {}", ["Small", "Medium", "Large"], ["Sonoco", "Cold Chain Tech"]),
    ("Exosome Serum {}", ["15ml", "30ml"], ["Exoceuticals"]),
]


def make_item_name(rng: random.Random) -> tuple[str, str]:
    """(item_name, description); only BPC items mention 'BPC'."""
    r = rng.random()
    if r < 0.0118:
        peptide, kind = rng.choice(BPC_PEPTIDES), "peptide"
    elif r < 0.35:
        peptide, kind = rng.choice(OTHER_PEPTIDES), "peptide"
    else:
        kind = "supply"
    if kind == "peptide":
        strength, form, pack, vendor = (rng.choice(STRENGTHS), rng.choice(FORMS), rng.choice(PACKS),
                                        rng.choice(PEPTIDE_VENDORS))
        name = f"{peptide} {strength} {form}{pack} - {vendor}"
        desc = f"{peptide} {strength} research peptide, {form.lower()}. Store at 2-8 C. Manufacturer: {vendor}."
        return name, desc
    template, sizes, vendors = rng.choice(SUPPLY_FAMILIES)
    vendor = rng.choice(vendors)
    base = template.format(rng.choice(sizes))
    return f"{base} - {vendor}", f"{base} for clinical and pharmacy use. Single use only. Manufacturer: {vendor}."


# ------------------------------------------------------------------ loading

def _hash_namer(rng: random.Random):
    """10-character lower-case names like frappe's make_autoname('hash'), unique within this load."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    seen = set()

    def name() -> str:
        while True:
            n = "".join(rng.choice(alphabet) for _ in range(10))
            if n not in seen:
                seen.add(n)
                return n

    return name


def _template(table: str, where: str, values) -> dict:
    import frappe

    rows = frappe.db.sql(f"select * from `{table}` where {where} limit 1", values, as_dict=True)
    if not rows:
        raise SystemExit(f"no template row in {table} ({where} {values})")
    return dict(rows[0])


def _blank_row(table: str) -> dict:
    """A row of ``table`` with every column NULL except the standard integer ones."""
    import frappe

    row = {c: None for c in frappe.db.get_table_columns(table.removeprefix("tab"))}
    for c in ("docstatus", "idx"):
        if c in row:
            row[c] = 0
    return row


def bulk_insert(table: str, columns: list[str], rows, db_type: str) -> int:
    """Multi-row ``INSERT`` statements through ``frappe.db.sql`` (placeholders, so values are escaped)."""
    import frappe

    # SQLite allows 32,766 bound parameters per statement; MariaDB is bounded by max_allowed_packet
    batch = max(1, 32000 // len(columns)) if db_type == "sqlite" else 2000
    cols = ", ".join(f"`{c}`" for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    n = 0
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            frappe.db.sql(f"insert into `{table}` ({cols}) values " + ", ".join([one] * len(chunk)),
                          [v for r in chunk for v in r])
            n += len(chunk)
            chunk = []
    if chunk:
        frappe.db.sql(f"insert into `{table}` ({cols}) values " + ", ".join([one] * len(chunk)),
                      [v for r in chunk for v in r])
        n += len(chunk)
    return n


def make_warehouses() -> None:
    import frappe

    parent = f"All Warehouses - {ABBR}"
    for wh in CATALOG_WAREHOUSES:
        if not frappe.db.exists("Warehouse", wh):
            frappe.get_doc({"doctype": "Warehouse", "warehouse_name": wh.rsplit(" - ", 1)[0], "company": COMPANY,
                            "is_group": 0, "parent_warehouse": parent}).insert(ignore_permissions=True)
    frappe.db.commit()


def load_catalog(n_items: int, db_type: str) -> dict:
    """Bulk-load the catalog; returns row counts and seconds per table."""
    import frappe

    rng = random.Random(SEED)
    hash_name = _hash_namer(rng)
    t_item = _template("tabItem", "name=%s", ("ITEM-001",))
    t_uom = _template("tabUOM Conversion Detail", "parent=%s", ("ITEM-001",))
    t_bin = _template("tabBin", "item_code=%s and warehouse=%s", ("ITEM-001", MAIN))
    t_price = _template("tabItem Price", "item_code=%s and price_list=%s", ("ITEM-001", PRICE_LIST))
    t_default = _blank_row("tabItem Default")
    t_default.update(parentfield="item_defaults", parenttype="Item", idx=1, company=COMPANY,
                     default_warehouse=MAIN)
    for key in ("owner", "modified_by"):
        t_default[key] = "Administrator"
    # the demo item had vendor-specific identifiers; the catalog items carry none
    for vendor_field in ("centre_research_product_id", "shipstation_product_id", "sinq_sku",
                         "perfectrx_drug_description", "exoceuticals_variant_id", "shopify_product_id"):
        if vendor_field in t_item:
            t_item[vendor_field] = None

    start = datetime.datetime.now() - datetime.timedelta(days=29)
    step = datetime.timedelta(days=29) / n_items
    items, uoms, defaults, bins, prices = [], [], [], [], []
    others = CATALOG_WAREHOUSES[1:]
    for i in range(1, n_items + 1):
        code = f"MGB-{i:06d}"
        name, desc = make_item_name(rng)
        ts = start + step * i
        disabled = 1 if rng.random() < 0.01 else 0
        approved = 0 if rng.random() < 0.02 else 1
        items.append({**t_item, "name": code, "item_code": code, "item_name": name, "description": desc,
                      "creation": ts, "modified": ts, "disabled": disabled, "is_sales_item": 1,
                      "medgrid_approved": approved, "is_stock_item": 1, "item_group": "Products",
                      "stock_uom": "Nos", "standard_rate": 0})
        uoms.append({**t_uom, "name": hash_name(), "parent": code, "creation": ts, "modified": ts})
        defaults.append({**t_default, "name": hash_name(), "parent": code, "creation": ts, "modified": ts})
        # 1 / 2 / 3 bins per item at 40 / 35 / 25 %; Skydell Main holds ~60 % of the items
        k = 1 if (r := rng.random()) < 0.40 else 2 if r < 0.75 else 3
        in_main = rng.random() < (0.30 if k == 1 else 0.80)
        whs = ([MAIN] if in_main else []) + rng.sample(others, k - 1 if in_main else k)
        for wh in whs:
            actual = float(rng.randint(1, 500)) if rng.random() < 0.80 else 0.0
            reserved = float(rng.randint(0, int(actual // 4))) if actual and rng.random() < 0.3 else 0.0
            ordered = float(rng.randint(0, 50)) if rng.random() < 0.2 else 0.0
            valuation = round(rng.uniform(1, 300), 2)
            bins.append({**t_bin, "name": hash_name(), "item_code": code, "warehouse": wh, "creation": ts,
                         "modified": ts, "actual_qty": actual, "reserved_qty": reserved, "ordered_qty": ordered,
                         "indented_qty": 0.0, "planned_qty": 0.0, "reserved_qty_for_production": 0.0,
                         "reserved_qty_for_sub_contract": 0.0, "reserved_qty_for_production_plan": 0.0,
                         "reserved_stock": 0.0, "projected_qty": actual + ordered - reserved,
                         "valuation_rate": valuation, "stock_value": round(actual * valuation, 2),
                         "stock_uom": "Nos"})
        prices.append({**t_price, "name": hash_name(), "item_code": code, "item_name": name,
                       "item_description": desc, "creation": ts, "modified": ts,
                       "price_list_rate": round(rng.uniform(2, 900), 2), "valid_from": ts.date()})

    timings = {}
    for table, rows in (("tabItem", items), ("tabUOM Conversion Detail", uoms), ("tabItem Default", defaults),
                        ("tabBin", bins), ("tabItem Price", prices)):
        columns = list(rows[0].keys())
        t0 = time.perf_counter()
        n = bulk_insert(table, columns, ([r[c] for c in columns] for r in rows), db_type)
        frappe.db.commit()
        timings[table] = (n, time.perf_counter() - t0)
        log(f"    {table:26s} {n:>8,} rows in {timings[table][1]:6.1f} s")
    return timings


def ensure_site(sites_path: str, site: str, db_type: str, n_items: int, rebuild: bool) -> dict:
    import frappe

    state = None if rebuild else _bench.read_state(sites_path, site)
    if (state and state.get("version") == STATE_VERSION and state.get("db_type") == db_type
            and state.get("n_items") == n_items and state.get("loaded")):
        log(f"  reusing site {site} ({db_type}, {n_items:,} items) from {sites_path}")
        return state
    t0 = time.perf_counter()
    _bench.create_site(sites_path, site, db_type, apps=("erpnext", "medgrid"))
    _bench.open_site(sites_path, site)
    try:
        from medgrid.setup.demo import make_demo_data

        make_demo_data()
        make_warehouses()
        creds = _bench.make_api_user(API_USER, API_ROLES)
        log(f"  bulk-loading {n_items:,} items ({db_type}):")
        t1 = time.perf_counter()
        load_catalog(n_items, db_type)
        t_load = time.perf_counter() - t1
        t2 = time.perf_counter()
        for table in ("tabItem", "tabBin", "tabItem Price", "tabWarehouse", "tabUOM Conversion Detail",
                      "tabItem Default"):
            if db_type == "mariadb":
                frappe.db.sql(f"analyze table `{table}`")
        if db_type == "sqlite":
            frappe.db.sql("analyze")
        frappe.db.commit()
        log(f"  load {t_load:.1f} s, ANALYZE {time.perf_counter() - t2:.1f} s, "
            f"site total {time.perf_counter() - t0:.1f} s")
    finally:
        _bench.close_site()
    state = {"version": STATE_VERSION, "db_type": db_type, "n_items": n_items, "loaded": True, **creds}
    _bench.write_state(sites_path, site, state)
    return state


def data_summary(db_type: str) -> list[str]:
    import frappe

    out = []
    count = lambda q: frappe.db.sql(q)[0][0]  # noqa: E731
    out.append(f"Item {count('select count(*) from `tabItem`'):,} "
               f"(BPC in name: {count(chr(32).join(['select count(*) from `tabItem` where item_name like', repr('%BPC%')])):,}, "
               f"distinct names {count('select count(distinct item_name) from `tabItem`'):,}, "
               f"saleable {count('select count(*) from `tabItem` where disabled=0 and is_sales_item=1 and medgrid_approved=1'):,})")
    out.append(f"Bin {count('select count(*) from `tabBin`'):,} (in stock: "
               f"{count('select count(*) from `tabBin` where actual_qty - reserved_qty > 0'):,}); Item Price "
               f"{count('select count(*) from `tabItem Price`'):,}; UOM Conversion Detail "
               f"{count('select count(*) from `tabUOM Conversion Detail`'):,}; Item Default "
               f"{count('select count(*) from `tabItem Default`'):,}")
    per_wh = frappe.db.sql("select warehouse, count(*), sum(actual_qty - reserved_qty > 0) from `tabBin` "
                           "group by warehouse order by warehouse")
    out.append("bins per warehouse: " + "; ".join(f"{w} {n:,} ({int(s or 0):,} in stock)" for w, n, s in per_wh))
    if db_type == "mariadb":
        sizes = frappe.db.sql("select table_name, round(data_length/1048576,1), round(index_length/1048576,1) "
                              "from information_schema.tables where table_schema=database() and table_name in "
                              "('tabItem','tabBin','tabItem Price')")
        out.append("InnoDB data/index MB: " + "; ".join(f"{t} {d}/{i}" for t, d, i in sizes))
        bp = frappe.db.sql("select @@innodb_buffer_pool_size")[0][0]
        out.append(f"innodb_buffer_pool_size {int(bp) // 1048576} MB (baseline had 1024 MB)")
    return out


# ------------------------------------------------------------------ measuring

QUERY = "BPC"


def cases(extras: bool) -> list[tuple]:
    """(label, function name, kwargs, is_goal, iterations factor)."""
    out = [
        ("list_warehouses", "list_warehouses", {}, False, 1.0),
        ("list_warehouses (cache cleared each call)", "list_warehouses", {"_clear_cache": True}, False, 0.25),
        ("items_in_warehouse 20-row page", "items_in_warehouse",
         {"warehouse": MAIN, "limit_page_length": 20}, True, 1.0),
        (f"search_items '{QUERY}' 20-row page", "search_items", {"query": QUERY, "limit_page_length": 20}, True, 1.0),
        (f"search_items '{QUERY}' + warehouse 20-row page", "search_items",
         {"query": QUERY, "warehouse": MAIN, "limit_page_length": 20}, True, 1.0),
    ]
    if extras:
        out += [
            ("extra: items_in_warehouse page at offset 20,000", "items_in_warehouse",
             {"warehouse": MAIN, "limit_start": 20000, "limit_page_length": 20}, False, 0.25),
            ("extra: search_items 'Syringe' 20-row page", "search_items",
             {"query": "Syringe", "limit_page_length": 20}, False, 0.25),
            ("extra: search_items no match ('zzqx') 20-row page", "search_items",
             {"query": "zzqx", "limit_page_length": 20}, False, 0.1),
            ("extra: search_items 'BPC' unpaged", "search_items", {"query": QUERY}, False, 0.1),
            ("extra: items_in_warehouse unpaged (whole warehouse)", "items_in_warehouse", {"warehouse": MAIN},
             False, 0.05),
        ]
    return out


def _fresh_request_state() -> None:
    """What a new request starts with: empty per-request caches and messages."""
    import frappe

    frappe.local.cache = {}
    frappe.local.document_cache = {}
    frappe.local.role_permissions = {}
    frappe.local.message_log = []
    frappe.local.response = frappe._dict(docs=[])
    frappe.db.value_cache = {}


def call_once(fn, kwargs) -> tuple[float, int]:
    import frappe

    import medgrid.catalog

    kwargs = dict(kwargs)
    clear = kwargs.pop("_clear_cache", False)
    if clear:
        medgrid.catalog.clear_warehouse_cache()
        frappe.cache().delete_value(PrototypeCatalog.CACHE_KEY)
    _fresh_request_state()
    t0 = time.perf_counter()
    rows = fn(**kwargs)
    elapsed = time.perf_counter() - t0
    frappe.db.rollback()  # end the transaction, as the request handler does for GET
    return elapsed, len(rows)


def capture_sql(fn, kwargs) -> list[str]:
    """The statements ``fn`` sends through frappe.db.sql (values are inlined by frappe.qb)."""
    import frappe

    db = frappe.local.db
    seen = []
    original = type(db).sql

    def recording(query, values=(), *args, **kw):
        seen.append((str(query), values))
        return original(db, query, values, *args, **kw)

    db.sql = recording
    try:
        call_once(fn, kwargs)
    finally:
        del db.sql
    return seen


def _normalise(rows) -> list:
    return [tuple(sorted((k, round(v, 6) if isinstance(v, float) else v) for k, v in dict(r).items()))
            for r in rows]


def main_statement(statements) -> tuple[str, tuple] | None:
    """The catalog query itself: the longest statement that reads tabBin or tabWarehouse."""
    candidates = [(q, v) for q, v in statements if ("tabBin" in q or "tabWarehouse" in q) and len(q) > 200
                  and "information_schema" not in q]
    return max(candidates, key=lambda s: len(s[0])) if candidates else None


def explain(db_type: str, query: str, values) -> list[str]:
    import frappe

    lines = []
    if db_type == "mariadb":
        rows = frappe.db.sql("analyze " + query, values or (), as_dict=True)
        for r in rows:
            lines.append(f"id={r.get('id')} {r.get('select_type')} table={r.get('table')} type={r.get('type')} "
                         f"key={r.get('key')} ref={r.get('ref')} rows={r.get('rows')} r_rows={r.get('r_rows')} "
                         f"r_filtered={r.get('r_filtered')} | {r.get('Extra')}")
    else:
        rows = frappe.db.sql("explain query plan " + query, values or ())
        depth = {0: 0}
        for r in rows:
            node, parent, detail = r[0], r[1], r[-1]
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node] - 1) + str(detail))
    return lines


def time_sql(query: str, values, n: int) -> tuple[float, float]:
    import frappe

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        frappe.db.sql(query, values or ())
        times.append(time.perf_counter() - t0)
        frappe.db.rollback()
    return _bench.ms(percentile(times, 50)), _bench.ms(percentile(times, 99))


def measure_functions(db_type: str, iterations: int, warmup: int, extras: bool, show_plans: bool,
                      tag: str = "", impl=None) -> list[dict]:
    """Time every case on ``impl`` (default: the app's medgrid.catalog; or the PROTOTYPE rewrites)."""
    import frappe

    import medgrid.catalog

    impl = impl or medgrid.catalog
    frappe.set_user(API_USER)
    log(f"  {tag}(load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())})")
    results = []
    for label, fname, kwargs, is_goal, factor in cases(extras):
        fn = getattr(impl, fname)
        n = max(10, int(iterations * factor))
        for _ in range(min(warmup, n)):
            call_once(fn, kwargs)
        times, nrows = [], 0
        for _ in range(n):
            t, nrows = call_once(fn, kwargs)
            times.append(t)
        res = {"label": label, "fname": fname, "kwargs": kwargs, "goal": is_goal, "n": n, "rows": nrows,
               "p50": _bench.ms(percentile(times, 50)), "p90": _bench.ms(percentile(times, 90)),
               "p99": _bench.ms(percentile(times, 99)), "max": _bench.ms(max(times)), "db_type": db_type,
               "tag": tag}
        if impl is not medgrid.catalog:
            # the rewrite must answer exactly what the endpoint answers
            plain = {k: v for k, v in kwargs.items() if not k.startswith("_")}
            res["same_rows"] = _normalise(fn(**plain)) == _normalise(getattr(medgrid.catalog, fname)(**plain))
            frappe.db.rollback()
        stmt = main_statement(capture_sql(fn, kwargs)) if fname != "list_warehouses" or kwargs else None
        if stmt:
            res["sql_p50"], res["sql_p99"] = time_sql(stmt[0], stmt[1], max(10, n // 2))
            res["sql"] = stmt
        results.append(res)
        sql_part = (f"; SQL alone p50 {res['sql_p50']:.2f} / p99 {res['sql_p99']:.2f} ms" if stmt else "")
        if "same_rows" in res:
            sql_part += f"; same rows as endpoint: {'yes' if res['same_rows'] else 'NO'}"
        log(f"  {tag}{label:52s} n={n:<4d} rows={nrows:<6d} p50 {res['p50']:8.2f}  p90 {res['p90']:8.2f}  "
            f"p99 {res['p99']:8.2f}  max {res['max']:8.2f} ms{sql_part}")
        if show_plans and stmt:
            res["plan"] = explain(db_type, stmt[0], stmt[1])
    if show_plans:
        shown = set()
        for res in results:
            if not res.get("plan") or res["sql"][0] in shown:
                continue
            shown.add(res["sql"][0])
            log("")
            log(f"  -- {tag}{res['label']} ({db_type}) SQL:")
            log("     " + res["sql"][0])
            log(f"  -- plan ({'ANALYZE: EXPLAIN + actual rows' if db_type == 'mariadb' else 'EXPLAIN QUERY PLAN'}):")
            for line in res["plan"]:
                log("     " + line)
    frappe.set_user("Administrator")
    return results


# ------------------------------------------------------------------ prototype indexes (NOT app schema)

# (table, index name, columns): candidates measured with --prototype, dropped afterwards
PROTOTYPE_INDEXES = [
    ("tabBin", "proto_bin_warehouse_item", ["warehouse", "item_code"]),
    ("tabItem Price", "proto_price_list_item", ["price_list", "item_code"]),
]


class PrototypeCatalog:
    """PROTOTYPE query rewrites of medgrid.catalog's three endpoints — NOT the app's code.

    Same arguments, same checks, same rows (verified against the endpoint by measure_functions);
    only the SQL differs:
    * price: a correlated scalar subquery per returned row instead of a LEFT JOIN on a GROUP BY derived
      table (SQLite materialises that derived table — every price of the list — on every call);
    * search_items: two levels — the inner query pages over matching saleable *items* that have at least
      one in-stock bin, in item_code order, LIMIT start+length (each such item yields ≥ 1 row, so that is
      enough); the outer query joins their bins and applies ORDER BY item_code, warehouse LIMIT/OFFSET.
      The inner ORDER BY is on one table, so the engine walks the item_code index and stops early
      instead of sorting every match;
    * list_warehouses: ``(SELECT 1 … WHERE bin.warehouse = w.name … LIMIT 1) = 1`` per warehouse instead
      of ``name IN (SELECT warehouse …)``, which MariaDB turns into a semi-join that materialises the
      whole Bin ⋈ Item join (and which SQLite evaluates as a list subquery over every item);
    * items_in_warehouse: only the price change (ordering by the Bin's item_code instead, so that an index
      on Bin (warehouse, item_code) could deliver the order, made MariaDB 10.11 pick a full scan + filesort:
      ~1.5 s; measured while writing this, not kept).
    """

    CACHE_KEY = "medgrid:bench:proto_list_warehouses"

    @staticmethod
    def _price_sql() -> str:
        return ("(select max(`ip`.`price_list_rate`) from `tabItem Price` `ip` where `ip`.`item_code` = `i`.`name` "
                "and `ip`.`price_list` = %(price_list)s and `ip`.`selling` = 1 "
                "and (`ip`.`customer` is null or `ip`.`customer` = '') "
                "and (`ip`.`valid_from` is null or `ip`.`valid_from` <= %(today)s) "
                "and (`ip`.`valid_upto` is null or `ip`.`valid_upto` >= %(today)s))")

    @staticmethod
    def _pattern(text: str) -> str:
        import frappe

        if frappe.db.db_type == "sqlite":
            return f"%{text}%"
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    SALEABLE = "`{a}`.`disabled` = 0 and `{a}`.`is_sales_item` = 1 and `{a}`.`medgrid_approved` = 1"

    def list_warehouses(self):
        import frappe

        frappe.has_permission("Warehouse", "read", throw=True)
        cached = frappe.cache().get_value(self.CACHE_KEY)
        if cached is None:
            cached = self._query_warehouses()
            frappe.cache().set_value(self.CACHE_KEY, cached, expires_in_sec=60)
        return cached

    def _query_warehouses(self):
        import frappe

        rows = frappe.db.sql(
            "select `w`.`name`, `w`.`warehouse_name` from `tabWarehouse` `w` "
            "where `w`.`is_group` = 0 and `w`.`disabled` = 0 and ("
            "  select 1 from `tabBin` `b` join `tabItem` `i` on `i`.`name` = `b`.`item_code` "
            "  where `b`.`warehouse` = `w`.`name` and `b`.`actual_qty` - `b`.`reserved_qty` > 0 and "
            + self.SALEABLE.format(a="i") + " limit 1) = 1 order by `w`.`name`", as_dict=True)
        return [dict(r) for r in rows]

    def clear_warehouse_cache(self):
        import frappe

        frappe.cache().delete_value(self.CACHE_KEY)

    def items_in_warehouse(self, warehouse=None, price_list=None, limit_start=0, limit_page_length=0):
        import frappe

        from medgrid.catalog import _check_warehouse, _paging, _required, _resolve_price_list, _row

        frappe.has_permission("Item", "read", throw=True)
        warehouse = _required(warehouse, "warehouse")
        _check_warehouse(warehouse)
        price_list = _resolve_price_list(price_list)
        start, length = _paging(limit_start, limit_page_length)
        values = {"warehouse": warehouse, "price_list": price_list, "today": frappe.utils.nowdate(),
                  "start": start, "length": length}
        sql = ("select `i`.`item_code`, `i`.`item_name`, `i`.`description`, `i`.`stock_uom`, "
               + self._price_sql() + " as `rate`, `b`.`actual_qty` - `b`.`reserved_qty` as `available_qty` "
               "from `tabBin` `b` join `tabItem` `i` on `i`.`name` = `b`.`item_code` "
               "where `b`.`warehouse` = %(warehouse)s and `b`.`actual_qty` - `b`.`reserved_qty` > 0 and "
               + self.SALEABLE.format(a="i") + " order by `i`.`item_code`")
        if length:
            sql += " limit %(length)s offset %(start)s"
        return [_row(r) for r in frappe.db.sql(sql, values, as_dict=True)]

    def search_items(self, query=None, warehouse=None, price_list=None, limit_start=0, limit_page_length=0):
        import frappe

        from medgrid.catalog import _check_warehouse, _paging, _required, _resolve_price_list, _row

        frappe.has_permission("Item", "read", throw=True)
        text = _required(query, "query")
        if warehouse:
            _check_warehouse(warehouse)
        price_list = _resolve_price_list(price_list)
        start, length = _paging(limit_start, limit_page_length)
        values = {"pattern": self._pattern(text), "warehouse": warehouse, "price_list": price_list,
                  "today": frappe.utils.nowdate(), "start": start, "length": length, "inner": start + length}
        in_wh = " and `{b}`.`warehouse` = %(warehouse)s" if warehouse else ""
        stock = ("`{b}`.`actual_qty` - `{b}`.`reserved_qty` > 0 and `{w}`.`is_group` = 0 and `{w}`.`disabled` = 0"
                 + in_wh)
        inner = ("select `m`.`name` from `tabItem` `m` where (`m`.`item_code` like %(pattern)s or "
                 "`m`.`item_name` like %(pattern)s or `m`.`description` like %(pattern)s) and "
                 + self.SALEABLE.format(a="m") + " and (select 1 from `tabBin` `b2` join `tabWarehouse` `w2` "
                 "on `w2`.`name` = `b2`.`warehouse` where `b2`.`item_code` = `m`.`name` and "
                 + stock.format(b="b2", w="w2") + " limit 1) = 1")
        if length:
            inner += " order by `m`.`item_code` limit %(inner)s"
        sql = ("select `i`.`item_code`, `i`.`item_name`, " + self._price_sql() + " as `rate`, "
               "`b`.`actual_qty` - `b`.`reserved_qty` as `available_qty`, `b`.`warehouse` "
               "from (" + inner + ") `hit` join `tabItem` `i` on `i`.`name` = `hit`.`name` "
               "join `tabBin` `b` on `b`.`item_code` = `i`.`name` join `tabWarehouse` `w` on `w`.`name` = `b`.`warehouse` "
               "where " + stock.format(b="b", w="w") + " order by `i`.`item_code`, `b`.`warehouse`")
        if length:
            sql += " limit %(length)s offset %(start)s"
        return [_row(r) for r in frappe.db.sql(sql, values, as_dict=True)]


def create_prototype_indexes(db_type: str) -> None:
    import frappe

    for table, name, cols in PROTOTYPE_INDEXES:
        collist = ", ".join(f"`{c}`" for c in cols)
        t0 = time.perf_counter()
        if db_type == "mariadb":
            frappe.db.sql(f"alter table `{table}` add index `{name}` ({collist})")
        else:
            frappe.db.sql(f"create index `{name}` on `{table}` ({collist})")
        log(f"  PROTOTYPE index {name} on {table}({', '.join(cols)}) built in {time.perf_counter() - t0:.1f} s")
    if db_type == "sqlite":
        frappe.db.sql("analyze")
    frappe.db.commit()


def _drop_text_prototype(db_type: str) -> None:
    import frappe

    if db_type == "mariadb":
        if frappe.db.sql("show index from `tabItem` where Key_name = 'proto_ft_item'"):
            frappe.db.sql("alter table `tabItem` drop index `proto_ft_item`")
    else:
        frappe.db.sql("drop table if exists `proto_item_fts`")
    frappe.db.commit()


def drop_prototype_indexes(db_type: str) -> None:
    import frappe

    for table, name, _cols in PROTOTYPE_INDEXES:
        try:
            if db_type == "mariadb":
                frappe.db.sql(f"alter table `{table}` drop index `{name}`")
            else:
                frappe.db.sql(f"drop index if exists `{name}`")
        except Exception as e:  # not there
            if "check that" not in str(e).lower() and "1091" not in str(e):
                raise
    frappe.db.commit()


def prototype_fulltext(db_type: str, n: int = 30) -> list[dict]:
    """PROTOTYPE — a text index for the rare-term case, where any LIKE '%q%' plan reads every item.

    MariaDB: FULLTEXT (item_name, description) queried with MATCH … AGAINST ('+q*' IN BOOLEAN MODE);
    this changes the semantics (word prefixes, not substrings; InnoDB's minimum token length is 3).
    SQLite: an FTS5 table with the trigram tokenizer (item_code, item_name, description), which keeps
    LIKE's case-insensitive substring semantics for terms of 3+ characters; the match counts are
    compared with LIKE's. Each times the inner "first 20 matching saleable items by item_code" query
    (what the two-level search pages over) against the LIKE version; then drops what it built.
    """
    import frappe

    out = []
    like_sql = ("select `m`.`name` from `tabItem` `m` where (`m`.`item_code` like %(p)s or `m`.`item_name` like %(p)s "
                "or `m`.`description` like %(p)s) and `m`.`disabled` = 0 order by `m`.`item_code` limit 20")
    t0 = time.perf_counter()
    if db_type == "mariadb":
        frappe.db.sql("alter table `tabItem` add fulltext index `proto_ft_item` (`item_name`, `description`)")
        text_sql = ("select `m`.`name` from `tabItem` `m` where match(`m`.`item_name`, `m`.`description`) "
                    "against (%(q)s in boolean mode) and `m`.`disabled` = 0 order by `m`.`item_code` limit 20")
        count_sql = "select count(*) from `tabItem` where match(`item_name`, `description`) against (%(q)s in boolean mode)"
        query_of = lambda term: f"+{term}*"  # noqa: E731
        kind = "FULLTEXT(item_name, description), boolean-mode prefix match"
    else:
        frappe.db.sql("create virtual table `proto_item_fts` using fts5(name unindexed, item_code, item_name, "
                      "description, tokenize='trigram')")
        frappe.db.sql("insert into `proto_item_fts` (name, item_code, item_name, description) "
                      "select name, item_code, item_name, description from `tabItem`")
        text_sql = ("select `m`.`name` from `tabItem` `m` where `m`.`name` in (select name from `proto_item_fts` "
                    "where `proto_item_fts` match %(q)s) and `m`.`disabled` = 0 order by `m`.`item_code` limit 20")
        count_sql = "select count(*) from `proto_item_fts` where `proto_item_fts` match %(q)s"
        query_of = lambda term: f'"{term}"'  # noqa: E731
        kind = "FTS5 trigram (item_code, item_name, description)"
    log(f"  *** PROTOTYPE 3: {kind}, built in {time.perf_counter() - t0:.1f} s (dropped afterwards) ***")
    like_count = ("select count(*) from `tabItem` where `item_code` like %(p)s or `item_name` like %(p)s "
                  "or `description` like %(p)s")
    try:
        for term in (QUERY, "Syringe", "zzqx"):
            values = {"p": f"%{term}%", "q": query_of(term)}
            row = {"term": term}
            for key, sql in (("like", like_sql), ("text", text_sql)):
                frappe.db.sql(sql, values)
                times = []
                for _ in range(n):
                    t1 = time.perf_counter()
                    frappe.db.sql(sql, values)
                    times.append(time.perf_counter() - t1)
                row[key] = (_bench.ms(percentile(times, 50)), _bench.ms(percentile(times, 99)))
            row["matches_like"] = frappe.db.sql(like_count, values)[0][0]
            row["matches_text"] = frappe.db.sql(count_sql, values)[0][0]
            out.append(row)
            log(f"  [proto text idx] first 20 items matching {term!r:10s}: LIKE p50 {row['like'][0]:7.2f} / "
                f"p99 {row['like'][1]:7.2f} ms; text index p50 {row['text'][0]:7.2f} / p99 {row['text'][1]:7.2f} ms; "
                f"matching items LIKE {row['matches_like']:,} vs text index {row['matches_text']:,}")
    finally:
        if db_type == "mariadb":
            frappe.db.sql("alter table `tabItem` drop index `proto_ft_item`")
        else:
            frappe.db.sql("drop table if exists `proto_item_fts`")
        frappe.db.commit()
    return out


# ------------------------------------------------------------------ HTTP

def http_cases() -> list[tuple[str, str]]:
    from urllib.parse import urlencode

    base = "/api/method/medgrid.catalog."
    return [
        ("list_warehouses", base + "list_warehouses"),
        ("items_in_warehouse 20-row page", base + "items_in_warehouse?" + urlencode(
            {"warehouse": MAIN, "limit_page_length": 20})),
        (f"search_items '{QUERY}' 20-row page", base + "search_items?" + urlencode(
            {"query": QUERY, "limit_page_length": 20})),
        (f"search_items '{QUERY}' + warehouse 20-row page", base + "search_items?" + urlencode(
            {"query": QUERY, "warehouse": MAIN, "limit_page_length": 20})),
    ]


def measure_http(sites_path: str, site: str, state: dict, duration: int, connections: int) -> list[dict]:
    import json

    headers = {"Host": f"{site}:8000", "Authorization": f"token {state['api_key']}:{state['api_secret']}"}
    results = []
    for label, path in http_cases():
        server = _bench.Gunicorn(sites_path, site, tag="catalog").start()
        try:
            status, body = _bench.http_get(server.base_url + path, headers)
            if status != 200:
                raise SystemExit(f"{label}: HTTP {status}: {body[:400]!r}")
            nrows = len(json.loads(body)["message"])
            res = _bench.run_load(server.base_url + path, headers, connections, duration, warmup=2)
        finally:
            server.stop()
        res.update(label=label, rows=nrows, bytes=len(body))
        results.append(res)
        log(f"  HTTP {label:46s} c={connections}: {res['rps']:7.1f} req/s, p50 {res['p50_ms']:7.2f} ms, "
            f"p99 {res['p99_ms']:7.2f} ms, max {res['max_ms']:7.2f} ms ({nrows} rows, {len(body):,} B; "
            f"non-2xx {res['non_2xx']}; {res['socket_errors'] or 'no socket errors'})")
    return results


# ------------------------------------------------------------------ main

def goal_check(results: list[dict], label: str) -> None:
    log("")
    log(f"Goal check ({label}): MariaDB p99 < 25 ms")
    for r in results:
        if r["goal"] and r["db_type"] == "mariadb":
            log(f"  {r['label']:52s} p99 {r['p99']:8.2f} ms → {'met' if r['p99'] < 25 else 'NOT met'}")


def run_engine(args, db_type: str, sites_path: str) -> dict:
    import frappe

    site = f"bench-catalog-{db_type}.localhost"
    log("")
    log(f"=== {db_type}: site {site}")
    state = ensure_site(sites_path, site, db_type, args.items, args.rebuild)
    _bench.open_site(sites_path, site)
    out = {"db_type": db_type}
    try:
        drop_prototype_indexes(db_type)  # a previous interrupted run may have left them
        _drop_text_prototype(db_type)
        for line in data_summary(db_type):
            log("  " + line)
        log("")
        if not args.http_only:
            log(f"  in-process calls as {API_USER} (ms):")
        if not args.http_only:
            out["base"] = measure_functions(db_type, args.iterations, args.warmup, args.extras, not args.no_plans)
        if args.prototype and not args.http_only:
            plans = not args.no_plans
            log("")
            log("  *** PROTOTYPE 1: query rewrites (benchmarks/catalog.py PrototypeCatalog), app indexes only ***")
            out["proto_q"] = measure_functions(db_type, args.iterations, args.warmup, args.extras, plans,
                                               tag="[proto SQL] ", impl=PrototypeCatalog())
            log("")
            log("  *** PROTOTYPE 2: candidate indexes added by this script (not in the app's doctypes) ***")
            create_prototype_indexes(db_type)
            try:
                out["proto_i"] = measure_functions(db_type, args.iterations, args.warmup, args.extras, plans,
                                                   tag="[app + proto idx] ")
                log("")
                out["proto_qi"] = measure_functions(db_type, args.iterations, args.warmup, args.extras, plans,
                                                    tag="[proto SQL + idx] ", impl=PrototypeCatalog())
            finally:
                drop_prototype_indexes(db_type)
                log("  prototype indexes dropped")
            log("")
            out["proto_text"] = prototype_fulltext(db_type)
    finally:
        frappe.db.rollback()
        _bench.close_site()
    if args.http:
        log("")
        out["http"] = measure_http(sites_path, site, state, args.http_duration, args.http_connections)
    return out


VARIANTS = {"base": "app as committed", "proto_q": "PROTOTYPE SQL", "proto_i": "app + PROTOTYPE indexes",
            "proto_qi": "PROTOTYPE SQL + indexes"}


def summary(all_results: list[dict]) -> None:
    log("")
    log("Summary, in-process (function level), ms:")
    log("| engine | call | rows | p50 | p99 | SQL alone p50 / p99 |")
    log("|---|---|---|---|---|---|")
    for eng in all_results:
        for key in VARIANTS:
            for r in eng.get(key, []):
                sql = f"{r['sql_p50']:.2f} / {r['sql_p99']:.2f}" if "sql_p50" in r else "–"
                same = "" if "same_rows" not in r else (" ✓" if r["same_rows"] else " ✗ rows differ")
                log(f"| {r['db_type']} {VARIANTS[key]} | {r['label']} | {r['rows']}{same} | "
                    f"{r['p50']:.2f} | {r['p99']:.2f} | {sql} |")
    for eng in all_results:
        if eng.get("proto_text"):
            log("")
            log(f"PROTOTYPE text index ({eng['db_type']}): first 20 matching items, ms (p50 / p99)")
            log("| term | LIKE '%q%' | text index | matching items LIKE / text index |")
            log("|---|---|---|---|")
            for r in eng["proto_text"]:
                log(f"| {r['term']} | {r['like'][0]:.2f} / {r['like'][1]:.2f} | {r['text'][0]:.2f} / {r['text'][1]:.2f} | "
                    f"{r['matches_like']:,} / {r['matches_text']:,} |")
    for eng in all_results:
        if eng.get("http"):
            log("")
            log(f"HTTP ({eng['db_type']}), wrk c={eng['http'][0]['connections']}:")
            log("| call | req/s | p50 | p99 |")
            log("|---|---|---|---|")
            for r in eng["http"]:
                log(f"| {r['label']} | {r['rps']:.1f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms |")
    for eng in all_results:
        if eng["db_type"] == "mariadb":
            for key in (k for k in VARIANTS if k in eng):
                if eng.get(key):
                    goal_check(eng[key], VARIANTS[key])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-types", default="mariadb,sqlite", help="comma-separated engines (default mariadb,sqlite)")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--sites-path", default=_bench.DEFAULT_SITES_PATH)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the catalog sites even if reusable")
    ap.add_argument("--iterations", type=int, default=200, help="timed calls per endpoint (default 200)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--no-extras", dest="extras", action="store_false", help="skip the extra cases")
    ap.add_argument("--no-plans", action="store_true", help="do not print query plans")
    ap.add_argument("--prototype", action="store_true",
                    help="PROTOTYPE: measure the query rewrites of PrototypeCatalog, then candidate indexes "
                         "(added with DDL, dropped afterwards)")
    ap.add_argument("--http", action="store_true", help="also measure over HTTP (gunicorn + wrk)")
    ap.add_argument("--http-only", action="store_true", help="skip the in-process measurements")
    ap.add_argument("--http-duration", type=int, default=10)
    ap.add_argument("--http-connections", type=int, default=4)
    ap.add_argument("--no-redis", action="store_true")
    args = ap.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    log(f"MedGrid catalog benchmark — {_bench.machine_summary()}; {args.items:,} items")
    log(f"  CPU calibration (2M-iteration Python loop, best of 3): {_bench.cpu_calibration():.3f} s")
    _bench.prepare_sites_path(sites_path, redis=not args.no_redis)
    all_results = []
    for db_type in [d for d in args.db_types.split(",") if d]:
        all_results.append(run_engine(args, db_type, sites_path))
    summary(all_results)


if __name__ == "__main__":
    main()

"""Catalog endpoints at 100,000 (or 1,000,000) items × 5 warehouses, on MariaDB and SQLite (issues 4 and 17).

1. Builds (or reuses) a site per engine and size with frappe+erpnext+medgrid, the demo masters
   (``medgrid.setup.demo.make_demo_data``: company Skydell/SM, price list Standard Selling …), 4 more
   leaf warehouses made with ``doc.insert()`` (Skydell Main/East/West/Cold Chain/Returns - SM take the
   catalog), then bulk-loads the Items with their UOM Conversion Detail and Item Default children,
   ~1.85 Bins per item and one Item Price each with multi-row ``INSERT``s through ``frappe.db.sql``, 25,000
   items at a time. Every row starts as a copy of a row the runtime itself wrote for a demo item (all
   columns of the doctype), the method of ``recordings/perf-catalog.md``; names, codes, quantities, prices
   and dates come from a seeded RNG (bins per item 1/2/3 at 40/35/25 %, 80 % of bins in stock, ~1.2 % of
   items called "BPC-…"). The item search index (``medgrid.catalog.search_index``) follows the load (SQLite:
   its triggers) or is built afterwards (MariaDB: ``ensure(rebuild=True)``, as the migrate patch does);
   the load and index times are printed. ``ANALYZE`` refreshes statistics.
2. Calls ``medgrid.catalog`` in-process as the API user, each call framed like a request (fresh
   per-request caches, transaction ended), and prints p50/p99/max: the rows of issue 17's table (search
   with no match, the page at row 20,000 through the ``after`` cursor — and through ``limit_start`` for
   comparison —, the unpaged warehouse including the runtime's JSON serialiser) and context cases.
3. ``--http``: gunicorn (2 workers, token auth) and wrk -c4: a 20-row page, "BPC", "BPC" + warehouse; and
   the unpaged warehouse one request at a time.
4. Prints a table with the issue's baseline (measured on another 2-vCPU machine) beside each row.

    .venv/bin/python benchmarks/catalog.py --http                            # both engines, 100k items
    .venv/bin/python benchmarks/catalog.py --http --items 1000000            # the million-item sites
    .venv/bin/python benchmarks/catalog.py --db-types sqlite --iterations 50
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _bench  # noqa: E402
from _bench import log, percentile  # noqa: E402

STATE_VERSION = 2
API_USER = "api-bench@example.com"
# the baseline's roles, and MedGrid's sales rep: the catalog needs Item Price read, which MedGrid gives its roles
API_ROLES = ["System Manager", "Stock Manager", "Stock User", "Sales Manager", "Sales User", "Item Manager",
             "Accounts User", "Purchase User", "Internal Sales Rep"]
ABBR = "SM"
COMPANY = "Skydell"
CATALOG_WAREHOUSES = [f"Skydell {w} - {ABBR}" for w in ("Main", "East", "West", "Cold Chain", "Returns")]
MAIN = CATALOG_WAREHOUSES[0]
PRICE_LIST = "Standard Selling"
SEED = 20240415
LOAD_CHUNK = 25_000  # items generated and inserted per round (a million-item load keeps memory flat)

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
    timings: dict = {}

    def flush():
        for table, rows in (("tabItem", items), ("tabUOM Conversion Detail", uoms), ("tabItem Default", defaults),
                            ("tabBin", bins), ("tabItem Price", prices)):
            if not rows:
                continue
            columns = list(rows[0].keys())
            t0 = time.perf_counter()
            n = bulk_insert(table, columns, ([r[c] for c in columns] for r in rows), db_type)
            frappe.db.commit()
            count, seconds = timings.get(table, (0, 0.0))
            timings[table] = (count + n, seconds + time.perf_counter() - t0)
            rows.clear()

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

        if i % LOAD_CHUNK == 0:
            flush()
    flush()
    for table, (n, seconds) in timings.items():
        log(f"    {table:26s} {n:>9,} rows in {seconds:6.1f} s")
    return timings


def database_size(db_type: str) -> str:
    """The database's size on disk: SQLite's file, or InnoDB's data + index pages (the search index apart)."""
    import frappe

    from medgrid.catalog import search_index

    if db_type == "sqlite":
        path = frappe.db.get_db_path(frappe.conf)
        files = [f for f in (path, path + "-wal") if os.path.exists(f)]
        return f"database file {sum(os.path.getsize(f) for f in files) / 1e6:,.0f} MB"
    rows = frappe.db.sql("select `table_name`, `data_length` + `index_length` from information_schema.tables "
                         "where `table_schema` = database()")
    index_tables = {search_index.MARIADB_GRAMS, search_index.MARIADB_GRAMS_OF, search_index.MARIADB_UNINDEXED}
    index = sum(size for name, size in rows if name in index_tables)
    total = sum(size for _, size in rows)
    return f"InnoDB {total / 1e6:,.0f} MB of which the search index {index / 1e6:,.0f} MB"


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
        # SQLite's index followed the load through its triggers; MariaDB's token table is built from the
        # rows (a bulk load bypasses the Item hooks), as the migrate patch does on an existing site
        from medgrid.catalog import search_index

        t_index = time.perf_counter()
        kind = search_index.ensure(rebuild=db_type != "sqlite")
        t_index = time.perf_counter() - t_index
        t2 = time.perf_counter()
        for table in ("tabItem", "tabBin", "tabItem Price", "tabWarehouse", "tabUOM Conversion Detail",
                      "tabItem Default", search_index.MARIADB_GRAMS, search_index.MARIADB_GRAMS_OF):
            if db_type == "mariadb":
                frappe.db.sql(f"analyze table `{table}`")
        if db_type == "sqlite":
            frappe.db.sql("analyze")
        frappe.db.commit()
        load = (f"bulk load {t_load:.1f} s{' (FTS5 kept by triggers)' if db_type == 'sqlite' else ''}, "
                f"search index ({kind}) {t_index:.1f} s, ANALYZE {time.perf_counter() - t2:.1f} s, "
                f"site total {time.perf_counter() - t0:.1f} s; {database_size(db_type)}")
        log("  " + load)
    finally:
        _bench.close_site()
    state = {"version": STATE_VERSION, "db_type": db_type, "n_items": n_items, "loaded": True, "load": load,
             **creds}
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
                              "('tabItem','tabBin','tabItem Price','__medgrid_item_trigram')")
        out.append("InnoDB data/index MB: " + "; ".join(f"{t} {d}/{i}" for t, d, i in sizes))
        bp = frappe.db.sql("select @@innodb_buffer_pool_size")[0][0]
        out.append(f"innodb_buffer_pool_size {int(bp) // 1048576} MB (baseline had 1024 MB)")
    return out


# ------------------------------------------------------------------ measuring

QUERY = "BPC"
OFFSET = 20_000


def cases() -> list[tuple]:
    """(row of the issue's table or "" for context, label, function, kwargs, iterations factor).

    ``_after_offset`` asks the case to start from the ``after`` cursor of the row at that offset (found once,
    before timing), i.e. the keyset equivalent of ``limit_start``.
    """
    return [
        ("", "items_in_warehouse 20-row page", "items_in_warehouse", {"warehouse": MAIN, "limit_page_length": 20}, 1.0),
        ("", f"search_items '{QUERY}' 20-row page", "search_items", {"query": QUERY, "limit_page_length": 20}, 1.0),
        ("", f"search_items '{QUERY}' + warehouse 20-row page", "search_items",
         {"query": QUERY, "warehouse": MAIN, "limit_page_length": 20}, 1.0),
        ("search no match", "search_items 'zzqx' (no match) 20-row page", "search_items",
         {"query": "zzqx", "limit_page_length": 20}, 1.0),
        ("", "search_items 'zzqx' (no match) unpaged", "search_items", {"query": "zzqx"}, 0.5),
        ("", "search_items 'Syringe' 20-row page", "search_items", {"query": "Syringe", "limit_page_length": 20}, 0.5),
        ("", "search_items 'qx' (2 letters: scan) 20-row page", "search_items",
         {"query": "qx", "limit_page_length": 20}, 0.1),
        ("offset 20,000", f"items_in_warehouse after cursor at row {OFFSET:,}", "items_in_warehouse",
         {"warehouse": MAIN, "limit_page_length": 20, "_after_offset": OFFSET}, 1.0),
        ("", f"items_in_warehouse limit_start {OFFSET:,}", "items_in_warehouse",
         {"warehouse": MAIN, "limit_page_length": 20, "limit_start": OFFSET}, 0.25),
        ("", f"search_items 'Syringe' after cursor at row {OFFSET // 4:,}", "search_items",
         {"query": "Syringe", "limit_page_length": 20, "_after_offset": OFFSET // 4}, 0.25),
    ]


def _fresh_request_state() -> None:
    """What a new request starts with: empty per-request caches and messages."""
    import frappe

    frappe.local.cache = {}
    frappe.local.document_cache = {}
    frappe.local.role_permissions = {}
    frappe.local.message_log = []
    frappe.local.response = frappe._dict(docs=[])
    frappe.db.value_cache = {}


def call_once(fn, kwargs) -> tuple[float, list]:
    import frappe

    _fresh_request_state()
    t0 = time.perf_counter()
    rows = fn(**kwargs)
    elapsed = time.perf_counter() - t0
    frappe.db.rollback()  # end the transaction, as the request handler does for GET
    return elapsed, rows


def cursor_at(fn, kwargs: dict, offset: int) -> str:
    """The ``after`` cursor that continues at row ``offset`` (the row before it, as an answer names it)."""
    import frappe

    import medgrid.catalog

    frappe.local.response = frappe._dict()
    page = fn(**{k: v for k, v in kwargs.items() if not k.startswith("_") and not k.startswith("limit_")},
              limit_start=offset - 1, limit_page_length=1)
    row = page[0]
    if fn.__name__ == "items_in_warehouse":
        return medgrid.catalog.encode_after(medgrid.catalog.ITEMS_CURSOR, (row["item_code"],))
    return medgrid.catalog.encode_after(medgrid.catalog.SEARCH_CURSOR, (row["item_code"], row["warehouse"]))


def measure_functions(db_type: str, iterations: int, warmup: int) -> list[dict]:
    import frappe

    import medgrid.catalog

    frappe.set_user(API_USER)
    log(f"  in-process calls as {API_USER}, each framed like a request (load average "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}):")
    results = []
    for row, label, fname, kwargs, factor in cases():
        fn = getattr(medgrid.catalog, fname)
        kwargs = dict(kwargs)
        offset = kwargs.pop("_after_offset", None)
        if offset:
            kwargs["after"] = cursor_at(fn, kwargs, offset)
            # the keyset page is the offset page
            same = call_once(fn, kwargs)[1] == call_once(fn, {**kwargs, "after": None, "limit_start": offset})[1]
            if not same:
                raise SystemExit(f"{label}: the after page differs from the limit_start page")
        n = max(10, int(iterations * factor))
        for _ in range(min(warmup, n)):
            call_once(fn, kwargs)
        times, rows = [], []
        for _ in range(n):
            t, rows = call_once(fn, kwargs)
            times.append(t)
        res = {"row": row, "label": label, "n": n, "rows": len(rows), "p50": _bench.ms(percentile(times, 50)),
               "p99": _bench.ms(percentile(times, 99)), "max": _bench.ms(max(times)), "db_type": db_type}
        results.append(res)
        log(f"  {label:54s} n={n:<4d} rows={res['rows']:<6d} p50 {res['p50']:8.2f}  p99 {res['p99']:8.2f}  "
            f"max {res['max']:8.2f} ms")
    results.append(measure_unpaged(db_type, max(5, iterations // 20)))
    frappe.set_user("Administrator")
    return results


def compare_with_scan(db_type: str, n_terms: int) -> dict:
    """Issue 17: the indexed search answers exactly what the plain LIKE scan answers, shown on the loaded
    catalog for ``n_terms`` random terms: substrings of real codes, names and descriptions (3–12 characters),
    rare letter runs, mixed case, wildcard characters. Each term is compared unpaged (the whole result set)
    and as the first 20-row page."""
    import frappe

    import medgrid.catalog
    from medgrid.catalog import search_index

    rng = random.Random(SEED + 17)
    frappe.set_user(API_USER)
    count = frappe.db.sql("select count(*) from `tabItem`")[0][0]
    sample = [f"MGB-{rng.randint(1, max(1, count - 8)):06d}" for _ in range(400)]
    texts = [t for row in frappe.db.sql("select `item_code`, `item_name`, `description` from `tabItem` where `name` in ("
                                        + ", ".join(["%s"] * len(sample)) + ")", sample) for t in row if t]
    terms = []
    while len(terms) < n_terms:
        kind = rng.random()
        if kind < 0.7 and texts:
            text = rng.choice(texts)
            start = rng.randrange(len(text))
            term = text[start:start + rng.randint(3, 12)]
            terms.append(term.upper() if rng.random() < 0.2 else term)
        elif kind < 0.85:
            terms.append("".join(rng.choice("bcdfghjklmnpqrstvwxzy") for _ in range(rng.randint(3, 5))))
        else:
            terms.append(rng.choice(["%", "_", "0.9%", "x_y", "Box_of", "10%"]) + rng.choice(["", "ml", " Vial"]))
    terms = [t for t in terms if t.strip()]
    mismatches, rows_compared, t0 = [], 0, time.perf_counter()
    for term in terms:
        for kwargs in ({"query": term}, {"query": term, "limit_page_length": 20}):
            _t, indexed = call_once(medgrid.catalog.search_items, kwargs)
            with search_index.disabled():
                _t, scanned = call_once(medgrid.catalog.search_items, kwargs)
            indexed, scanned = list(indexed), list(scanned)
            rows_compared += len(scanned)
            if indexed != scanned:
                mismatches.append((term, kwargs.get("limit_page_length")))
    frappe.set_user("Administrator")
    res = {"terms": len(terms), "rows_compared": rows_compared, "mismatches": len(mismatches),
           "seconds": round(time.perf_counter() - t0, 1), "db_type": db_type}
    log(f"  indexed search vs plain scan: {len(terms)} random terms, unpaged and first page — {rows_compared:,} rows "
        f"compared, {len(mismatches)} differences {mismatches[:5]} ({res['seconds']} s)")
    return res


def measure_unpaged(db_type: str, n: int) -> dict:
    """The whole warehouse in one answer: the function, then the runtime's JSON serialiser
    (frappe.utils.response.as_json, what the HTTP handler sends), each timed."""
    import frappe
    from frappe.utils.response import as_json

    import medgrid.catalog

    calls, dumps, size, nrows = [], [], 0, 0
    for _ in range(n):
        t, rows = call_once(medgrid.catalog.items_in_warehouse, {"warehouse": MAIN})
        calls.append(t)
        frappe.local.response = frappe._dict(message=rows)
        t0 = time.perf_counter()
        size = len(as_json().get_data())
        dumps.append(time.perf_counter() - t0)
        nrows = len(rows)
    total = [a + b for a, b in zip(calls, dumps)]
    res = {"row": "unpaged", "label": "items_in_warehouse unpaged: function + as_json", "n": n, "rows": nrows,
           "bytes": size, "p50": _bench.ms(percentile(total, 50)), "p99": _bench.ms(percentile(total, 99)),
           "max": _bench.ms(max(total)), "fn_p50": _bench.ms(percentile(calls, 50)),
           "json_p50": _bench.ms(percentile(dumps, 50)), "db_type": db_type}
    log(f"  {res['label']:54s} n={n:<4d} rows={nrows:<6d} p50 {res['p50']:8.2f}  p99 {res['p99']:8.2f}  "
        f"max {res['max']:8.2f} ms (function p50 {res['fn_p50']:.1f} ms + JSON p50 {res['json_p50']:.1f} ms, "
        f"{size / 1048576:.1f} MB)")
    return res


# ------------------------------------------------------------------ HTTP

def http_cases() -> list[tuple[str, str, str]]:
    from urllib.parse import urlencode

    base = "/api/method/medgrid.catalog."
    return [
        ("page", "items_in_warehouse 20-row page", base + "items_in_warehouse?" + urlencode(
            {"warehouse": MAIN, "limit_page_length": 20})),
        ("BPC", f"search_items '{QUERY}' 20-row page", base + "search_items?" + urlencode(
            {"query": QUERY, "limit_page_length": 20})),
        ("BPC+warehouse", f"search_items '{QUERY}' + warehouse 20-row page", base + "search_items?" + urlencode(
            {"query": QUERY, "warehouse": MAIN, "limit_page_length": 20})),
    ]


def measure_http(sites_path: str, site: str, state: dict, duration: int, connections: int) -> list[dict]:
    import json

    headers = {"Host": f"{site}:8000", "Authorization": f"token {state['api_key']}:{state['api_secret']}"}
    results = []
    server = _bench.Gunicorn(sites_path, site, tag="catalog").start()
    try:
        for row, label, path in http_cases():
            status, body = _bench.http_get(server.base_url + path, headers)
            if status != 200:
                raise SystemExit(f"{label}: HTTP {status}: {body[:400]!r}")
            nrows = len(json.loads(body)["message"])
            res = _bench.run_load(server.base_url + path, headers, connections, duration, warmup=2)
            res.update(row=row, label=label, rows=nrows, bytes=len(body))
            results.append(res)
            log(f"  HTTP {label:46s} c={connections}: {res['rps']:7.1f} req/s, p50 {res['p50_ms']:7.2f} ms, "
                f"p99 {res['p99_ms']:7.2f} ms ({nrows} rows; non-2xx {res['non_2xx']}; "
                f"{res['socket_errors'] or 'no socket errors'})")
        # the unpaged answer over HTTP, one request at a time
        path = "/api/method/medgrid.catalog.items_in_warehouse?warehouse=" + MAIN.replace(" ", "%20")
        times, size = [], 0
        for _ in range(6):
            t0 = time.perf_counter()
            status, body = _bench.http_get(server.base_url + path, headers, timeout=120)
            times.append(time.perf_counter() - t0)
            size = len(body)
        times = times[1:]
        res = {"row": "unpaged HTTP", "label": "items_in_warehouse unpaged over HTTP (c=1)", "connections": 1,
               "rps": len(times) / sum(times), "p50_ms": _bench.ms(percentile(times, 50)),
               "p99_ms": _bench.ms(percentile(times, 99)), "bytes": size}
        results.append(res)
        log(f"  HTTP {res['label']:46s}: p50 {res['p50_ms']:.1f} ms, max {res['p99_ms']:.1f} ms, {size / 1048576:.1f} MB")
    finally:
        server.stop()
    return results


# ------------------------------------------------------------------ main

# The table (issue 17): one 2-vCPU machine, real Frappe 15.101 / ERPNext 15.99 and the runtime before
# this change side by side on MariaDB with 100k items; p99 in ms (unpaged: the whole answer).
BASELINE = {
    "search no match": ("245–447", "438–527", "≤ 15"),
    "offset 20,000": ("943", "987", "≤ 20"),
    "unpaged": ("3,300", "3,200", "≤ 500"),
    "page": ("43", "25", "≤ 10"),
    "BPC": ("60", "38", "≤ 15"),
    "BPC+warehouse": ("82", "50", "≤ 15"),
}


def run_engine(args, db_type: str, sites_path: str) -> dict:
    import frappe

    site = site_name(db_type, args.items)
    log("")
    log(f"=== {db_type}: site {site}")
    state = ensure_site(sites_path, site, db_type, args.items, args.rebuild)
    _bench.open_site(sites_path, site)
    out = {"db_type": db_type, "n_items": args.items, "load": state.get("load")}
    try:
        from medgrid.catalog import indexes, search_index

        frappe.clear_cache()  # start from the database, not from what an earlier run left in Redis
        log(f"  search index: {search_index.ensure()}")
        indexes.ensure()  # a site loaded before the catalog's composite indexes existed gets them here
        for line in data_summary(db_type):
            log("  " + line)
        log("")
        if not args.http_only:
            out["calls"] = measure_functions(db_type, args.iterations, args.warmup)
        if args.compare:
            out["compare"] = compare_with_scan(db_type, args.compare)
    finally:
        frappe.db.rollback()
        _bench.close_site()
    if args.http:
        log("")
        out["http"] = measure_http(sites_path, site, state, args.http_duration, args.http_connections)
    return out


def summary(all_results: list[dict]) -> None:
    log("")
    log("Summary (ms; in-process unless marked HTTP). Baseline: the issue's table, measured on another 2-vCPU")
    log("machine with 100k items on MariaDB (real Frappe / runtime before issue 17 / goal).")
    log("| engine | items | call | rows | p50 | p99 | issue's row: Frappe / before / goal (p99) |")
    log("|---|---|---|---|---|---|---|")
    for eng in all_results:
        for r in eng.get("calls", []):
            base = " / ".join(BASELINE[r["row"]]) if r["row"] in BASELINE else ""
            log(f"| {eng['db_type']} | {eng['n_items']:,} | {r['label']} | {r['rows']} | {r['p50']:.2f} | "
                f"{r['p99']:.2f} | {base} |")
        for r in eng.get("http", []):
            base = " / ".join(BASELINE[r["row"]]) if r["row"] in BASELINE else ""
            log(f"| {eng['db_type']} | {eng['n_items']:,} | HTTP c={r['connections']} {r['label']} | "
                f"{r.get('rows', '')} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {base} |")
    for eng in all_results:
        if eng.get("load"):
            log(f"load ({eng['db_type']}, {eng['n_items']:,} items): " + eng["load"])


@contextlib.contextmanager
def buffer_pool(megabytes: int):
    """MariaDB's InnoDB buffer pool at ``megabytes`` for the block (a server-wide setting, resized online
    and put back afterwards); 0 leaves the server as it is."""
    if not megabytes:
        yield
        return
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("select @@innodb_buffer_pool_size")
        before = int(cur.fetchone()[0])
    try:
        _resize_buffer_pool(conn, megabytes * 1048576)
        log(f"  InnoDB buffer pool {before // 1048576} → {megabytes} MB for this run")
        yield
    finally:
        _resize_buffer_pool(conn, before)
        conn.close()


def _resize_buffer_pool(conn, size: int) -> None:
    with conn.cursor() as cur:
        cur.execute("set global innodb_buffer_pool_size = %s", (size,))
    for _ in range(240):  # the resize runs in the background
        with conn.cursor() as cur:
            cur.execute("show status like 'Innodb_buffer_pool_resize_status'")
            row = cur.fetchone()
        if not row or not row[1] or "complete" in row[1].lower():
            return
        time.sleep(0.5)


def site_name(db_type: str, n_items: int) -> str:
    return f"bench-catalog-{db_type}.localhost" if n_items == 100_000 else f"bench-catalog-{db_type}-{n_items}.localhost"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-types", default="mariadb,sqlite", help="comma-separated engines (default mariadb,sqlite)")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--sites-path", default=_bench.DEFAULT_SITES_PATH)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the catalog sites even if reusable")
    ap.add_argument("--iterations", type=int, default=200, help="timed calls per case (default 200)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--http", action="store_true", help="also measure over HTTP (gunicorn + wrk)")
    ap.add_argument("--http-only", action="store_true", help="skip the in-process measurements")
    ap.add_argument("--http-duration", type=int, default=10)
    ap.add_argument("--http-connections", type=int, default=4)
    ap.add_argument("--no-redis", action="store_true")
    ap.add_argument("--json", help="also write the figures to this file (benchmarks/issue17.py reads it)")
    ap.add_argument("--compare", type=int, default=0, metavar="N",
                    help="also compare the indexed search with the plain scan for N random terms (issue 17: 300)")
    ap.add_argument("--innodb-buffer-pool-mb", type=int, default=0, metavar="MB",
                    help="MariaDB: run with this InnoDB buffer pool (SET GLOBAL, put back afterwards); the issue's "
                         "baseline machine had 1024, this machine's server 128")
    args = ap.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    log(f"MedGrid catalog benchmark — {_bench.machine_summary()}; {args.items:,} items")
    log(f"  CPU calibration (2M-iteration Python loop, best of 3): {_bench.cpu_calibration():.3f} s")
    _bench.prepare_sites_path(sites_path, redis=not args.no_redis)
    all_results = []
    for db_type in [d for d in args.db_types.split(",") if d]:
        with buffer_pool(args.innodb_buffer_pool_mb if db_type == "mariadb" else 0):
            all_results.append(run_engine(args, db_type, sites_path))
    summary(all_results)
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": _bench.machine_summary(), "engines": all_results}, f, indent=1, default=str)


if __name__ == "__main__":
    main()

"""The MedGrid fixture site of security-desk.json: frappe + erpnext + medgrid with the app's demo data
(``medgrid.setup.demo.make_demo_data``) plus what the recording's ``fixtures`` describe and what its
recorded bodies show about them.

Built once per test session on the engine named by ``MEDGRID_TEST_DB`` (sqlite, mariadb, postgres);
there is one timeline, so there is no snapshot/restore. What stands in for the recording bench:

* users partner@clinic.example (Customer / Partner Platform, User Permission Customer = Demo Clinic
  Partner), rep@medgrid.example (Internal Sales Rep; MedGrid Sales Rep territory United States),
  vendor@vendor.example (External Vendor), admin@medgrid.example (MedGrid Marketplace Admin + System
  Manager) with API keys, and setup@medgrid.example (the bench's setup user; C01/C02 list it);
* customers Demo Clinic Partner (demo data), Other Clinic (United States), Toronto Clinic (Canada);
* the demo items ITEM-001..005 with their stock and prices, and the first 20 EXOCEU-* item names of the
  recording's Item list (B09), without stock;
* Sales Orders SO-2026-00001..00071 created by the partner: 326 lines in all (A06), SO-2026-00003
  cancelled, SO-2026-00005 a Toronto Clinic draft with one ITEM-002 line (A05/A07), SO-2026-00071 the
  5-line submitted order of A04/A10, and ITEM-001 reserved so that its projected qty in Skydell Main is
  15 (B06);
* the vendors are the fake connectors of tests/apps/medgrid_fake_vendors (the recording bench sent to
  vendor sandboxes); jobs run when the request commits (``run_jobs_synchronously``), so a dispatch is
  "Sent" by the time the next request reads it (C11). The fixture orders are not dispatched.
"""

from __future__ import annotations

import os
import secrets

from . import compare as cmp
from .replay import Credentials
from .site import ConformanceSite

SITE_NAME = "real.localhost"  # the recording's Host header
PASSWORD = "Probe-Pass-2026"
THROWAWAY_USER = "lockout-probe-conformance@example.com"
THROWAWAY_PASSWORD = "Lockout-Probe-Pass-2026!"

ADMIN_ROLE = "MedGrid Marketplace Admin"
USERS = [
    # (key, email, first name, roles) in creation order
    ("ADMIN", "admin@medgrid.example", "Marketplace Admin", [ADMIN_ROLE, "System Manager"]),
    ("PARTNER", "partner@clinic.example", "Clinic Partner", ["Customer / Partner Platform"]),
    ("VENDOR", "vendor@vendor.example", "Vendor", ["External Vendor"]),
    ("REP", "rep@medgrid.example", "Sales Rep", ["Internal Sales Rep"]),
    (None, "setup@medgrid.example", "Setup", ["System Manager"]),
]
PARTNER = "partner@clinic.example"
REP = "rep@medgrid.example"
# the recording's rep User document (C03b) shows these stored values
REP_FIELDS = {"username": "sales_rep", "time_zone": "America/New_York", "onboarding_status": "{}"}
LAST_KNOWN_VERSIONS = (
    '{"frappe": {"title": "Frappe Framework", "description": "Full stack web framework with Python, Javascript, '
    'MariaDB, Redis, Node", "branch": "", "version": "15.101.1"}, "erpnext": {"title": "ERPNext", "description": '
    '"ERP made simple", "branch": "", "version": "15.99.1"}, "medgrid": {"title": "MedGrid", "description": '
    '"Integration layer of a B2B medical-supply marketplace", "branch": "master", "version": "0.1.0"}}'
)
MAIN = "Skydell Main - SM"
EXO = "Skydell Exoceuticals - SM"
# first 20 names of the partner's Item list in B09 (Exoceuticals catalog items of the recording bench)
EXOCEU_ITEMS = [
    "EXO-SERUM-60ML", "EXOCEU-002-120ML", "EXOCEU-002-30ML", "EXOCEU-002-60ML", "EXOCEU-003-30ML",
    "EXOCEU-004-30ML", "EXOCEU-004-60ML", "EXOCEU-005-120ML", "EXOCEU-005-30ML", "EXOCEU-005-60ML",
    "EXOCEU-006-30ML", "EXOCEU-007-30ML", "EXOCEU-007-60ML", "EXOCEU-008-120ML", "EXOCEU-008-30ML",
    "EXOCEU-008-60ML", "EXOCEU-009-30ML", "EXOCEU-010-30ML", "EXOCEU-010-60ML", "EXOCEU-011-120ML",
]
RATES = {"ITEM-001": 89.0, "ITEM-002": 24.5, "ITEM-003": 19.0, "ITEM-004": 120.0, "ITEM-005": 149.0}
# SO-2026-00071 as A04/A10 list it (idx order)
ORDER_71 = [("ITEM-005", 1, EXO), ("ITEM-002", 1, MAIN), ("ITEM-001", 2, MAIN), ("ITEM-004", 1, MAIN),
            ("ITEM-003", 3, MAIN)]
RX_FIELDS = {"patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-12",
             "prescriber_npi": "1234567893", "prescriber_first_name": "Gregory", "prescriber_last_name": "House"}
TOTAL_LINES = 326  # A06: "data list had 326 items"
ITEM_001_RESERVED = 127  # B06: actual 142, projected 15


def fixture_orders() -> list[dict]:
    """SO-2026-00001..00071: {"n", "customer", "lines": [(item, qty, warehouse)], "state"}."""
    others = [n for n in range(2, 71) if n != 5]  # 68 orders
    # 326 lines: 00001 one, 00005 one, 00071 five; the other 68 share 319 (47 x 5 + 21 x 4)
    five = set(others[:47])
    # ITEM-001 reserved by submitted orders: 127 = 2 (00071) + 1 (00001) + the others except 00003
    reserving = [n for n in others if n != 3]  # 67 orders share 124: 57 x 2 + 10 x 1
    two = set(reserving[:57])
    orders = []
    for n in range(1, 72):
        if n == 5:
            orders.append({"n": n, "customer": "Toronto Clinic", "lines": [("ITEM-002", 1, MAIN)], "state": "draft"})
            continue
        if n == 71:
            orders.append({"n": n, "customer": "Demo Clinic Partner", "lines": ORDER_71, "state": "submitted",
                           "rx": True})
            continue
        if n == 1:
            lines = [("ITEM-001", 1, MAIN)]
        else:
            count = 5 if n in five else 4
            filler = ["ITEM-002", "ITEM-003", "ITEM-002", "ITEM-003"][: count - 1]
            lines = [("ITEM-001", 2 if n in two else 1, MAIN)] + [(code, 1, MAIN) for code in filler]
        orders.append({"n": n, "customer": "Demo Clinic Partner", "lines": lines,
                       "state": "cancelled" if n == 3 else "submitted"})
    assert sum(len(o["lines"]) for o in orders) == TOTAL_LINES
    assert sum(q for o in orders if o["state"] == "submitted" for code, q, wh in o["lines"]
               if code == "ITEM-001" and wh == MAIN) == ITEM_001_RESERVED
    return orders


class MedGridSite(ConformanceSite):
    """Same interface as ConformanceSite (the runner does not know the difference)."""

    site_name = SITE_NAME

    def __init__(self, root: str):
        super().__init__(root)
        self.site_path = os.path.join(self.sites_path, SITE_NAME)
        self.db_type = os.environ.get("MEDGRID_TEST_DB", "sqlite")
        self.site_config: dict = {}

    # ------------------------------------------------------------------ build
    def build(self, db_type: str | None = None) -> None:
        import frappe
        from frappe.installer import new_site, update_site_config

        os.environ["MEDGRID_SITES_PATH"] = self.sites_path
        os.makedirs(self.sites_path, exist_ok=True)
        self.db_type = db_type or self.db_type
        db_name = None if self.db_type == "sqlite" else f"_mgconf_{secrets.token_hex(5)}"
        new_site(SITE_NAME, sites_path=self.sites_path, db_type=self.db_type, db_name=db_name,
                 admin_password=PASSWORD, install_apps=["erpnext", "medgrid", "medgrid_fake_vendors"], force=True)
        self.site_config = frappe.get_site_config(self.sites_path, self.site_path)
        with self.frappe_context() as f:
            update_site_config("run_jobs_synchronously", 1)
            populate(f, self)
        self.credentials = self._make_credentials()

    def _make_credentials(self) -> Credentials:
        keys = {}
        with self.frappe_context() as frappe:
            from frappe.core.doctype.user.user import generate_keys

            for who, email, _first, _roles in USERS:
                if who:
                    result = generate_keys(email)
                    keys[who] = (result["api_key"], result["api_secret"])
        return Credentials(api_keys=keys, password=PASSWORD,
                           placeholders={"<throwaway-user>": THROWAWAY_USER, "<THROWAWAY_PASSWORD>": THROWAWAY_PASSWORD})

    def teardown(self) -> None:
        from frappe.installer import drop_site_database

        if self.site_config.get("db_type") in ("mariadb", "postgres"):
            drop_site_database(self.site_config)

    # ------------------------------------------------------------------ per-timeline
    def reset(self, config) -> None:
        """One timeline runs on the freshly built site; only the cache (login failure counts, rate
        limits) and the configuration of the timeline are applied."""
        os.environ["MEDGRID_SITES_PATH"] = self.sites_path
        with self.frappe_context() as f:
            cache = f.cache() if callable(f.cache) else f.cache
            cache.flushall()
            for key, value in config.system_settings.items():
                f.db.set_single_value("System Settings", key, value)
            f.clear_cache()

    def after_timeline(self, state) -> None:
        self._restore_env()

    def before_exchange(self, step, state) -> None:
        pass

    def run_action(self, name: str, state, **kwargs) -> None:
        ACTIONS[name](self, state, **kwargs)

    def extra_check(self, name, step, state, live, elapsed) -> list:
        return []

    def aggregate_check(self, name, step, state, lives) -> list:
        return AGGREGATE_CHECKS[name](self, step, state, lives)


# ====================================================================== fixture data

def _insert(frappe, values: dict):
    doc = frappe.get_doc(values)
    doc.insert(ignore_permissions=True)
    return doc


def populate(frappe, site: MedGridSite) -> None:
    from frappe.permissions import add_user_permission
    from frappe.utils import add_days, now_datetime, nowdate
    from frappe.utils.password import update_password

    from medgrid.setup.demo import make_demo_data

    make_demo_data()
    # the recording's settings (common.config): tracebacks on, Frappe's lock-out defaults
    for key, value in (("allow_error_traceback", 1), ("allow_consecutive_login_attempts", 10),
                       ("allow_login_after_fail", 60)):
        frappe.db.set_single_value("System Settings", key, value)

    if not frappe.db.exists("Territory", "Canada"):
        _insert(frappe, {"doctype": "Territory", "territory_name": "Canada", "parent_territory": "All Territories"})
    for customer, territory in (("Other Clinic", "United States"), ("Toronto Clinic", "Canada")):
        if not frappe.db.exists("Customer", customer):
            _insert(frappe, {"doctype": "Customer", "customer_name": customer, "customer_type": "Company",
                             "customer_group": "Commercial", "territory": territory,
                             "default_price_list": "Standard Selling"})

    for code in EXOCEU_ITEMS:
        if not frappe.db.exists("Item", code):
            _insert(frappe, {"doctype": "Item", "item_code": code, "item_name": code, "description": code,
                             "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1})

    for _who, email, first_name, roles in USERS:
        if not frappe.db.exists("User", email):
            _insert(frappe, {"doctype": "User", "email": email, "first_name": first_name, "enabled": 1,
                             "send_welcome_email": 0, "roles": [{"role": r} for r in roles]})
        update_password(email, PASSWORD)
    add_user_permission("Customer", "Demo Clinic Partner", PARTNER, ignore_permissions=True)
    if not frappe.db.exists("MedGrid Sales Rep", {"user": REP}):
        _insert(frappe, {"doctype": "MedGrid Sales Rep", "user": REP, "territories": [{"territory": "United States"}]})
    now = now_datetime()
    # fields the runtime's User lacks are left out here: C03b's comparison shows them
    user_fields = {df.fieldname for df in frappe.get_meta("User").fields}
    for _who, email, _first, _roles in USERS:
        values = {"last_known_versions": LAST_KNOWN_VERSIONS}
        if email != "setup@medgrid.example":  # C01: the setup user never logged in
            values.update(last_ip="127.0.0.1", last_login=now, last_active=now)
        if email == REP:
            values.update(REP_FIELDS)
        values = {k: v for k, v in values.items() if k in user_fields}
        if values:
            frappe.db.set_value("User", email, values, update_modified=False)
    frappe.db.commit()

    # ---- SO-2026-00001..00071; the fixture orders are not sent to vendors
    frappe.flags.medgrid_skip_dispatch = True
    delivery = add_days(nowdate(), 7)
    try:
        for order in fixture_orders():
            name = f"SO-2026-{order['n']:05d}"
            if frappe.db.exists("Sales Order", name):
                continue
            partner_order = order["customer"] == "Demo Clinic Partner"
            frappe.set_user(PARTNER if partner_order else "Administrator")
            values = {"doctype": "Sales Order", "customer": order["customer"], "delivery_date": delivery,
                      "items": [{"item_code": code, "qty": qty, "rate": RATES[code], "warehouse": wh}
                                for code, qty, wh in order["lines"]]}
            if order.get("rx"):
                values.update(RX_FIELDS)
            doc = _insert(frappe, values)
            if doc.name != name:
                site.fixture_notes.append(f"fixture order {order['n']} was named {doc.name}, the recording has {name}")
            if order["state"] in ("submitted", "cancelled"):
                doc.submit()
            if order["state"] == "cancelled":
                frappe.set_user("Administrator")
                frappe.get_doc("Sales Order", doc.name).cancel()
            frappe.db.commit()
    finally:
        frappe.flags.medgrid_skip_dispatch = False
        frappe.set_user("Administrator")

    lines = frappe.db.count("Sales Order Item", {"parenttype": "Sales Order"})
    if lines != TOTAL_LINES:
        site.fixture_notes.append(f"{lines} Sales Order Item rows, the recording has {TOTAL_LINES} (A06)")
    projected = frappe.db.get_value("Bin", {"item_code": "ITEM-001", "warehouse": MAIN}, "projected_qty")
    if projected != 15:
        site.fixture_notes.append(f"ITEM-001 projected qty in {MAIN} is {projected}, the recording shows 15 (B06)")
    frappe.db.commit()


# ====================================================================== actions

def _action_no_stock_draft(site, state, exchange_key: str):
    """B07 asked for ITEM-001 in a warehouse that holds none; MedGrid refuses it (issue 12 item 11),
    but C08 submits the draft B07 created on the recording bench. Create that draft here directly
    (the app's line checks off), under the name B07 got, unless B07 created it."""
    result = state.results.get(exchange_key)
    if result is not None and result.response is not None and result.response.status == 200:
        return
    with site.frappe_context(PARTNER) as frappe:
        from frappe.utils import add_days, nowdate

        doc = frappe.get_doc({"doctype": "Sales Order", "customer": "Demo Clinic Partner",
                              "delivery_date": add_days(nowdate(), 7),
                              "items": [{"item_code": "ITEM-001", "qty": 1, "rate": 89, "warehouse": EXO}]})
        doc.flags.medgrid_skip_validation = True
        doc.insert(ignore_permissions=True)
        recorded = "SO-2026-00073"
        if doc.name != recorded:
            state.bindings.names[recorded] = doc.name


ACTIONS = {"no_stock_draft": _action_no_stock_draft}


def _aggregate_one_dispatch(site, step, state, lives) -> list:
    """C10: no 5xx, at least one submit succeeded, the order is submitted, one dispatch row per vendor."""
    diffs = []
    statuses = [live.status for live in lives]
    if len(lives) != len(step.exchanges):
        diffs.append(cmp.Difference("parallel(answers)", len(step.exchanges), len(lives), "requests did not complete"))
    if any(s >= 500 for s in statuses):
        diffs.append(cmp.Difference("parallel(statuses)", "no 5xx", statuses))
    if 200 not in statuses:
        diffs.append(cmp.Difference("parallel(statuses)", "at least one 200", statuses))
    path = step.exchanges[0].record["request"]["path"]
    name = state.bindings.rename(path.rsplit("/", 1)[-1])
    with site.frappe_context(commit=False) as frappe:
        docstatus = frappe.db.get_value("Sales Order", name, "docstatus")
        vendors = [r.vendor for r in frappe.get_all("Fulfillment Dispatch", filters={"sales_order": name},
                                                     fields=["vendor"])]
    if docstatus != 1:
        diffs.append(cmp.Difference(f"Sales Order {name}.docstatus", 1, docstatus))
    if not vendors or len(vendors) != len(set(vendors)):
        diffs.append(cmp.Difference(f"Fulfillment Dispatch vendors of {name}", "exactly one row per vendor",
                                    sorted(vendors), f"statuses {statuses}"))
    return diffs


AGGREGATE_CHECKS = {"one_dispatch_per_vendor": _aggregate_one_dispatch}

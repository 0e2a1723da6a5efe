"""The conformance site: built once per test session from the recordings' fixture description,
snapshotted, and restored before every timeline.

Fixture data follows resource.json ``fixtures`` plus what the recorded bodies show about it
(owners, item names and groups, prices, stock and valuation rates, the billing address, users'
first names). Placeholders of the recordings are filled in with real values created here: API keys
come from ``frappe.core.doctype.user.user.generate_keys``, one password serves every user.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import time

from . import compare as cmp
from .replay import Credentials, Replayer

SITE_NAME = "medgrid.localhost"
PASSWORD = "Probe-Pass-2026"
PROBE_APP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "probe_app")

COMPANY = "MedGrid Demo Inc"
ABBR = "MGD"
USERS = [
    # (email, first_name, roles) in creation order
    ("setup-admin@example.com", "SetupAdmin", ["System Manager"]),
    ("api-admin@example.com", "ApiAdmin", [
        "System Manager", "Sales Manager", "Sales User", "Stock User", "Stock Manager", "Item Manager",
        "Accounts User", "Sales Master Manager",
    ]),
    ("sales-user@example.com", "SalesOnly", ["Sales User"]),
    ("norole@example.com", "NoRole", []),
]
API_USERS = {"ADMIN": "api-admin@example.com", "SALES": "sales-user@example.com", "NOROLE": "norole@example.com"}
ITEMS = [
    # item_code, item_name, item_group, is_stock_item, selling price, [(warehouse, qty, rate)]
    ("MG-SYRINGE-5ML", "Syringe 5ml", "Consumable", 1, 1.5, [("Stores", 500, 0.5)]),
    ("MG-GLOVE-M", "Nitrile Glove M", "Consumable", 1, 0.6, [("Stores", 1000, 0.2)]),
    ("MG-MASK-N95", "N95 Mask", "Consumable", 1, 4.5, [("Stores", 200, 1.5), ("Pharmacy", 50, 1.5)]),
    ("MG-CONSULT", "Consultation", "Services", 0, None, []),
]


class FixtureError(RuntimeError):
    pass


class ConformanceSite:
    site_name = SITE_NAME

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.sites_path = os.path.join(self.root, "sites")
        self.site_path = os.path.join(self.sites_path, SITE_NAME)
        self.snapshot_path = os.path.join(self.root, "snapshot")
        self.credentials: Credentials | None = None
        self.today = datetime.date.today()
        self.fixture_notes: list[str] = []
        self.db_type = "sqlite"
        self._replayer = Replayer(self._application)
        self._env_set: dict = {}

    # ------------------------------------------------------------------ frappe context
    @contextlib.contextmanager
    def frappe_context(self, user: str = "Administrator", commit: bool = True):
        import frappe

        frappe.init(self.site_name, sites_path=self.sites_path, force=True)
        try:
            frappe.connect()
            frappe.set_user(user)
            yield frappe
            if commit:
                frappe.db.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                frappe.db.rollback()
            raise
        finally:
            frappe.destroy()

    def _application(self):
        from frappe.app import application

        return application

    def send(self, request: dict):
        os.environ["MEDGRID_SITES_PATH"] = self.sites_path  # other suites in the session may move it
        return self._replayer.send(request)

    # ------------------------------------------------------------------ build
    def build(self, db_type: str | None = None) -> None:
        from frappe.installer import new_site

        os.environ["MEDGRID_SITES_PATH"] = self.sites_path
        os.makedirs(self.sites_path, exist_ok=True)
        self.db_type = db_type or os.environ.get("MEDGRID_CONFORMANCE_DB_TYPE") or "sqlite"
        if self.db_type != "sqlite":
            raise FixtureError("the conformance snapshot/restore needs an sqlite site (set MEDGRID_CONFORMANCE_DB_TYPE=sqlite)")
        new_site(SITE_NAME, sites_path=self.sites_path, db_type=self.db_type, admin_password=PASSWORD,
                 install_apps=["erpnext", "contract_probe"], force=True)
        with self.frappe_context() as f:
            populate(f, self)
        self.credentials = self._make_credentials()
        if os.path.isdir(self.snapshot_path):
            shutil.rmtree(self.snapshot_path)
        shutil.copytree(self.site_path, self.snapshot_path)
        with open(os.path.join(self.root, "credentials.json"), "w") as fh:
            json.dump({"api_keys": self.credentials.api_keys, "password": PASSWORD}, fh, indent=1)

    def _make_credentials(self) -> Credentials:
        keys = {}
        with self.frappe_context() as frappe:
            from frappe.core.doctype.user.user import generate_keys

            for who, user in API_USERS.items():
                result = generate_keys(user) or {}
                api_key = result.get("api_key") or frappe.db.get_value("User", user, "api_key")
                keys[who] = (api_key, result["api_secret"])
        return Credentials(api_keys=keys, password=PASSWORD)

    # ------------------------------------------------------------------ per-timeline reset
    def reset(self, config) -> None:
        import frappe

        self._restore_env()
        os.environ["MEDGRID_SITES_PATH"] = self.sites_path
        shutil.rmtree(self.site_path)
        shutil.copytree(self.snapshot_path, self.site_path)
        conf_path = os.path.join(self.site_path, "site_config.json")
        with open(conf_path) as fh:
            conf = json.load(fh)
        conf.update(config.site_config)
        with open(conf_path, "w") as fh:
            json.dump(conf, fh, indent=1, sort_keys=True)
        for key, value in config.env.items():
            self._env_set[key] = os.environ.get(key)
            os.environ[key] = value
        # module-level caches of the runtime that outlive a request
        if hasattr(frappe, "_site_config_cache"):
            frappe._site_config_cache.clear()
        with self.frappe_context() as f:
            cache = f.cache() if callable(f.cache) else f.cache
            cache.flushall()
            for key, value in config.system_settings.items():
                f.db.set_single_value("System Settings", key, value)
            f.clear_cache()
        from contract_probe import probe

        probe.reset(False)
        for name in ("contract_probe_jobs_mode.txt", "contract_probe_jobs.jsonl", "contract_probe_submits.jsonl"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.site_path, name))

    def _restore_env(self) -> None:
        for key, old in self._env_set.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        self._env_set = {}

    def after_timeline(self, state) -> None:
        self._restore_env()
        from contract_probe import probe

        probe.reset(False)

    # ------------------------------------------------------------------ hooks used by the runner
    def before_exchange(self, step, state) -> None:
        if step.extra_check == "lifecycle_log":
            from contract_probe import probe

            probe.reset(True)

    def run_action(self, name: str, state, **kwargs) -> None:
        ACTIONS[name](self, state, **kwargs)

    def extra_check(self, name, step, state, live, elapsed) -> list:
        return EXTRA_CHECKS[name](self, step, state, live)

    # ------------------------------------------------------------------ csrf
    def csrf_token_for(self, sid: str, html: str) -> str | None:
        import re

        m = re.search(r"csrf_token\s*[=:]\s*[\"']([0-9a-zA-Z]+)[\"']", html)
        if m:
            return m.group(1)
        with self.frappe_context(commit=False) as frappe:
            with contextlib.suppress(Exception):
                data = frappe.cache.hget("session", sid)
                if data:
                    data = data if isinstance(data, dict) else json.loads(data)
                    token = (data.get("data") or data).get("csrf_token")
                    if token:
                        return token
            with contextlib.suppress(Exception):
                raw = frappe.db.sql("select sessiondata from `tabSessions` where sid=%s", sid)
                if raw:
                    import ast

                    value = raw[0][0]
                    data = json.loads(value) if value.strip().startswith("{\"") else ast.literal_eval(value)
                    return data.get("csrf_token")
        return None


# ====================================================================== fixture data

def _meta_fields(frappe, doctype: str) -> set:
    meta = frappe.get_meta(doctype)
    return {df.fieldname for df in meta.fields} | {"name", "doctype", "owner", "docstatus"}


def _insert(frappe, site: ConformanceSite, values: dict, submit: bool = False):
    """Insert a document with the keys its doctype knows; unknown keys are noted, not sent."""
    doctype = values["doctype"]
    known = _meta_fields(frappe, doctype)
    clean = {}
    for key, value in values.items():
        if key in known:
            if isinstance(value, list) and value and isinstance(value[0], dict):
                child_doctype = frappe.get_meta(doctype).get_field(key).options
                child_known = _meta_fields(frappe, child_doctype)
                dropped = sorted({k for row in value for k in row} - child_known)
                if dropped and f"{child_doctype}: fields {dropped} do not exist in the runtime, not set" not in site.fixture_notes:
                    site.fixture_notes.append(f"{child_doctype}: fields {dropped} do not exist in the runtime, not set")
                value = [{k: v for k, v in row.items() if k in child_known} for row in value]
            clean[key] = value
        else:
            note = f"{doctype}: field {key!r} does not exist in the runtime, not set"
            if note not in site.fixture_notes:
                site.fixture_notes.append(note)
    doc = frappe.get_doc(clean)
    doc.insert(ignore_permissions=True)
    if submit:
        doc.submit()
    return doc


def _doctype_exists(frappe, doctype: str) -> bool:
    try:
        frappe.get_meta(doctype)
    except Exception:
        return False
    return True


def _ensure(frappe, site, doctype: str, name: str, values: dict):
    if frappe.db.exists(doctype, name):
        return frappe.get_doc(doctype, name)
    return _insert(frappe, site, dict(values, doctype=doctype))


def populate(frappe, site: ConformanceSite) -> None:
    from frappe.utils.password import update_password

    # ---- territories the setup wizard creates (United States from the company's country)
    for territory in ("United States", "Rest Of The World"):
        _ensure(frappe, site, "Territory", territory,
                {"territory_name": territory, "parent_territory": "All Territories", "is_group": 0})

    # ---- company (its default warehouses come from the Company controller), fiscal year, Pharmacy
    _ensure(frappe, site, "Company", COMPANY, {
        "company_name": COMPANY, "abbr": ABBR, "default_currency": "USD", "country": "United States",
    })
    if _doctype_exists(frappe, "Fiscal Year"):
        _ensure(frappe, site, "Fiscal Year", "2026", {
            "year": "2026", "year_start_date": "2026-01-01", "year_end_date": "2026-12-31",
        })
    for wh in ("Stores", "Work In Progress", "Finished Goods", "Goods In Transit"):
        if not frappe.db.exists("Warehouse", f"{wh} - {ABBR}"):
            site.fixture_notes.append(f"Company did not create warehouse '{wh} - {ABBR}'")
    _ensure(frappe, site, "Warehouse", f"Pharmacy - {ABBR}", {
        "warehouse_name": "Pharmacy", "parent_warehouse": f"All Warehouses - {ABBR}", "company": COMPANY,
        "is_group": 0,
    })

    # ---- users (first names are what the recordings show as full_name)
    for email, first_name, roles in USERS:
        if not frappe.db.exists("User", email):
            _insert(frappe, site, {
                "doctype": "User", "email": email, "first_name": first_name, "enabled": 1,
                "send_welcome_email": 0, "roles": [{"role": r} for r in roles],
            })
        update_password(email, PASSWORD)

    # ---- items, prices
    for code, item_name, group, is_stock, price, _stock in ITEMS:
        values = {
            "item_code": code, "item_name": item_name, "description": item_name, "item_group": group,
            "stock_uom": "Nos", "is_stock_item": is_stock, "include_item_in_manufacturing": 0,
        }
        if is_stock:
            values["item_defaults"] = [{"company": COMPANY, "default_warehouse": f"Stores - {ABBR}"}]
        _ensure(frappe, site, "Item", code, values)
        if price is not None and not frappe.db.exists("Item Price", {"item_code": code, "price_list": "Standard Selling"}):
            _insert(frappe, site, {
                "doctype": "Item Price", "item_code": code, "price_list": "Standard Selling",
                "price_list_rate": price, "currency": "USD",
            })

    # ---- one submitted Material Receipt: MAT-STE-2026-00001
    if not frappe.db.exists("Stock Entry", {"docstatus": 1}):
        rows = []
        for code, _n, _g, _s, _p, stock in ITEMS:
            for warehouse, qty, rate in stock:
                rows.append({"item_code": code, "qty": qty, "t_warehouse": f"{warehouse} - {ABBR}",
                             "basic_rate": rate, "uom": "Nos", "conversion_factor": 1})
        doc = _insert(frappe, site, {
            "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
            "company": COMPANY, "items": rows,
        }, submit=True)
        if doc.name != "MAT-STE-2026-00001":
            site.fixture_notes.append(f"the stock entry was named {doc.name}, recordings show MAT-STE-2026-00001")

    # ---- customers and the billing address
    for customer in ("MedGrid Clinic", "Second Customer LLC"):
        _ensure(frappe, site, "Customer", customer, {
            "customer_name": customer, "customer_type": "Company", "customer_group": "Commercial",
            "territory": "United States",
        })
    if not frappe.db.exists("Address", "MedGrid Clinic-Billing"):
        _insert(frappe, site, {
            "doctype": "Address", "address_title": "MedGrid Clinic", "address_type": "Billing",
            "address_line1": "1 Main St", "city": "Springfield", "state": "IL", "pincode": "62701",
            "country": "United States", "is_primary_address": 1,
            "links": [{"link_doctype": "Customer", "link_name": "MedGrid Clinic"}],
        })
    frappe.db.commit()


# ====================================================================== actions

def _action_lifecycle_logging(site, state, enabled: bool):
    from contract_probe import probe

    probe.reset(enabled)


def _action_territory_setup(site, state):
    with site.frappe_context() as frappe:
        for territory in ("North", "South"):
            _ensure(frappe, site, "Territory", territory,
                    {"territory_name": territory, "parent_territory": "All Territories", "is_group": 0})
        for customer, territory in (("MedGrid Clinic", "North"), ("Second Customer LLC", "South")):
            doc = frappe.get_doc("Customer", customer)
            doc.territory = territory
            doc.save(ignore_permissions=True)


def _action_user_permission(site, state, create: bool):
    with site.frappe_context() as frappe:
        filters = {"user": "sales-user@example.com", "allow": "Territory", "for_value": "North"}
        if create:
            frappe.get_doc(dict(filters, doctype="User Permission", apply_to_all_doctypes=1)).insert(
                ignore_permissions=True)
        else:
            for name in frappe.get_all("User Permission", filters=filters, pluck="name"):
                frappe.delete_doc("User Permission", name, ignore_permissions=True)


def _action_custom_fields(site, state, definition: dict):
    from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

    fields = {dt: rows for dt, rows in definition.items() if dt != "later"}
    with site.frappe_context():
        create_custom_fields(fields)


def _action_custom_fields_flip(site, state):
    from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

    with site.frappe_context():
        create_custom_fields({"Sales Order": [{"fieldname": "probe_tracking_number", "allow_on_submit": 1}]},
                             update=True)


def _action_naming_series_restore(site, state):
    with site.frappe_context() as frappe:
        for name in ("Sales Order-naming_series-default", "Sales Order-naming_series-options"):
            if _doctype_exists(frappe, "Property Setter") and frappe.db.exists("Property Setter", name):
                frappe.delete_doc("Property Setter", name, ignore_permissions=True)
        frappe.clear_cache(doctype="Sales Order")
        if frappe.db.exists("Sales Order", "XX-2026-00001"):
            frappe.delete_doc("Sales Order", "XX-2026-00001", ignore_permissions=True)
        frappe.db.sql("delete from `tabSeries` where name=%s", ("XX-2026-",))


def _action_jobs_mode(site, state, mode):
    path = os.path.join(site.site_path, "contract_probe_jobs_mode.txt")
    if mode:
        with open(path, "w") as fh:
            fh.write(mode)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _action_spend_global_rate_limit(site, state, microseconds: int, window: int):
    """Add request time to the site-wide budget counter (contract 4.2: key
    ``rate-limit-counter-<floor(now/window)>``, incremented by the request duration in µs)."""
    with site.frappe_context() as frappe:
        cache = frappe.cache() if callable(frappe.cache) else frappe.cache
        key = cache.make_key(f"rate-limit-counter-{int(time.time()) // window}")
        cache.incrby(key, microseconds)
        cache.expire(key, window)


ACTIONS = {
    "spend_global_rate_limit": _action_spend_global_rate_limit,
    "lifecycle_logging": _action_lifecycle_logging,
    "territory_setup": _action_territory_setup,
    "user_permission": _action_user_permission,
    "custom_fields": _action_custom_fields,
    "custom_fields_flip": _action_custom_fields_flip,
    "naming_series_restore": _action_naming_series_restore,
    "jobs_mode": _action_jobs_mode,
}


# ====================================================================== extra checks

def _check_capture_csrf(site, step, state, live) -> list:
    sid = state.subs.sids.get("8")
    token = site.csrf_token_for(sid, live.text) if sid else None
    if not token:
        return [cmp.Difference("csrf_token", "a csrf_token stored in the session by GET /app", cmp.MISSING,
                               "could not find the session's csrf_token (page source or session store)")]
    state.subs.csrf_token = token
    return []


def _check_lifecycle_log(site, step, state, live) -> list:
    from contract_probe import probe

    expected = step.record["lifecycle_log (recorder-added)"]
    actual = list(probe.LOG)
    probe.LOG.clear()
    if site.db_type != "sqlite":  # the committed-state probe reads the sqlite file directly
        expected = [{k: v for k, v in e.items() if k != "in_db_other_conn"} for e in expected]
        actual = [{k: v for k, v in a.items() if k != "in_db_other_conn"} for a in actual]
    comparator = cmp.JsonComparator(cmp.Bindings())
    comparator.compare(expected, actual, f"lifecycle_log[{step.record['lifecycle_step']}]")
    return comparator.diffs


def _read_jsonl(path: str) -> list:
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _check_job_probe(site, step, state, live) -> list:
    from known_differences import Known

    expected = step.record.get("probe_result (recorder-added)") or {}
    if not expected:
        return []
    so_name = state.current_request["path"].split("?")[0].rsplit("/", 1)[-1]
    deadline = time.time() + (6 if expected.get("job_ran") else 1.5)
    jobs: list = []
    while time.time() < deadline:
        jobs = [j for j in _read_jsonl(os.path.join(site.site_path, "contract_probe_jobs.jsonl"))
                if j.get("sales_order") == so_name]
        if jobs and expected.get("job_ran"):
            break
        time.sleep(0.1)
    submits = [s for s in _read_jsonl(os.path.join(site.site_path, "contract_probe_submits.jsonl"))
               if s.get("sales_order") == so_name]
    job = jobs[0] if jobs else {}
    actual = {
        "http_status": live.status,
        "enqueue_return_type": submits[0].get("enqueue_return_type") if submits else None,
        "request_committed": any(s.get("committed") for s in submits),
        "job_ran": bool(jobs),
        "docstatus_seen_by_job": job.get("docstatus_seen_by_job"),
        "status_seen_by_job": job.get("status_seen_by_job"),
        "job_user": job.get("job_user"),
    }
    skips = Known().job_probe_skips(step.source, step.key)
    diffs = []
    for key, value in actual.items():
        if key in skips:
            continue
        exp = expected.get(key)
        if key == "enqueue_return_type" and "enqueue_return_type:Job" in skips and exp == "Job":
            if value in (None, "NoneType"):
                diffs.append(cmp.Difference(f"probe_result.{key}", "a job handle", value))
            continue
        if exp != value:
            diffs.append(cmp.Difference(f"probe_result.{key}", exp, value))
    return diffs


EXTRA_CHECKS = {
    "capture_csrf_token": _check_capture_csrf,
    "lifecycle_log": _check_lifecycle_log,
    "job_probe": _check_job_probe,
}

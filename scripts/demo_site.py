"""Create (or reuse) the demo site: SQLite, the guide's catalog, a user per role, integrations on sandboxes.

Run by scripts/run.sh; safe to run again (it completes what is missing and changes nothing else).
API keys are printed once, when a user is created; regenerate them with
``medgrid-runtime --site medgrid.localhost execute frappe.core.doctype.user.user.generate_keys --args "['<user>']"``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import frappe
from frappe.installer import new_site, update_site_config

# the sandbox package (which sandboxes exist and how they point MedGrid at them) lives at the repository root
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SITE = "medgrid.localhost"
PASSWORD = "MedGrid-Demo-1"

DEMO_USERS = [
    # email, first name, roles, Customer restriction
    ("partner@clinic.example", "Partner", ["Customer / Partner Platform"], "Demo Clinic Partner"),
    ("rep@medgrid.example", "Sales Rep", ["Internal Sales Rep"], None),
    ("vendor@vendor.example", "Vendor", ["External Vendor"], None),
    ("admin@medgrid.example", "Marketplace Admin", ["MedGrid Marketplace Admin", "System Manager"], None),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites-path", default=os.environ.get("MEDGRID_SITES_PATH") or "sites")
    parser.add_argument("--port", type=int, default=8000, help="MedGrid's web port (for webhook URLs)")
    parser.add_argument("--sandbox-ports", default="9101,9102,9103,9104,9105",
                        help="one per sandbox, in the vendor registry's order (PerfectRx, ShipStation, SINQ, "
                             "Centre Research, Shopify)")
    parser.add_argument("--redis", default="", help="redis URL for jobs and cache (empty: in-process)")
    args = parser.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    os.makedirs(sites_path, exist_ok=True)
    _common_config(sites_path, args.redis)

    created = not os.path.exists(os.path.join(sites_path, SITE, "site_config.json"))
    if created:
        print(f"Creating the demo site {SITE} (SQLite) …", flush=True)
        new_site(SITE, sites_path=sites_path, db_type="sqlite", admin_password=PASSWORD,
                 install_apps=["erpnext", "medgrid"])
    frappe.init(SITE, sites_path=sites_path, force=True)
    frappe.connect()
    try:
        from frappe.migrate import migrate

        if not created:
            migrate()
        from medgrid.setup.demo import make_demo_data

        make_demo_data()
        # no tracebacks (server paths, code) in error bodies: what every production site should set
        frappe.db.set_single_value("System Settings", "allow_error_traceback", 0)
        keys = _make_users()
        # the portal's back office (payouts, vendor dashboard, support) needs the demo users above
        from medgrid.setup.demo_portal import make_portal_demo

        make_portal_demo()
        _point_integrations_at_sandboxes(args.port, [int(p) for p in args.sandbox_ports.split(",")])
        frappe.db.commit()
    finally:
        frappe.destroy()
    _print_keys(keys)


def _common_config(sites_path: str, redis_url: str) -> None:
    path = os.path.join(sites_path, "common_site_config.json")
    config = json.load(open(path)) if os.path.exists(path) else {}
    config["default_site"] = SITE
    if redis_url:
        config["redis_queue"] = redis_url
        config["redis_cache"] = redis_url
    else:
        config.pop("redis_queue", None)
        config.pop("redis_cache", None)
    with open(path, "w") as f:
        json.dump(config, f, indent=1)


def _make_users() -> dict:
    from frappe.core.doctype.user.user import generate_keys
    from frappe.permissions import add_user_permission
    from frappe.utils.password import update_password

    keys = {}
    for email, first_name, roles, customer in DEMO_USERS:
        if frappe.db.exists("User", email):
            continue
        frappe.get_doc({"doctype": "User", "email": email, "first_name": first_name, "send_welcome_email": 0,
                        "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
        update_password(email, PASSWORD)
        secret = generate_keys(email)["api_secret"]
        keys[email] = (frappe.db.get_value("User", email, "api_key"), secret)
        if customer:
            add_user_permission("Customer", customer, email, ignore_permissions=True)
    if not frappe.db.exists("MedGrid Sales Rep", "rep@medgrid.example"):
        frappe.get_doc({"doctype": "MedGrid Sales Rep", "user": "rep@medgrid.example",
                        "territories": [{"territory": "United States"}]}).insert(ignore_permissions=True)
    if not frappe.db.exists("Vendor Profile", "Demo Vendor"):
        frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": "Demo Vendor", "vendor_key": "shipstation",
                        "user": "vendor@vendor.example", "status": "Active"}).insert(ignore_permissions=True)
    return keys


def _set_single(doctype: str, values: dict) -> None:
    doc = frappe.get_single(doctype)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()


# What the demo sets besides what each sandbox says points MedGrid at it (its own medgrid_settings())
DEMO_SETTINGS = {
    "Exoceuticals Settings": {"warehouse": "Skydell Exoceuticals - SM", "item_group": "Products",
                              "price_list": "Standard Selling"},
}
# A vendor's own store connects itself from the portal: the sandbox's address is for reading only
SELF_SERVICE_DOCTYPES = ("Shopify Connection",)
SHIPSTATION_CONNECTION = "ShipStation Connection"


def _point_integrations_at_sandboxes(port: int, ports: list[int]) -> None:
    """Every vendor's settings point at its local sandbox (``ports`` in the registry's sandbox order), with
    the sandbox's default credentials; vendors with a Single settings doctype are enabled."""
    from sandbox import sandbox_class, sandbox_paths

    for name, sandbox_port in zip(sandbox_paths(), ports):
        sandbox = sandbox_class(name)(port=sandbox_port)
        for doctype, values in sandbox.medgrid_settings().items():
            values = {**values, **DEMO_SETTINGS.get(doctype, {})}
            if doctype in SELF_SERVICE_DOCTYPES:
                continue
            if doctype == SHIPSTATION_CONNECTION:
                _platform_shipstation(values)
                continue
            if frappe.get_meta(doctype).has_field("enabled"):
                values["enabled"] = 1
            _set_single(doctype, values)
    _set_single("MedGrid System Settings", {"medgrid_shopify_redirect_uri": f"http://127.0.0.1:{port}/api/method/"
                                                                            "medgrid.integrations.shopify_callback"})


def _platform_shipstation(values: dict) -> None:
    """MedGrid's own ShipStation account (vendors connect theirs from the portal)."""
    if not frappe.db.exists(SHIPSTATION_CONNECTION, {"is_platform": 1}):
        frappe.get_doc({"doctype": SHIPSTATION_CONNECTION, "is_platform": 1, "status": "Connected",
                        **values}).insert(ignore_permissions=True)


def _print_keys(keys: dict) -> None:
    if not keys:
        print("Demo users exist already; their API keys were shown when they were created.")
        return
    print("\nAPI keys (shown once — store them now):")
    for email, (key, secret) in keys.items():
        print(f"  {email:<28} Authorization: token {key}:{secret}")
    print(f"  Every demo user's password: {PASSWORD}")


if __name__ == "__main__":
    sys.exit(main())

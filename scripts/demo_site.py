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
                        help="PerfectRx, ShipStation, SINQ, Centre Research, Shopify")
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


def _point_integrations_at_sandboxes(port: int, ports: list[int]) -> None:
    """Every integration's base URL points at a local sandbox (the sandboxes' default credentials)."""
    perfectrx, shipstation, sinq, centre_research, shopify = (f"http://127.0.0.1:{p}" for p in ports)
    _set_single("PerfectRx Settings", {"enabled": 1, "base_url": perfectrx, "client_id": "sandbox-perfectrx-client",
                                       "client_secret": "sandbox-perfectrx-secret",
                                       "default_practice_id": "PRACTICE-001"})
    _set_single("SINQ Settings", {"enabled": 1, "sinq_api_url": sinq, "sinq_api_key": "sandbox-sinq-api-key",
                                  "sinq_webhook_key": "sandbox-sinq-webhook-key",
                                  "sinq_webhook_secret": "sandbox-sinq-webhook-secret"})
    _set_single("Centre Research Settings", {"enabled": 1, "centre_research_api_url": centre_research,
                                             "centre_research_api_key": "sandbox-centre-research-key"})
    _set_single("Exoceuticals Settings", {"enabled": 1, "shop_domain": "exoceuticals.myshopify.com",
                                          "api_base_url": shopify, "api_version": "2026-04",
                                          "client_id": "sandbox-exoceuticals-client",
                                          "client_secret": "sandbox-exoceuticals-client-secret",
                                          "access_token": "shpat_sandbox_exoceuticals_token",
                                          "webhook_secret": "sandbox-exoceuticals-webhook-secret",
                                          "warehouse": "Skydell Exoceuticals - SM", "item_group": "Products",
                                          "price_list": "Standard Selling"})
    _set_single("MedGrid System Settings", {"medgrid_shopify_api_key": "sandbox-medgrid-shopify-key",
                                            "medgrid_shopify_api_secret": "sandbox-medgrid-shopify-secret",
                                            "medgrid_shopify_redirect_uri": f"http://127.0.0.1:{port}/api/method/"
                                                                            "medgrid.integrations.shopify_callback"})
    if not frappe.db.exists("ShipStation Connection", {"is_platform": 1}):
        frappe.get_doc({"doctype": "ShipStation Connection", "is_platform": 1, "status": "Connected",
                        "base_url": shipstation, "api_key": "sandbox-shipstation-key",
                        "api_secret": "sandbox-shipstation-secret", "warehouse_id": "2001705", "store_id": "310001",
                        "webhook_token": "sandbox-shipstation-webhook-token"}).insert(ignore_permissions=True)


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

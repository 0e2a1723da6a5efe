"""An API test site: demo catalog, a user per MedGrid role with API keys, fake vendor connectors.

Requests go through ``frappe.app.application`` with Werkzeug's test client (real pipeline: auth,
permissions, error bodies, commits). Set-up and checks run inside ``site.context()``.
"""

from __future__ import annotations

import contextlib
import json
from urllib.parse import quote, urlencode

from werkzeug.test import Client

import frappe

SITE = "api.localhost"
# each customer's shipping address (an order may name only its own customer's)
SHIPPING_ADDRESSES = {"Demo Clinic Partner": "Demo Clinic Partner-Shipping", "Other Clinic": "Other Clinic-Shipping"}

# key: (email, roles, customer restriction)
USERS = {
    "partner": ("partner@clinic.example", ["Customer / Partner Platform"], "Demo Clinic Partner"),
    "partner2": ("partner2@other.example", ["Customer / Partner Platform"], "Other Clinic"),
    "rep": ("rep@medgrid.example", ["Internal Sales Rep"], None),
    "rep2": ("rep2@medgrid.example", ["Internal Sales Rep"], None),
    "vendor": ("vendor@vendor.example", ["External Vendor"], None),
    "admin": ("admin@medgrid.example", ["MedGrid Marketplace Admin"], None),
    "norole": ("norole@example.com", [], None),
}


class ApiSite:
    def __init__(self, sites_path: str):
        self.sites_path = sites_path
        self.keys: dict[str, tuple[str, str]] = {}
        self.client = Client(_app())

    @contextlib.contextmanager
    def context(self, user="Administrator"):
        frappe.init(SITE, sites_path=self.sites_path, force=True)
        frappe.connect()
        frappe.set_user(user)
        try:
            yield frappe
            frappe.db.commit()
        finally:
            frappe.destroy()

    def build(self):
        from frappe.core.doctype.user.user import generate_keys
        from frappe.permissions import add_user_permission

        from medgrid.setup.demo import make_demo_data

        with self.context():
            from frappe.installer import update_site_config

            # jobs run when the request commits, so tests read a settled state (the router's own
            # tests cover the submit returning before any vendor is called)
            update_site_config("run_jobs_synchronously", 1)
            make_demo_data()
            frappe.get_doc({"doctype": "Territory", "territory_name": "Canada",
                            "parent_territory": "All Territories"}).insert()
            frappe.get_doc({"doctype": "Customer", "customer_name": "Other Clinic", "customer_group": "Commercial",
                            "territory": "Canada"}).insert()
            frappe.get_doc({"doctype": "Address", "address_title": "Other Clinic", "address_type": "Shipping",
                            "address_line1": "1 Queen St", "city": "Toronto", "state": "ON", "pincode": "M5H 2N2",
                            "country": "Canada", "is_shipping_address": 1,
                            "links": [{"link_doctype": "Customer", "link_name": "Other Clinic"}]}).insert()
            for key, (email, roles, customer) in USERS.items():
                frappe.get_doc({"doctype": "User", "email": email, "first_name": key, "send_welcome_email": 0,
                                "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
                keys = generate_keys(email)
                self.keys[key] = (frappe.db.get_value("User", email, "api_key"), keys["api_secret"])
                if customer:
                    add_user_permission("Customer", customer, email, ignore_permissions=True)
            for rep, territory in (("rep", "United States"), ("rep2", "Canada")):
                frappe.get_doc({"doctype": "MedGrid Sales Rep", "user": USERS[rep][0],
                                "territories": [{"territory": territory}]}).insert()

    # ------------------------------------------------------------------ requests
    def request(self, method, path, user=None, params=None, body=None):
        headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json"}
        if user:
            key, secret = self.keys[user]
            headers["Authorization"] = f"token {key}:{secret}"
        if params:
            path = f"{path}?{urlencode(params)}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        response = self.client.open(path, method=method, headers=headers, data=data)
        response.json_body = json.loads(response.get_data(as_text=True) or "null") \
            if response.content_type.startswith("application/json") else None
        return response

    def method(self, name, user, http_method="GET", **params):
        if http_method == "GET":
            return self.request("GET", f"/api/method/{name}", user, params=params)
        return self.request(http_method, f"/api/method/{name}", user, body=params)

    def resource(self, http_method, doctype, name=None, user=None, body=None, params=None):
        path = f"/api/resource/{quote(doctype)}" + (f"/{quote(name)}" if name else "")
        return self.request(http_method, path, user, params=params, body=body)


def server_messages(response) -> list[str]:
    raw = (response.json_body or {}).get("_server_messages")
    return [json.loads(m)["message"] for m in json.loads(raw)] if raw else []


def _app():
    from frappe.app import application

    return application

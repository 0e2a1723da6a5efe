"""HTTP requests inside app tests: the site's WSGI application, called as each MedGrid role.

A request runs through ``frappe.app.application`` (auth, permissions, error bodies, commits) in a
thread of its own, as Frappe's own API tests do, so it opens its own site context and never touches
the test's: it sees what the test committed, and the test sees what the request committed after a
``frappe.db.rollback()`` (a fresh snapshot).
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote, urlencode

import frappe
from frappe.permissions import add_user_permission
from frappe.utils import add_days, nowdate

from medgrid.setup.demo import make_demo_data

# each customer's shipping address (an order may name only its own customer's)
SHIPPING_ADDRESSES = {"Demo Clinic Partner": "Demo Clinic Partner-Shipping", "Other Clinic": "Other Clinic-Shipping"}

# key: (email, roles, customer restriction)
USERS = {
    "partner": ("test-api-partner@clinic.example", ["Customer / Partner Platform"], "Demo Clinic Partner"),
    "partner2": ("test-api-partner2@other.example", ["Customer / Partner Platform"], "Other Clinic"),
    "rep": ("test-api-rep@medgrid.example", ["Internal Sales Rep"], None),
    "rep2": ("test-api-rep2@medgrid.example", ["Internal Sales Rep"], None),
    "vendor": ("test-api-vendor@vendor.example", ["External Vendor"], None),
    "admin": ("test-api-admin@medgrid.example", ["MedGrid Marketplace Admin"], None),
    "norole": ("test-api-norole@example.com", [], None),
}
REP_TERRITORIES = {"rep": "United States", "rep2": "Canada"}


class Response:
    def __init__(self, status_code: int, content_type: str, text: str):
        self.status_code = status_code
        self.content_type = content_type
        self.text = text
        self.json_body = json.loads(text or "null") if content_type.startswith("application/json") else None

    def server_messages(self) -> list[str]:
        raw = (self.json_body or {}).get("_server_messages")
        return [json.loads(m)["message"] for m in json.loads(raw)] if raw else []


class ApiSite:
    """The demo catalog, a second clinic in Canada, a user with API keys per role; requests as them."""

    def __init__(self):
        self.site = frappe.local.site
        self.keys: dict[str, tuple[str, str]] = {}

    def build(self) -> ApiSite:
        from frappe.core.doctype.user.user import generate_keys

        make_demo_data()
        if not frappe.db.exists("Territory", "Canada"):
            frappe.get_doc({"doctype": "Territory", "territory_name": "Canada",
                            "parent_territory": "All Territories"}).insert(ignore_permissions=True)
        if not frappe.db.exists("Customer", "Other Clinic"):
            frappe.get_doc({"doctype": "Customer", "customer_name": "Other Clinic", "customer_group": "Commercial",
                            "territory": "Canada"}).insert(ignore_permissions=True)
        if not frappe.db.exists("Address", SHIPPING_ADDRESSES["Other Clinic"]):
            frappe.get_doc({"doctype": "Address", "address_title": "Other Clinic", "address_type": "Shipping",
                            "address_line1": "1 Queen St", "city": "Toronto", "state": "ON", "pincode": "M5H 2N2",
                            "country": "Canada", "is_shipping_address": 1,
                            "links": [{"link_doctype": "Customer", "link_name": "Other Clinic"}]}
                           ).insert(ignore_permissions=True)
        for key, (email, roles, customer) in USERS.items():
            if not frappe.db.exists("User", email):
                frappe.get_doc({"doctype": "User", "email": email, "first_name": key, "send_welcome_email": 0,
                                "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
                if customer:
                    add_user_permission("Customer", customer, email, ignore_permissions=True)
            secret = generate_keys(email)["api_secret"]
            self.keys[key] = (frappe.db.get_value("User", email, "api_key"), secret)
        for rep, territory in REP_TERRITORIES.items():
            if not frappe.db.exists("MedGrid Sales Rep", {"user": USERS[rep][0]}):
                frappe.get_doc({"doctype": "MedGrid Sales Rep", "user": USERS[rep][0],
                                "territories": [{"territory": territory}]}).insert(ignore_permissions=True)
        frappe.db.commit()
        return self

    # ------------------------------------------------------------------ requests
    def request(self, method, path, user=None, params=None, body=None) -> Response:
        headers = {"X-Frappe-Site-Name": self.site, "Host": self.site, "Accept": "application/json"}
        if user:
            key, secret = self.keys[user]
            headers["Authorization"] = f"token {key}:{secret}"
        if params:
            path = f"{path}?{urlencode(params)}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        outcome = {}

        def send():
            from werkzeug.test import Client

            from frappe.app import application

            try:
                reply = Client(application).open(path, method=method, headers=headers, data=data)
                outcome["response"] = Response(reply.status_code, reply.content_type or "",
                                               reply.get_data(as_text=True))
            except BaseException as exc:  # handed to the test's thread
                outcome["error"] = exc

        thread = threading.Thread(target=send, name=f"api-request {method} {path}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        frappe.db.rollback()  # the test reads what the request committed
        return outcome["response"]

    def method(self, name, user, http_method="GET", **params) -> Response:
        if http_method == "GET":
            return self.request("GET", f"/api/method/{name}", user, params=params)
        return self.request(http_method, f"/api/method/{name}", user, body=params)

    def resource(self, http_method, doctype, name=None, user=None, body=None, params=None) -> Response:
        path = f"/api/resource/{quote(doctype)}" + (f"/{quote(name)}" if name else "")
        return self.request(http_method, path, user, params=params, body=body)


def order_body(customer="Demo Clinic Partner", items=(("ITEM-001", 5),), **extra) -> dict:
    body = {
        "customer": customer, "transaction_date": nowdate(), "delivery_date": add_days(nowdate(), 7),
        "currency": "USD", "selling_price_list": "Standard Selling",
        "items": [{"item_code": code, "qty": qty, "rate": 89.00, "warehouse": "Skydell Main - SM"}
                  for code, qty in items],
        "shipping_address_name": SHIPPING_ADDRESSES.get(customer),
    }
    body.update(extra)
    return body

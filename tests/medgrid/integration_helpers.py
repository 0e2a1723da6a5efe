"""Shared set-up of the integrations tests (``test_integrations_*``), on the ``site`` fixture's session site.

HTTP checks go through ``frappe.app.application`` with Werkzeug's test client. A request initialises
and destroys its own Frappe context, so it runs on a helper thread while the test keeps its own; it
reads committed data only, so :func:`http` commits first and rolls back afterwards (a fresh snapshot
shows what the request committed). Whatever a test commits stays on the session site: every test
makes its own users, vendors and shops (:func:`unique`).
"""

from __future__ import annotations

import json
import threading
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import frappe
from werkzeug.test import Client

PASSWORD = "Vendor-Passw0rd!"
VENDOR_ROLE = "External Vendor"
ADMIN_ROLE = "MedGrid Marketplace Admin"
APP_KEY = "medgrid-app-key"
APP_SECRET = "medgrid-app-SECRET-0123456789"
REDIRECT_URI = "https://app.medgrid.example/api/method/medgrid.integrations.shopify_callback"


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Reply:
    """A finished response: status, headers, body."""

    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def message(self):
        return self.json().get("message")

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def location_query(self) -> dict:
        """The redirect target's query parameters (first value each)."""
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location or "").query).items()}

    def server_messages(self) -> list[str]:
        raw = self.json().get("_server_messages")
        return [json.loads(m)["message"] for m in json.loads(raw)] if raw else []


def make_user(roles=(VENDOR_ROLE,), email: str | None = None) -> str:
    """A user with ``roles`` and a known password (committed by :func:`http`)."""
    email = email or f"{unique('user-')}@example.com"
    frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0,
                    "new_password": PASSWORD, "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
    return email


def make_vendor(vendor_key: str = "shipstation", user: str | None = None) -> tuple[str, str]:
    """(user, Vendor Profile) of a new External Vendor."""
    user = user or make_user()
    profile = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": unique("Vendor "), "vendor_key": vendor_key,
                              "user": user, "status": "Active"}).insert(ignore_permissions=True)
    return user, profile.name


def api_token(user: str) -> dict:
    """An ``Authorization: token key:secret`` header for ``user``."""
    from frappe.core.doctype.user.user import generate_keys

    current = frappe.session.user
    frappe.set_user("Administrator")
    try:
        keys = generate_keys(user)
    finally:
        frappe.set_user(current)
    return {"Authorization": f"token {keys['api_key']}:{keys['api_secret']}"}


def set_app_settings(api_key=APP_KEY, api_secret=APP_SECRET, redirect_uri=REDIRECT_URI) -> None:
    """The MedGrid Shopify app in MedGrid System Settings (``None`` leaves a field empty)."""
    settings = frappe.get_single("MedGrid System Settings")
    settings.medgrid_shopify_api_key = api_key
    settings.medgrid_shopify_api_secret = api_secret
    settings.medgrid_shopify_redirect_uri = redirect_uri
    settings.flags.ignore_permissions = True
    settings.save()


def http(method: str, path: str, *, headers: dict | None = None, body=None, query: dict | None = None,
         client: Client | None = None) -> Reply:
    """One request to the session site from a helper thread (its own Frappe context)."""
    from frappe.app import application

    site = frappe.local.site
    frappe.db.commit()
    url = path + (f"?{urlencode(query)}" if query else "")
    all_headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        all_headers["Content-Type"] = "application/json"
        data = json.dumps(body)
    result = {}

    def run():
        try:
            browser = client or Client(application, use_cookies=False)
            response = browser.open(url, method=method, headers=list(all_headers.items()), data=data,
                                    base_url=f"http://{site}")
            try:
                result["reply"] = Reply(response.status_code, response.headers, response.get_data())
            finally:
                response.close()
        except BaseException as e:  # surfaced in the test thread
            result["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in result:
        raise result["error"]
    frappe.db.rollback()
    return result["reply"]


def browser_logged_in(user: str) -> Client:
    """A cookie-keeping client with a session of ``user`` (``POST /api/method/login``)."""
    from frappe.app import application

    browser = Client(application, use_cookies=True)
    reply = http("POST", "/api/method/login", body={"usr": user, "pwd": PASSWORD}, client=browser)
    assert reply.status == 200, reply.body
    return browser

"""Shared set-up for the HTTP tests: one site per test process with the probe apps installed,
users with API keys and passwords, and a small client around ``frappe.app.application``.

The site is created in the session's ``sites_path`` (from tests/conftest.py) on the engine named by
``MEDGRID_TEST_DB``. Requests go through Werkzeug's test Client without a cookie jar, so every test
says exactly which cookies it sends.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import sys

from werkzeug.test import Client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for path in (os.path.join(ROOT, "tests", "apps", "http_probe_app"),
             os.path.join(ROOT, "tests", "apps", "runtime_test_app"),
             os.path.join(ROOT, "runtime")):
    if path not in sys.path:
        sys.path.insert(0, path)

SITE = "http.localhost"
HOST = f"{SITE}:8000"
PASSWORD = "Http-Probe-Pass-1"
USERS = {
    # key: (email, first_name, roles)
    "admin": ("http-admin@example.com", "HttpAdmin", ["System Manager", "RT User"]),
    "reader": ("http-reader@example.com", "HttpReader", ["RT Reader"]),
    "website": ("http-website@example.com", "WebOnly", []),
}

_STATE: dict = {}


class HttpSite:
    """The HTTP test site: credentials, a frappe context for set-up, and request helpers."""

    def __init__(self, sites_path: str):
        self.sites_path = sites_path
        self.keys: dict[str, tuple[str, str]] = {}

    # ------------------------------------------------------------------ set-up
    def build(self) -> None:
        from frappe.installer import new_site

        db_type = os.environ.get("MEDGRID_TEST_DB", "sqlite")
        db_name = None
        if db_type != "sqlite":
            import secrets

            db_name = f"_mghttp_{secrets.token_hex(4)}"
        new_site(SITE, sites_path=self.sites_path, db_type=db_type, db_name=db_name, admin_password=PASSWORD,
                 install_apps=["runtime_test_app", "http_probe"], force=True)
        with self.context() as frappe:
            from frappe.core.doctype.user.user import generate_keys
            from frappe.utils.password import update_password

            for role in ("RT User", "RT Reader", "RT Owner"):
                if not frappe.db.exists("Role", role):
                    frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
                        ignore_permissions=True)
            for key, (email, first_name, roles) in USERS.items():
                if not frappe.db.exists("User", email):
                    user = frappe.get_doc({
                        "doctype": "User",
                        "email": email,
                        "first_name": first_name,
                        "send_welcome_email": 0,
                        "user_type": "System User" if roles else "Website User",
                        "roles": [{"role": r} for r in roles],
                    })
                    user.insert(ignore_permissions=True)
                update_password(email, PASSWORD)
                result = generate_keys(email)
                self.keys[key] = (result["api_key"], result["api_secret"])

    def drop(self) -> None:
        """Remove the site's database on MariaDB / PostgreSQL (SQLite files go with the tmp dir)."""
        with contextlib.suppress(Exception):
            import frappe
            from frappe.installer import drop_site_database

            conf = frappe.get_site_config(self.sites_path, os.path.join(self.sites_path, SITE))
            if conf.get("db_type") in ("mariadb", "postgres"):
                drop_site_database(conf)

    @contextlib.contextmanager
    def context(self, user: str = "Administrator", commit: bool = True):
        """frappe initialised and connected on the test site (committed on success)."""
        import frappe

        frappe.init(SITE, sites_path=self.sites_path, force=True)
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

    def set_config(self, **values) -> None:
        """Update site_config.json (None removes a key)."""
        path = os.path.join(self.sites_path, SITE, "site_config.json")
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
        for key, value in values.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=1)

    def set_system_setting(self, field: str, value) -> None:
        with self.context() as frappe:
            frappe.db.set_single_value("System Settings", field, value)

    # ------------------------------------------------------------------ requests
    def token(self, who: str = "admin") -> str:
        key, secret = self.keys[who]
        return f"token {key}:{secret}"

    def basic(self, who: str = "admin") -> str:
        key, secret = self.keys[who]
        return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def request(self, method: str, path: str, *, auth: str | None = None, headers: dict | None = None,
                json_body=None, form: dict | None = None, data=None, cookies: dict | None = None,
                host: str | None = HOST):
        """Send one request; returns a :class:`Reply`."""
        from frappe.app import application

        # other suites point MEDGRID_SITES_PATH elsewhere; the app resolves sites through it
        os.environ["MEDGRID_SITES_PATH"] = self.sites_path
        all_headers = {}
        if host:
            all_headers["Host"] = host
        if auth:
            all_headers["Authorization"] = auth
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        content_type = None
        if json_body is not None:
            data = json.dumps(json_body)
            content_type = "application/json"
        elif form is not None:
            from urllib.parse import urlencode

            data = urlencode(form)
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        client = Client(application, use_cookies=False)
        response = client.open(path, method=method, headers=list(all_headers.items()), data=data,
                               base_url=f"http://{host or 'localhost'}")
        try:
            return Reply(response.status_code, response.headers, response.get_data())
        finally:
            response.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def login(self, who: str = "admin") -> str:
        """Log in with the password; returns the sid."""
        reply = self.post("/api/method/login", json_body={"usr": USERS[who][0], "pwd": PASSWORD})
        assert reply.status == 200, reply.text
        return reply.cookie("sid")


class Reply:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        self.set_cookies = headers.getlist("Set-Cookie")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    def cookie(self, name: str):
        """Value of the first Set-Cookie for ``name`` that is not an expiring (deleting) copy."""
        for raw in self.set_cookies:
            first, _, attrs = raw.partition(";")
            key, _, value = first.partition("=")
            if key.strip() != name:
                continue
            deleting = value == "" and "max-age" not in attrs.lower() and "expires" in attrs.lower()
            if not deleting:
                return value
        return None

    def expired_cookies(self) -> list[str]:
        """Names of the cookies the response deletes."""
        names = []
        for raw in self.set_cookies:
            first, _, attrs = raw.partition(";")
            key, _, value = first.partition("=")
            if value == "" and "max-age" not in attrs.lower() and "expires" in attrs.lower():
                names.append(key.strip())
        return names

    def cookie_names(self) -> list[str]:
        return [raw.split("=", 1)[0] for raw in self.set_cookies]

    def server_messages(self) -> list[dict]:
        return [json.loads(m) for m in json.loads(self.json().get("_server_messages", "[]"))]


def get_http_site(sites_path: str) -> HttpSite:
    """The process-wide HTTP test site (built on first use)."""
    site = _STATE.get("site")
    if site is None or site.sites_path != sites_path:
        site = HttpSite(sites_path)
        site.build()
        _STATE["site"] = site
        atexit.register(site.drop)
    return site

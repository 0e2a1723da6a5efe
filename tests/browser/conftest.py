"""Browser tests: the runtime web server (a subprocess) on a temp SQLite demo site, the vendor
sandboxes in-process on ephemeral ports, and Debian's Chromium driven by Playwright.

Set-up, once per session:

1. start the five vendor sandboxes (timelines in manual mode: a test advances them);
2. ``scripts/demo_site.py`` builds the demo site (catalog, a user per role, integrations pointed at
   the sandboxes) in a temp sites folder;
3. ``tests/browser/serve_site.py`` serves it on a free port; jobs run in the web process.

Screenshots go to ``artifacts/screenshots/`` (git-ignored). The suite runs on the SQLite pass of
``scripts/test.sh`` only (the demo site is SQLite) and is skipped, with the reason, when Chromium or
Playwright is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("MEDGRID_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.path.join(ROOT, "artifacts", "screenshots")
SITE = "medgrid.localhost"
PASSWORD = "MedGrid-Demo-1"  # scripts/demo_site.py
USERS = {
    "partner": "partner@clinic.example",
    "rep": "rep@medgrid.example",
    "vendor": "vendor@vendor.example",
    "admin": "admin@medgrid.example",
}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VENDOR_ORDER = ("perfectrx", "shipstation", "sinq", "centre_research", "shopify")


def _skip_reason() -> str | None:
    if os.environ.get("MEDGRID_TEST_DB", "sqlite") != "sqlite":
        return "browser tests run on the SQLite pass only (the demo site is SQLite)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (scripts/test.sh installs Debian's chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if not reason:
        return
    marker = pytest.mark.skip(reason=reason)
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(marker)


def free_port() -> int:
    # the e2e stack's: a port below the ephemeral range, which no outgoing connection can take while the
    # site is being built
    from tests.e2e.stack import free_port as stack_free_port

    return stack_free_port()


@dataclass
class Stack:
    """The running system under test."""

    url: str
    sites_path: str
    sandboxes: dict
    server: subprocess.Popen
    log_path: str
    extra: dict = field(default_factory=dict)

    def sandbox(self, vendor: str) -> str:
        return self.sandboxes[vendor].base_url

    def sandbox_call(self, vendor: str, method: str, path: str, body=None) -> dict:
        response = requests.request(method, self.sandbox(vendor) + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}

    def receive_stock(self, lines, warehouse: str = "Skydell Main - SM") -> None:
        """Submit a Material Receipt of ``[(item_code, qty)]`` as the site's Administrator (stock staff's
        job; no demo user has the Stock roles): every submitted order of the session reserves stock, so
        a test that orders tops the demo stock up first instead of depending on the tests before it."""
        doc = {"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
               "company": "Skydell", "docstatus": 1,
               "items": [{"item_code": code, "qty": qty, "t_warehouse": warehouse, "basic_rate": 1}
                         for code, qty in lines]}
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "medgrid-runtime"),
                        "--sites-path", self.sites_path, "--site", SITE, "execute", "frappe.client.insert",
                        "--kwargs", repr({"doc": doc})],
                       cwd=ROOT, check=True, capture_output=True, timeout=120)

    def api(self, role: str) -> requests.Session:
        """A requests session logged in as ``role`` (for set-up and for checking stored state)."""
        session = requests.Session()
        response = session.post(self.url + "/api/method/login", json={"usr": USERS[role], "pwd": PASSWORD},
                                timeout=30)
        response.raise_for_status()
        return session


def _wait_for(url: str, server: subprocess.Popen, log_path: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the web server exited ({server.returncode}):\n{_tail(log_path)}")
        try:
            if requests.get(url + "/api/method/ping", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the web server did not answer within {timeout} s:\n{_tail(log_path)}")


def _tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Sandboxes + demo site + web server; stopped at the end of the session."""
    yield from start_stack(tmp_path_factory)


def start_stack(tmp_path_factory):
    """Start a stack, yield it, stop it (a module that needs the demo as a new user finds it can take
    a stack of its own: ``stack = pytest.fixture(scope="module")(start_stack)``)."""
    if _skip_reason():
        pytest.skip(_skip_reason())
    sys.path.insert(0, ROOT)
    from sandbox.run import build_config, start_all

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = str(tmp_path_factory.mktemp("browser"))
    sites_path = os.path.join(base, "sites")
    log_path = os.path.join(base, "web.log")
    overrides = {"medgrid_url": url, "step_delay": None, **{v: {"port": 0} for v in VENDOR_ORDER}}
    sandboxes = start_all(build_config({}, environ={}, overrides=overrides))
    server = None
    try:
        ports = ",".join(str(sandboxes[v].port) for v in VENDOR_ORDER)
        env = {**os.environ, "MEDGRID_SITES_PATH": sites_path, "PYTHONUNBUFFERED": "1",
               "MEDGRID_TEST_SHIPSTATION_BASE_URL": sandboxes["shipstation"].base_url}
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo_site.py"), "--sites-path", sites_path,
                        "--port", str(port), "--sandbox-ports", ports, "--redis", ""],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "tests", "browser", "serve_site.py"), "--sites-path", sites_path,
                 "--site", SITE, "--port", str(port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for(url, server, log_path)
        yield Stack(url=url, sites_path=sites_path, sandboxes=sandboxes, server=server, log_path=log_path)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        for sandbox in sandboxes.values():
            sandbox.stop()


@pytest.fixture()
def stocked(stack):
    """The demo items in stock again, whatever the session's earlier orders reserved."""
    stack.receive_stock([(f"ITEM-00{n}", 50) for n in (1, 2, 3, 4)])
    return stack


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture()
def browser_context(playwright_driver, tmp_path):
    """A fresh Chromium profile per test (no cookies or storage shared between roles)."""
    profile = tmp_path / "chromium-profile"
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(browser_context):
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


class Shots:
    """Saves numbered screenshots of one test under artifacts/screenshots/."""

    def __init__(self, test_name: str):
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name)
        self.count = 0
        os.makedirs(SCREENSHOTS, exist_ok=True)

    def __call__(self, page, label: str) -> str:
        self.count += 1
        path = os.path.join(SCREENSHOTS, f"{self.prefix}-{self.count:02d}-{label}.png")
        page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture()
def shot(request):
    return Shots(request.node.name)


def choose_customer(page, name: str = "Demo Clinic Partner") -> None:
    """On /sales-order: pick the order's customer, as a rep who may read several must (other tests of the
    run may add customers; with one the page has already chosen it)."""
    from playwright.sync_api import expect

    customer = page.get_by_label("Customer")
    expect(customer.locator("option", has_text=name)).to_have_count(1)
    customer.select_option(name)


def login(page, stack: Stack, role: str, next_path: str | None = None) -> None:
    """Log in through the /login page as ``role`` and wait until the browser has left it."""
    target = stack.url + "/login" + (f"?redirect-to={next_path}" if next_path else "")
    page.goto(target)
    page.get_by_label("Email").fill(USERS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(lambda url: "/login" not in url)


def dump(value) -> str:
    return json.dumps(value, indent=1, default=str)

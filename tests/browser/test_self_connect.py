"""Issue 15: a vendor connects its own integrations in the demo, in the browser, against the sandboxes.

The demo site is in the Sandbox environment (scripts/demo_site.py → medgrid.setup.demo.setup), so the vendor
types the ShipStation sandbox's keys with no base URL anywhere, and "Connect store" sends the browser to the
Shopify sandbox's install screen (not to a real myshopify.com). A failed attempt shows its reason in the page's
message and on the card ("Last error"); a later success clears it. Screenshots at desktop and 390 px.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

SANDBOX_KEY, SANDBOX_SECRET = "sandbox-shipstation-key", "sandbox-shipstation-secret"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture()
def new_vendor(stack):
    """A vendor of its own (login and Vendor Profile), so the demo vendor's integrations stay as other tests
    expect them; made by the admin through the API."""
    admin = stack.api("admin")
    email = f"h12-vendor-{uuid.uuid4().hex[:8]}@vendor.example"
    user = admin.post(stack.url + "/api/resource/User", json={
        "email": email, "first_name": "Self-connect vendor", "new_password": PASSWORD, "send_welcome_email": 0,
        "roles": [{"role": "External Vendor"}]}, timeout=30)
    assert user.ok, user.text
    profile = admin.post(stack.url + "/api/resource/Vendor Profile", json={
        "vendor_name": f"Self-connect {email.split('@')[0]}", "vendor_key": "shipstation", "user": email,
        "status": "Active"}, timeout=30)
    assert profile.ok, profile.text
    return email, profile.json()["data"]["name"]


def _login(page, stack, email: str, profile: str) -> None:
    page.goto(stack.url + "/login?redirect-to=" + quote(_integrations(profile)))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _integrations(profile: str) -> str:
    return f"/portal/integrations?vendor_profile={quote(profile)}"


def _requests_to(stack, vendor: str, path_part: str) -> int:
    log = stack.sandbox_call(vendor, "GET", "/__sandbox/state?log=all")["log"]
    return sum(1 for entry in log if path_part in str(entry.get("path") or entry))


def test_vendor_connects_shipstation_with_the_sandbox_keys_after_a_refused_attempt(stack, page, shot, new_vendor):
    listtags_before = _requests_to(stack, "shipstation", "/accounts/listtags")
    _login(page, stack, *new_vendor)
    expect(page.locator(".mg-sandbox-badge")).to_have_text("Sandbox")
    card = page.locator("#mg-card-shipstation")
    form = page.locator("#mg-connect-shipstation")

    # a wrong secret: the sandbox refuses it, the page and the card say why
    form.get_by_label("API Key").fill(SANDBOX_KEY)
    form.get_by_label("API Secret").fill("not-the-secret")
    form.get_by_role("button", name="Connect").click()
    expect(page.locator("#mg-messages")).to_contain_text("ShipStation rejected the API Key/Secret")
    card = page.locator("#mg-card-shipstation")
    expect(card).to_contain_text("ShipStation rejected the API Key/Secret")
    shot(page, "shipstation-refused")

    # the sandbox's keys: connected, and the card's error is gone
    form = page.locator("#mg-connect-shipstation")
    form.get_by_label("API Key").fill(SANDBOX_KEY)
    form.get_by_label("API Secret").fill(SANDBOX_SECRET)
    form.get_by_role("button", name="Connect").click()
    expect(page.locator("#mg-messages")).to_contain_text("ShipStation connected")
    card = page.locator("#mg-card-shipstation")
    expect(card.locator("[data-role=card-status]")).to_have_text("Connected")
    expect(card).not_to_contain_text("rejected the API Key/Secret")
    expect(card.get_by_role("table")).to_contain_text("Connected")
    assert SANDBOX_SECRET not in page.content()
    shot(page, "shipstation-connected")
    page.set_viewport_size(PHONE)
    shot(page, "shipstation-connected-390")
    page.set_viewport_size(DESKTOP)

    # both checks went to the ShipStation sandbox (the site named no base URL: the environment did)
    assert _requests_to(stack, "shipstation", "/accounts/listtags") == listtags_before + 2


def test_vendor_installs_a_shopify_store_through_the_sandbox_install_screen(stack, page, shot, new_vendor):
    shop = f"h12-{uuid.uuid4().hex[:8]}.myshopify.com"
    shopify = stack.sandboxes["shopify"]
    shopify.config["authorize_screen"] = True
    try:
        _login(page, stack, *new_vendor)
        form = page.locator("#mg-connect-shopify")
        form.get_by_label("Shop domain").fill(shop)
        form.get_by_role("button", name="Connect store").click()

        # the Shopify sandbox's install screen, on the sandbox host, for this shop
        page.wait_for_url(lambda url: url.startswith(stack.sandbox("shopify") + f"/shops/{shop}/admin/oauth/authorize"))
        expect(page.get_by_role("heading", name="Install app")).to_be_visible()
        expect(page.locator("body")).to_contain_text(shop)
        expect(page.locator("body")).to_contain_text("read_orders")
        shot(page, "shopify-install-screen")
        page.set_viewport_size(PHONE)
        shot(page, "shopify-install-screen-390")
        page.set_viewport_size(DESKTOP)
        page.get_by_role("button", name="Install app").click()

        # back on MedGrid: connected
        page.wait_for_url(lambda url: "/portal/integrations?" in url and "status=connected" in url, timeout=30_000)
        card = page.locator("#mg-card-shopify")
        expect(card.get_by_role("table")).to_contain_text(shop)
        assert "shpat_" not in page.content()
        shot(page, "shopify-connected")
        page.set_viewport_size(PHONE)
        shot(page, "shopify-connected-390")
        page.set_viewport_size(DESKTOP)

        # a second store, cancelled on the install screen: the reason shows on the card
        cancelled = f"h12-cancel-{uuid.uuid4().hex[:6]}.myshopify.com"
        page.goto(stack.url + _integrations(new_vendor[1]))
        form = page.locator("#mg-connect-shopify")
        form.get_by_label("Shop domain").fill(cancelled)
        form.get_by_role("button", name="Connect store").click()
        page.wait_for_url(lambda url: "/admin/oauth/authorize" in url)
        page.get_by_role("link", name="Cancel").click()
        page.wait_for_url(lambda url: "/portal/integrations?" in url and "status=error" in url)
        expect(page.locator("#mg-card-shopify")).to_contain_text("The install was cancelled in Shopify")
        shot(page, "shopify-cancelled")
    finally:
        shopify.config["authorize_screen"] = False

    # the token MedGrid stored came from the sandbox, for this shop
    tokens = stack.sandbox_call("shopify", "GET", "/__sandbox/state?log=0")["tokens"]
    assert any(t.get("shop") == shop for t in tokens)

"""A vendor connects ShipStation from /portal/integrations against the ShipStation sandbox."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login

GOOD_KEY, GOOD_SECRET = "sandbox-shipstation-key", "sandbox-shipstation-secret"  # the sandbox's default account


def vendor_connections(stack) -> list[dict]:
    admin = stack.api("admin")
    response = admin.get(stack.url + "/api/resource/ShipStation Connection", params={
        "filters": '[["vendor_profile", "=", "Demo Vendor"], ["is_platform", "=", 0]]',
        "fields": '["name", "status", "key_fingerprint"]'})
    response.raise_for_status()
    return response.json()["data"]


def test_vendor_connects_shipstation_bad_keys_are_refused_and_good_keys_connect(stack, page, shot):
    login(page, stack, "vendor", "/portal/integrations")
    card = page.locator("#mg-card-shipstation")
    expect(card.locator("[data-role=card-status]")).to_have_text("Not connected")
    shot(page, "before")

    # the page gave the session a CSRF token: POSTs need the header the page's client sends
    post = """async (withToken) => (await fetch("/api/method/medgrid.integrations.list_integrations", {
        method: "POST", body: "{}", headers: Object.assign({"Content-Type": "application/json"},
            withToken ? {"X-Frappe-CSRF-Token": window.frappe.csrf_token} : {})})).status"""
    assert page.evaluate(post, False) == 400
    assert page.evaluate(post, True) == 200

    # bad keys: ShipStation's 401 becomes a clear message, and nothing is stored
    card.get_by_label("API Key").fill(GOOD_KEY)
    card.get_by_label("API Secret").fill("wrong-secret")
    card.get_by_role("button", name="Connect").click()
    alert = page.locator("#mg-messages [role=alert]")
    expect(alert).to_contain_text("ShipStation rejected the API Key/Secret")
    expect(card.locator("[data-role=card-status]")).to_have_text("Not connected")
    assert vendor_connections(stack) == []
    shot(page, "bad-keys")

    # good keys: connected card, one stored connection, the secret never shown back
    card.get_by_label("API Secret").fill(GOOD_SECRET)
    card.get_by_role("button", name="Connect").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("ShipStation connected")
    card = page.locator("#mg-card-shipstation")
    expect(card.locator("[data-role=card-status]")).to_have_text("Connected")
    expect(card.get_by_role("table")).to_contain_text("Connected")
    stored = vendor_connections(stack)
    assert [c["status"] for c in stored] == ["Connected"]
    html = page.content()
    assert GOOD_SECRET not in html and GOOD_KEY not in html
    assert card.get_by_label("API Secret").input_value() == ""
    shot(page, "connected")

    # the state survives a reload (rendered by the server from list_integrations' data)
    page.reload()
    expect(page.locator("#mg-card-shipstation [data-role=card-status]")).to_have_text("Connected")

    # disconnect forgets the key pair
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#mg-card-shipstation").get_by_role("button", name="Disconnect").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("disconnected")
    expect(page.locator("#mg-card-shipstation [data-role=card-status]")).to_have_text("Disconnected")
    assert [c["status"] for c in vendor_connections(stack)] == ["Disconnected"]
    shot(page, "disconnected")


def test_vendor_sees_managed_integrations_read_only_with_what_to_hand_over(stack, page):
    login(page, stack, "vendor", "/portal/integrations")

    for key, credential in (("perfectrx", "client_id"), ("sinq", "sinq_webhook_key"),
                            ("centre_research", "centre_research_api_key")):
        card = page.locator(f"#mg-card-{key}")
        expect(card).to_contain_text(credential)
        expect(card.locator("form")).to_have_count(0)
        expect(card.locator("input")).to_have_count(0)


def test_admin_picks_any_vendor_on_the_integrations_page(stack, page, shot):
    login(page, stack, "admin", "/portal/integrations")

    # the list holds every vendor (other tests of the run may have onboarded more): the admin picks one
    vendor = page.get_by_label("Vendor (admins act for any vendor)")
    expect(vendor.locator("option", has_text="Demo Vendor")).to_have_count(1)
    vendor.select_option("Demo Vendor")
    expect(vendor).to_have_value("Demo Vendor")
    expect(page.locator("#mg-connect-shipstation").get_by_label("API base URL (admins only, optional)")).to_be_visible()
    shot(page, "admin")


def test_vendor_shopify_connect_refuses_a_bad_shop_domain_with_a_clear_message(stack, page):
    login(page, stack, "vendor", "/portal/integrations")
    form = page.locator("#mg-connect-shopify")
    form.get_by_label("Shop domain").fill("not-a-shop.example.com")
    form.get_by_role("button", name="Connect store").click()

    # the browser's own check stops it before any request (pattern on the field)
    assert form.get_by_label("Shop domain").evaluate("el => !el.validity.valid")


def test_vendor_connects_a_shopify_store_through_the_oauth_round_trip_and_disconnects_it(stack, page, shot):
    # an admin points the store at the Shopify sandbox (a vendor may not choose API hosts)
    shop = "demo-vendor-store.myshopify.com"
    admin = stack.api("admin")
    created = admin.post(stack.url + "/api/resource/Shopify Connection", json={
        "shop_domain": shop, "vendor_profile": "Demo Vendor", "status": "Pending",
        "api_base_url": f"{stack.sandbox('shopify')}/shops/{shop}"})
    assert created.ok, created.text

    login(page, stack, "vendor", "/portal/integrations")
    form = page.locator("#mg-connect-shopify")
    form.get_by_label("Shop domain").fill(shop)
    form.get_by_role("button", name="Connect store").click()

    # start_install → the sandbox's authorize page approves at once → MedGrid's callback → back here
    page.wait_for_url(lambda url: "/portal/integrations?" in url and "status=" in url, timeout=30_000)
    expect(page.locator("#mg-messages [role=status]")).to_be_visible()
    card = page.locator("#mg-card-shopify")
    expect(card.locator("[data-role=card-status]")).to_have_text("Connected")
    expect(card.get_by_role("table")).to_contain_text(shop)
    assert "shpat_" not in page.content()
    shot(page, "shopify-connected")

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Disconnect").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("Shopify store disconnected")
    expect(page.locator("#mg-card-shopify [data-role=card-status]")).to_have_text("Disconnected")

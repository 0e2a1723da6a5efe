"""The Marketplace Admin's daily work in the runtime's Desk (/app): settings with a secret, product
approval and vendor mapping, API keys for a partner, retrying failed dispatches; and who may not enter."""

from __future__ import annotations

import time
import uuid

import requests
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_admin_pages import dispatch_of, place_order

PHONE = {"width": 390, "height": 844}


def open_desk(page, stack, role, path):
    login(page, stack, role, path)
    desk_ready(page)


def desk_ready(page):
    page.wait_for_selector("body[data-ready='1']")


def control(page, fieldname):
    return page.locator(f'.form-page .frappe-control[data-fieldname="{fieldname}"]').first


def test_admin_edits_perfectrx_settings_and_the_password_is_never_echoed(stack, page, shot):
    admin = stack.api("admin")
    settings_url = stack.url + "/api/method/frappe.client.get_password"
    password_args = {"doctype": "PerfectRx Settings", "name": "PerfectRx Settings", "fieldname": "client_secret"}
    original = admin.get(settings_url, params=password_args).json()["message"]
    new_secret = "desk-secret-" + uuid.uuid4().hex[:12]
    bodies = []
    page.on("response", lambda r: bodies.append(r.text()) if "/api/method/" in r.url else None)
    try:
        open_desk(page, stack, "admin", "/app/perfectrx-settings")
        expect(page.locator(".form-page .title-text")).to_have_text("PerfectRx Settings")
        secret_input = page.get_by_label("Client Secret")
        # set-only: the stored secret is never put into the page, only that one is set
        expect(secret_input).to_have_value("")
        expect(secret_input).to_have_attribute("type", "password")
        expect(secret_input).to_have_attribute("placeholder", "(set — type to replace)")
        page.get_by_label("Default Practice ID").fill("PRACTICE-DESK")
        secret_input.fill(new_secret)
        expect(page.locator(".form-indicator")).to_contain_text("Not Saved")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#desk-alerts")).to_contain_text("Saved")
        expect(page.locator(".form-indicator")).not_to_contain_text("Not Saved")
        expect(page.get_by_label("Client Secret")).to_have_value("")
        expect(page.get_by_label("Default Practice ID")).to_have_value("PRACTICE-DESK")
        shot(page, "perfectrx-saved")
        page.set_viewport_size(PHONE)
        shot(page, "perfectrx-saved-phone")

        assert new_secret not in page.content()
        assert original not in page.content()
        assert not [b for b in bodies if new_secret in b or original in b], "a response echoed the secret"
        stored = admin.get(stack.url + "/api/method/frappe.client.get_value", params={
            "doctype": "PerfectRx Settings", "fieldname": "default_practice_id"}).json()["message"]
        assert stored == {"default_practice_id": "PRACTICE-DESK"}
        assert admin.get(settings_url, params=password_args).json()["message"] == new_secret
    finally:
        # the sandbox knows the original secret: put it back for the other tests
        restored = admin.post(stack.url + "/api/method/frappe.client.set_value", json={
            "doctype": "PerfectRx Settings", "name": "PerfectRx Settings", "fieldname": "client_secret",
            "value": original})
        assert restored.ok, restored.text


def test_admin_approves_an_item_and_fills_its_vendor_mapping_fields(stack, page, shot):
    admin = stack.api("admin")
    code = "DESK-" + uuid.uuid4().hex[:6].upper()
    created = admin.post(stack.url + "/api/resource/Item", json={
        "item_code": code, "item_name": "Desk test item", "item_group": "Products", "stock_uom": "Nos",
        "fulfillment_vendor": "sinq"})
    assert created.ok, created.text
    # not mapped yet, so not approved (a new unmapped item is created Pending); the Desk approves it with
    # its mapping below (the explicit vendor lets all five mapping fields be filled)
    withdrawn = admin.put(stack.url + f"/api/resource/Item/{code}", json={"medgrid_approved": 0})
    assert withdrawn.ok and withdrawn.json()["data"]["medgrid_approved"] == 0, withdrawn.text

    open_desk(page, stack, "admin", f"/app/item/{code}")
    expect(page.locator(".form-page .title-text")).to_have_text("Desk test item")
    approved = page.get_by_label("Approved for the Marketplace")
    expect(approved).not_to_be_checked()
    approved.check()
    mapping = {
        "PerfectRx Drug Description": "Desk test drug 5mg",
        "ShipStation Product ID (SKU)": "SS-" + code,
        "SINQ Service SKU": "SINQ-" + code,
        "Centre Research Variant ID": "cr-" + code.lower(),
        "Exoceuticals Variant GID": "gid://shopify/ProductVariant/" + str(uuid.uuid4().int % 10**9),
    }
    fieldnames = {}
    for label, value in mapping.items():
        field = page.get_by_label(label, exact=True)
        field.fill(value)
        fieldnames[label] = field.get_attribute("data-fieldname")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#desk-alerts")).to_contain_text("Saved")
    expect(page.get_by_label("Approved for the Marketplace")).to_be_checked()
    shot(page, "item-approved")

    stored = admin.get(stack.url + f"/api/resource/Item/{code}").json()["data"]
    assert stored["medgrid_approved"] == 1
    for label, value in mapping.items():
        assert stored[fieldnames[label]] == value, label


def test_admin_generates_a_partners_api_keys_and_they_work(stack, page, shot):
    open_desk(page, stack, "admin", "/app/user/partner@clinic.example")
    expect(page.locator(".form-page .title-text")).to_have_text("Partner")
    page.get_by_role("button", name="API Access ▾").click()
    page.get_by_role("menuitem", name="Generate Keys").click()
    confirm = page.locator(".desk-modal-backdrop").filter(has_text="Generate a new API secret")
    if confirm.count():
        confirm.get_by_role("button", name="Yes").click()
    dialog = page.locator(".desk-modal-backdrop.msgprint").filter(has_text="API Secret")
    expect(dialog).to_be_visible()
    api_key = dialog.locator("code.api-key").inner_text()
    api_secret = dialog.locator("code.api-secret").inner_text()
    assert len(api_key) == 15 and len(api_secret) == 15
    shot(page, "keys-generated")

    # the keys work for an HTTP client right away
    answer = requests.get(stack.url + "/api/method/frappe.auth.get_logged_user", timeout=30,
                          headers={"Authorization": f"token {api_key}:{api_secret}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "partner@clinic.example"

    # shown once: after closing the message the form shows the key, never the secret
    dialog.get_by_role("button", name="OK").click()
    page.reload()
    desk_ready(page)
    expect(control(page, "api_key")).to_contain_text(api_key)
    assert api_secret not in page.content()


def test_admin_retries_a_failed_dispatch_from_its_form_and_another_from_the_list(stack, page, shot):
    stack.sandbox_call("shipstation", "POST", "/__sandbox/faults", {
        "mode": "5xx", "status": 400, "count": 2, "path": "^/orders/createorder", "method": "POST"})
    first, second = place_order(stack), place_order(stack)
    one, two = dispatch_of(stack, first), dispatch_of(stack, second)
    assert one["status"] == two["status"] == "Failed", (one, two)

    # the form: the red indicator from the list script, the error headline, Retry
    open_desk(page, stack, "admin", f"/app/fulfillment-dispatch/{one['name']}")
    expect(page.locator(".form-indicator .indicator-pill")).to_have_text("Failed")
    expect(page.locator(".form-indicator .indicator-pill")).to_have_class("indicator-pill red")
    expect(page.locator(".form-headline")).to_be_visible()
    shot(page, "dispatch-failed")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#desk-alerts")).to_contain_text("Dispatch queued again")
    deadline = time.time() + 30
    while dispatch_of(stack, first)["status"] != "Sent" and time.time() < deadline:
        time.sleep(0.5)
    page.get_by_role("button", name="Menu", exact=True).click()
    page.get_by_role("menuitem", name="Reload").click()
    expect(page.locator(".form-indicator .indicator-pill")).to_have_text("Sent")
    expect(page.locator(".form-indicator .indicator-pill")).to_have_class("indicator-pill green")
    shot(page, "dispatch-retried")

    # the list: filtered by the order from the URL, select the failed one, Actions → Retry
    page.goto(stack.url + f"/app/fulfillment-dispatch?sales_order={second}")
    desk_ready(page)
    row = page.locator(f'.list-row[data-name="{two["name"]}"]')
    expect(row.locator(".indicator-pill")).to_have_text("Failed")
    expect(page.locator(".list-row")).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Actions ▾").click()
    page.get_by_role("menuitem", name="Retry").click()
    deadline = time.time() + 30
    while dispatch_of(stack, second)["status"] != "Sent" and time.time() < deadline:
        time.sleep(0.5)
    page.get_by_role("button", name="20").click()
    expect(page.locator(f'.list-row[data-name="{two["name"]}"] .indicator-pill')).to_have_text("Sent")
    shot(page, "dispatch-list-retried")
    assert dispatch_of(stack, second)["status"] == "Sent"


def test_website_users_are_refused_the_desk_and_guests_sent_to_login(stack, page, shot):
    for role in ("partner", "vendor"):
        session = stack.api(role)
        for path in ("/app", "/app/sales-order", "/app/perfectrx-settings"):
            answer = session.get(stack.url + path, timeout=30, allow_redirects=False)
            assert answer.status_code == 403, (role, path, answer.status_code)
            assert "frappe.boot" not in answer.text
    guest = requests.get(stack.url + "/app/sales-order", timeout=30, allow_redirects=False)
    assert guest.status_code in (301, 302)
    assert "/login?redirect-to=%2Fapp%2Fsales-order" in guest.headers["Location"]

    login(page, stack, "partner", "/me")
    page.goto(stack.url + "/app")
    expect(page.locator("body")).to_contain_text("not permitted", ignore_case=True)
    shot(page, "partner-refused")


def test_each_role_sees_only_the_workspaces_and_doctypes_it_may_read(stack, page, shot):
    open_desk(page, stack, "rep", "/app")
    cards = page.locator(".workspace-card")
    expect(cards.filter(has_text="Selling").get_by_role("link", name="Sales Order")).to_be_visible()
    expect(page.get_by_role("link", name="PerfectRx Settings")).to_have_count(0)
    shot(page, "rep-workspace")
    # a doctype the rep may not read is not a Desk page for it
    page.goto(stack.url + "/app/perfectrx-settings")
    desk_ready(page)
    expect(page.locator(".page-message")).to_contain_text("Page not found")
    # nor through the server: the meta call is refused
    rep = stack.api("rep")
    refused = rep.get(stack.url + "/api/method/frappe.desk.form.load.getdoctype",
                      params={"doctype": "PerfectRx Settings", "with_parent": 1})
    assert refused.status_code == 403

    page.context.clear_cookies()
    open_desk(page, stack, "admin", "/app")
    for workspace in ("MedGrid", "Selling", "Stock", "Users and Permissions", "Integrations", "Settings"):
        expect(page.locator(".workspace-card h4", has_text=workspace).first).to_be_visible()
    expect(page.get_by_role("link", name="PerfectRx Settings")).to_be_visible()
    shot(page, "admin-workspace")

    # the "go to" bar and the browser history
    page.get_by_label("Search or type a command").fill("fulfillment")
    page.get_by_role("option", name="Fulfillment Dispatch List").click()
    expect(page).to_have_url(stack.url + "/app/fulfillment-dispatch")
    desk_ready(page)
    expect(page.locator(".list-page .title-text")).to_have_text("Fulfillment Dispatch")
    page.go_back()
    expect(page).to_have_url(stack.url + "/app")
    expect(page.locator(".workspace")).to_be_visible()

    # the user menu: My Settings opens the own User form; Log out ends the session
    page.get_by_role("button", name="User menu of Marketplace Admin").click()
    page.get_by_role("menuitem", name="My Settings").click()
    expect(page).to_have_url(stack.url + "/app/user/admin%40medgrid.example")
    page.get_by_role("button", name="User menu of Marketplace Admin").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(lambda url: "/login" in url)
    answer = page.request.get(stack.url + "/api/method/frappe.auth.get_logged_user")
    assert answer.status in (401, 403), answer.text()


def test_admin_sees_this_sites_background_jobs_and_a_rep_does_not(stack, page, shot):
    order = place_order(stack)
    assert dispatch_of(stack, order)["status"] == "Sent"  # its send ran as a background job

    open_desk(page, stack, "admin", "/app")
    page.locator(".workspace-card", has_text="Settings").get_by_role("link", name="Background Jobs").click()
    expect(page).to_have_url(stack.url + "/app/background_jobs")
    expect(page.locator(".page-jobs .title-text")).to_have_text("Background Jobs")
    expect(page.locator(".scheduler-status .indicator-pill")).to_contain_text("Scheduler:")
    page.get_by_label("Job status").select_option("finished")
    expect(page.locator(".jobs-result")).to_have_attribute("aria-busy", "false")
    rows = page.locator(".job-row")
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {"finished"}
    expect(rows.first.locator(".indicator-pill")).to_have_class("indicator-pill green")
    shot(page, "background-jobs")

    # the page and its data are System Manager only
    page.context.clear_cookies()
    open_desk(page, stack, "rep", "/app/background_jobs")
    expect(page.locator(".page-message")).to_contain_text("Page not found")
    refused = stack.api("rep").get(
        stack.url + "/api/method/frappe.core.page.background_jobs.background_jobs.get_info")
    assert refused.status_code == 403



def test_the_user_menu_api_access_opens_the_own_user_form_at_its_keys(stack, page, shot):
    open_desk(page, stack, "admin", "/app")
    page.get_by_role("button", name="User menu of Marketplace Admin").click()
    page.get_by_role("menuitem", name="API Access").click()
    expect(page).to_have_url(stack.url + "/app/user/admin%40medgrid.example#api_access")
    desk_ready(page)
    expect(page.locator(".form-page .title-text")).to_have_text("Marketplace Admin")
    expect(page.locator(".form-section.highlight")).to_contain_text("API Access")
    page.get_by_role("button", name="API Access ▾").click()
    expect(page.get_by_role("menuitem", name="Generate Keys")).to_be_visible()
    shot(page, "own-api-access")

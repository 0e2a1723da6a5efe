"""The portal's back office in Chromium: API Access, Vendor Dashboard, Payouts, Support — as the roles that use
them, and the refusals (a rep opening payouts, a vendor reading another vendor's). Screenshots at desktop
size and at 390 px (a phone) go to artifacts/screenshots/.
"""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.browser.conftest import USERS, login

PHONE = {"width": 390, "height": 844}


def whoami(stack, header_line: str) -> requests.Response:
    name, _, value = header_line.partition(": ")
    assert name == "Authorization"
    return requests.get(stack.url + "/api/method/frappe.auth.get_logged_user", headers={name: value}, timeout=30)


def both_sizes(page, shot, label: str) -> None:
    shot(page, label)
    page.set_viewport_size(PHONE)
    shot(page, label + "-390px")
    # nothing may stick out sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.set_viewport_size({"width": 1280, "height": 900})


def rotate(page) -> str:
    """Press Rotate (accepting the confirmation) and read the new header once the page shows it."""
    header = page.locator("#mg-api-header-value")
    before = header.input_value()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#mg-api-generate").click()
    expect(page.locator("#mg-api-secret")).to_be_visible()
    expect(header).not_to_have_value(before)
    return header.input_value()


# ------------------------------------------------------------------------------------------ API Access

def test_a_partner_rotates_its_key_from_me_and_the_old_secret_stops_at_once(stack, page, shot):
    login(page, stack, "partner", "/me")
    page.get_by_role("link", name="API Access").click()
    page.wait_for_url("**/portal/api-access")
    card = page.locator("#mg-api-access")
    expect(card).to_contain_text(USERS["partner"])
    key = card.locator('[data-field="api_key"]').inner_text()
    assert len(key) == 15  # the demo made the partner's key
    both_sizes(page, shot, "api-access")

    first = rotate(page)
    assert first.startswith(f"Authorization: token {key}:")
    assert whoami(stack, first).json()["message"] == USERS["partner"]
    expect(page.locator("#mg-api-curl")).to_contain_text(first)
    page.locator('[data-copy="mg-api-header-value"]').click()
    expect(page.locator('[data-copy="mg-api-header-value"]')).to_have_text(re.compile("Copied|Select and copy"))
    both_sizes(page, shot, "api-secret-shown-once")

    second = rotate(page)
    assert second != first
    assert whoami(stack, first).status_code == 401
    assert whoami(stack, second).json()["message"] == USERS["partner"]

    # the secret is never rendered again; the last use is recorded
    page.reload()
    assert second.rsplit(":", 1)[1] not in page.content()
    expect(page.locator('[data-field="last_used_on"]')).not_to_contain_text("Never")


def test_an_admin_rotates_a_vendors_key_and_a_vendor_cannot_open_anothers(stack, page, shot):
    login(page, stack, "admin", f"/portal/api-access?user={USERS['vendor']}")
    expect(page.locator("#mg-api-access")).to_contain_text(USERS["vendor"])
    header = rotate(page)
    assert whoami(stack, header).json()["message"] == USERS["vendor"]
    shot(page, "admin-rotates-vendor-key")

    vendor = stack.api("vendor")
    refused = vendor.get(stack.url + f"/portal/api-access?user={USERS['partner']}", timeout=30)
    assert refused.status_code == 403
    token = vendor.get(stack.url + "/portal/api-access", timeout=30).text.split('csrf_token = "')[1].split('"')[0]
    steal = vendor.post(stack.url + "/api/method/medgrid.portal.api_access.generate_api_key",
                        json={"user": USERS["partner"]}, headers={"X-Frappe-CSRF-Token": token}, timeout=30)
    assert steal.status_code == 403 and "api_secret" not in steal.text


# ------------------------------------------------------------------------------------------ Vendor Dashboard, Payouts

def _other_vendors_payout(stack) -> tuple[str, str]:
    """Another vendor with a delivered dispatch and a payout (made by the admin over the API)."""
    admin = stack.api("admin")
    url = stack.url + "/api/resource/"
    profile = "Browser Other Vendor"
    if not admin.get(url + f"Vendor Profile/{profile}", timeout=30).ok:
        admin.post(url + "Vendor Profile", json={"vendor_name": profile, "vendor_key": "shipstation",
                                                 "status": "Active"}, timeout=30).raise_for_status()
    order = admin.get(url + "Sales Order", params={"filters": '[["po_no", "=", "DEMO-PORTAL-OPEN"]]'},
                      timeout=30).json()["data"][0]["name"]
    item = admin.get(url + f"Sales Order/{order}", timeout=30).json()["data"]["items"][0]
    dispatch = admin.post(url + "Fulfillment Dispatch", json={
        "sales_order": order, "vendor": "shipstation", "vendor_label": "ShipStation", "vendor_profile": profile,
        "route_key": f"shipstation:{profile}", "status": "Sent", "vendor_status": "Delivered",
        "tracking_number": "OTHER-VENDOR-TRACK", "lines": [{"sales_order_item": item["name"],
                                                          "item_code": item["item_code"], "qty": 1,
                                                          "rate": item["rate"], "vendor_sku": "X"}]}, timeout=30)
    dispatch.raise_for_status()
    token = admin.get(stack.url + "/portal/payouts", timeout=30).text.split('csrf_token = "')[1].split('"')[0]
    created = admin.post(stack.url + "/api/method/medgrid.payouts.create_payouts", json={"vendor_profile": profile},
                         headers={"X-Frappe-CSRF-Token": token}, timeout=30)
    created.raise_for_status()
    return profile, created.json()["message"]["created"][0]


def test_a_vendor_sees_its_dashboard_and_payouts_and_never_another_vendors(stack, page, shot):
    other_profile, other_payout = _other_vendors_payout(stack)
    login(page, stack, "vendor", "/me")
    page.get_by_role("link", name="Vendor Dashboard").click()
    page.wait_for_url("**/portal/vendor-dashboard")
    orders = page.locator("#mg-vd-order-table")
    expect(orders.locator("tbody tr")).to_have_count(3)
    expect(orders).to_contain_text("Awaiting Shipment")
    expect(orders).to_contain_text("Austin")  # the open order's ship-to
    expect(page.locator("#mg-vd-failure-table")).to_contain_text("postal code is missing")
    expect(page.locator("#mg-main")).not_to_contain_text("OTHER-VENDOR-TRACK")
    both_sizes(page, shot, "vendor-dashboard")

    page.goto(stack.url + "/portal/payouts")
    payout = page.locator("[data-payout]")
    expect(payout).to_have_count(1)
    expect(payout.locator("[data-role=payout-status]")).to_have_text("Approved")
    expect(payout).to_contain_text("Delivered")
    expect(page.locator("#mg-main")).not_to_contain_text(other_payout)
    both_sizes(page, shot, "vendor-payouts")

    # another vendor's payout and dashboard: refused, over the page and the API the page's session holds
    status = page.evaluate("async (name) => (await fetch('/api/resource/Vendor Payout/' + encodeURIComponent(name)))"
                           ".status", other_payout)
    assert status == 403
    refused = page.goto(stack.url + f"/portal/vendor-dashboard?vendor_profile={other_profile}")
    assert refused.status == 403
    shot(page, "vendor-refused-other-dashboard")


def test_a_rep_cannot_open_payouts_or_the_vendor_dashboard(stack, page, shot):
    login(page, stack, "rep", "/me")
    expect(page.get_by_role("link", name="Payouts")).to_have_count(0)
    for path in ("/portal/payouts", "/portal/vendor-dashboard"):
        response = page.goto(stack.url + path)
        assert response.status == 403
        expect(page.locator("body")).not_to_contain_text("VP-")
    shot(page, "rep-refused-payouts")
    status = page.evaluate("async () => (await fetch('/api/resource/Vendor Payout')).status")
    assert status == 403


# ------------------------------------------------------------------------------------------ Support

def test_a_partner_asks_for_help_and_reads_the_reply(stack, page, shot):
    login(page, stack, "partner", "/me")
    page.get_by_role("link", name="Support").click()
    page.wait_for_url("**/portal/support")
    expect(page.locator("[data-role=support-reply]").first).to_contain_text("pick list")  # the demo's answered one
    both_sizes(page, shot, "support")

    page.get_by_label("Subject").fill("Invoice copy")
    page.get_by_label("Category").select_option("Order")
    page.get_by_label("Related order (optional)").select_option(index=1)
    page.get_by_label("Message").fill("Please send a copy of the invoice <b>today</b>.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/portal/support?sent=*")
    mine = page.locator("[data-request]").first
    expect(mine).to_contain_text("Invoice copy")
    expect(mine).to_contain_text("Please send a copy of the invoice <b>today</b>.")  # shown as text
    expect(mine.locator("[data-role=support-status]")).to_have_text("Open")
    name = mine.get_attribute("data-request")

    admin = stack.api("admin")
    token = admin.get(stack.url + "/portal/support", timeout=30).text.split('csrf_token = "')[1].split('"')[0]
    admin.put(stack.url + f"/api/resource/MedGrid Support Request/{name}", json={"reply": "Sent to your inbox."},
              headers={"X-Frappe-CSRF-Token": token}, timeout=30).raise_for_status()
    page.reload()
    mine = page.locator(f'[data-request="{name}"]')
    expect(mine.locator("[data-role=support-status]")).to_have_text("Answered")
    expect(mine.locator("[data-role=support-reply]")).to_contain_text("Sent to your inbox.")
    shot(page, "support-answered")

    # another requester never sees it
    vendor = stack.api("vendor")
    assert name not in vendor.get(stack.url + "/portal/support", timeout=30).text
    assert vendor.get(stack.url + f"/api/resource/MedGrid Support Request/{name}", timeout=30).status_code == 403

"""An admin finds failed dispatches, reads why they failed, and retries them (one, then in bulk)."""

from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from tests.browser.conftest import login


def place_order(stack, item_code="ITEM-002", qty=1) -> str:
    """Create and submit a Sales Order through the REST API as the partner; returns its name."""
    partner = stack.api("partner")
    created = partner.post(stack.url + "/api/resource/Sales Order", json={
        "customer": "Demo Clinic Partner", "delivery_date": "2099-01-01",
        "shipping_address_name": "Demo Clinic Partner-Shipping",
        "items": [{"item_code": item_code, "qty": qty, "warehouse": "Skydell Main - SM"}]})
    assert created.ok, created.text
    name = created.json()["data"]["name"]
    submitted = partner.put(stack.url + f"/api/resource/Sales Order/{name}", json={"docstatus": 1})
    assert submitted.ok, submitted.text
    return name


def dispatch_of(stack, sales_order) -> dict:
    admin = stack.api("admin")
    deadline = time.time() + 30
    while True:
        response = admin.get(stack.url + "/api/resource/Fulfillment Dispatch", params={
            "filters": json.dumps([["sales_order", "=", sales_order]]),
            "fields": json.dumps(["name", "status", "last_error"])})
        rows = response.json()["data"]
        if rows and rows[0]["status"] not in ("Queued", "Sending") or time.time() > deadline:
            return rows[0] if rows else {}
        time.sleep(0.3)


def test_admin_retries_failed_dispatches_from_the_admin_pages(stack, page, shot):
    # ShipStation refuses the next two orders with a 400: a permanent refusal fails the dispatch at once
    stack.sandbox_call("shipstation", "POST", "/__sandbox/faults", {
        "mode": "5xx", "status": 400, "count": 2, "path": "^/orders/createorder", "method": "POST"})
    first, second = place_order(stack), place_order(stack)
    one, two = dispatch_of(stack, first), dispatch_of(stack, second)
    assert one["status"] == two["status"] == "Failed", (one, two)

    login(page, stack, "admin", "/medgrid-admin/dispatches?status=Failed")
    rows = page.locator("#mg-dispatches tbody tr")
    expect(rows.filter(has_text=first)).to_have_count(1)
    expect(rows.filter(has_text=first).locator(".mg-pill")).to_have_class("mg-pill red")
    shot(page, "failed-list")

    # detail: lines, attempts, the error and the redacted vendor log; then Retry → Sent
    page.get_by_role("link", name=one["name"]).click()
    expect(page.get_by_role("heading", name="Lines")).to_be_visible()
    expect(page.locator("#mg-last-error")).not_to_be_empty()
    expect(page.locator("#mg-region")).to_contain_text("ITEM-002")
    logs = page.locator("#mg-region details")
    expect(logs.first).to_contain_text("400")
    assert "sandbox-shipstation-secret" not in page.content()
    shot(page, "failed-detail")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("Queued again")
    expect(page.locator("#mg-dispatch-status")).to_have_text("Sent", timeout=30_000)
    expect(page.locator("#mg-dispatch-status")).to_have_class("mg-pill green")
    shot(page, "retried-detail")

    # list: select the other failed dispatch and use the bulk Retry
    page.goto(stack.url + f"/medgrid-admin/dispatches?sales_order={second}")
    row = page.locator(f'#mg-dispatches tr[data-name="{two["name"]}"]')
    expect(row).to_have_attribute("data-status", "Failed")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Retry selected (1)").click()
    expect(page.locator(f'#mg-dispatches tr[data-name="{two["name"]}"]')).to_have_attribute(
        "data-status", "Sent", timeout=30_000)
    shot(page, "retried-list")
    assert dispatch_of(stack, second)["status"] == "Sent"


def test_admin_filters_webhook_events_and_reads_a_payload(stack, page, shot):
    order = place_order(stack)
    assert dispatch_of(stack, order)["status"] == "Sent"
    stack.sandbox_call("shipstation", "POST", "/__sandbox/advance", {"all": True})

    login(page, stack, "admin", "/medgrid-admin/webhook-events")
    page.get_by_label("Vendor").select_option("shipstation")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("#mg-webhook-events tbody tr")
    expect(rows.first).to_be_visible(timeout=30_000)
    expect(rows.first).to_contain_text("shipstation")
    shot(page, "events")
    rows.first.locator("a").first.click()
    expect(page.locator("#mg-payload")).to_contain_text("resource_url")
    shot(page, "event-detail")


def test_admin_retries_an_unmatched_webhook_event(stack, page, shot):
    import hashlib
    import hmac

    # a signed SINQ status update for an order MedGrid does not have: stored, then Unmatched
    body = json.dumps({"id": "browser-unmatched-1", "reference": "SO-2099-99999", "status": "shipped",
                       "tracking": {"trackingNumber": "1ZUNMATCHED", "shipBy": "UPS"}}).encode()
    signature = hmac.new(b"sandbox-sinq-webhook-secret", body, hashlib.sha256).hexdigest()
    import requests

    answer = requests.post(stack.url + "/api/method/medgrid.sinq.webhook", data=body, timeout=30, headers={
        "Content-Type": "application/json", "key": "sandbox-sinq-webhook-key",
        "X-Webhook-Signature": f"sha256={signature}"})
    assert answer.ok, answer.text

    login(page, stack, "admin", "/medgrid-admin/webhook-events?vendor=sinq")
    row = page.locator("#mg-webhook-events tbody tr").first
    deadline = time.time() + 30
    while row.get_attribute("data-status") != "Unmatched" and time.time() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(row).to_have_attribute("data-status", "Unmatched")
    expect(row.locator(".mg-pill")).to_have_class("mg-pill orange")
    shot(page, "unmatched")

    row.get_by_role("button", name="Retry").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("Queued again")
    # applied again: still no such order, so it settles as Unmatched once more, with one more attempt
    expect(page.locator("#mg-webhook-events tbody tr").first).to_have_attribute("data-status", "Unmatched",
                                                                                 timeout=30_000)
    admin = stack.api("admin")
    deadline = time.time() + 30
    while True:
        events = admin.get(stack.url + "/api/resource/MedGrid Webhook Event", params={
            "filters": json.dumps([["vendor", "=", "sinq"], ["sales_order", "is", "not set"]]),
            "fields": json.dumps(["name", "status", "attempts"])}).json()["data"]
        if (events and events[0]["attempts"] >= 2) or time.time() > deadline:
            break
        time.sleep(0.3)
    assert events and events[0]["status"] == "Unmatched" and events[0]["attempts"] >= 2, events

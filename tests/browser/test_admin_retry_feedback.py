"""Retry feedback on /medgrid-admin/dispatches (issue 15): a dispatch that failed because its order has no
shipping address shows, after Retry, that the attempt ran (when, with what result) and links to the page
where the address is fixed; the list labels dispatches and vendors in words, not keys and ids."""

from __future__ import annotations

import json
import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_new_user_story import wait_until


def order_without_address(stack) -> str:
    """As the admin: a new customer with no address at all, and a submitted SINQ order for it."""
    admin = stack.api("admin")
    customer = f"No Address Clinic {uuid.uuid4().hex[:6]}"
    made = admin.post(f"{stack.url}/api/resource/Customer", json={
        "customer_name": customer, "customer_group": "Commercial", "territory": "United States"}, timeout=30)
    assert made.ok, made.text
    created = admin.post(f"{stack.url}/api/resource/Sales Order", json={
        "customer": made.json()["data"]["name"], "delivery_date": "2099-01-01",
        "items": [{"item_code": "ITEM-003", "qty": 1, "warehouse": "Skydell Main - SM"}]}, timeout=30)
    assert created.ok, created.text
    name = created.json()["data"]["name"]
    submitted = admin.put(f"{stack.url}/api/resource/Sales Order/{name}", json={"docstatus": 1}, timeout=30)
    assert submitted.ok, submitted.text
    return name


def dispatch_rows(stack, order):
    response = stack.api("admin").get(f"{stack.url}/api/resource/Fulfillment Dispatch", params={
        "filters": json.dumps([["sales_order", "=", order]]), "fields": json.dumps(["name", "status", "last_error"])},
        timeout=30)
    return response.json()["data"]


def test_retrying_a_dispatch_without_an_address_shows_the_attempt_and_where_to_fix_it(stack, page, shot):
    order = order_without_address(stack)
    (failed,) = wait_until(lambda: [r for r in dispatch_rows(stack, order) if r["status"] == "Failed"],
                           f"the dispatch of {order} Failed")
    assert "shipping address" in failed["last_error"]

    login(page, stack, "admin", f"/medgrid-admin/dispatches?sales_order={order}")
    row = page.locator(f'#mg-dispatches tr[data-name="{failed["name"]}"]')
    expect(row).to_have_attribute("data-label", f"SINQ Ops · {order}")
    expect(row.locator("a[data-role=fix]")).to_have_text(f"Set the shipping address of {order}")
    expect(row.locator("a[data-role=fix]")).to_have_attribute("href", f"/app/sales-order/{order}")
    # the vendor filter reads the registry's labels, keyed by the vendor key
    expect(page.get_by_label("Vendor").locator('option[value="centre_research"]')).to_have_text(re.compile(r"^Centre Research"))

    row.get_by_role("button", name=re.compile("^Retry")).click()
    report = page.locator(f'#mg-messages [data-retry-result="{failed["name"]}"]')
    expect(report).to_contain_text(re.compile(rf"^SINQ Ops · {order}: Failed \(attempt 1, ended .+\)\. .*shipping address\. Set"),
                                   timeout=30_000)
    expect(report.locator("a[data-role=fix]")).to_have_attribute("href", f"/app/sales-order/{order}")
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Queued again")
    shot(page, "retry-feedback")

    # the detail page says the same: the attempt, its result and the fix
    page.goto(f"{stack.url}/medgrid-admin/dispatches/{failed['name']}")
    expect(page.locator("#mg-last-attempt")).to_contain_text(re.compile(r"Attempt 1 ended .+: Failed"))
    expect(page.locator("a[data-role=fix]")).to_have_text(f"Set the shipping address of {order}")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "retry-feedback-detail-390")

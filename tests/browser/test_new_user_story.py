"""The new user's story on the demo (issue 15), played end to end in Chromium and with the README's curl lines.

1. A sales rep builds a five-vendor order with a prescription line on ``/sales-order``, saves it, opens it
   again from "Your orders", submits it and watches the tracking fill in as the sandboxes ship.
2. A partner does the same through the API with the README "Try it" block, run exactly as printed (the block
   after ``<!-- try-it-curl -->``, with ``MEDGRID`` and ``AUTH`` set as the README says).
3. The admin sees every dispatch of both orders Sent on ``/medgrid-admin/dispatches``.

Screenshots at desktop and 390 px go to ``artifacts/screenshots/``. (The vendor's self-connect in the browser is
tests/browser/test_vendor_self_connect*.)
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, USERS, choose_customer, login, start_stack

README = os.path.join(ROOT, "README.md")
CURL_MARKER = "<!-- try-it-curl -->"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# item → the vendor that fulfils it in the demo catalog (medgrid/setup/demo.py)
FIVE_VENDOR_ORDER = [("BPC", "ITEM-001", "Skydell Main", "centre_research"),
                     ("Syringe", "ITEM-002", "Skydell Main", "shipstation"),
                     ("Vitamin", "ITEM-003", "Skydell Main", "sinq"),
                     ("Testosterone", "ITEM-004", "Skydell Main", "perfectrx"),
                     ("Exo Recovery", "ITEM-005", "Skydell Exoceuticals", "exoceuticals")]
# vendors that report shipping by webhook (Centre Research is polled every five minutes, PerfectRx ships later)
WEBHOOK_VENDORS = ("shipstation", "sinq", "exoceuticals")
SANDBOXES = ("perfectrx", "shipstation", "sinq", "centre_research", "shopify")


def readme_curl_block() -> str:
    """The bash block right after the README's marker, as printed."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    assert CURL_MARKER in text, "README has no Try it curl block"
    match = re.search(r"```bash\n(.*?)```", text[text.index(CURL_MARKER):], re.S)
    assert match, "no ```bash block after the marker"
    return match.group(1)


def wait_until(check, what: str, timeout: float = 90):
    """Poll ``check`` until it returns something true (jobs and sandboxes work in the background)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {timeout} s (last: {last})")


def dispatches(stack, order: str) -> list[dict]:
    response = stack.api("admin").get(
        f"{stack.url}/api/resource/Fulfillment Dispatch",
        params={"filters": f'[["sales_order", "=", "{order}"]]', "fields": '["name", "vendor", "status", "last_error"]',
                "limit_page_length": "50"}, timeout=30)
    response.raise_for_status()
    return response.json()["data"]


def advance_sandboxes(stack) -> None:
    for vendor in SANDBOXES:
        stack.sandbox_call(vendor, "POST", "/__sandbox/advance", {"all": True})


# the story is a new user's: it runs on a demo of its own, not one the other browser tests have used
stack = pytest.fixture(scope="module", name="stack")(start_stack)


def test_a_new_user_orders_in_the_browser_and_through_the_readme_and_the_admin_sees_every_dispatch_sent(
        stack, stocked, page, shot, tmp_path):
    # ------------------------------------------------------------------ 1. the rep, in the browser
    login(page, stack, "rep", "/sales-order")
    choose_customer(page)
    expect(page.get_by_role("heading", name="New Sales Order")).to_be_visible()
    for term, code, warehouse, _vendor in FIVE_VENDOR_ORDER:
        page.get_by_label("Warehouse").select_option(label=warehouse)
        page.get_by_label("Search items").fill(term)
        row = page.locator(f'#mg-catalog-results tr[data-item-code="{code}"]')
        expect(row).to_contain_text(warehouse)
        row.get_by_role("button", name=re.compile("^Add ")).click()
        expect(page.locator(f'#mg-cart tr[data-item-code="{code}"]')).to_have_count(1)
    expect(page.locator("#mg-cart tbody tr[data-item-code]")).to_have_count(5)

    # the Rx line asks for the patient and prescriber, checked before anything is sent
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("A prescription line needs")
    for label, value in {"Patient First Name": "Mary", "Patient Last Name": "Shelley", "Patient Date of Birth": "1975-08-30",
                         "Prescriber NPI": "1234567893", "Prescriber First Name": "John",
                         "Prescriber Last Name": "Snow"}.items():
        page.get_by_label(label).fill(value)
    shot(page, "rep-five-vendor-draft")
    page.get_by_role("button", name="Save draft").click()
    status = page.locator("#mg-messages [role=status]")
    expect(status).to_contain_text(re.compile(r"Draft SO-\d{4}-\d{5} saved"))
    rep_order = re.search(r"SO-\d{4}-\d{5}", status.inner_text()).group(0)

    # reopened from "Your orders" on a fresh page, then submitted
    page.goto(stack.url + "/sales-order")
    page.locator("#mg-orders-table").get_by_role("link", name=rep_order).click()
    expect(page.get_by_role("heading", name=f"Draft {rep_order}")).to_be_visible()
    expect(page.locator("#mg-cart tbody tr[data-item-code]")).to_have_count(5)
    expect(page.get_by_label("Patient Last Name")).to_have_value("Shelley")
    page.get_by_role("button", name="Submit order").click()
    expect(status).to_contain_text(f"{rep_order} submitted")
    expect(page.locator(f'#mg-orders-table tr[data-order="{rep_order}"]')).not_to_contain_text("Draft")
    shipments = page.locator("#mg-shipments tbody tr[data-vendor]")
    expect(shipments).to_have_count(5, timeout=30_000)
    for _term, _code, _warehouse, vendor in FIVE_VENDOR_ORDER:
        expect(page.locator(f'#mg-shipments tr[data-vendor="{vendor}"]')).to_have_count(1)
    # every vendor has the order before the sandboxes ship it
    wait_until(lambda: all(d["status"] == "Sent" for d in dispatches(stack, rep_order)) and dispatches(stack, rep_order),
               f"every dispatch of {rep_order} Sent")
    shot(page, "rep-submitted")

    # the sandboxes ship; the page fills the tracking in by itself
    advance_sandboxes(stack)
    for vendor in WEBHOOK_VENDORS:
        expect(page.locator(f'#mg-shipments tr[data-vendor="{vendor}"] [data-role=tracking-number]')).not_to_have_text(
            "—", timeout=60_000)
    shot(page, "rep-tracking-filled")
    page.set_viewport_size(PHONE)
    shot(page, "rep-tracking-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size(DESKTOP)

    # ------------------------------------------------------------------ 2. the partner, with the README's lines
    answer = stack.api("partner").post(f"{stack.url}/api/method/medgrid.portal.api_access.generate_api_key",
                                       json={"user": USERS["partner"]}, timeout=30)
    answer.raise_for_status()
    authorization = answer.json()["message"]["authorization"]
    script = tmp_path / "try-it.sh"
    script.write_text(readme_curl_block(), encoding="utf-8")
    run = subprocess.run(["bash", "-e", str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "MEDGRID": stack.url, "AUTH": f"Authorization: {authorization}"})
    assert run.returncode == 0, run.stderr + run.stdout
    created = re.search(r"Created (SO-\d{4}-\d{5})", run.stdout)
    assert created, run.stdout
    partner_order = created.group(1)
    assert f"{partner_order} submitted: True" in run.stdout, run.stdout
    assert '"shipments"' in run.stdout and "Skydell Main" in run.stdout, run.stdout  # catalog and tracking answered
    partner_dispatches = wait_until(
        lambda: (rows := dispatches(stack, partner_order)) and all(d["status"] == "Sent" for d in rows) and rows,
        f"every dispatch of {partner_order} Sent")
    assert {d["vendor"] for d in partner_dispatches} == {"centre_research", "shipstation", "sinq", "exoceuticals"}

    # the partner's order is on its /sales-order list and opens with its shipments
    page.context.clear_cookies()
    login(page, stack, "partner", f"/sales-order?order={partner_order}")
    expect(page.get_by_role("heading", name=f"Sales Order {partner_order}")).to_be_visible()
    expect(page.locator("#mg-shipments tbody tr[data-vendor]")).to_have_count(4)
    expect(page.locator(f'#mg-orders-table tr[data-order="{partner_order}"]')).to_be_visible()
    shot(page, "partner-order-from-the-api")

    # ------------------------------------------------------------------ 3. the admin sees every dispatch Sent
    page.context.clear_cookies()
    for order, count in ((rep_order, 5), (partner_order, 4)):
        login(page, stack, "admin", f"/medgrid-admin/dispatches?sales_order={order}")
        rows = page.locator("tr[data-name]")
        expect(rows).to_have_count(count)
        expect(page.locator('tr[data-name]:not([data-status="Sent"])')).to_have_count(0)
        page.context.clear_cookies()
    login(page, stack, "admin", f"/medgrid-admin/dispatches?sales_order={rep_order}")
    shot(page, "admin-every-dispatch-sent")
    page.set_viewport_size(PHONE)
    shot(page, "admin-every-dispatch-sent-390")

"""A document's life in the runtime's Desk: cancel, amend, duplicate, delete with Frappe's confirmations;
the server's refusals as Frappe's message dialogs; the unsaved-changes guard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_admin_pages import place_order


def desk_ready(page):
    page.wait_for_selector("body[data-ready='1']")


def confirm(page, text):
    dialog = page.get_by_role("dialog", name="Confirm")
    expect(dialog).to_contain_text(text)
    dialog.get_by_role("button", name="Yes").click()


def menu(page, item):
    page.get_by_role("button", name="Menu", exact=True).click()
    page.get_by_role("menuitem", name=item).click()


def test_admin_cancels_amends_duplicates_and_deletes_an_order(stack, page, shot):
    name = place_order(stack)
    login(page, stack, "admin", f"/app/sales-order/{name}")
    desk_ready(page)
    expect(page.locator(".form-indicator")).to_have_text("To Deliver and Bill")

    page.get_by_role("button", name="Cancel").click()
    confirm(page, f"Permanently Cancel {name}?")
    expect(page.locator(".form-indicator")).to_have_text("Cancelled")
    expect(page.locator(".form-banner")).to_contain_text("cancelled")
    expect(page.locator("#desk-alerts")).to_contain_text("Cancelled")
    shot(page, "cancelled")

    # Amend: a new draft copy pointing at the cancelled order; saving names it <name>-1
    page.get_by_role("button", name="Amend").click()
    expect(page).to_have_url(re.compile(r"/app/sales-order/new-sales-order-[a-z0-9]+$"))
    desk_ready(page)
    expect(page.locator('.frappe-control[data-fieldname="amended_from"] .control-value')).to_have_text(name)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/app/sales-order/{re.escape(name)}-\d+$"))
    amended = page.url.rsplit("/", 1)[1]
    expect(page.locator(".form-indicator")).to_have_text("Draft")
    shot(page, "amended")

    # Duplicate: a new document with the same lines and no link to the original
    menu(page, "Duplicate")
    expect(page).to_have_url(re.compile(r"/app/sales-order/new-sales-order-[a-z0-9]+$"))
    desk_ready(page)
    expect(page.locator('.frappe-control[data-fieldname="amended_from"]')).to_be_hidden()
    expect(page.locator('.grid-field[data-fieldname="items"] tr.grid-row')).to_have_count(1)
    # the delivery date is not copied (no_copy), as in ERPNext: the copy needs its own
    expect(page.get_by_label("Delivery Date", exact=True)).to_have_value("")
    page.get_by_label("Delivery Date", exact=True).fill("2099-03-01")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/app/sales-order/SO-\d{4}-\d{5}$"))
    copy = page.url.rsplit("/", 1)[1]
    assert copy not in (name, amended)

    # Delete: confirmation, then the list; the document is gone
    menu(page, "Delete")
    confirm(page, f"Permanently delete {copy}?")
    expect(page).to_have_url(stack.url + "/app/sales-order")
    admin = stack.api("admin")
    assert admin.get(stack.url + f"/api/resource/Sales Order/{copy}").status_code == 404
    assert admin.get(stack.url + f"/api/resource/Sales Order/{amended}").json()["data"]["amended_from"] == name


def test_server_refusals_show_as_message_dialogs_and_unsaved_changes_are_guarded(stack, page, shot):
    rep = stack.api("rep")
    created = rep.post(stack.url + "/api/resource/Sales Order", json={
        "customer": "Demo Clinic Partner", "delivery_date": "2099-01-01",
        "items": [{"item_code": "ITEM-002", "qty": 1, "warehouse": "Skydell Main - SM"}]})
    assert created.ok, created.text
    draft = created.json()["data"]["name"]

    login(page, stack, "rep", f"/app/sales-order/{draft}")
    desk_ready(page)
    # more than the catalog has in stock: the server's refusal, shown as Frappe shows _server_messages
    page.get_by_label("Quantity of row 1").fill("999999")
    page.get_by_role("button", name="Save").click()
    error = page.get_by_role("dialog", name=re.compile("Message|Error"))
    expect(error).to_be_visible()
    expect(error).to_contain_text("ITEM-002")
    shot(page, "server-refusal")
    error.get_by_role("button", name="OK").click()
    expect(page.locator(".form-indicator")).to_have_text("Not Saved")
    stored = rep.get(stack.url + f"/api/resource/Sales Order/{draft}").json()["data"]
    assert stored["items"][0]["qty"] == 1

    # leaving with unsaved changes asks first; dismissing keeps the form
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.get_by_role("link", name="Sales Order", exact=True).click()
    expect(page).to_have_url(stack.url + f"/app/sales-order/{draft}")
    assert questions and "unsaved changes" in questions[0]
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("link", name="Sales Order", exact=True).click()
    expect(page).to_have_url(stack.url + "/app/sales-order")
    desk_ready(page)
    expect(page.locator(".list-page")).to_be_visible()

"""The Desk scripts (doctype_js / <doctype>_list.js) run in Chromium against a stub of the Desk APIs
they use (tests/browser/desk_stub.js) and the real MedGrid server behind frappe.call."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from tests.browser.conftest import ROOT, login

STUB = os.path.join(os.path.dirname(__file__), "desk_stub.js")
DOCTYPES = os.path.join(ROOT, "medgrid", "medgrid", "doctype")


def load(page, *paths):
    page.add_script_tag(path=STUB)
    for path in paths:
        page.add_script_tag(path=path)


def test_sales_order_form_browse_catalog_adds_lines_from_the_real_catalog(stack, page, shot):
    login(page, stack, "rep", "/me")
    load(page, os.path.join(ROOT, "medgrid", "public", "js", "sales_order.js"))
    page.evaluate("""() => {
        window.frm = make_stub_frm({currency: "USD", delivery_date: "2099-01-01", selling_price_list: "Standard Selling"});
        __form_handlers["Sales Order"].refresh(frm);
        frm.buttons["Browse Catalog"]();
    }""")

    # warehouses come from list_warehouses, once: a second dialog reads the session cache
    warehouse = page.get_by_label("Warehouse")
    expect(warehouse.locator("option", has_text="Skydell Main")).to_have_count(1)
    page.get_by_label("Search items").fill("BPC")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#stub-dialog table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ITEM-001")
    expect(rows.first).to_contain_text("USD 89.00")
    rows.first.get_by_label("Quantity of BPC-157 5mg").fill("4")
    rows.first.get_by_role("button", name="Add").click()
    shot(page, "desk-dialog")

    frm = page.evaluate("() => ({items: frm.doc.items, refreshed: frm.refreshed, triggered: frm.triggered})")
    assert [(i["item_code"], i["qty"], i["warehouse"]) for i in frm["items"]] == [("ITEM-001", 4, "Skydell Main - SM")]
    assert frm["refreshed"] == ["items"]
    assert frm["triggered"][0][0] == "item_code"

    page.evaluate("() => new medgrid.desk.CatalogDialog(frm).show()")
    page.wait_for_timeout(300)
    calls = page.evaluate("() => __desk_calls.map(c => c.method)")
    assert calls.count("medgrid.catalog.list_warehouses") == 1
    assert page.evaluate("() => !!localStorage.getItem('medgrid:list_warehouses:' + frappe.session.user)")


def test_submitted_orders_get_no_browse_button(stack, page):
    login(page, stack, "rep", "/me")
    load(page, os.path.join(ROOT, "medgrid", "public", "js", "sales_order.js"))
    buttons = page.evaluate("""() => {
        const frm = make_stub_frm({docstatus: 1});
        __form_handlers["Sales Order"].refresh(frm);
        return Object.keys(frm.buttons);
    }""")
    assert buttons == []


def test_dispatch_and_webhook_event_lists_colour_statuses_and_offer_bulk_retry(stack, page):
    login(page, stack, "admin", "/me")
    load(page, os.path.join(DOCTYPES, "fulfillment_dispatch", "fulfillment_dispatch_list.js"),
         os.path.join(DOCTYPES, "medgrid_webhook_event", "medgrid_webhook_event_list.js"),
         os.path.join(DOCTYPES, "medgrid_integration_log", "medgrid_integration_log_list.js"))
    result = page.evaluate("""() => {
        const out = {};
        for (const [doctype, statuses] of Object.entries({
            "Fulfillment Dispatch": ["Queued", "Sending", "Sent", "Retrying", "Failed", "Cancelled"],
            "MedGrid Webhook Event": ["Received", "Processed", "Ignored", "Unmatched", "Failed"],
            "MedGrid Integration Log": ["Success", "Error", "Rejected"]})) {
            const settings = frappe.listview_settings[doctype];
            out[doctype] = {colours: statuses.map(s => settings.get_indicator({status: s})[1]), actions: {}};
            const listview = {
                page: {add_action_item: (label, fn) => (out[doctype].actions[label] = fn)},
                call_for_selected_items: (method) => (out[doctype].called = method),
            };
            if (settings.onload) settings.onload(listview);
            for (const fn of Object.values(out[doctype].actions)) fn();
            out[doctype].actions = Object.keys(out[doctype].actions);
        }
        return out;
    }""")
    assert result["Fulfillment Dispatch"] == {
        "colours": ["orange", "blue", "green", "yellow", "red", "gray"], "actions": ["Retry"],
        "called": "medgrid.fulfillment_router.retry_dispatches"}
    assert result["MedGrid Webhook Event"] == {
        "colours": ["blue", "green", "gray", "orange", "red"], "actions": ["Retry"],
        "called": "medgrid.pages.admin.retry_webhook_events"}
    assert result["MedGrid Integration Log"]["colours"] == ["green", "red", "orange"]


def test_dispatch_form_retry_button_calls_retry_dispatches(stack, page):
    login(page, stack, "admin", "/me")
    load(page, os.path.join(DOCTYPES, "fulfillment_dispatch", "fulfillment_dispatch.js"))
    buttons = page.evaluate("""() => {
        window.frm = make_stub_frm({name: "NO-SUCH-DISPATCH", status: "Failed", sales_order: "SO-X", vendor: "sinq",
                                    last_error: "<b>boom</b>"});
        __form_handlers["Fulfillment Dispatch"].refresh(frm);
        frm.buttons["Retry"]();
        return Object.keys(frm.buttons);
    }""")
    assert buttons == ["Retry", "View/Vendor log", "View/Webhook events"]
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => __desk_calls.length === 1")
    call = page.evaluate("() => __desk_calls[0]")
    assert call == {"method": "medgrid.fulfillment_router.retry_dispatches", "args": {"names": ["NO-SUCH-DISPATCH"]}}

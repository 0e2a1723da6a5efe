"""The app's Desk scripts (doctype_js / <doctype>.js / <doctype>_list.js) run unchanged in the runtime's Desk,
delivered by frappe.desk.form.load.getdoctype as on a bench; and the form-script API they rely on."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_admin_pages import dispatch_of, place_order


def desk_ready(page):
    page.wait_for_selector("body[data-ready='1']")


def open_desk(page, stack, role, path):
    login(page, stack, role, path)
    desk_ready(page)


def test_catalog_browser_reads_warehouses_once_per_session(stack, page, shot):
    calls = []
    page.on("request", lambda r: calls.append(r.url) if "medgrid.catalog.list_warehouses" in r.url else None)
    open_desk(page, stack, "rep", "/app/sales-order/new")
    for _ in range(2):
        page.get_by_role("button", name="Browse Catalog").click()
        dialog = page.get_by_role("dialog", name="Browse Catalog")
        expect(dialog.get_by_label("Warehouse").locator("option", has_text="Skydell Main")).to_have_count(1)
        dialog.get_by_role("button", name="Close").click()
    assert len(calls) == 1, calls
    assert page.evaluate("() => !!localStorage.getItem('medgrid:list_warehouses:' + frappe.session.user)")
    # a warehouse without a search term lists that warehouse (items_in_warehouse)
    page.get_by_role("button", name="Browse Catalog").click()
    dialog = page.get_by_role("dialog", name="Browse Catalog")
    dialog.get_by_label("Warehouse").select_option(label="Skydell Main")
    expect(dialog.locator("table tbody tr").first).to_be_visible()
    shot(page, "warehouse-listing")


def test_submitted_orders_get_no_browse_button(stack, page):
    name = place_order(stack)
    open_desk(page, stack, "rep", f"/app/sales-order/{name}")
    expect(page.locator(".form-indicator .indicator-pill")).not_to_have_text("Draft")
    expect(page.get_by_role("button", name="Browse Catalog")).to_have_count(0)


def test_list_scripts_colour_statuses_and_add_bulk_retry(stack, page):
    open_desk(page, stack, "admin", "/app")
    result = page.evaluate("""async () => {
        const out = {};
        for (const [doctype, statuses] of Object.entries({
            "Fulfillment Dispatch": ["Queued", "Sending", "Sent", "Retrying", "Failed", "Cancelled"],
            "MedGrid Webhook Event": ["Received", "Processed", "Ignored", "Unmatched", "Failed"],
            "MedGrid Integration Log": ["Success", "Error", "Rejected"]})) {
            await frappe.model.with_doctype(doctype);
            const settings = frappe.listview_settings[doctype];
            out[doctype] = statuses.map(s => settings.get_indicator({status: s})[1]);
        }
        return out;
    }""")
    assert result == {
        "Fulfillment Dispatch": ["orange", "blue", "green", "yellow", "red", "gray"],
        "MedGrid Webhook Event": ["blue", "green", "gray", "orange", "red"],
        "MedGrid Integration Log": ["green", "red", "orange"],
    }
    for slug in ("fulfillment-dispatch", "medgrid-webhook-event"):
        bar = page.get_by_label("Search or type a command")
        bar.fill(slug.replace("-", " "))
        expect(page.locator("#awesomebar-results [role=option]").first).to_have_text(re.compile(" List$"))
        bar.press("Enter")
        expect(page).to_have_url(f"{stack.url}/app/{slug}")
        desk_ready(page)
        assert "Retry" in page.evaluate("() => cur_list.action_items.map(a => a[0])")


def test_dispatch_form_buttons_and_their_routes(stack, page, shot):
    order = place_order(stack)
    dispatch = dispatch_of(stack, order)
    open_desk(page, stack, "admin", f"/app/fulfillment-dispatch/{dispatch['name']}")
    expect(page.get_by_role("button", name="View ▾")).to_be_visible()
    page.get_by_role("button", name="View ▾").click()
    page.get_by_role("menuitem", name="Webhook events").click()
    # frappe.set_route("List", doctype, {filters}) → the list, filtered
    expect(page).to_have_url(f"{stack.url}/app/medgrid-webhook-event")
    desk_ready(page)
    filters = page.evaluate("() => cur_list.get_filters().map(f => [f[1], f[2], f[3]])")
    assert ["sales_order", "=", order] in filters and [f[0] for f in filters].count("vendor") == 1, filters
    shot(page, "webhook-events-of-order")
    page.go_back()
    desk_ready(page)
    expect(page).to_have_url(f"{stack.url}/app/fulfillment-dispatch/{dispatch['name']}")
    # the title is the doctype's title_field (the order); the name is its tooltip
    expect(page.locator(".form-page .title-text")).to_have_attribute("title", dispatch["name"])
    expect(page.locator(".form-page .title-text")).to_have_text(order)


def test_exoceuticals_settings_has_its_shopify_buttons(stack, page, shot):
    open_desk(page, stack, "admin", "/app/exoceuticals-settings")
    page.get_by_role("button", name="Shopify ▾").click()
    for label in ("Connect store in Shopify", "Sync catalog now", "Sync inventory now"):
        expect(page.get_by_role("menuitem", name=label)).to_be_visible()
    # a sync runs against the Shopify sandbox (freeze while it reads the store) and reports its counts
    page.get_by_role("menuitem", name="Sync catalog now").click()
    result = page.locator(".desk-modal-backdrop.msgprint").last
    expect(result).to_contain_text(re.compile(r"Created \d+, updated \d+, unchanged \d+, skipped \d+, failed \d+"),
                                   timeout=60_000)
    expect(page.locator("#freeze")).to_have_count(0)
    shot(page, "exoceuticals-settings")


def test_form_script_api_on_a_real_form(stack, page, shot):
    open_desk(page, stack, "rep", "/app")
    # an ordinary app script, registered before the form opens (as doctype_js would be)
    page.evaluate("""() => {
        window.api_log = [];
        frappe.ui.form.on("Sales Order", {
            setup(frm) { api_log.push("setup"); frm.set_query("customer", () => ({filters: {customer_name: ["like", "%Clinic%"]}})); },
            onload(frm) { api_log.push("onload:" + frm.is_new()); },
            refresh(frm) {
                api_log.push("refresh");
                frm.set_df_property("po_no", "reqd", 1);
                frm.toggle_display("order_type", false);
                frm.set_df_property("po_date", "mandatory_depends_on", "eval:doc.po_no == 'NEEDS-DATE'");
            },
            po_no(frm) { api_log.push("po_no:" + frm.doc.po_no); },
            validate(frm) { api_log.push("validate"); if (frm.doc.po_no === "STOP") frappe.throw("stopped by validate"); },
        });
    }""")
    page.get_by_label("Search or type a command").fill("sales order")
    page.get_by_role("option", name="New Sales Order").click()
    desk_ready(page)
    assert page.evaluate("() => api_log") == ["setup", "onload:true", "refresh"]
    expect(page.locator('.frappe-control[data-fieldname="order_type"]')).to_be_hidden()
    expect(page.locator('.frappe-control[data-fieldname="po_no"] .control-label')).to_have_class(re.compile("reqd"))

    # mandatory check lists what is missing and does not call the server
    page.get_by_role("button", name="Save").click()
    missing = page.get_by_role("dialog", name="Missing Fields")
    expect(missing).to_contain_text("Customer's Purchase Order")
    missing.get_by_role("button", name="OK").click()

    # set_value runs the field's handler; mandatory_depends_on follows the value
    page.evaluate("() => cur_frm.set_value('po_no', 'NEEDS-DATE')")
    expect(page.locator('.frappe-control[data-fieldname="po_date"] .control-label')).to_have_class(re.compile("reqd"))
    assert "po_no:NEEDS-DATE" in page.evaluate("() => api_log")
    # frappe.throw in validate stops the save before any server call
    saves = []
    page.on("request", lambda r: saves.append(r.url) if "savedocs" in r.url else None)
    page.evaluate("() => cur_frm.set_value('po_no', 'STOP')")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog", name="Error")).to_contain_text("stopped by validate")
    assert saves == []
    page.get_by_role("dialog", name="Error").get_by_role("button", name="OK").click()

    # set_query reaches search_link
    searches = []
    page.on("request", lambda r: searches.append(r.post_data or "") if "search_link" in r.url else None)
    page.get_by_label("Customer", exact=True).fill("Demo")
    expect(page.get_by_role("option", name=re.compile("Demo Clinic Partner"))).to_be_visible()
    assert any("customer_name" in body and "%25Clinic%25" in body for body in searches), searches

    # child rows: add_child + refresh_field, reorder and remove through the grid
    page.evaluate("""() => {
        cur_frm.clear_table("items");
        cur_frm.add_child("items", {item_code: "ITEM-001", qty: 1});
        cur_frm.add_child("items", {item_code: "ITEM-002", qty: 3});
        cur_frm.refresh_field("items");
    }""")
    rows = page.locator('.grid-field[data-fieldname="items"] tr.grid-row')
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Edit row 2").click()
    page.get_by_role("button", name="Move Up").click()
    assert page.evaluate("() => cur_frm.doc.items.map(r => [r.idx, r.item_code])") == [[1, "ITEM-002"], [2, "ITEM-001"]]
    page.get_by_label("Select row 2").check()
    page.locator('.grid-field[data-fieldname="items"] .grid-remove-rows').click()
    assert page.evaluate("() => cur_frm.doc.items.map(r => r.item_code)") == ["ITEM-002"]
    shot(page, "form-api")

    # frappe.ui.Dialog: reqd fields, get_values, primary action; frappe.call / xcall / db helpers
    out = page.evaluate("""async () => {
        const d = new frappe.ui.Dialog({title: "Check", fields: [
            {fieldname: "who", fieldtype: "Data", label: "Who", reqd: 1},
            {fieldname: "n", fieldtype: "Int", label: "N", default: 2}],
            primary_action_label: "Go", primary_action(values) { window.dialog_values = values; d.hide(); }});
        d.show();
        const empty = d.get_values();
        document.querySelectorAll(".msgprint .btn-close, .desk-modal-backdrop.msgprint .btn-primary").forEach(b => b.click());
        await d.set_value("who", "me");
        d.get_primary_btn().click();
        const logged = await frappe.xcall("frappe.auth.get_logged_user");
        const viaCall = await frappe.call({method: "frappe.auth.get_logged_user", type: "GET"});
        const price = await frappe.db.get_value("Price List", "Standard Selling", "currency");
        const items = await frappe.db.get_list("Item", {fields: ["name"], filters: {name: "ITEM-001"}});
        let refused = null;
        try { await frappe.call({method: "frappe.client.get_value", args: {doctype: "Company", fieldname: "name", filters: "Skydell"}, silent: true}); }
        catch (e) { refused = e.response.exc_type; }
        return {empty, values: window.dialog_values, logged, viaCall: viaCall.message, price: price.message,
                items, refused, user: frappe.session.user, rep: frappe.user.has_role("Internal Sales Rep"),
                admin: frappe.user.has_role("System Manager"), text: __("{0} of {1}", [1, 2])};
    }""")
    assert out == {"empty": None, "values": {"who": "me", "n": 2}, "logged": "rep@medgrid.example",
                   "viaCall": "rep@medgrid.example", "price": {"currency": "USD"}, "items": [{"name": "ITEM-001"}],
                   "refused": "PermissionError", "user": "rep@medgrid.example", "rep": True, "admin": False,
                   "text": "1 of 2"}

    # messages may carry HTML, never script (an item name from a vendor's store ends up in an alert)
    page.evaluate("""() => {
        frappe.msgprint('<b>bold</b><img src=x onerror="window.pwned=1"><a href="javascript:window.pwned=2">x</a>');
        frappe.show_alert({message: 'Added <img src=y onerror="window.pwned=3">', indicator: "green"});
    }""")
    message = page.locator(".desk-modal-backdrop.msgprint").last
    expect(message.locator("b")).to_have_text("bold")
    assert message.locator("[onerror]").count() == 0 and message.locator("a[href]").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.pwned") is None
    message.get_by_role("button", name="OK").click()

    # leaving a dirty saved form asks first; a new unsaved document is kept in memory as Frappe does
    page.get_by_role("link", name="Home").click()
    desk_ready(page)
    expect(page.locator(".workspace")).to_be_visible()

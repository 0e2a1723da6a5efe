"""A sales rep browses the catalog, places and submits an order, and follows its shipments."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import choose_customer, login


def test_sales_rep_browses_the_catalog_places_and_submits_an_order_and_tracking_updates(stack, stocked, page, shot):
    login(page, stack, "rep", "/sales-order")
    choose_customer(page)
    expect(page.get_by_role("heading", name="New Sales Order")).to_be_visible()
    expect(page.get_by_role("button", name="Start a new order")).to_be_hidden()
    expect(page.get_by_role("button", name="Submit order")).to_be_disabled()

    # order details: only the customers the rep may read
    customer = page.get_by_label("Customer")
    expect(customer.locator("option", has_text="Demo Clinic Partner")).to_have_count(1)
    readable = stack.api("rep").get(stack.url + "/api/resource/Customer", params={"limit_page_length": 0},
                                    timeout=30).json()["data"]
    offered = [o for o in customer.locator("option").all_inner_texts() if o != "Select a customer…"]
    assert sorted(offered) == sorted(c["name"] for c in readable)
    customer.select_option("Demo Clinic Partner")
    expect(page.get_by_label("Shipping address")).to_have_value("Demo Clinic Partner-Shipping")

    # catalog: warehouse picker from list_warehouses, search over search_items
    expect(page.get_by_label("Warehouse").locator("option", has_text="Skydell Main")).to_have_count(1)
    page.get_by_label("Warehouse").select_option(label="Skydell Main")
    page.get_by_label("Search items").fill("syringe")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#mg-catalog-results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("ITEM-002")
    expect(results.first).to_contain_text("$24.50")
    # available = actual − reserved (other tests' orders reserve some of the 300 demo syringes)
    expect(results.first.locator("td").nth(1)).to_have_text(re.compile(r"^[1-9]\d* Nos$"))
    # search_items leaves the description out: the page reads it from the Item
    expect(results.first).to_contain_text("Single-use sterile syringes")
    results.first.get_by_label(re.compile("Quantity of")).fill("2")
    results.first.get_by_role("button", name=re.compile("^Add ")).click()
    shot(page, "catalog")

    # a second line found by browsing a warehouse without a search term
    page.get_by_label("Search items").fill("")
    page.get_by_label("Warehouse").select_option(label="Skydell Main")
    page.get_by_role("button", name="Search").click()
    # the demo's four items of that warehouse (other tests of the run may have stocked more there)
    expect(page.locator('#mg-catalog-results tbody tr[data-item-code^="ITEM-00"]')).to_have_count(4)
    page.locator('#mg-catalog-results tr[data-item-code="ITEM-002"]').get_by_role("button", name=re.compile("^Add ")).click()

    cart = page.locator("#mg-cart tbody tr")
    expect(cart).to_have_count(1)
    expect(cart.first.get_by_label(re.compile("Quantity of"))).to_have_value("3")
    expect(page.locator("#mg-cart-total")).to_have_text("$73.50")

    page.get_by_role("button", name="Save draft").click()
    status = page.locator("#mg-messages [role=status]")
    expect(status).to_contain_text(re.compile(r"Draft SO-\d{4}-\d{5} saved \(total \$73\.50\)"))
    name = re.search(r"SO-\d{4}-\d{5}", status.inner_text()).group(0)
    shot(page, "draft")

    expect(page.get_by_role("button", name="Start a new order")).to_be_visible()
    page.get_by_role("button", name="Submit order").click()
    expect(status).to_contain_text(f"{name} submitted")
    expect(page).to_have_url(re.compile(rf"/sales-order\?order={name}$"))
    row = page.locator('#mg-shipments tr[data-vendor="shipstation"]')
    expect(row).to_contain_text("ShipStation")
    # the router sends the order to the ShipStation sandbox in a background job
    expect(row.locator("[data-role=status]")).to_have_text("Awaiting Shipment", timeout=30_000)
    shot(page, "submitted")

    # the sandbox ships the order and sends SHIP_NOTIFY; the page refreshes itself
    stack.sandbox_call("shipstation", "POST", "/__sandbox/advance", {"all": True})
    expect(row.locator("[data-role=status]")).to_have_text("Shipped", timeout=45_000)
    expect(row.locator("[data-role=tracking-number]")).not_to_have_text("—")
    shot(page, "shipped")

    # the order is the rep's: it is listed, and the tracking view opens again from the link
    page.goto(stack.url + "/sales-order")
    page.get_by_role("link", name=name).click()
    expect(page.locator('#mg-shipments tr[data-vendor="shipstation"] [data-role=status]')).to_have_text("Shipped")


def test_a_partner_orders_for_its_own_customer_only_and_errors_are_shown(stack, stocked, page, shot):
    login(page, stack, "partner", "/sales-order")
    expect(page.get_by_label("Customer").locator("option")).to_have_text(["Demo Clinic Partner"])

    # nothing to save yet: the page says what is missing instead of calling the server
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Add at least one line")

    # a server refusal (a delivery date before the order date) comes back as a readable message
    page.get_by_label("Search items").fill("Vitamin")
    page.get_by_role("button", name="Search").click()
    page.locator('#mg-catalog-results tr[data-item-code="ITEM-003"]').get_by_role("button", name=re.compile("^Add ")).click()
    page.get_by_label("Delivery date").fill("2001-01-01")
    page.get_by_role("button", name="Save draft").click()
    alert = page.locator("#mg-messages [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    shot(page, "server-error")


RX_DETAILS = {"Patient First Name": "Ada", "Patient Last Name": "Lovelace", "Patient Date of Birth": "1980-02-03",
              "Prescriber First Name": "Grace", "Prescriber Last Name": "Hopper"}


def fits_a_phone(page) -> None:
    """Nothing on the page is wider than a 390 px screen (tables scroll inside their own frame)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    # the elements that stick out, to say what to fix
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > 391 && el.offsetParent !== null)
        .slice(0, 8).map((el) => el.tagName + '#' + el.id + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))""")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px: {wide}"


def test_a_partner_reopens_a_draft_with_an_rx_line_submits_holds_and_cancels_it(stack, stocked, page, shot):
    login(page, stack, "partner", "/sales-order")
    rx_panel = page.get_by_role("group", name="Patient and prescriber")
    expect(rx_panel).to_be_hidden()

    # search as you type (no Enter): the Rx item is marked, and adding it asks for the patient and prescriber
    page.get_by_label("Search items").press_sequentially("Testost", delay=40)
    rx_row = page.locator('#mg-catalog-results tr[data-item-code="ITEM-004"]')
    expect(rx_row).to_contain_text("Rx")
    expect(rx_row).to_contain_text("10ml vial")
    rx_row.get_by_role("button", name=re.compile("^Add ")).click()
    expect(rx_panel).to_be_visible()
    page.get_by_label("Search items").fill("Vitamin")
    page.locator('#mg-catalog-results tr[data-item-code="ITEM-003"]').get_by_role("button", name=re.compile("^Add ")).click()

    # checked before anything is sent
    page.get_by_role("button", name="Save draft").click()
    alert = page.locator("#mg-messages [role=alert]")
    expect(alert).to_contain_text("A prescription line needs: Patient First Name, Patient Last Name")
    for label, value in RX_DETAILS.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Prescriber NPI").fill("12345")
    page.get_by_role("button", name="Save draft").click()
    expect(alert).to_contain_text("The prescriber NPI is 10 digits.")
    page.get_by_label("Prescriber NPI").fill("1234567893")
    page.get_by_role("button", name="Save draft").click()
    status = page.locator("#mg-messages [role=status]")
    expect(status).to_contain_text(re.compile(r"Draft SO-\d{4}-\d{5} saved"))
    name = re.search(r"SO-\d{4}-\d{5}", status.inner_text()).group(0)
    expect(page).to_have_url(re.compile(rf"\?order={name}$"))
    # "Your orders" lists the new draft at once
    expect(page.locator(f'#mg-orders-table tr[data-order="{name}"]')).to_contain_text("Draft")

    # reopened from its link: the lines and the patient come back, and the draft is still editable
    page.goto(stack.url + "/sales-order")
    page.locator("#mg-orders-table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=f"Draft {name}")).to_be_visible()
    cart = page.locator("#mg-cart tbody tr")
    expect(cart).to_have_count(2)
    expect(page.get_by_label("Patient Last Name")).to_have_value("Lovelace")
    expect(page.get_by_label("Prescriber NPI")).to_have_value("1234567893")
    page.locator('#mg-cart tr[data-item-code="ITEM-003"]').get_by_label(re.compile("Quantity of")).fill("2")
    page.locator('#mg-cart tr[data-item-code="ITEM-003"]').get_by_label(re.compile("Quantity of")).press("Tab")
    shot(page, "reopened-draft")

    # submit sends the edit with it
    page.get_by_role("button", name="Submit order").click()
    expect(status).to_contain_text(f"{name} submitted")
    stored = stack.api("partner").get(f"{stack.url}/api/resource/Sales Order/{name}", timeout=30).json()["data"]
    assert {row["item_code"]: row["qty"] for row in stored["items"]} == {"ITEM-004": 1, "ITEM-003": 2}
    assert (stored["patient_last_name"], stored["prescriber_npi"], stored["docstatus"]) == ("Lovelace", "1234567893", 1)
    expect(page.get_by_label("Patient Last Name")).to_be_disabled()
    for vendor in ("perfectrx", "sinq"):
        expect(page.locator(f'#mg-shipments tr[data-vendor="{vendor}"]')).to_have_count(1)

    # hold, then resume
    page.get_by_role("button", name="Hold").click()
    expect(page.locator("#mg-order-state")).to_contain_text("On Hold")
    expect(page.locator(f'#mg-orders-table tr[data-order="{name}"]')).to_contain_text("On Hold")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#mg-order-state")).to_contain_text("To Deliver and Bill")

    # cancel (asked first), with what each vendor did about it
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#mg-cancel-question")).to_contain_text(f"Cancel {name}?")
    page.get_by_role("button", name="Keep the order").click()
    expect(page.locator("#mg-cancel-confirm")).to_be_hidden()
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(status).to_contain_text(f"{name} cancelled")
    expect(page.locator("#mg-order-state")).to_contain_text("Cancelled")
    results = page.locator("#mg-shipments [data-role=cancel-result]")
    expect(results).to_have_count(2, timeout=30_000)
    expect(page.locator('#mg-shipments [data-role=cancel-result][data-result="pending"]')).to_have_count(0, timeout=45_000)
    for vendor in ("perfectrx", "sinq"):
        expect(page.locator(f'#mg-shipments tr[data-vendor="{vendor}"] [data-role=cancel-result]')).to_have_text(
            re.compile(r"Cancelled at|ask .+ to cancel|did not confirm"))
    expect(page.get_by_role("button", name="Cancel order")).to_be_hidden()
    expect(page.locator(f'#mg-orders-table tr[data-order="{name}"]')).to_contain_text("Cancelled")
    shot(page, "cancelled")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#mg-shipments [data-role=cancel-result]")).to_have_count(2)
    fits_a_phone(page)
    shot(page, "cancelled-390")


def test_a_rep_sees_no_cancel_and_a_stranger_order_is_refused_on_the_page(stack, stocked, page):
    login(page, stack, "rep", "/sales-order")
    choose_customer(page)
    page.get_by_label("Search items").fill("Vitamin")
    page.locator('#mg-catalog-results tr[data-item-code="ITEM-003"]').get_by_role("button", name=re.compile("^Add ")).click()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit order").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("submitted")
    expect(page.get_by_role("button", name="Hold")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel order")).to_be_hidden()  # reps have no cancel right

    # an order name the rep may not read: the page says so and shows nothing of it
    page.goto(stack.url + "/sales-order?order=SO-1999-99999")
    expect(page.locator("#mg-messages [role=alert]")).to_be_visible()
    expect(page.locator("#mg-cart tbody tr.mg-cart-empty")).to_have_count(1)
    expect(page.get_by_role("heading", name="New Sales Order")).to_be_visible()


def test_the_order_page_and_the_integrations_page_fit_a_phone(stack, stocked, page, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, stack, "rep", "/sales-order")
    choose_customer(page)
    page.get_by_label("Warehouse").select_option(label="Skydell Main")
    expect(page.locator("#mg-catalog-results tbody tr").first).to_be_visible()
    page.locator("#mg-catalog-results tbody tr").first.get_by_role("button", name=re.compile("^Add ")).click()
    expect(page.locator("#mg-cart tbody tr[data-item-code]")).to_have_count(1)
    fits_a_phone(page)
    shot(page, "sales-order-390")

    page.context.clear_cookies()
    login(page, stack, "vendor", "/portal/integrations")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits_a_phone(page)
    shot(page, "integrations-390")
    page.context.clear_cookies()
    login(page, stack, "admin", "/portal/integrations")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits_a_phone(page)
    shot(page, "integrations-admin-390")


STOCK_SCRIPT = """
import sys
import frappe
sites_path, site, label, prefix, tag, count = sys.argv[1:7]
frappe.init(site, sites_path=sites_path)
frappe.connect()
frappe.set_user("Administrator")
warehouse = frappe.get_doc({"doctype": "Warehouse", "warehouse_name": label, "company": "Skydell",
                            "parent_warehouse": "All Warehouses - SM", "is_group": 0}).insert().name
rows = []
for n in range(int(count)):
    code = f"PG-{tag}-{n:02d}"
    frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": f"{prefix} {n:02d}",
                    "description": f"Gauze pad pack {n:02d}", "item_group": "Products", "stock_uom": "Nos",
                    "is_stock_item": 1, "is_sales_item": 1, "medgrid_approved": 1, "sinq_sku": f"SINQ-{code}"}).insert()
    frappe.get_doc({"doctype": "Item Price", "item_code": code, "price_list": "Standard Selling",
                    "price_list_rate": 5 + n}).insert()
    rows.append({"item_code": code, "qty": 10, "t_warehouse": warehouse, "basic_rate": 1})
entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
                        "company": "Skydell", "items": rows}).insert()
entry.submit()
frappe.db.commit()
print(warehouse)
frappe.destroy()
"""


def stock_a_warehouse_of(stack, count: int) -> tuple[str, str]:
    """A new warehouse holding ``count`` approved items of their own, made on the site as the demo makes its
    stock (the other tests' warehouses and searches are unchanged). Returns (warehouse label, name prefix)."""
    import subprocess
    import sys
    import uuid

    from tests.browser.conftest import ROOT, SITE

    tag = uuid.uuid4().hex[:5].upper()
    label, prefix = f"Gauze Depot {tag}", f"Paging Gauze {tag}"
    made = subprocess.run([sys.executable, "-c", STOCK_SCRIPT, stack.sites_path, SITE, label, prefix, tag, str(count)],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    warehouse = made.stdout.strip().splitlines()[-1]
    # the web server caches the warehouse list for a minute: a save there drops it now that this one holds stock
    saved = stack.api("admin").put(f"{stack.url}/api/resource/Warehouse/{warehouse}", json={}, timeout=30)
    assert saved.ok, saved.text
    return label, prefix


def test_a_warehouse_of_many_items_is_paged_and_the_order_lines_stay_in_view(stack, stocked, page, shot):
    label, prefix = stock_a_warehouse_of(stack, 23)
    login(page, stack, "rep", "/sales-order")
    choose_customer(page)
    page.get_by_label("Warehouse").select_option(label=label)
    rows = page.locator("#mg-catalog-results tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#mg-catalog-status")).to_have_text(f"Items 1–20 in {label}.")
    expect(rows.first).to_contain_text("Gauze pad pack 00")  # description kept
    pager = page.get_by_role("navigation", name="Catalog pages")
    expect(pager.get_by_role("button", name="Previous")).to_be_disabled()
    pager.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(3)
    expect(page.locator("#mg-catalog-status")).to_have_text(f"Items 21–23 in {label}.")
    expect(pager.get_by_role("button", name="Next")).to_be_disabled()
    rows.first.get_by_role("button", name=re.compile("^Add ")).click()
    pager.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(20)

    # typing narrows the search without Enter, still paged; the lines panel stays on screen while scrolling
    page.get_by_label("Search items").press_sequentially(f"{prefix} 1", delay=30)
    expect(rows).to_have_count(10)
    expect(page.get_by_role("navigation", name="Catalog pages")).to_be_hidden()
    # scroll until the catalog's last row reaches the bottom of the window (what a rep scrolls through)
    page.evaluate("""() => { const r = document.querySelector('#mg-catalog-results').getBoundingClientRect();
                            window.scrollBy(0, Math.max(0, r.bottom - window.innerHeight)); }""")
    panel = page.locator("#mg-lines").bounding_box()
    assert panel["y"] < 900 and panel["y"] + 80 > 0, panel
    expect(page.locator("#mg-cart tbody tr[data-item-code]")).to_have_count(1)
    shot(page, "paged-catalog")

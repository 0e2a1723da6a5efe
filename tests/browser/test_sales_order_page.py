"""A sales rep browses the catalog, places and submits an order, and follows its shipments."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login


def test_sales_rep_browses_the_catalog_places_and_submits_an_order_and_tracking_updates(stack, page, shot):
    login(page, stack, "rep", "/sales-order")
    expect(page.get_by_role("heading", name="New Sales Order")).to_be_visible()
    expect(page.get_by_role("button", name="Start a new order")).to_be_hidden()
    expect(page.get_by_role("button", name="Submit order")).to_be_disabled()

    # order details: only the customers the rep may read
    customer = page.get_by_label("Customer")
    expect(customer.locator("option")).to_have_text(["Demo Clinic Partner"])
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
    expect(results.first.locator("td").nth(2)).to_have_text(re.compile(r"^[1-9]\d* Nos$"))
    # search_items leaves the description out: the page reads it from the Item
    expect(results.first).to_contain_text("Single-use sterile syringes")
    results.first.get_by_label(re.compile("Quantity of")).fill("2")
    results.first.get_by_role("button", name=re.compile("^Add ")).click()
    shot(page, "catalog")

    # a second line found by browsing a warehouse without a search term
    page.get_by_label("Search items").fill("")
    page.get_by_label("Warehouse").select_option(label="Skydell Main")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#mg-catalog-results tbody tr")).to_have_count(4)
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


def test_a_partner_orders_for_its_own_customer_only_and_errors_are_shown(stack, page, shot):
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

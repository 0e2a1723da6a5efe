"""The order-flow dashboard in the browser: after real orders, the admin sees the charts (frappe-charts from
/assets, no CDN), the per-vendor numbers and the backlog, and each number opens the list behind it; a partner
and a vendor are refused."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.backoffice_flows import both_sizes, refused
from tests.browser.conftest import login
from tests.browser.test_admin_pages import dispatch_of, place_order


def test_admin_reads_the_order_flow_and_follows_a_number(stack, page, shot):
    orders = [place_order(stack, "ITEM-002"), place_order(stack, "ITEM-003")]
    for order in orders:
        assert dispatch_of(stack, order)["status"] == "Sent"
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    login(page, stack, "admin", "/medgrid-admin/dashboard?days=7")
    for chart in ("mg-chart-status", "mg-chart-orders"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-mg-chart-drawn", "1")
        expect(page.locator(f"#{chart} svg")).to_be_visible()
        # frappe-charts draws the data after the axes: wait for the bars / points themselves
        expect(page.locator(f"#{chart} .dataset-units").first).to_be_attached()
    assert all(url.startswith(stack.url) for url in requested), [u for u in requested if not u.startswith(stack.url)]
    assert any(url.endswith("/assets/medgrid/vendor/frappe-charts/frappe-charts.min.umd.js") for url in requested)

    shipstation = page.locator('#mg-vendor-stats tr[data-vendor="shipstation"]')
    expect(shipstation).to_be_visible()
    count = int(shipstation.locator("td").first.inner_text())
    assert count >= 1
    expect(page.locator('[data-mg-backlog="Failed"]')).to_have_attribute("href", "/medgrid-admin/dispatches?status=Failed")
    both_sizes(page, shot, "dashboard")

    shipstation.locator("td").first.get_by_role("link").click()
    page.wait_for_url("**/medgrid-admin/dispatches?vendor=shipstation&since=*")
    rows = page.locator("#mg-dispatches tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == min(count, 100)


def test_a_partner_and_a_vendor_cannot_open_the_dashboard(stack, page):
    for role in ("partner", "vendor"):
        page.context.clear_cookies()
        login(page, stack, role)
        refused(page, stack, "/medgrid-admin/dashboard")

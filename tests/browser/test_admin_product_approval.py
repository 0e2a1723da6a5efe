"""Product approval in the browser: an admin reads what the last store sync changed, approves one product,
rejects another with a reason the vendor then reads on /portal/products; a rep and a vendor are refused."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.backoffice_flows import both_sizes, demo_store_of_the_vendor, refused
from tests.browser.conftest import login

CHANGED, PLAIN, UNMAPPED = "DPS-TB500-5MG", "DPS-GHK-CU-50", "DPS-NAD-100"


def test_admin_approves_and_rejects_and_the_vendor_reads_why(stack, page, shot, browser_context):
    login(page, stack, "admin", "/medgrid-admin/products")
    rows = page.locator("#mg-products tbody tr")
    changed = rows.filter(has_text=CHANGED)
    expect(changed.locator(".mg-diff")).to_contain_text("TB-500 2mg")
    expect(changed.locator(".mg-diff")).to_contain_text("TB-500 5mg")
    expect(changed.locator(".mg-diff")).to_contain_text("<p>5mg vial, new label</p>")  # shown as text, never as HTML
    expect(rows.filter(has_text=UNMAPPED)).to_contain_text("exoceuticals_variant_id is empty")
    both_sizes(page, shot, "queue")

    # an unmapped product is refused with the reason, nothing changes
    rows.filter(has_text=UNMAPPED).get_by_role("button", name=f"Approve {UNMAPPED}").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Map these Items")
    expect(rows.filter(has_text=UNMAPPED)).to_have_count(1)

    changed.get_by_role("button", name=f"Approve {CHANGED}").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text(f"Approved: {CHANGED}")
    expect(rows.filter(has_text=CHANGED)).to_have_count(0)

    # reject in bulk: a reason is required
    rows.filter(has_text=PLAIN).get_by_role("checkbox").check()
    page.get_by_role("button", name="Reject selected (1)").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Give a reason")
    page.get_by_label("Reason (required to reject; the vendor sees it)").fill("The label shows another brand")
    page.get_by_role("button", name="Reject selected (1)").click()
    expect(page.locator("#mg-messages [role=status]")).to_contain_text(f"Rejected: {PLAIN}")
    page.goto(stack.url + "/medgrid-admin/products?status=Rejected")
    expect(page.locator("#mg-products tbody tr").filter(has_text=PLAIN)).to_contain_text("another brand")
    shot(page, "rejected")
    page.goto(stack.url + "/medgrid-admin/products?status=Approved")
    expect(page.locator("#mg-products tbody tr").filter(has_text=CHANGED)).to_contain_text("Approved")

    # the vendor reads the reason of its own product
    with demo_store_of_the_vendor(stack):
        vendor_page = browser_context.new_page()
        vendor_page.context.clear_cookies()
        login(vendor_page, stack, "vendor", "/portal/products?vendor_profile=Vitality Peptide Store")
        mine = vendor_page.locator("#mg-my-products tbody tr")
        expect(mine.filter(has_text=PLAIN)).to_contain_text("The label shows another brand")
        expect(mine.filter(has_text=CHANGED)).to_contain_text("Approved")
        expect(mine.filter(has_text=UNMAPPED)).to_contain_text("Waiting for review")
        both_sizes(vendor_page, shot, "vendor-products")


def test_a_rep_and_a_vendor_cannot_open_the_queue_or_approve(stack, page):
    for role in ("rep", "vendor"):
        page.context.clear_cookies()
        login(page, stack, role)
        refused(page, stack, "/medgrid-admin/products")
        # the method behind the buttons refuses too, and the product stays unapproved
        answer = page.evaluate("""async () => {
            const r = await fetch('/api/method/medgrid.catalog_admin.approval.approve_items', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-Frappe-CSRF-Token': 'x'},
                body: JSON.stringify({names: '["DPS-NAD-100"]'})});
            return r.status; }""")
        assert answer in (400, 403), (role, answer)
    admin = stack.api("admin")
    item = admin.get(stack.url + "/api/resource/Item/DPS-NAD-100").json()["data"]
    assert item["medgrid_approved"] == 0

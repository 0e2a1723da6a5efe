"""Product mapping in the browser: the unmapped product first, a malformed Shopify variant id refused inline,
a good one saved (the route check clears), CSV export downloaded and a CSV imported; a rep is refused."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.backoffice_flows import both_sizes, refused
from tests.browser.conftest import login

UNMAPPED = "DPS-NAD-100"


def test_admin_maps_inline_and_through_csv(stack, page, shot, tmp_path):
    login(page, stack, "admin", "/medgrid-admin/mapping?vendor=shopify")
    rows = page.locator(".mg-mapping-table tbody tr")
    expect(rows.first).to_have_attribute("data-item", UNMAPPED)
    expect(rows.first.locator("[data-mg-route]")).to_contain_text("exoceuticals_variant_id is empty")
    both_sizes(page, shot, "unmapped-first")

    field = rows.first.get_by_label(f"Exoceuticals Variant GID of {UNMAPPED}")
    field.fill("gid://shopify/Product/42")
    field.press("Enter")
    expect(rows.first.locator(".mg-cell-error")).to_contain_text("not a Shopify variant GID")
    expect(field).to_have_attribute("aria-invalid", "true")
    shot(page, "format-refused")
    field.fill("gid://shopify/ProductVariant/5100003")
    field.press("Enter")
    expect(field).to_have_class("mg-saved")
    expect(rows.first.locator("[data-mg-route]")).not_to_contain_text("is empty")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = download.value.path().read_text()
    assert exported.splitlines()[0].startswith("item_code,item_name,perfectrx_drug_description")
    assert f"{UNMAPPED},NAD+ 100mg,,,,,gid://shopify/ProductVariant/5100003" in exported

    bad = tmp_path / "bad.csv"
    bad.write_text(f"item_code,exoceuticals_variant_id\n{UNMAPPED},not-a-gid\n")
    page.locator("[data-mg-import]").set_input_files(str(bad))
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Nothing was imported")
    good = tmp_path / "good.csv"
    good.write_text(f"item_code,exoceuticals_variant_id\n{UNMAPPED},gid://shopify/ProductVariant/5100004\n")
    page.locator("[data-mg-import]").set_input_files(str(good))
    expect(page.locator("#mg-messages [role=status]")).to_contain_text("1 updated")
    expect(page.get_by_label(f"Exoceuticals Variant GID of {UNMAPPED}")).to_have_value(
        "gid://shopify/ProductVariant/5100004")
    expect(page.locator("#mg-route-check")).to_be_visible()
    shot(page, "imported")


def test_a_rep_cannot_open_the_mapping(stack, page):
    login(page, stack, "rep")
    refused(page, stack, "/medgrid-admin/mapping")

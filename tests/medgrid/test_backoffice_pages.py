"""The pages of issue 14 items 2, 3, 6 and 8 as each caller opens them: admins only for /medgrid-admin/…,
vendors their own /portal/products (with the reviewer's reason), anyone /vendor-signup."""

from __future__ import annotations

import pytest

from tests.medgrid.backoffice_helpers import make_item, unique

ADMIN_PAGES = ("/medgrid-admin/products", "/medgrid-admin/mapping", "/medgrid-admin/vendor-requests",
               "/medgrid-admin/dashboard")
EXPECTED = {None: 403, "partner": 403, "rep": 403, "vendor": 403, "admin": 200}


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_admin_pages_refuse_everyone_else(api, path, role):
    response = api.request("GET", path, role)
    assert response.status_code == EXPECTED[role]
    body = response.get_data(as_text=True)
    if role != "admin":
        assert "mg-approval" not in body and "mg-mapping" not in body and "mg-flow-data" not in body


@pytest.mark.parametrize("role", list(EXPECTED))
def test_anyone_opens_the_signup_form(api, role):
    response = api.request("GET", "/vendor-signup", role)
    assert response.status_code == 200
    assert 'id="mg-signup"' in response.get_data(as_text=True)


def test_a_vendor_sees_its_own_products_and_the_reason_only(api):
    vendor_user = "vendor@vendor.example"
    with api.context() as frappe:
        mine = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": unique("Mine"), "vendor_key": "shopify",
                               "user": vendor_user}).insert().name
        theirs = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": unique("Theirs"),
                                 "vendor_key": "shopify"}).insert().name
        rejected = make_item(frappe, status="Rejected", vendor_profile=mine,
                             medgrid_approval_reason="Photo shows another brand")
        other = make_item(frappe, status="Rejected", vendor_profile=theirs, medgrid_approval_reason="Secret note")
    page = api.request("GET", "/portal/products", "vendor", params={"vendor_profile": mine})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert rejected in body and "Photo shows another brand" in body
    assert other not in body and "Secret note" not in body
    assert api.request("GET", "/portal/products", "vendor", params={"vendor_profile": theirs}).status_code == 403
    # the reason is permlevel 1: the vendor does not read it (or another vendor's) through the API
    response = api.resource("GET", "Item", other, "vendor")
    assert response.status_code == 200 and "medgrid_approval_reason" not in response.json_body["data"]


def test_the_integrations_page_shows_the_checklist(api):
    response = api.request("GET", "/portal/integrations", "admin")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="mg-checklist"' in body and 'data-step="mapping"' in body

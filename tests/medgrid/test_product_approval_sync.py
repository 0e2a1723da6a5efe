"""Product approval through a real catalog sync of a vendor's Shopify store (fake Admin GraphQL): new products
wait for review, a later change to an approved product sends it back with what changed, a trusted vendor's
products are approved on arrival."""

from __future__ import annotations

import json

import frappe

from medgrid.integrations import catalog_sync
from medgrid.integrations.store_sync import vendor_store
from tests.medgrid import factories
from tests.medgrid.integration_helpers import make_vendor, unique
from tests.medgrid.test_integrations_sync import FakeShop, count, page, product, variant

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

FIELDS = ["medgrid_approved", "medgrid_approval_status", "medgrid_sync_changes", "item_name"]


def store(mocked, trusted=False):
    _user, profile = make_vendor("shopify")
    if trusted:
        frappe.db.set_value("Vendor Profile", profile, "trusted_catalog", 1)
    shop = f"{unique('ap-')}.myshopify.com"
    factories.shopify_connection(shop, vendor_profile_name=profile, warehouse=factories.MAIN_WAREHOUSE)
    fake = FakeShop(mocked, f"https://{shop}/admin/api/2026-04/graphql.json").on("MedGridProductsCount", count(1))
    return shop, fake


def test_an_untrusted_store_change_goes_back_to_review_with_the_change(csite, mocked):
    shop, fake = store(mocked)
    sku = unique("AP").upper()
    fake.on("MedGridCatalog", page([product(51, "Serum", [variant(501, sku, "30.00")])]),
            page([product(51, "Serum Forte", [variant(501, sku, "30.00")])]))

    catalog_sync.sync_catalog(vendor_store(shop))
    row = frappe.db.get_value("Item", sku, FIELDS, as_dict=True)
    assert (row.medgrid_approved, row.medgrid_approval_status, row.medgrid_sync_changes) == (0, "Pending", None)

    frappe.db.set_value("Item", sku, {"medgrid_approved": 1, "medgrid_approval_status": "Approved"})
    catalog_sync.sync_catalog(vendor_store(shop))
    row = frappe.db.get_value("Item", sku, FIELDS, as_dict=True)
    assert (row.medgrid_approved, row.medgrid_approval_status, row.item_name) == (0, "Pending", "Serum Forte")
    changes = json.loads(row.medgrid_sync_changes)
    assert changes["item_name"] == ["Serum", "Serum Forte"]


def test_a_trusted_vendor_store_is_approved_on_arrival_and_stays_approved(csite, mocked):
    shop, fake = store(mocked, trusted=True)
    sku = unique("AT").upper()
    fake.on("MedGridCatalog", page([product(61, "Balm", [variant(601, sku, "12.00")])]),
            page([product(61, "Balm Plus", [variant(601, sku, "12.00")])]))

    catalog_sync.sync_catalog(vendor_store(shop))
    assert frappe.db.get_value("Item", sku, ["medgrid_approved", "medgrid_approval_status"]) == (1, "Approved")
    catalog_sync.sync_catalog(vendor_store(shop))
    row = frappe.db.get_value("Item", sku, FIELDS, as_dict=True)
    assert (row.medgrid_approved, row.medgrid_approval_status) == (1, "Approved")
    assert json.loads(row.medgrid_sync_changes)["item_name"] == ["Balm", "Balm Plus"]

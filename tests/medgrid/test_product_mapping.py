"""Product mapping (issue 14 item 3): the five mapping fields per vendor, format checks, inline edit, CSV
import/export (all or nothing), and the list of approved Items without exactly one vendor route."""

from __future__ import annotations

import csv
import io
import pytest

from medgrid.catalog_admin import mapping
from tests.medgrid.api_site import server_messages
from tests.medgrid.backoffice_helpers import ROLES_REFUSED, item_values, make_item, unique

GET = "medgrid.catalog_admin.mapping.get_mapping"
SAVE = "medgrid.catalog_admin.mapping.save_mapping"
EXPORT = "medgrid.catalog_admin.mapping.export_mapping"
IMPORT = "medgrid.catalog_admin.mapping.import_mapping"
GID = "gid://shopify/ProductVariant/{}"


def test_the_five_mapping_fields_come_from_the_vendor_registry(api):
    with api.context():
        assert mapping.mapping_fields() == ["perfectrx_drug_description", "shipstation_product_id", "sinq_sku",
                                            "centre_research_product_id", "exoceuticals_variant_id"]


@pytest.mark.parametrize(("field", "value", "ok"), [
    ("exoceuticals_variant_id", "gid://shopify/ProductVariant/123", True),
    ("exoceuticals_variant_id", "gid://shopify/Product/123", False),
    ("exoceuticals_variant_id", "123", False),
    ("exoceuticals_variant_id", "gid://shopify/ProductVariant/12a", False),
    ("shipstation_product_id", "SS-1", True),
    ("shipstation_product_id", " SS-1", False),
    ("sinq_sku", "SQ\t1", False),
    ("centre_research_product_id", "x" * 141, False),
    ("perfectrx_drug_description", "Testosterone Cypionate 200mg/ml", True),
    ("sinq_sku", "", True),  # blank clears
])
def test_format_checks(api, field, value, ok):
    assert (mapping.format_problem(field, value) is None) is ok


def test_unmapped_items_first_and_inline_edit(api):
    with api.context() as frappe:
        mapped = make_item(frappe, approved=1, fulfillment_vendor="sinq", sinq_sku=unique("SQ"))
        unmapped = make_item(frappe, approved=1, fulfillment_vendor="sinq")
    rows = api.method(GET, "admin", vendor="sinq").json_body["message"]["rows"]
    codes = [r["item_code"] for r in rows]
    assert codes.index(unmapped) < codes.index(mapped)
    assert all(r["vendor"] == "sinq" for r in rows)

    refused = api.method(SAVE, "admin", "POST", item_code=unmapped, fieldname="sinq_sku", value="bad\nsku")
    assert refused.status_code == 417
    assert item_values(api, unmapped, "sinq_sku")["sinq_sku"] is None
    response = api.method(SAVE, "admin", "POST", item_code=unmapped, fieldname="sinq_sku", value="SQ-NEW-" + unmapped)
    assert response.status_code == 200, response.json_body
    assert response.json_body["message"]["problems"] == []
    assert item_values(api, unmapped, "sinq_sku")["sinq_sku"] == "SQ-NEW-" + unmapped

    taken = api.method(SAVE, "admin", "POST", item_code=mapped, fieldname="sinq_sku", value="SQ-NEW-" + unmapped)
    assert taken.status_code == 417 and unmapped in " ".join(server_messages(taken))
    assert api.method(SAVE, "admin", "POST", item_code=mapped, fieldname="item_name", value="x").status_code == 417
    assert api.method(SAVE, "admin", "POST", item_code="NO-SUCH", fieldname="sinq_sku", value="x").status_code == 404
    assert api.method(GET, "admin", vendor="nobody").status_code == 417


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_only_admins_map(api, role):
    with api.context() as frappe:
        code = make_item(frappe, approved=1, fulfillment_vendor="sinq")
    assert api.method(GET, role, vendor="sinq").status_code == 403
    assert api.method(EXPORT, role).status_code == 403
    assert api.method(SAVE, role, "POST", item_code=code, fieldname="sinq_sku", value="SQ-ROLE").status_code == 403
    body = f"item_code,sinq_sku\n{code},SQ-ROLE\n"
    assert api.method(IMPORT, role, "POST", csv_text=body).status_code == 403
    assert item_values(api, code, "sinq_sku")["sinq_sku"] is None


def test_csv_export_then_import_round_trip_and_all_or_nothing(api):
    with api.context() as frappe:
        first = make_item(frappe, approved=1, fulfillment_vendor="exoceuticals")
        second = make_item(frappe, approved=1, fulfillment_vendor="exoceuticals")
    exported = api.method(EXPORT, "admin", vendor="exoceuticals").json_body["message"]
    rows = list(csv.DictReader(io.StringIO(exported["csv"])))
    assert {first, second} <= {r["item_code"] for r in rows}
    assert exported["csv"].splitlines()[0] == ("item_code,item_name,perfectrx_drug_description,shipstation_product_id,"
                                               "sinq_sku,centre_research_product_id,exoceuticals_variant_id")

    bad = (f"item_code,exoceuticals_variant_id\n{first},{GID.format(880001)}\n"
           f"{second},gid://shopify/Product/880002\nNO-SUCH-ITEM,{GID.format(880003)}\n")
    refused = api.method(IMPORT, "admin", "POST", csv_text=bad)
    assert refused.status_code == 417
    message = " ".join(server_messages(refused))
    assert "Row 3" in message and "Row 4" in message
    assert item_values(api, first, "exoceuticals_variant_id")["exoceuticals_variant_id"] is None

    twice = f"item_code,exoceuticals_variant_id\n{first},{GID.format(880004)}\n{second},{GID.format(880004)}\n"
    assert api.method(IMPORT, "admin", "POST", csv_text=twice).status_code == 417
    assert api.method(IMPORT, "admin", "POST", csv_text="item_code,price\nX,1\n").status_code == 417
    assert api.method(IMPORT, "admin", "POST", csv_text="").status_code == 417

    good = f"item_code,exoceuticals_variant_id\n{first},{GID.format(880005)}\n{second},{GID.format(880006)}\n"
    response = api.method(IMPORT, "admin", "POST", csv_text=good)
    assert response.status_code == 200, response.json_body
    assert response.json_body["message"] == {"rows": 2, "updated": 2, "unchanged": 0}
    assert item_values(api, second, "exoceuticals_variant_id")["exoceuticals_variant_id"] == GID.format(880006)
    again = api.method(IMPORT, "admin", "POST", csv_text=good).json_body["message"]
    assert again == {"rows": 2, "updated": 0, "unchanged": 2}


def test_approved_items_without_exactly_one_route_are_listed(api):
    with api.context() as frappe:
        ambiguous = make_item(frappe, approved=1, shipstation_product_id=unique("SS"), sinq_sku=unique("SQ"))
        empty_field = make_item(frappe, approved=1, fulfillment_vendor="centre_research")
        nowhere = make_item(frappe, approved=1)
        fine = make_item(frappe, approved=1, fulfillment_vendor="sinq", sinq_sku=unique("SQ"))
        waiting = make_item(frappe, approved=0)
        frappe.db.commit()
        listed = {r["item_code"]: r["problems"] for r in mapping.unroutable_items()}
    assert "several mapping fields" in " ".join(listed[ambiguous])
    assert "centre_research_product_id is empty" in " ".join(listed[empty_field])
    assert "no vendor" in " ".join(listed[nowhere])
    assert fine not in listed and waiting not in listed

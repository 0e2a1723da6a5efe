"""Product approval (issue 14 item 2): the queue, approve / reject with a reason, in bulk; refusals for
every role but the Marketplace Admin; store syncs put untrusted products into the queue."""

from __future__ import annotations

import json

import pytest

from medgrid.catalog_admin import approval
from tests.medgrid.api_site import server_messages
from tests.medgrid.backoffice_helpers import ROLES_REFUSED, item_values, make_item

QUEUE = "medgrid.catalog_admin.approval.get_queue"
APPROVE = "medgrid.catalog_admin.approval.approve_items"
REJECT = "medgrid.catalog_admin.approval.reject_items"


@pytest.fixture()
def pending(api):
    """A mapped product and an unmapped one, both waiting; the mapped one changed at the last sync."""
    with api.context() as frappe:
        mapped = make_item(frappe, status="Pending", fulfillment_vendor="shipstation",
                           shipstation_product_id=f"SKU-{frappe.generate_hash(length=8)}",
                           medgrid_sync_changes=json.dumps({"item_name": ["Old name", "New name"]}))
        unmapped = make_item(frappe, status="Pending")
    return mapped, unmapped


def test_admin_sees_the_queue_with_what_changed(api, pending):
    mapped, unmapped = pending
    response = api.method(QUEUE, "admin")
    assert response.status_code == 200, response.json_body
    rows = {r["name"]: r for r in response.json_body["message"]}
    assert {mapped, unmapped} <= set(rows)
    assert rows[mapped]["changes"] == [{"field": "item_name", "before": "Old name", "after": "New name"}]
    assert rows[mapped]["route_problems"] == []
    assert rows[unmapped]["route_problems"], "an unmapped product says why it cannot be sold yet"
    assert all(r["status"] == "Pending" for r in rows.values())


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_nobody_else_reads_the_queue_or_approves(api, pending, role):
    mapped, _ = pending
    assert api.method(QUEUE, role).status_code == 403
    for method in (APPROVE, REJECT):
        response = api.method(method, role, "POST", names=json.dumps([mapped]), reason="mine now")
        assert response.status_code == 403, (method, role, response.json_body)
    assert item_values(api, mapped, "medgrid_approved", "medgrid_approval_status") == \
        {"medgrid_approved": 0, "medgrid_approval_status": "Pending"}


@pytest.mark.parametrize("role", ("rep", "vendor"))
def test_the_permlevel_field_cannot_be_set_through_the_api(api, pending, role):
    mapped, _ = pending
    response = api.resource("PUT", "Item", mapped, role, body={"medgrid_approved": 1,
                                                               "medgrid_approval_status": "Approved"})
    assert response.status_code == 403
    assert item_values(api, mapped, "medgrid_approved")["medgrid_approved"] == 0


def test_approve_in_bulk_and_reject_with_a_reason(api):
    with api.context() as frappe:
        codes = [make_item(frappe, status="Pending", sinq_sku=f"SQ-{frappe.generate_hash(length=8)}",
                           fulfillment_vendor="sinq") for _ in range(2)]
        other = make_item(frappe, status="Pending", sinq_sku=f"SQ-{frappe.generate_hash(length=8)}")
    response = api.method(APPROVE, "admin", "POST", names=json.dumps(codes))
    assert response.status_code == 200, response.json_body
    for code in codes:
        row = item_values(api, code, "medgrid_approved", "medgrid_approval_status", "medgrid_reviewed_by")
        assert row == {"medgrid_approved": 1, "medgrid_approval_status": "Approved",
                       "medgrid_reviewed_by": "admin@medgrid.example"}

    refused = api.method(REJECT, "admin", "POST", names=other, reason="  ")
    assert refused.status_code == 417 and "reason" in " ".join(server_messages(refused))
    response = api.method(REJECT, "admin", "POST", names=other, reason="Label lacks the lot number")
    assert response.status_code == 200
    row = item_values(api, other, "medgrid_approved", "medgrid_approval_status", "medgrid_approval_reason")
    assert row == {"medgrid_approved": 0, "medgrid_approval_status": "Rejected",
                   "medgrid_approval_reason": "Label lacks the lot number"}
    rejected = api.method(QUEUE, "admin", status="Rejected").json_body["message"]
    assert other in {r["name"] for r in rejected}
    assert other not in {r["name"] for r in api.method(QUEUE, "admin").json_body["message"]}


def test_an_unmapped_product_is_not_approved_and_nothing_changes(api, pending):
    mapped, unmapped = pending
    response = api.method(APPROVE, "admin", "POST", names=json.dumps([mapped, unmapped]))
    assert response.status_code == 417
    assert unmapped in " ".join(server_messages(response))
    for code in (mapped, unmapped):
        assert item_values(api, code, "medgrid_approved")["medgrid_approved"] == 0


def test_bad_input_is_a_clear_4xx(api):
    assert api.method(APPROVE, "admin", "POST").status_code == 417
    assert api.method(APPROVE, "admin", "POST", names="NO-SUCH-ITEM").status_code == 404
    assert api.method(APPROVE, "admin", "POST", names="[not json").status_code == 417
    assert api.method(QUEUE, "admin", status="Whatever").status_code == 417
    assert api.method(APPROVE, "admin", "GET", names="X").status_code in (403, 405)


def test_unapproved_products_cannot_be_ordered(api, pending):
    from medgrid.exceptions import InvalidOrderError

    mapped, _ = pending
    with api.context() as frappe:
        from medgrid.fulfillment_router.routing import validate_order

        order = frappe.get_doc({"doctype": "Sales Order", "customer": "Demo Clinic Partner", "items": [
            {"item_code": mapped, "qty": 1, "warehouse": "Skydell Main - SM", "idx": 1}]})
        with pytest.raises(InvalidOrderError):
            validate_order(order)


def test_store_sync_changes_go_back_to_review_unless_trusted(api):
    with api.context() as frappe:
        code = make_item(frappe, approved=1, status="Approved", fulfillment_vendor="shopify",
                         exoceuticals_variant_id="gid://shopify/ProductVariant/777001")
        doc = frappe.get_doc("Item", code)
        approval.synced_item_changed(doc, {"item_name": "Renamed by the store"}, trusted=True)
        assert (doc.medgrid_approved, doc.medgrid_approval_status) == (1, "Approved")
        approval.synced_item_changed(doc, {"item_name": "Renamed by the store"}, trusted=False)
        assert (doc.medgrid_approved, doc.medgrid_approval_status) == (0, "Pending")
        assert json.loads(doc.medgrid_sync_changes) == {"item_name": [code, "Renamed by the store"]}
        new = frappe.get_doc({"doctype": "Item"})
        approval.synced_item_created(new, trusted=False)
        assert (new.medgrid_approved, new.medgrid_approval_status) == (0, "Pending")
        approval.synced_item_created(new, trusted=True)
        assert (new.medgrid_approved, new.medgrid_approval_status) == (1, "Approved")
        frappe.db.rollback()

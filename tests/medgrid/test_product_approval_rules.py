"""Approved means sellable (issue 14 items 2 and 3): however an Item is saved approved — the queue, the Desk
form, a REST PUT — it must route to exactly one vendor with that vendor's mapping set; an order line of an
Item approved before that rule is refused like an unapproved one; the upgrade patch sends such Items back
to the queue with the reason."""

from __future__ import annotations

import json

import pytest
from frappe.utils import add_days, nowdate

from tests.medgrid.api_site import server_messages
from tests.medgrid.backoffice_helpers import item_values, make_item, unique

QUEUE = "medgrid.catalog_admin.approval.get_queue"
APPROVE = "medgrid.catalog_admin.approval.approve_items"


def legacy_approved(frappe, **values) -> str:
    """An Item approved before the rule: saved pending, then approved straight in the table."""
    code = make_item(frappe, status="Pending", **values)
    frappe.db.set_value("Item", code, {"medgrid_approved": 1, "medgrid_approval_status": "Approved"})
    return code


def test_the_admin_cannot_tick_approved_on_an_unmapped_item(api):
    with api.context() as frappe:
        no_vendor = make_item(frappe, status="Pending")
        empty_mapping = make_item(frappe, status="Pending", fulfillment_vendor="sinq")
    refused = api.resource("PUT", "Item", no_vendor, "admin", body={"medgrid_approved": 1})
    assert refused.status_code == 417, refused.json_body
    assert refused.json_body["exc_type"] == "NotApprovableError"
    message = " ".join(server_messages(refused))
    assert no_vendor in message and "no vendor" in message
    refused = api.resource("PUT", "Item", empty_mapping, "admin", body={"medgrid_approved": 1})
    assert refused.status_code == 417
    assert "routed to SINQ Ops but sinq_sku is empty" in " ".join(server_messages(refused))
    for code in (no_vendor, empty_mapping):
        assert item_values(api, code, "medgrid_approved")["medgrid_approved"] == 0


def test_the_admin_approves_a_mapped_item_in_the_form_and_cannot_unmap_it(api):
    with api.context() as frappe:
        code = make_item(frappe, status="Pending", fulfillment_vendor="sinq", sinq_sku=unique("SQ"))
    response = api.resource("PUT", "Item", code, "admin", body={"medgrid_approved": 1})
    assert response.status_code == 200, response.json_body
    assert item_values(api, code, "medgrid_approved")["medgrid_approved"] == 1
    # an approved Item keeps its route: clearing the mapping, a second vendor's mapping (the router would
    # take the first) or a mapping the vendor would not read is refused
    for change, words in (({"sinq_sku": ""}, "sinq_sku is empty"),
                          ({"fulfillment_vendor": "", "shipstation_product_id": unique("SS")},
                           "several mapping fields are set"),
                          ({"sinq_sku": "SQ\t1"}, "sinq_sku contains a tab")):
        refused = api.resource("PUT", "Item", code, "admin", body=change)
        assert refused.status_code == 417 and words in " ".join(server_messages(refused)), refused.json_body
    assert item_values(api, code, "sinq_sku", "fulfillment_vendor")["fulfillment_vendor"] == "sinq"
    # ... while an edit that leaves the route alone, and disabling it, go through
    assert api.resource("PUT", "Item", code, "admin", body={"item_name": "Renamed"}).status_code == 200
    assert api.resource("PUT", "Item", code, "admin", body={"disabled": 1, "sinq_sku": ""}).status_code == 200


def test_a_new_unmapped_item_is_created_pending_with_the_reason(api):
    """The field's default approves a new Item, whoever creates it: one that cannot be sold waits instead."""
    code = unique("BO-NEW").upper()
    response = api.resource("POST", "Item", user="admin", body={
        "item_code": code, "item_name": code, "item_group": "Products", "stock_uom": "Nos",
        "fulfillment_vendor": "centre_research", "medgrid_approved": 1})
    assert response.status_code == 200, response.json_body
    assert "saved Pending" in " ".join(server_messages(response))
    row = item_values(api, code, "medgrid_approved", "medgrid_approval_status", "medgrid_approval_reason")
    assert (row.medgrid_approved, row.medgrid_approval_status) == (0, "Pending")
    assert "centre_research_product_id is empty" in row.medgrid_approval_reason
    queue = {r["name"]: r for r in api.method(QUEUE, "admin").json_body["message"]}
    assert queue[code]["route_problems"]
    mapped = unique("BO-NEW").upper()
    response = api.resource("POST", "Item", user="admin", body={
        "item_code": mapped, "item_name": mapped, "item_group": "Products", "stock_uom": "Nos",
        "centre_research_product_id": unique("cr")})
    assert response.status_code == 200, response.json_body
    assert item_values(api, mapped, "medgrid_approved")["medgrid_approved"] == 1  # the default stands


@pytest.mark.parametrize("role", ("rep", "vendor", "partner"))
def test_other_roles_still_cannot_approve(api, role):
    with api.context() as frappe:
        code = make_item(frappe, status="Pending", fulfillment_vendor="sinq", sinq_sku=unique("SQ"))
    response = api.resource("PUT", "Item", code, role, body={"medgrid_approved": 1})
    assert response.status_code == 403
    assert item_values(api, code, "medgrid_approved")["medgrid_approved"] == 0


def test_the_queue_approves_a_mapped_item_as_before(api):
    with api.context() as frappe:
        code = make_item(frappe, status="Pending", fulfillment_vendor="shipstation",
                         shipstation_product_id=unique("SS"))
    response = api.method(APPROVE, "admin", "POST", names=json.dumps([code]))
    assert response.status_code == 200, response.json_body
    assert item_values(api, code, "medgrid_approved", "medgrid_approval_status") == \
        {"medgrid_approved": 1, "medgrid_approval_status": "Approved"}


def test_an_order_line_of_an_unmapped_approved_item_is_not_for_sale(api):
    with api.context() as frappe:
        code = legacy_approved(frappe, fulfillment_vendor="sinq")
        orders_before = frappe.db.count("Sales Order")
    body = {"customer": "Demo Clinic Partner", "delivery_date": add_days(nowdate(), 7),
            "items": [{"item_code": code, "qty": 1, "warehouse": "Skydell Main - SM"}]}
    for user in ("partner", "admin"):
        response = api.resource("POST", "Sales Order", user=user, body=body)
        assert response.status_code == 400, (user, response.json_body)
        assert response.json_body["exc_type"] == "InvalidOrderError"
        assert f"Item {code} is not available for sale" in " ".join(server_messages(response))
    with api.context() as frappe:
        assert frappe.db.count("Sales Order") == orders_before


def test_the_patch_sends_unmapped_approved_items_back_to_the_queue(api):
    from medgrid.patches import unapprove_unmapped_items

    with api.context() as frappe:
        unmapped = legacy_approved(frappe, fulfillment_vendor="centre_research")
        ambiguous = legacy_approved(frappe, sinq_sku=unique("SQ"), shipstation_product_id=unique("SS"))
        mapped = legacy_approved(frappe, fulfillment_vendor="sinq", sinq_sku=unique("SQ"))
        disabled = legacy_approved(frappe, disabled=1)
        unapprove_unmapped_items.execute()
    for code in (unmapped, ambiguous):
        row = item_values(api, code, "medgrid_approved", "medgrid_approval_status", "medgrid_approval_reason")
        assert (row.medgrid_approved, row.medgrid_approval_status) == (0, "Pending"), code
        assert row.medgrid_approval_reason.startswith("Sent back for review")
    assert "centre_research_product_id is empty" in item_values(api, unmapped, "medgrid_approval_reason")[
        "medgrid_approval_reason"]
    assert "several mapping fields are set" in item_values(api, ambiguous, "medgrid_approval_reason")[
        "medgrid_approval_reason"]
    for code in (mapped, disabled):  # sellable, or not sold anyway: left as they were
        assert item_values(api, code, "medgrid_approved", "medgrid_approval_reason") == \
            {"medgrid_approved": 1, "medgrid_approval_reason": None}
    queue = {r["name"]: r for r in api.method(QUEUE, "admin").json_body["message"]}
    assert queue[unmapped]["medgrid_approval_reason"].startswith("Sent back for review")
    assert queue[unmapped]["route_problems"]
    assert mapped not in queue

"""Webhook statuses keep their order and stay with their vendor (issue 12, item 13).

A verified delivery used to be written whatever it said: a late ORDER_SHIPPED moved a Delivered order
back, and a SINQ event naming an order never routed to SINQ wrote its ``sinq_status``. Now each
vendor's statuses have an order (medgrid.webhooks.status_order) and an event applies only to an order
with a Fulfillment Dispatch for that vendor; others end Unmatched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import frappe
import pytest

from tests.medgrid.test_webhooks_shipstation import apply_notification, make_connection, rsps, shipment  # noqa: F401
from tests.medgrid.webhook_helpers import (
    configure_single,
    make_order,
    order_values,
    post,
    stored,
    wait_settled,
)

PRX_PATH = "/api/method/medgrid.perfectrx.webhook"
PRX_SECRET = "prx-secret-for-status-order-tests"
SINQ_PATH = "/api/method/medgrid.sinq.webhook"
SINQ_KEY = "sinq-key-for-status-order-tests"
WEBHOOK_EVENT = "MedGrid Webhook Event"


@pytest.fixture()
def prx(site):
    configure_single("PerfectRx Settings", client_secret=PRX_SECRET, webhook_tolerance_seconds=300)
    return site


@pytest.fixture()
def sinq(site):
    configure_single("SINQ Settings", sinq_webhook_key=SINQ_KEY, sinq_webhook_secret=None)
    return site


def send_prx(order: str, event: str, **data):
    """A correctly signed PerfectRx delivery with no ``occurredAt`` (so timestamps cannot order it);
    returns the settled event row."""
    raw = json.dumps({"event": event, "externalOrderId": order, "data": data}).encode()
    nonce, ts = str(uuid.uuid4()), str(int(time.time()))
    message = nonce + ts + hashlib.sha256(raw).hexdigest()
    signature = hmac.new(PRX_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    reply = post(PRX_PATH, raw, {"X-PerfectRx-Signature": signature, "X-PerfectRx-Nonce": nonce,
                                 "X-PerfectRx-Timestamp": ts})
    assert reply.status == 200, reply.text
    return wait_settled("perfectrx", nonce)


def send_sinq(order: str, status: str, **extra):
    body = {"id": str(uuid.uuid4()), "reference": order, "status": status, **extra}
    reply = post(SINQ_PATH, body, {"key": SINQ_KEY})
    assert reply.status == 200, reply.text
    return wait_settled("sinq", body["id"])


# ---------------------------------------------------------------------------------- the table

@pytest.mark.parametrize("vendor, current, new, explicit, allowed", [
    ("perfectrx", "Delivered", "Shipped", False, False),
    ("perfectrx", "Delivered", "Shipped", True, True),        # ORDER_RESHIPPED
    ("perfectrx", "Shipped", "Delivered", False, True),
    ("perfectrx", "Delivered", "Cancelled", False, True),     # a cancellation is always explicit
    ("perfectrx", "Cancelled", "Shipped", False, False),
    ("perfectrx", None, "Shipped", False, True),
    ("sinq", "Pending", "Synced", False, False),
    ("sinq", "Completed", "Shipped", False, False),
    ("sinq", "Pending", "Failed", False, True),
    ("sinq", "Shipped", "Failed", False, False),              # nothing fails after it shipped
    ("sinq", "Failed", "Synced", False, True),                # the vendor retried
    ("centre_research", "Shipped", "Processing", False, False),
    ("centre_research", "Processing", "On Hold", False, True),
    ("centre_research", "On Hold", "Processing", False, True),
    ("centre_research", "Cancelled", "Refunded", False, True),
    ("shipstation", "Shipped", "Awaiting Shipment", False, False),
    ("shipstation", "Shipped", "Awaiting Shipment", True, True),  # a voided label
    ("shipstation", "Submitted", "Awaiting Shipment", False, True),
    ("exoceuticals", "Fulfilled", "Open", False, False),
    ("shopify", "Open", "Fulfilled", False, True),
    ("sinq", "Shipped", "Something New", False, True),        # a status the table does not know
])
def test_status_order(site, vendor, current, new, explicit, allowed):
    from medgrid.webhooks.status_order import may_move

    assert may_move(vendor, current, new, explicit=explicit) is allowed


# ------------------------------------------------------------------------- statuses in order

def test_a_late_shipped_does_not_move_a_delivered_order_back(prx):
    order = make_order(items=("ITEM-004",))
    assert send_prx(order, "ORDER_DELIVERED", trackingNumber="1ZDELIVERED", carrier="UPS").status == "Processed"
    late = send_prx(order, "ORDER_SHIPPED", trackingNumber="1ZDELIVERED", carrier="UPS")
    assert (late.status, late.sales_order) == ("Ignored", order)
    assert late.error == "Out of order: PerfectRx status Delivered does not go back to Shipped"
    assert order_values(order, "perfectrx_status").perfectrx_status == "Delivered"
    # a reship is explicit: Shipped again, with the new parcel
    assert send_prx(order, "ORDER_RESHIPPED", trackingNumber="1ZRESHIP", carrier="UPS").status == "Processed"
    values = order_values(order, "perfectrx_status", "perfectrx_tracking_number")
    assert values == {"perfectrx_status": "Shipped", "perfectrx_tracking_number": "1ZRESHIP"}
    # a cancellation always applies; nothing but a reship leaves it
    assert send_prx(order, "ORDER_CANCELED").status == "Processed"
    assert send_prx(order, "ORDER_DELIVERED").status == "Ignored"
    assert order_values(order, "perfectrx_status").perfectrx_status == "Cancelled"
    dispatch = frappe.db.get_value("Fulfillment Dispatch", {"sales_order": order, "vendor": "perfectrx"},
                                   "vendor_status")
    assert dispatch == "Cancelled"  # the dispatch mirrors what the order shows


def test_sinq_completed_stays_completed(sinq):
    order = make_order()
    assert send_sinq(order, "completed").status == "Processed"
    for status in ("shipped", "pending", "synced", "failed"):
        assert send_sinq(order, status).status == "Ignored"
    assert order_values(order, "sinq_status").sinq_status == "Completed"


def test_a_stale_centre_research_poll_does_not_move_the_status_back(site, monkeypatch):
    from medgrid.connectors import centre_research
    from medgrid.webhooks.reconcile import poll_vendor

    order = make_order(items=("ITEM-001",))
    frappe.db.set_value("Sales Order", order, {"cr_order_id": f"cr-{order}", "cr_status": "Shipped",
                                               "cr_tracking_number": "1ZCR", "cr_sync_date": None})
    configure_single("Centre Research Settings", enabled=1, centre_research_api_key="cr-key-status-tests")
    answers = {f"cr-{order}": {"status": "PROCESSING"}}
    # only this test's order answers; every other open order reads "nothing new"
    monkeypatch.setattr(centre_research, "fetch_order", lambda order_id, settings=None, reference=None:
                        answers.get(order_id, {}))
    poll_vendor("centre_research")
    values = order_values(order, "cr_status", "cr_tracking_number", "cr_sync_date")
    assert (values.cr_status, values.cr_tracking_number) == ("Shipped", "1ZCR")
    assert values.cr_sync_date  # the poll still records that it looked
    answers[f"cr-{order}"] = {"status": "DELIVERED"}
    poll_vendor("centre_research")
    assert order_values(order, "cr_status").cr_status == "Delivered"
    configure_single("Centre Research Settings", enabled=0)


def test_a_late_order_notify_does_not_undo_a_shipment(site, rsps):  # noqa: F811
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order)], rsps)
    name, status = apply_notification(connection, "ORDER_NOTIFY", "orders", [
        {"orderId": shipment(order)["orderId"], "orderKey": f"{order}-shipstation",
         "orderStatus": "awaiting_shipment"}], rsps)
    assert status == "Ignored"
    assert frappe.db.get_value(WEBHOOK_EVENT, name, "sales_order") == order
    values = order_values(order, "shipstation_status", "shipstation_tracking_number")
    assert values == {"shipstation_status": "Shipped", "shipstation_tracking_number": "1Z999AA10123456784"}


def test_a_shopify_order_does_not_fall_back_from_fulfilled_unless_its_fulfillment_is_cancelled(site):
    from medgrid.webhooks.shopify import OrderState, apply_order_state

    def apply(**state) -> str:
        status = apply_order_state("exoceuticals", OrderState(attributes={"medgrid_sales_order": order}, **state)).status
        frappe.db.commit()
        return status

    order = make_order(items=("ITEM-005",))
    assert apply(fulfillment_status="fulfilled",
                 fulfillments=[{"status": "success", "number": "1ZEXO", "company": "UPS"}]) == "Processed"
    # an older version of the order (no time on it), before it was fulfilled
    assert apply(fulfillments=[]) == "Ignored"
    assert order_values(order, "exoceuticals_status", "exoceuticals_tracking_number") == {
        "exoceuticals_status": "Fulfilled", "exoceuticals_tracking_number": "1ZEXO"}
    # the merchant cancelled the fulfillment: explicit, back to Open and the tracking withdrawn
    assert apply(fulfillments=[{"status": "cancelled", "number": "1ZEXO", "company": "UPS"}]) == "Processed"
    assert order_values(order, "exoceuticals_status", "exoceuticals_tracking_number") == {
        "exoceuticals_status": "Open", "exoceuticals_tracking_number": None}


# --------------------------------------------------------------------- only the routed vendor

def test_a_sinq_event_for_an_order_not_routed_to_sinq_is_unmatched(sinq):
    order = make_order(items=("ITEM-002",))  # ShipStation only
    event = send_sinq(order, "shipped", tracking={"trackingNumber": "1ZFORGED", "shipBy": "UPS"})
    assert (event.status, event.sales_order) == ("Unmatched", None)
    assert event.error == f"Sales Order {order} was not routed to SINQ"
    values = order_values(order, "sinq_status", "sinq_tracking_number", "sinq_reference")
    assert not any(values.values())


def test_an_order_whose_dispatch_was_never_written_is_unmatched_for_everyone(prx, sinq):
    order = make_order(items=("ITEM-003", "ITEM-004"), routed=False)
    assert send_sinq(order, "shipped").status == "Unmatched"
    assert send_prx(order, "ORDER_SHIPPED", trackingNumber="1Z", carrier="UPS").status == "Unmatched"
    assert not any(order_values(order, "sinq_status", "perfectrx_status").values())


def test_a_perfectrx_event_for_another_vendors_order_is_unmatched(prx):
    order = make_order(items=("ITEM-003",))  # SINQ only
    event = send_prx(order, "PATIENT_CREATION_FAILURE", reason="forged")
    assert event.status == "Unmatched"
    assert order_values(order, "perfectrx_needs_attention").perfectrx_needs_attention == 0


def test_shipstation_only_updates_orders_routed_to_it(site, rsps):  # noqa: F811
    order = make_order(items=("ITEM-003",))  # SINQ only
    connection = make_connection()
    name, status = apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order)], rsps)
    assert status == "Unmatched"
    assert frappe.db.get_value(WEBHOOK_EVENT, name, "sales_order") is None
    assert order_values(order, "shipstation_status").shipstation_status in (None, "")


def test_exoceuticals_only_updates_orders_routed_to_it(site):
    from medgrid.webhooks.shopify import OrderState, apply_order_state

    order = make_order(items=("ITEM-002",))
    outcome = apply_order_state("exoceuticals", OrderState(attributes={"medgrid_sales_order": order},
                                                           fulfillment_status="fulfilled"))
    assert (outcome.status, outcome.sales_order) == ("Unmatched", None)
    assert order_values(order, "exoceuticals_status").exoceuticals_status in (None, "")
    frappe.db.rollback()


def test_the_stored_event_keeps_the_raw_delivery_even_when_unmatched(sinq):
    order = make_order(items=("ITEM-002",))
    body = {"id": str(uuid.uuid4()), "reference": order, "status": "shipped"}
    post(SINQ_PATH, body, {"key": SINQ_KEY})
    [row] = stored("sinq", body["id"])
    assert row.status == "Unmatched" and json.loads(row.payload) == body
    # re-applying changes nothing: the event is settled
    from medgrid.webhooks.common import apply_event

    assert apply_event(row.name) == "Unmatched"
    assert order_values(order, "sinq_status").sinq_status in (None, "")

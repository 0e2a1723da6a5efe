"""Centre Research connector: create order, success:false, duplicates, Retry-After, status polling."""

from __future__ import annotations

import pytest

import frappe

from medgrid.connectors import centre_research
from medgrid.connectors.base import VendorError
from medgrid.connectors.centre_research import CentreResearchConnector
from tests.medgrid import factories
from tests.medgrid.connector_helpers import logs_for, sent_json

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

BASE = "https://pepapi.stmin.dev/api"
ORDERS = f"{BASE}/sales-channels/integration/orders"


@pytest.fixture()
def order(csite):
    factories.centre_research_settings()
    return factories.sales_order([("CT-CR-BPC", 2), ("CT-CR-TB500", 1)])


def created(order_id="cr-order-id-abc", **extra):
    return {"success": True, "data": {"orderId": order_id, "orderNumber": "ORD-1717-1", "status": "PENDING",
                                      "subtotal": 243, "shippingAmount": 10, "totalAmount": 253,
                                      "shippingTierApplied": {"id": "t1", "uniqueTierId": "STD",
                                                              "name": "Standard", "serviceName": "UPS Ground"},
                                      **extra}}


def test_send_posts_the_guide_body_with_the_api_key(order, mocked):
    # given
    dispatch = factories.dispatch(order, "centre_research")
    mocked.post(ORDERS, status=201, json=created())

    # when
    result = CentreResearchConnector().send(dispatch, order)

    # then
    call = mocked.calls[0]
    assert call.request.headers["X-API-Key"] == "cr-api-key-SECRET"
    assert call.request.headers["Content-Type"] == "application/json"
    assert call.request.headers["Accept"] == "application/json"
    assert sent_json(call) == {
        "partnerOrderId": order.name,
        "customer": {"firstName": "Jane", "lastName": "Smith", "email": "patient@clinic.com", "phone": "5125550100"},
        "shippingAddress": {"firstName": "Jane", "lastName": "Smith", "address1": "123 Main St", "address2": "Suite 4",
                            "city": "Austin", "state": "TX", "zip": "78701", "country": "US"},
        "items": [{"variantId": "cr-variant-id-001", "quantity": 2}, {"variantId": "cr-variant-id-002", "quantity": 1}],
    }
    assert result.vendor_order_id == "cr-order-id-abc"
    assert result.vendor_reference == "ORD-1717-1"
    assert result.already_placed is False
    fields = result.order_fields
    assert (fields["cr_order_id"], fields["cr_status"], fields["cr_shipping_tier"]) == \
        ("cr-order-id-abc", "Pending", "Standard")
    assert fields["cr_sync_date"]


def test_configured_shipping_tier_is_requested(csite, mocked):
    factories.centre_research_settings(default_shipping_tier="tier-express")
    order = factories.sales_order([("CT-CR-BPC", 1)])
    mocked.post(ORDERS, status=201, json=created())

    CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)

    assert sent_json(mocked.calls[0])["shippingTierId"] == "tier-express"


def test_success_false_inside_200_is_a_permanent_failure(order, mocked, clock):
    dispatch = factories.dispatch(order, "centre_research")
    mocked.post(ORDERS, status=200, json={"success": False, "error": "Price not configured for variant"})

    with pytest.raises(VendorError) as raised:
        CentreResearchConnector().send(dispatch, order)

    assert raised.value.retryable is False and "Price not configured" in str(raised.value)
    assert len(mocked.calls) == 1


def test_duplicate_partner_order_id_400_is_already_placed(order, mocked):
    dispatch = factories.dispatch(order, "centre_research")
    duplicate = "An order with this partnerOrderId already exists for this channel."
    mocked.post(ORDERS, status=400, json={"success": False, "orderId": "cr-existing-1", "orderNumber": "ORD-9",
                                          "error": duplicate})
    mocked.get(f"{ORDERS}/cr-existing-1", json={"success": True, "data": {
        "orderId": "cr-existing-1", "orderNumber": "ORD-9", "status": "PROCESSING"}})

    result = CentreResearchConnector().send(dispatch, order)

    assert result.already_placed is True and result.vendor_order_id == "cr-existing-1"
    assert result.order_fields["cr_order_id"] == "cr-existing-1"
    assert result.order_fields["cr_status"] == "Processing"


def test_duplicate_answered_as_success_with_the_existing_order(order, mocked):
    dispatch = factories.dispatch(order, "centre_research")
    mocked.post(ORDERS, status=200, json=created("cr-existing-2", duplicate=True))

    result = CentreResearchConnector().send(dispatch, order)

    assert result.already_placed is True and result.vendor_order_id == "cr-existing-2"


def test_other_400s_are_permanent(order, mocked):
    mocked.post(ORDERS, status=400, json={"success": False, "error": "items[0].quantity must be >= 1"})
    with pytest.raises(VendorError) as raised:
        CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)
    assert raised.value.retryable is False and "quantity" in str(raised.value)


def test_retry_after_header_is_honoured(order, mocked, clock):
    mocked.post(ORDERS, status=429, headers={"Retry-After": "9"},
                json={"success": False, "error": "Rate limit exceeded", "retryAfter": 60})
    mocked.post(ORDERS, status=201, json=created())

    CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)

    assert len(clock.sleeps) == 1 and 9 <= clock.sleeps[0] <= 9.5


def test_retry_after_in_the_body_is_honoured_without_a_header(order, mocked, clock):
    mocked.post(ORDERS, status=429, json={"success": False, "error": "Rate limit exceeded", "retryAfter": 20})
    mocked.post(ORDERS, status=201, json=created())

    CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)

    assert len(clock.sleeps) == 1 and 20 <= clock.sleeps[0] <= 20.5


def test_5xx_gets_three_retries_with_backoff(order, mocked, clock):
    mocked.post(ORDERS, status=503, json={"success": False, "error": "maintenance"})

    with pytest.raises(VendorError) as raised:
        CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)

    assert len(mocked.calls) == 4 and raised.value.retryable is True
    assert len(clock.sleeps) == 3 and clock.sleeps[0] < clock.sleeps[1] < clock.sleeps[2]


@pytest.mark.parametrize("vendor_status, cr_status", list(centre_research.STATUS_MAP.items()))
def test_fetch_status_maps_every_vendor_status(order, mocked, vendor_status, cr_status):
    dispatch = factories.dispatch(order, "centre_research", vendor_order_id="cr-1")
    mocked.get(f"{ORDERS}/cr-1", json={"success": True, "data": {"orderId": "cr-1", "status": vendor_status}})

    update = CentreResearchConnector().fetch_status(dispatch, order)

    assert update.status == cr_status and update.vendor_order_id == "cr-1"


def test_fetch_status_reads_tracking_from_the_latest_shipment(order, mocked):
    dispatch = factories.dispatch(order, "centre_research", vendor_order_id="cr-1")
    mocked.get(f"{ORDERS}/cr-1", json={"success": True, "data": {
        "orderId": "cr-1", "status": "SHIPPED", "trackingNumber": "1Z999AA10123456784",
        "shipments": [{"id": "s1", "carrier": "UPS", "trackingNumber": "1Z999AA10123456784", "trackingUrl": None,
                       "status": "SHIPPED"}]}})

    update = CentreResearchConnector().fetch_status(dispatch, order)

    assert update.status == "Shipped"
    assert update.tracking_number == "1Z999AA10123456784" and update.carrier == "UPS"
    assert update.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


@pytest.fixture()
def only_this_tests_orders(order):
    """The poll commits per order, so dispatches of earlier poll tests may be committed: close them."""
    frappe.db.sql("""update `tabFulfillment Dispatch` set `vendor_status`='Cancelled'
                     where `vendor`='centre_research' and `sales_order`!=%s""", order.name)


def sent_dispatch(order, order_id: str, status: str | None, **extra):
    """The order's Centre Research dispatch after the send: Sent, the vendor's id, order and dispatch agreeing."""
    doc = factories.dispatch(order, "centre_research", status="Sent", vendor_order_id=order_id,
                             vendor_status=status, **extra)
    frappe.db.set_value("Sales Order", order.name, {"cr_order_id": order_id, "cr_status": status})
    return doc


def poll():
    from medgrid.webhooks.reconcile import poll_vendor

    return poll_vendor("centre_research")


def test_poll_updates_open_orders_and_skips_final_ones(order, mocked, only_this_tests_orders):
    sent_dispatch(order, "cr-open", "Pending")
    delivered = factories.sales_order([("CT-CR-BPC", 1)])
    sent_dispatch(delivered, "cr-done", "Delivered")
    no_status = factories.sales_order([("CT-CR-BPC", 1)])
    sent_dispatch(no_status, "cr-new", None)
    mocked.get(f"{ORDERS}/cr-open", json={"success": True, "data": {
        "orderId": "cr-open", "status": "LABEL_CREATED", "shipments": [
            {"carrier": "FedEx", "trackingNumber": "7712", "trackingUrl": "https://fedex.example/7712"}]}})
    mocked.get(f"{ORDERS}/cr-new", json={"success": True, "data": {"orderId": "cr-new", "status": "ON_HOLD"}})

    poll()

    polled = sorted(c.request.url.rsplit("/", 1)[1] for c in mocked.calls)
    assert "cr-done" not in polled and {"cr-open", "cr-new"} <= set(polled)
    values = frappe.db.get_value("Sales Order", order.name, ["cr_status", "cr_tracking_number", "cr_carrier",
                                                             "cr_tracking_url", "cr_sync_date"], as_dict=True)
    assert (values.cr_status, values.cr_tracking_number, values.cr_carrier, values.cr_tracking_url) == \
        ("Label Created", "7712", "FedEx", "https://fedex.example/7712")
    assert values.cr_sync_date
    assert frappe.db.get_value("Sales Order", no_status.name, "cr_status") == "On Hold"


def test_poll_writes_the_dispatch_as_well_as_the_order(order, mocked, only_this_tests_orders):
    # issue 16: the poll wrote cr_status onto the order only, so the dispatch (and the admin page) kept
    # "Pending" without tracking while the order said "Delivered"
    dispatch = sent_dispatch(order, "cr-delivered", "Pending")
    mocked.get(f"{ORDERS}/cr-delivered", json={"success": True, "data": {
        "orderId": "cr-delivered", "status": "DELIVERED", "shipments": [
            {"carrier": "UPS", "trackingNumber": "1ZDELIVERED", "trackingUrl": None}]}})

    poll()

    row = frappe.db.get_value("Fulfillment Dispatch", dispatch.name,
                              ["vendor_status", "tracking_number", "carrier", "tracking_url", "last_sync"], as_dict=True)
    assert (row.vendor_status, row.tracking_number, row.carrier) == ("Delivered", "1ZDELIVERED", "UPS")
    assert row.tracking_url == "https://www.ups.com/track?tracknum=1ZDELIVERED" and row.last_sync
    assert frappe.db.get_value("Sales Order", order.name, "cr_status") == "Delivered"


def test_poll_logs_a_failing_order_and_continues(order, mocked, clock, only_this_tests_orders):
    # the healthy order is polled first (oldest sync); its commit keeps the data the failure rolls back to
    other = factories.sales_order([("CT-CR-BPC", 1)])
    sent_dispatch(other, "cr-fine", "Processing", last_sync="2000-01-01 00:00:00")
    sent_dispatch(order, "cr-broken", "Processing", last_sync="2000-01-02 00:00:00")
    mocked.get(f"{ORDERS}/cr-broken", status=404, json={"success": False, "error": "Order not found"})
    mocked.get(f"{ORDERS}/cr-fine", json={"success": True, "data": {"orderId": "cr-fine", "status": "DELIVERED"}})

    poll()

    assert frappe.db.get_value("Sales Order", other.name, "cr_status") == "Delivered"
    assert frappe.db.get_value("Sales Order", order.name, "cr_status") == "Processing"
    assert frappe.db.exists("Error Log", {"reference_name": order.name})


def test_cancel_deletes_by_partner_order_id(order, mocked):
    mocked.delete(f"{ORDERS}/{order.name}", json={"success": True, "message": "Order already cancelled"})
    assert CentreResearchConnector().cancel(factories.dispatch(order, "centre_research"), order) is True
    assert mocked.calls[0].request.method == "DELETE"


def test_poll_is_scheduled_every_five_minutes(site):
    from medgrid.vendors import get_vendor

    cron = frappe.get_hooks("scheduler_events").get("cron", {})
    assert "medgrid.webhooks.reconcile.poll_vendors" in cron.get("*/5 * * * *", [])
    poll_spec = get_vendor("centre_research").poll
    assert poll_spec.per_order and poll_spec.every_minutes == 5


def test_api_key_is_redacted_in_the_log(order, mocked):
    mocked.post(ORDERS, status=201, json=created())
    CentreResearchConnector().send(factories.dispatch(order, "centre_research"), order)
    [row] = logs_for(order.name, "centre_research")
    assert "cr-api-key-SECRET" not in frappe.as_json(row) and '"X-API-Key": "***"' in row.request_headers


def test_a_resend_that_finds_the_order_shipped_writes_its_dispatch_too(order, mocked):
    # issue 16: the send wrote the vendor's answer onto the order and only the status onto the dispatch, so
    # a re-send that found the order already shipped left the dispatch (and the admin page) without tracking
    from medgrid.fulfillment_router.dispatch import send_dispatch

    dispatch = factories.dispatch(order, "centre_research", status="Queued", attempts=0)
    frappe.db.commit()
    mocked.post(ORDERS, status=400, json={"success": False, "orderId": "cr-shipped-1",
                                          "error": "An order with this partnerOrderId already exists."})
    mocked.get(f"{ORDERS}/cr-shipped-1", json={"success": True, "data": {
        "orderId": "cr-shipped-1", "status": "SHIPPED",
        "shipments": [{"carrier": "UPS", "trackingNumber": "1ZRESENT", "trackingUrl": None}]}})

    assert send_dispatch(dispatch.name) == "Sent"

    row = frappe.db.get_value("Fulfillment Dispatch", dispatch.name,
                              ["vendor_status", "vendor_order_id", "tracking_number", "carrier", "tracking_url"],
                              as_dict=True)
    assert (row.vendor_status, row.vendor_order_id, row.tracking_number, row.carrier) == \
        ("Shipped", "cr-shipped-1", "1ZRESENT", "UPS")
    assert row.tracking_url == "https://www.ups.com/track?tracknum=1ZRESENT"
    assert frappe.db.get_value("Sales Order", order.name, ["cr_status", "cr_tracking_number"]) == \
        ("Shipped", "1ZRESENT")

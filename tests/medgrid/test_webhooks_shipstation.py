"""ShipStation webhooks: connection + token, the resource_url allow-list (SSRF), re-read and apply."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import frappe
import pytest
import responses

from tests.medgrid.webhook_helpers import (
    make_order,
    order_values,
    post,
    store_event,
    stored,
    wait_settled,
)

PATH = "/api/method/medgrid.shipstation.webhook"
API = "https://ssapi.shipstation.com"
KEY, SECRET = "ss-key-for-tests", "ss-secret-for-tests"
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def make_connection(token: str | None = "hook-token-1", *, is_platform=0, status="Connected", credentials=True,
                    vendor_profile=None, base_url=API) -> str:
    doc = frappe.get_doc({"doctype": "ShipStation Connection", "is_platform": is_platform, "status": status,
                          "base_url": base_url, "api_key": KEY if credentials else None,
                          "api_secret": SECRET if credentials else None, "webhook_token": token,
                          "vendor_profile": vendor_profile}).insert(ignore_permissions=True)
    frappe.db.commit()
    return doc.name


def resource(kind="shipments") -> str:
    return f"{API}/{kind}?storeID=123&batchId={uuid.uuid4().hex[:12]}"


def shipment(order: str, number="1Z999AA10123456784", carrier="ups", **extra) -> dict:
    # ShipStation order ids are unique per account; a fresh one per call keeps the tests apart
    order_id = int(hashlib.sha256(order.encode()).hexdigest()[:8], 16)
    return {"shipmentId": 1, "orderId": order_id, "orderKey": f"{order}-shipstation", "orderNumber": order,
            "trackingNumber": number, "carrierCode": carrier, "voided": False, "shipDate": "2026-06-02", **extra}


@pytest.fixture()
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# ------------------------------------------------------------------------------ layer 1 (pure)

ALLOWED = [f"{API}/shipments?storeID=1&batchId=2", "https://ssapi11.shipstation.com/orders?importBatch=x",
           f"{API}:443/shipments", "HTTPS://SSAPI.SHIPSTATION.COM/shipments"]
REFUSED = [
    ("https://evil.com/shipments", "not a ShipStation host"),
    ("http://ssapi.shipstation.com/shipments", "not https"),
    ("https://ssapi.shipstation.com@evil.com/", "userinfo"),
    ("https://user:pw@ssapi.shipstation.com/shipments", "userinfo"),
    ("https://evil.com/?x=ssapi.shipstation.com", "not a ShipStation host"),
    ("https://evil.com/ssapi.shipstation.com/shipments", "not a ShipStation host"),
    ("https://ssapi.shipstation.com.evil.com/shipments", "not a ShipStation host"),
    ("https://evilshipstation.com/shipments", "not a ShipStation host"),
    ("https://ssapi.shipstation.com:8443/shipments", "port is not allowed"),
    ("ftp://ssapi.shipstation.com/shipments", "not https"),
    ("https://evil.com\\@ssapi.shipstation.com/", "characters"),
    ("https://ssapi.shipstation.com /x", "characters"),
    ("https://%65vil.com.shipstation.com/", "plain host name"),
    ("https://ssapi.shipstation.com:abc/", "not a valid URL"),
    ("//ssapi.shipstation.com/shipments", "not https"),
    ("", "missing"),
    (None, "missing"),
]


@pytest.mark.parametrize("url", ALLOWED)
def test_shipstation_hosts_over_https_are_allowed(url):
    from medgrid.webhooks.shipstation import check_resource_url

    check_resource_url(url, API)


@pytest.mark.parametrize("url, reason", REFUSED)
def test_other_urls_are_refused(url, reason):
    from medgrid.webhooks.common import WebhookRejected
    from medgrid.webhooks.shipstation import check_resource_url

    with pytest.raises(WebhookRejected, match=reason):
        check_resource_url(url, API)


def test_the_configured_sandbox_origin_is_allowed_exactly():
    from medgrid.webhooks.common import WebhookRejected
    from medgrid.webhooks.shipstation import check_resource_url

    sandbox = "http://127.0.0.1:8010"
    check_resource_url("http://127.0.0.1:8010/shipments?batchId=1", sandbox)
    for url in ("http://127.0.0.1:8011/shipments", "https://127.0.0.1:8010/shipments", "http://127.0.0.2:8010/x"):
        with pytest.raises(WebhookRejected):
            check_resource_url(url, sandbox)


# ---------------------------------------------------------------------------- layer 2 (HTTP)

def test_valid_notification_is_stored_fetched_with_basic_auth_and_applied(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    url = resource()
    rsps.get(url, json={"shipments": [shipment(order)], "total": 1, "page": 1, "pages": 1})
    reply = post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"},
                 query={"connection": connection, "token": "hook-token-1"})
    assert reply.status == 200 and reply.json() == {"message": {"ok": True, "duplicate": False}}
    event = wait_settled("shipstation", url)
    assert (event.status, event.event_type, event.sales_order, event.attempts) == (
        "Processed", "SHIP_NOTIFY", order, 1)
    assert event.dedupe_source == f"resource_url: {url}"
    request_meta = json.loads(event.headers)
    assert request_meta["query"] == {"connection": connection, "token": "***"}
    assert request_meta["context"] == {"connection": connection}
    assert len(rsps.calls) == 1 and rsps.calls[0].request.headers["Authorization"] == BASIC
    values = order_values(order, "shipstation_status", "shipstation_order_id", "shipstation_tracking_number",
                          "shipstation_carrier", "shipstation_tracking_url", "shipstation_sync_date")
    assert values.shipstation_status == "Shipped"
    assert values.shipstation_order_id == str(shipment(order)["orderId"])
    assert (values.shipstation_tracking_number, values.shipstation_carrier) == ("1Z999AA10123456784", "ups")
    assert values.shipstation_tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert values.shipstation_sync_date


@pytest.mark.parametrize("query", [{"token": "wrong"}, {}, {"token": ""}], ids=["wrong", "missing", "empty"])
def test_a_wrong_or_missing_token_is_refused(site, rsps, query):
    connection = make_connection()
    url = resource()
    reply = post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"}, query={"connection": connection, **query})
    assert reply.status == 401 and reply.json()["exc_type"] == "WebhookVerificationError"
    assert stored("shipstation", url) == [] and len(rsps.calls) == 0


def test_unknown_or_disconnected_connection_is_refused(site, rsps):
    disconnected = make_connection(status="Disconnected")
    no_keys = make_connection(credentials=False)
    for query in ({"connection": "no-such-connection", "token": "hook-token-1"},
                  {"connection": disconnected, "token": "hook-token-1"},
                  {"connection": no_keys, "token": "hook-token-1"}):
        url = resource()
        assert post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"}, query=query).status == 401
        assert stored("shipstation", url) == []
    assert len(rsps.calls) == 0


def test_a_token_alone_finds_its_connection(site, rsps):
    order = make_order(items=("ITEM-002",))
    token = f"token-{uuid.uuid4().hex}"
    connection = make_connection(token)
    url = resource()
    rsps.get(url, json={"shipments": [shipment(order)], "pages": 1})
    assert post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"}, query={"token": token}).status == 200
    event = wait_settled("shipstation", url)
    assert json.loads(event.headers)["context"] == {"connection": connection}
    assert post(PATH, {"resource_url": resource(), "resource_type": "SHIP_NOTIFY"},
                query={"token": "nobody-has-this"}).status == 401


def test_without_parameters_the_single_platform_connection_is_used(site, rsps):
    others = frappe.get_all("ShipStation Connection", filters={"is_platform": 1, "status": "Connected"}, pluck="name")
    for name in others:
        frappe.db.set_value("ShipStation Connection", name, "status", "Disconnected")
    try:
        order = make_order(items=("ITEM-002",))
        platform = make_connection(None, is_platform=1)
        url = resource()
        rsps.get(url, json={"shipments": [shipment(order)], "pages": 1})
        assert post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"}).status == 200
        assert wait_settled("shipstation", url).status == "Processed"
        # once the platform connection has a token, a bare URL is refused
        frappe.db.rollback()
        doc = frappe.get_doc("ShipStation Connection", platform)
        doc.webhook_token = "now-required"
        doc.save(ignore_permissions=True)
        assert post(PATH, {"resource_url": resource(), "resource_type": "SHIP_NOTIFY"}).status == 401
        frappe.db.set_value("ShipStation Connection", platform, "status", "Disconnected")
    finally:
        for name in others:
            frappe.db.set_value("ShipStation Connection", name, "status", "Connected")
        frappe.db.commit()


@pytest.mark.parametrize("url", [
    "https://evil.com/shipments",
    "http://ssapi.shipstation.com/shipments",
    "https://ssapi.shipstation.com@evil.com/",
    "https://evil.com/?x=ssapi.shipstation.com",
    "https://ssapi.shipstation.com:8443/shipments",
], ids=["other host", "http", "userinfo", "host in query", "other port"])
def test_ssrf_attempts_are_refused_before_anything_is_stored_or_fetched(site, rsps, url):
    connection = make_connection()
    rsps.get("https://evil.com/", body="stolen")
    reply = post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"},
                 query={"connection": connection, "token": "hook-token-1"})
    assert reply.status == 401 and reply.json()["exc_type"] == "WebhookVerificationError"
    assert stored("shipstation", url) == []
    assert len(rsps.calls) == 0  # the credentials went nowhere


def test_a_redirect_to_another_host_is_not_followed(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    url = resource()
    rsps.get(url, status=302, headers={"Location": "https://evil.com/collect"})
    rsps.get("https://evil.com/collect", json={"shipments": [shipment(order)]})
    assert post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"},
                query={"connection": connection, "token": "hook-token-1"}).status == 200
    event = wait_settled("shipstation", url)
    assert event.status == "Failed" and "UnsafeResourceURL" in event.error
    assert [c.request.url for c in rsps.calls] == [url]  # evil.com never saw the key pair
    assert order_values(order, "shipstation_status").shipstation_status in (None, "")


def test_duplicate_notification_is_answered_200_and_fetched_once(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    url = resource()
    rsps.get(url, json={"shipments": [shipment(order)], "pages": 1})
    body = {"resource_url": url, "resource_type": "SHIP_NOTIFY"}
    query = {"connection": connection, "token": "hook-token-1"}
    assert post(PATH, body, query=query).json()["message"]["duplicate"] is False
    wait_settled("shipstation", url)
    again = post(PATH, body, query=query)
    assert again.status == 200 and again.json()["message"]["duplicate"] is True
    assert len(stored("shipstation", url)) == 1 and len(rsps.calls) == 1


def test_notification_for_an_unknown_order_is_unmatched(site, rsps):
    connection = make_connection()
    url = resource()
    rsps.get(url, json={"shipments": [shipment("SO-0000-00404", orderKey="someone-else", orderId=1)], "pages": 1})
    assert post(PATH, {"resource_url": url, "resource_type": "SHIP_NOTIFY"},
                query={"connection": connection, "token": "hook-token-1"}).status == 200
    event = wait_settled("shipstation", url)
    assert event.status == "Unmatched" and event.sales_order is None


# ------------------------------------------------------------------------------- layer 3 (apply)

def apply_notification(connection: str, kind: str, records_key: str, records: list, rsps, pages=None) -> tuple:
    from medgrid.webhooks.common import apply_event

    url = resource(records_key)
    if pages:
        rsps.get(url, json={records_key: records[:1], "page": 1, "pages": 2})
        rsps.get(url + "&page=2", json={records_key: records[1:], "page": 2, "pages": 2},
                 match=[responses.matchers.query_param_matcher({**dict(
                     p.split("=") for p in url.split("?", 1)[1].split("&")), "page": "2"})])
    else:
        rsps.get(url, json={records_key: records, "pages": 1})
    name = store_event("shipstation", {"resource_url": url, "resource_type": kind}, event_type=kind,
                       context={"connection": connection})
    return name, apply_event(name)


def test_order_notify_sets_awaiting_shipment(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    _name, status = apply_notification(connection, "ORDER_NOTIFY", "orders", [
        {"orderId": 4242, "orderKey": f"{order}-shipstation", "orderNumber": "their own label",
         "orderStatus": "awaiting_shipment"}], rsps)
    assert status == "Processed"
    values = order_values(order, "shipstation_status", "shipstation_order_id")
    assert values == {"shipstation_status": "Awaiting Shipment", "shipstation_order_id": "4242"}


def test_a_late_order_notify_does_not_undo_a_shipment(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order)], rsps)
    # the ORDER_NOTIFY re-reads the order, which ShipStation now reports as shipped
    apply_notification(connection, "ITEM_ORDER_NOTIFY", "orders", [
        {"orderId": shipment(order)["orderId"], "orderNumber": order, "orderStatus": "shipped"}], rsps)
    values = order_values(order, "shipstation_status", "shipstation_tracking_number")
    assert values == {"shipstation_status": "Shipped", "shipstation_tracking_number": "1Z999AA10123456784"}


def test_a_voided_shipment_withdraws_its_tracking(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order)], rsps)
    _name, status = apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order, voided=True)], rsps)
    assert status == "Processed"
    values = order_values(order, "shipstation_status", "shipstation_tracking_number", "shipstation_carrier",
                          "shipstation_tracking_url")
    assert values == {"shipstation_status": "Awaiting Shipment", "shipstation_tracking_number": None,
                      "shipstation_carrier": None, "shipstation_tracking_url": None}


def test_a_voided_label_does_not_remove_a_newer_live_one(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order, number="NEW-1", carrier="fedex")], rsps)
    apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order, number="OLD-1", voided=True)], rsps)
    values = order_values(order, "shipstation_status", "shipstation_tracking_number", "shipstation_tracking_url")
    assert values == {"shipstation_status": "Shipped", "shipstation_tracking_number": "NEW-1",
                      "shipstation_tracking_url": "https://www.fedex.com/fedextrack/?trknbr=NEW-1"}


def test_fulfillment_shipped_sets_shipped_with_tracking(site, rsps):
    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    _name, status = apply_notification(connection, "FULFILLMENT_SHIPPED", "fulfillments", [
        {"fulfillmentId": 5, "orderNumber": order, "trackingNumber": "9400111", "carrierCode": "usps",
         "voided": False}], rsps)
    assert status == "Processed"
    values = order_values(order, "shipstation_status", "shipstation_tracking_number", "shipstation_tracking_url")
    assert values == {"shipstation_status": "Shipped", "shipstation_tracking_number": "9400111",
                      "shipstation_tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111"}


def test_every_page_of_the_resource_is_read(site, rsps):
    first, second = make_order(items=("ITEM-002",)), make_order(items=("ITEM-002",))
    connection = make_connection()
    name, status = apply_notification(connection, "SHIP_NOTIFY", "shipments",
                                      [shipment(first, number="A-1"), shipment(second, number="B-2")], rsps, pages=2)
    assert status == "Processed" and len(rsps.calls) == 2
    assert order_values(first, "shipstation_tracking_number").shipstation_tracking_number == "A-1"
    assert order_values(second, "shipstation_tracking_number").shipstation_tracking_number == "B-2"


def test_a_vendor_owned_account_updates_its_dispatch_not_the_managed_fields(site, rsps):
    profile = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": f"Vendor {uuid.uuid4().hex[:8]}"}).insert(
        ignore_permissions=True).name
    order = make_order(items=("ITEM-002",))
    connection = make_connection(vendor_profile=profile)
    route = f"shipstation:{profile}"
    dispatch = frappe.get_doc({"doctype": "Fulfillment Dispatch", "sales_order": order, "vendor": "shipstation",
                               "route_key": route, "status": "Sent", "connection_doctype": "ShipStation Connection",
                               "connection_name": connection}).insert(ignore_permissions=True).name
    frappe.db.commit()
    _name, status = apply_notification(connection, "SHIP_NOTIFY", "shipments", [shipment(order)], rsps)
    assert status == "Processed"
    row = frappe.db.get_value("Fulfillment Dispatch", dispatch, ["vendor_status", "tracking_number", "carrier",
                                                                 "tracking_url"], as_dict=True)
    assert row == {"vendor_status": "Shipped", "tracking_number": "1Z999AA10123456784", "carrier": "ups",
                   "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"}
    assert order_values(order, "shipstation_status").shipstation_status in (None, "")


def test_reconciliation_polls_shipments_since_the_last_sync(site, rsps):
    from medgrid.webhooks.reconcile import poll_shipstation_connection

    order = make_order(items=("ITEM-002",))
    connection = make_connection()
    rsps.get(f"{API}/shipments", json={"shipments": [shipment(order, number="POLL-1")], "page": 1, "pages": 1})
    assert poll_shipstation_connection(connection) == [order]
    frappe.db.commit()
    params = rsps.calls[0].request.params
    assert params["createDateStart"] and params["page"] == "1"
    assert rsps.calls[0].request.headers["Authorization"] == BASIC
    assert order_values(order, "shipstation_tracking_number").shipstation_tracking_number == "POLL-1"
    assert frappe.db.get_value("ShipStation Connection", connection, "last_sync")

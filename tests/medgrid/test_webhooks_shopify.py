"""Shopify webhooks (Exoceuticals and vendor stores): shop + HMAC, topics, matching, stale versions, polling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import frappe
import pytest
import responses

from tests.medgrid.webhook_helpers import (
    configure_single,
    make_order,
    order_values,
    post,
    store_event,
    stored,
    wait_settled,
)

PATH = "/api/method/medgrid.exoceuticals.webhook"
EXO_SHOP = "exo-test.myshopify.com"
WEBHOOK_SECRET, CLIENT_SECRET, APP_SECRET = "exo-webhook-secret", "exo-client-secret", "medgrid-app-secret"


def shopify_order(order: str | None, *, gid_number: int | None = None, updated_at="2026-06-02T10:00:00-04:00",
                  fulfillment_status=None, cancelled_at=None, fulfillments=None, tags=None, attributes=None) -> dict:
    number = gid_number or int(uuid.uuid4().int % 10**12)
    return {"id": number, "admin_graphql_api_id": f"gid://shopify/Order/{number}", "name": f"#{number % 10000}",
            "updated_at": updated_at, "cancelled_at": cancelled_at, "fulfillment_status": fulfillment_status,
            "tags": tags if tags is not None else (f"{order}, medgrid" if order else "walk-in"),
            "note_attributes": attributes or [],
            "fulfillments": fulfillments if fulfillments is not None else []}


def shopify_hmac(raw: bytes, secret: str) -> str:
    """The contract's signature, computed here independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def fulfillment(number="1Z999AA10123456784", company="UPS", status="success", url=None) -> dict:
    return {"id": 1, "status": status, "tracking_company": company, "tracking_number": number,
            "tracking_numbers": [number], "tracking_url": url, "tracking_urls": [url] if url else []}


def deliver(body: dict, *, topic="orders/updated", shop=EXO_SHOP, secret=WEBHOOK_SECRET, event_id=None,
            raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(body).encode()
    event_id = event_id or str(uuid.uuid4())
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Event-Id": event_id,
               "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2026-04",
               "X-Shopify-Hmac-Sha256": shopify_hmac(raw, secret)}
    return post(PATH, raw, headers), event_id


@pytest.fixture()
def exo(site):
    configure_single("Exoceuticals Settings", shop_domain=EXO_SHOP, webhook_secret=WEBHOOK_SECRET,
                     client_secret=CLIENT_SECRET, access_token="shpat-test", api_version="2026-04")
    return site


# ------------------------------------------------------------------------------ layer 1 (pure)

def test_hmac_over_the_raw_body_with_any_configured_secret():
    from medgrid.webhooks.common import WebhookRejected
    from medgrid.webhooks.shopify import verify_hmac

    raw = b'{"id": 1}'
    good = base64.b64encode(hmac.new(b"s2", raw, hashlib.sha256).digest()).decode()
    verify_hmac(raw, good, ["s1", "s2"])
    for body, signature, secrets, reason in ((raw + b" ", good, ["s2"], "mismatch"), (raw, good, ["s1"], "mismatch"),
                                             (raw, None, ["s2"], "missing"), (raw, good, [None, ""], "no Shopify")):
        with pytest.raises(WebhookRejected, match=reason):
            verify_hmac(body, signature, secrets)


def test_shop_domains_are_normalised():
    from medgrid.webhooks.shopify import normalize_shop

    assert normalize_shop(" Exo-Test.MyShopify.com ") == "exo-test.myshopify.com"
    assert normalize_shop("https://exo-test.myshopify.com/") == "exo-test.myshopify.com"
    assert normalize_shop("evil.com/x") is None and normalize_shop("") is None and normalize_shop(None) is None


# ---------------------------------------------------------------------------- layer 2 (HTTP)

def test_fulfilled_order_is_stored_and_applied(exo):
    order = make_order(items=("ITEM-005",))
    body = shopify_order(order, fulfillment_status="fulfilled", fulfillments=[fulfillment()])
    reply, event_id = deliver(body, topic="orders/fulfilled")
    assert reply.status == 200 and reply.json() == {"message": {"ok": True, "duplicate": False}}
    event = wait_settled("exoceuticals", event_id)
    assert (event.vendor, event.event_type, event.status, event.sales_order) == (
        "exoceuticals", "orders/fulfilled", "Processed", order)
    assert event.dedupe_source == f"X-Shopify-Event-Id: {event_id}"
    assert str(event.occurred_at) == str(frappe.utils.convert_utc_to_system_timezone(
        frappe.utils.get_datetime("2026-06-02 14:00:00")).replace(tzinfo=None))
    assert json.loads(event.headers)["headers"]["X-Shopify-Hmac-Sha256"] == "***"
    values = order_values(order, "exoceuticals_status", "exoceuticals_order_id", "exoceuticals_order_name",
                          "exoceuticals_tracking_number", "exoceuticals_carrier", "exoceuticals_tracking_url",
                          "exoceuticals_sync_date")
    assert values.exoceuticals_status == "Fulfilled"
    assert values.exoceuticals_order_id == body["admin_graphql_api_id"]
    assert values.exoceuticals_order_name == body["name"]
    assert (values.exoceuticals_tracking_number, values.exoceuticals_carrier) == ("1Z999AA10123456784", "UPS")
    assert values.exoceuticals_tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert values.exoceuticals_sync_date


def test_the_client_secret_signs_too(exo):
    order = make_order(items=("ITEM-005",))
    reply, event_id = deliver(shopify_order(order), secret=CLIENT_SECRET)
    assert reply.status == 200
    assert wait_settled("exoceuticals", event_id).status == "Processed"
    assert order_values(order, "exoceuticals_status").exoceuticals_status == "Open"


def signed_headers(raw: bytes, *, topic="orders/updated", shop=EXO_SHOP, secret=WEBHOOK_SECRET) -> dict:
    return {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": shopify_hmac(raw, secret)}


@pytest.mark.parametrize("change", ["tampered", "wrong secret", "no signature", "unknown shop", "no shop"])
def test_failed_verification_is_refused_and_nothing_stored(exo, change):
    order = make_order(items=("ITEM-005",))
    raw = json.dumps(shopify_order(order, cancelled_at="2026-06-02T10:00:00Z")).encode()
    headers = signed_headers(raw, topic="orders/cancelled")
    if change == "tampered":
        raw = raw.replace(b'"cancelled_at": "2026', b'"cancelled_at": "2027')
    elif change == "wrong secret":
        headers = signed_headers(raw, topic="orders/cancelled", secret="guess")
    elif change == "no signature":
        del headers["X-Shopify-Hmac-Sha256"]
    elif change == "unknown shop":
        headers["X-Shopify-Shop-Domain"] = "someone-else.myshopify.com"
    else:
        del headers["X-Shopify-Shop-Domain"]
    reply = post(PATH, raw, headers)
    assert reply.status == 401 and reply.json()["exc_type"] == "WebhookVerificationError"
    event_id = headers["X-Shopify-Event-Id"]
    assert stored("exoceuticals", event_id) == [] and stored("shopify", event_id) == []
    assert order_values(order, "exoceuticals_status").exoceuticals_status in (None, "")


def test_without_a_secret_the_shop_is_refused(exo):
    configure_single("Exoceuticals Settings", webhook_secret=None, client_secret=None)
    reply, event_id = deliver(shopify_order(make_order(items=("ITEM-005",))))
    assert reply.status == 401 and stored("exoceuticals", event_id) == []


def test_duplicate_event_is_answered_200_and_applied_once(exo):
    order = make_order(items=("ITEM-005",))
    body = shopify_order(order)
    first, event_id = deliver(body)
    again, _ = deliver(body, event_id=event_id)
    assert first.json()["message"]["duplicate"] is False
    assert again.status == 200 and again.json()["message"]["duplicate"] is True
    event = wait_settled("exoceuticals", event_id)
    assert len(stored("exoceuticals", event_id)) == 1 and event.attempts == 1


def test_cancelled_order_is_cancelled(exo):
    order = make_order(items=("ITEM-005",))
    reply, event_id = deliver(shopify_order(order, cancelled_at="2026-06-02T11:00:00Z"), topic="orders/cancelled")
    assert reply.status == 200 and wait_settled("exoceuticals", event_id).status == "Processed"
    assert order_values(order, "exoceuticals_status").exoceuticals_status == "Cancelled"


def test_other_topics_are_stored_as_ignored_and_not_applied(exo):
    order = make_order(items=("ITEM-005",))
    reply, event_id = deliver(shopify_order(order), topic="products/update")
    assert reply.status == 200
    rows = stored("exoceuticals", event_id)
    assert len(rows) == 1 and rows[0].status == "Ignored" and rows[0].attempts == 0
    assert order_values(order, "exoceuticals_status").exoceuticals_status in (None, "")


def test_an_older_version_of_the_order_is_ignored(exo):
    order = make_order(items=("ITEM-005",))
    gid = int(uuid.uuid4().int % 10**12)
    newer = shopify_order(order, gid_number=gid, updated_at="2026-06-03T10:00:00Z", fulfillment_status="fulfilled",
                          fulfillments=[fulfillment()])
    older = shopify_order(order, gid_number=gid, updated_at="2026-06-02T10:00:00Z")
    reply, newer_id = deliver(newer, topic="orders/fulfilled")
    assert wait_settled("exoceuticals", newer_id).status == "Processed"
    reply, older_id = deliver(older)  # a retry carrying the order before it shipped
    event = wait_settled("exoceuticals", older_id)
    assert event.status == "Ignored" and event.sales_order == order
    values = order_values(order, "exoceuticals_status", "exoceuticals_tracking_number")
    assert values == {"exoceuticals_status": "Fulfilled", "exoceuticals_tracking_number": "1Z999AA10123456784"}


def test_unknown_order_is_unmatched(exo):
    reply, event_id = deliver(shopify_order(None))
    assert reply.status == 200
    event = wait_settled("exoceuticals", event_id)
    assert event.status == "Unmatched" and event.sales_order is None


def test_vendor_store_webhook_updates_the_store_dispatch(site):
    configure_single("MedGrid System Settings", medgrid_shopify_api_secret=APP_SECRET)
    shop = f"store-{uuid.uuid4().hex[:8]}.myshopify.com"
    profile = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": f"Store {shop}"}).insert(
        ignore_permissions=True).name
    frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop, "status": "Connected",
                    "vendor_profile": profile}).insert(ignore_permissions=True)
    order = make_order(items=("ITEM-005",))
    body = shopify_order(None, fulfillment_status="fulfilled", fulfillments=[fulfillment("FX-1", "FedEx")])
    dispatch = frappe.get_doc({"doctype": "Fulfillment Dispatch", "sales_order": order, "vendor": "shopify",
                               "route_key": f"shopify:{profile}", "status": "Sent", "vendor_order_id":
                               body["admin_graphql_api_id"], "connection_doctype": "Shopify Connection",
                               "connection_name": shop}).insert(ignore_permissions=True).name
    frappe.db.commit()
    reply, event_id = deliver(body, topic="orders/fulfilled", shop=shop, secret=WEBHOOK_SECRET)
    assert reply.status == 401  # a vendor store is signed with MedGrid's app secret, not Exoceuticals'
    reply, event_id = deliver(body, topic="orders/fulfilled", shop=shop, secret=APP_SECRET)
    assert reply.status == 200
    event = wait_settled("shopify", event_id)
    assert (event.vendor, event.status, event.sales_order) == ("shopify", "Processed", order)
    row = frappe.db.get_value("Fulfillment Dispatch", dispatch, ["vendor_status", "tracking_number", "carrier",
                                                                 "tracking_url"], as_dict=True)
    assert row == {"vendor_status": "Fulfilled", "tracking_number": "FX-1", "carrier": "FedEx",
                   "tracking_url": "https://www.fedex.com/fedextrack/?trknbr=FX-1"}
    assert order_values(order, "exoceuticals_status").exoceuticals_status in (None, "")


# ------------------------------------------------------------------------------- layer 3 (apply)

def test_matched_by_note_attribute_and_by_stored_order_id(site):
    from medgrid.webhooks.common import apply_event

    order = make_order(items=("ITEM-005",))
    body = shopify_order(None, tags="", attributes=[{"name": "medgrid_sales_order", "value": order}])
    name = store_event("exoceuticals", body, event_type="orders/updated", context={"topic": "orders/updated"})
    assert apply_event(name) == "Processed"
    assert frappe.db.get_value("MedGrid Webhook Event", name, "sales_order") == order
    # later events carry neither: the GID stored on the order finds it
    later = shopify_order(None, gid_number=body["id"], tags="", cancelled_at="2026-06-05T00:00:00Z",
                          updated_at="2026-06-05T00:00:00Z")
    name = store_event("exoceuticals", later, event_type="orders/cancelled", context={"topic": "orders/cancelled"})
    assert apply_event(name) == "Processed"
    assert order_values(order, "exoceuticals_status").exoceuticals_status == "Cancelled"


def test_a_cancelled_fulfillment_withdraws_the_tracking(site):
    from medgrid.webhooks.common import apply_event

    order = make_order(items=("ITEM-005",))
    gid = int(uuid.uuid4().int % 10**12)
    apply_event(store_event("exoceuticals", shopify_order(order, gid_number=gid, fulfillments=[fulfillment()],
                                                          updated_at="2026-06-02T10:00:00Z"),
                            context={"topic": "orders/updated"}))
    apply_event(store_event("exoceuticals", shopify_order(order, gid_number=gid, updated_at="2026-06-02T11:00:00Z",
                                                          fulfillments=[fulfillment(status="cancelled")]),
                            context={"topic": "orders/updated"}))
    values = order_values(order, "exoceuticals_status", "exoceuticals_tracking_number", "exoceuticals_tracking_url")
    assert values == {"exoceuticals_status": "Open", "exoceuticals_tracking_number": None,
                      "exoceuticals_tracking_url": None}


def test_reconciliation_polls_exoceuticals_orders_updated_since_the_last_sync(exo):
    from medgrid.webhooks.reconcile import poll_exoceuticals

    order = make_order(items=("ITEM-005",))
    node = {"id": "gid://shopify/Order/555001", "name": "#5001", "tags": [order, "medgrid"],
            "updatedAt": "2026-06-04T09:00:00Z", "cancelledAt": None, "displayFulfillmentStatus": "FULFILLED",
            "customAttributes": [],
            "fulfillments": [{"status": "SUCCESS", "createdAt": "2026-06-04T08:00:00Z",
                              "trackingInfo": [{"company": "USPS", "number": "9400", "url": None}]}]}
    with responses.RequestsMock() as rsps:
        rsps.post(f"https://{EXO_SHOP}/admin/api/2026-04/graphql.json", json={"data": {"orders": {
            "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [node]}}})
        assert poll_exoceuticals() == [order]
        request = rsps.calls[0].request
    frappe.db.commit()
    assert json.loads(request.body)["variables"]["query"].startswith("updated_at:>'")
    assert request.headers["X-Shopify-Access-Token"] == "shpat-test"
    values = order_values(order, "exoceuticals_status", "exoceuticals_order_id", "exoceuticals_tracking_url")
    assert values == {"exoceuticals_status": "Fulfilled", "exoceuticals_order_id": "gid://shopify/Order/555001",
                      "exoceuticals_tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"}
    assert frappe.db.get_single_value("Exoceuticals Settings", "last_order_sync")

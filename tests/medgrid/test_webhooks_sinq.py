"""SINQ webhooks: key header + optional signature, formats A and B, all six statuses, dedupe."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import frappe
import pytest

from tests.medgrid.webhook_helpers import (
    configure_single,
    make_order,
    order_values,
    post,
    post_many,
    store_event,
    stored,
    wait_settled,
)

PATH = "/api/method/medgrid.sinq.webhook"
KEY = "sinq-webhook-key-for-tests"
SECRET = "sinq-webhook-secret-for-tests"
TRACKING = {"trackingNumber": "1Z999AA10123456784", "trackingUrl": "https://sinq.example/t/1Z999", "shipBy": "UPS"}


def format_a(order: str, status: str, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "reference": order, "status": status, **extra}


def format_b(order: str, status: str, **data) -> dict:
    return {"id": str(uuid.uuid4()), "type": f"order.{status}", "data": {"reference": order, **data}}


def signed(body: dict, secret: str = SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"key": KEY, "X-Webhook-Signature": signature}


@pytest.fixture()
def sinq(site):
    configure_single("SINQ Settings", sinq_webhook_key=KEY, sinq_webhook_secret=None)
    yield site
    configure_single("SINQ Settings", sinq_webhook_secret=None)


# ------------------------------------------------------------------------------ layer 1 (pure)

def test_key_and_optional_signature_decide_alone():
    from medgrid.webhooks.common import WebhookRejected
    from medgrid.webhooks.sinq import verify_request

    raw, headers = signed({"reference": "SO-1", "status": "shipped"})
    verify_request(raw, key=KEY, signature=None, webhook_key=KEY, webhook_secret=None)
    verify_request(raw, key=KEY, signature=headers["X-Webhook-Signature"], webhook_key=KEY, webhook_secret=SECRET)
    cases = [(dict(key="nope"), "wrong key"), (dict(key=None), "key header missing"),
             (dict(webhook_key=None), "no sinq_webhook_key"),
             (dict(webhook_secret=SECRET, signature=None), "X-Webhook-Signature missing"),
             (dict(webhook_secret=SECRET, signature="sha256=" + "0" * 64), "signature mismatch"),
             (dict(webhook_secret="other", signature=headers["X-Webhook-Signature"]), "signature mismatch")]
    for change, reason in cases:
        args = dict(key=KEY, signature=None, webhook_key=KEY, webhook_secret=None) | change
        with pytest.raises(WebhookRejected, match=reason):
            verify_request(raw, **args)


def test_both_formats_read_the_same_update():
    from medgrid.webhooks.sinq import read_update

    a = read_update({"reference": "SO-1", "status": "Shipped", "tracking": TRACKING, "transactionId": "t-1"})
    b = read_update({"type": "order.shipped", "data": {"reference": "SO-1", "tracking": TRACKING,
                                                       "transactionId": "t-1"}})
    assert (a.reference, a.status, a.tracking, a.transaction_id) == ("SO-1", "shipped", TRACKING, "t-1")
    assert (b.reference, b.status, b.tracking, b.transaction_id) == ("SO-1", "shipped", TRACKING, "t-1")


# ---------------------------------------------------------------------------- layer 2 (HTTP)

STATUSES = [("synced", "Synced"), ("pending", "Pending"), ("shipped", "Shipped"), ("completed", "Completed"),
            ("cancelled", "Cancelled"), ("failed", "Failed")]


@pytest.mark.parametrize("shape", [format_a, format_b], ids=["format A", "format B"])
@pytest.mark.parametrize("sinq_status, status", STATUSES)
def test_every_status_in_both_formats_is_stored_and_applied(sinq, shape, sinq_status, status):
    order = make_order()
    body = shape(order, sinq_status, tracking=TRACKING, transactionId=f"txn-{order}")
    reply = post(PATH, body, {"key": KEY})
    assert reply.status == 200 and reply.json() == {"message": {"ok": True, "duplicate": False}}
    event = wait_settled("sinq", body["id"])
    assert (event.vendor, event.event_type, event.status, event.sales_order) == (
        "sinq", f"order.{sinq_status}", "Processed", order)
    assert json.loads(event.headers)["headers"]["Key"] == "***"  # the shared key is not stored
    values = order_values(order, "sinq_status", "sinq_reference", "sinq_transaction_id", "sinq_tracking_number",
                          "sinq_carrier", "sinq_tracking_url", "sinq_sync_date")
    assert values.sinq_status == status
    assert (values.sinq_reference, values.sinq_transaction_id) == (order, f"txn-{order}")
    assert (values.sinq_tracking_number, values.sinq_carrier, values.sinq_tracking_url) == (
        "1Z999AA10123456784", "UPS", "https://sinq.example/t/1Z999")
    assert values.sinq_sync_date


def test_wrong_key_is_refused_and_nothing_stored(sinq):
    order = make_order()
    body = format_a(order, "shipped")
    reply = post(PATH, body, {"key": "guess"})
    assert reply.status == 401 and reply.json()["exc_type"] == "WebhookVerificationError"
    assert stored("sinq", body["id"]) == []
    assert order_values(order, "sinq_status").sinq_status in (None, "")


def test_missing_key_header_is_refused(sinq):
    body = format_a(make_order(), "shipped")
    assert post(PATH, body, {}).status == 401
    assert stored("sinq", body["id"]) == []


def test_without_a_configured_key_every_delivery_is_refused(sinq):
    configure_single("SINQ Settings", sinq_webhook_key=None)
    body = format_a(make_order(), "shipped")
    assert post(PATH, body, {"key": KEY}).status == 401
    assert post(PATH, body, {"key": ""}).status == 401
    assert stored("sinq", body["id"]) == []


def test_with_a_secret_the_signature_is_required_and_checked(sinq):
    configure_single("SINQ Settings", sinq_webhook_secret=SECRET)
    order = make_order()
    body = format_b(order, "shipped", tracking=TRACKING)
    raw, headers = signed(body)
    assert post(PATH, raw, {"key": KEY}).status == 401  # signature missing
    assert post(PATH, raw.replace(b"shipped", b"cancelled"), headers).status == 401  # tampered body
    assert stored("sinq", body["id"]) == []
    assert post(PATH, raw, headers).status == 200
    assert wait_settled("sinq", body["id"]).status == "Processed"
    assert order_values(order, "sinq_status").sinq_status == "Shipped"


def test_duplicate_delivery_is_answered_200_and_applied_once(sinq, monkeypatch):
    from medgrid.webhooks import sinq as module

    calls = []
    original = module.apply
    monkeypatch.setattr(module, "apply", lambda event: calls.append(event.name) or original(event))
    order = make_order()
    body = format_a(order, "shipped", tracking=TRACKING)
    first = post(PATH, body, {"key": KEY})
    second = post(PATH, body, {"key": KEY})
    assert first.json()["message"]["duplicate"] is False
    assert second.status == 200 and second.json() == {"message": {"ok": True, "duplicate": True}}
    assert "_server_messages" not in second.json()  # the unique-index message is not shown to SINQ
    event = wait_settled("sinq", body["id"])
    assert len(stored("sinq", body["id"])) == 1
    assert calls == [event.name] and event.attempts == 1


def test_concurrent_duplicates_store_one_event(sinq, monkeypatch):
    from medgrid.webhooks import sinq as module

    calls = []
    original = module.apply
    monkeypatch.setattr(module, "apply", lambda event: calls.append(event.name) or original(event))
    order = make_order()
    body = format_b(order, "completed")
    replies = post_many(PATH, [(body, {"key": KEY})] * 8)
    assert [r.status for r in replies] == [200] * 8, [r.text for r in replies if r.status != 200]
    assert sorted(r.json()["message"]["duplicate"] for r in replies) == [False] + [True] * 7
    event = wait_settled("sinq", body["id"])
    assert len(stored("sinq", body["id"])) == 1 and calls == [event.name]
    assert order_values(order, "sinq_status").sinq_status == "Completed"


def test_without_an_id_the_body_hash_dedupes(sinq):
    order = make_order()
    body = {"reference": order, "status": "pending"}
    raw = json.dumps(body).encode()
    first = post(PATH, raw, {"key": KEY})
    assert first.status == 200 and first.json()["message"]["duplicate"] is False, first.text
    assert post(PATH, raw, {"key": KEY}).json()["message"]["duplicate"] is True
    rows = stored("sinq", hashlib.sha256(raw).hexdigest())
    assert len(rows) == 1 and rows[0].dedupe_source.startswith("sha256(body)")


def test_an_older_update_arriving_late_is_ignored(sinq):
    order = make_order()
    newer = format_a(order, "completed", timestamp="2026-06-03T12:00:00Z")
    older = format_b(order, "shipped", tracking=TRACKING, occurredAt="2026-06-02T12:00:00Z")
    assert post(PATH, newer, {"key": KEY}).status == 200
    assert wait_settled("sinq", newer["id"]).status == "Processed"
    assert post(PATH, older, {"key": KEY}).status == 200
    event = wait_settled("sinq", older["id"])
    assert event.status == "Ignored" and event.sales_order == order
    values = order_values(order, "sinq_status", "sinq_tracking_number")
    assert (values.sinq_status, values.sinq_tracking_number) == ("Completed", None)


def test_unknown_order_is_unmatched(sinq):
    body = format_a("SO-0000-00404", "shipped")
    assert post(PATH, body, {"key": KEY}).status == 200
    event = wait_settled("sinq", body["id"])
    assert event.status == "Unmatched" and event.sales_order is None


def test_a_body_that_is_not_a_json_object_is_a_400(sinq):
    reply = post(PATH, b'["not", "an", "object"]', {"key": KEY})
    assert reply.status == 400 and reply.json()["exc_type"] == "InvalidParameterError"


# ------------------------------------------------------------------------------- layer 3 (apply)

def test_unknown_status_is_ignored(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("sinq", {"reference": order, "status": "teleported"})
    assert apply_event(name) == "Ignored"
    assert order_values(order, "sinq_status").sinq_status in (None, "")


def test_matched_by_transaction_id_and_url_built_when_missing(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    frappe.db.set_value("Sales Order", order, "sinq_transaction_id", f"sinq-txn-{order}")
    frappe.db.commit()
    name = store_event("sinq", {"type": "order.shipped", "data": {"reference": "their-own-ref",
                                                                    "transactionId": f"sinq-txn-{order}",
                                                                    "tracking": {"trackingNumber": "9405",
                                                                                 "shipBy": "USPS"}}})
    assert apply_event(name) == "Processed"
    values = order_values(order, "sinq_status", "sinq_tracking_url", "sinq_carrier")
    assert values == {"sinq_status": "Shipped", "sinq_carrier": "USPS",
                      "sinq_tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9405"}

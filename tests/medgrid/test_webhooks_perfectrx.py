"""PerfectRx webhooks: the pure signature check, the guest endpoint over HTTP, and the apply job."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid

import frappe
import pytest

from tests.medgrid.webhook_helpers import (
    configure_single,
    make_order as make_demo_order,
    order_values,
    post,
    post_many,
    request,
    store_event,
    stored,
    wait_settled,
)

PATH = "/api/method/medgrid.perfectrx.webhook"
SECRET = "prx-client-secret-for-tests"


def make_order(**values) -> str:
    """A submitted order with an Rx line, so it is routed to PerfectRx (events of other orders are Unmatched)."""
    return make_demo_order(items=("ITEM-004",), **values)


def sign(raw: bytes, nonce: str, timestamp: str, secret: str = SECRET) -> str:
    """The contract's signature, computed here independently of the code under test."""
    message = nonce + timestamp + hashlib.sha256(raw).hexdigest()
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def delivery(body: dict, *, nonce: str | None = None, timestamp: int | None = None, secret: str = SECRET):
    """(raw body, headers) of a correctly signed delivery."""
    raw = json.dumps(body).encode()
    nonce = nonce or str(uuid.uuid4())
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return raw, {"X-PerfectRx-Signature": sign(raw, nonce, ts, secret), "X-PerfectRx-Nonce": nonce,
                 "X-PerfectRx-Timestamp": ts}


def shipped(order: str, **extra) -> dict:
    return {"event": "ORDER_SHIPPED", "referenceId": f"PRX-{order}", "externalOrderId": order,
            "occurredAt": "2026-06-02T10:00:00Z",
            "data": {"trackingNumber": "1Z999AA10123456784", "carrier": "UPS"}, **extra}


@pytest.fixture()
def prx(site):
    configure_single("PerfectRx Settings", client_secret=SECRET, webhook_tolerance_seconds=300)
    return site


# ------------------------------------------------------------------------------ layer 1 (pure)

def test_a_correct_signature_is_accepted_and_any_change_is_refused():
    from medgrid.webhooks.common import WebhookRejected
    from medgrid.webhooks.perfectrx import verify_signature

    raw, headers = delivery({"event": "ORDER_RECEIVED"}, nonce="0b6a1f7e-7f0c-4f5e-9d55-8d1c1e2f3a4b",
                            timestamp=1_780_000_000)
    args = dict(signature=headers["X-PerfectRx-Signature"], nonce=headers["X-PerfectRx-Nonce"],
                timestamp=headers["X-PerfectRx-Timestamp"], secret=SECRET, now=1_780_000_010)
    verify_signature(raw, **args)  # no exception
    for change, reason in ((dict(secret="other"), "signature mismatch"),
                           (dict(nonce="0b6a1f7e-7f0c-4f5e-9d55-000000000000"), "signature mismatch"),
                           (dict(timestamp="1780000001"), "signature mismatch"),
                           (dict(now=1_780_000_301), "timestamp outside"),
                           (dict(now=1_779_999_699), "timestamp outside"),
                           (dict(secret=None), "no PerfectRx client_secret"),
                           (dict(signature=None), "header missing")):
        with pytest.raises(WebhookRejected, match=reason):
            verify_signature(raw, **{**args, **change})
    with pytest.raises(WebhookRejected, match="signature mismatch"):
        verify_signature(raw + b" ", **args)


# ---------------------------------------------------------------------------- layer 2 (HTTP)

def test_valid_delivery_is_stored_once_and_applied_to_the_order(prx):
    order = make_order()
    raw, headers = delivery(shipped(order))
    reply = post(PATH, raw, headers)
    assert reply.status == 200, reply.text
    assert reply.json() == {"message": {"ok": True, "duplicate": False}}
    event = wait_settled("perfectrx", headers["X-PerfectRx-Nonce"])
    assert (event.vendor, event.event_type, event.status, event.sales_order, event.attempts) == (
        "perfectrx", "ORDER_SHIPPED", "Processed", order, 1)
    assert event.payload == raw.decode()
    stored_headers = json.loads(event.headers)["headers"]
    assert stored_headers["X-Perfectrx-Signature"] == "***"  # signatures are not kept
    assert stored_headers["X-Perfectrx-Nonce"] == headers["X-PerfectRx-Nonce"]
    values = order_values(order, "perfectrx_status", "perfectrx_reference_id", "perfectrx_tracking_number",
                          "perfectrx_carrier", "perfectrx_tracking_url", "perfectrx_sync_date")
    assert values.perfectrx_status == "Shipped"
    assert values.perfectrx_reference_id == f"PRX-{order}"
    assert (values.perfectrx_tracking_number, values.perfectrx_carrier) == ("1Z999AA10123456784", "UPS")
    # PerfectRx sent no URL: MedGrid builds the carrier's
    assert values.perfectrx_tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert values.perfectrx_sync_date


def test_tampered_body_is_refused_with_401_and_nothing_is_stored(prx, caplog):
    order = make_order()
    raw, headers = delivery(shipped(order))
    tampered = raw.replace(b"1Z999AA10123456784", b"1Z000000000000000")
    with caplog.at_level(logging.WARNING, logger="medgrid.webhooks"):
        reply = post(PATH, tampered, headers)
    assert reply.status == 401
    body = reply.json()
    assert body["exc_type"] == "WebhookVerificationError"
    assert "Webhook verification failed" in body["_server_messages"]
    assert stored("perfectrx", headers["X-PerfectRx-Nonce"]) == []
    assert order_values(order, "perfectrx_status").perfectrx_status in (None, "")
    lines = [r.getMessage() for r in caplog.records if r.name == "medgrid.webhooks"]
    assert lines == [f"webhook rejected: vendor=perfectrx reason=signature mismatch ip={lines[0].rsplit('=', 1)[1]}"]
    assert SECRET not in lines[0] and "1Z000" not in lines[0]


@pytest.mark.parametrize("missing", ["X-PerfectRx-Signature", "X-PerfectRx-Nonce", "X-PerfectRx-Timestamp"])
def test_a_missing_header_is_refused(prx, missing):
    order = make_order()
    raw, headers = delivery(shipped(order))
    nonce = headers["X-PerfectRx-Nonce"]
    del headers[missing]
    assert post(PATH, raw, headers).status == 401
    assert stored("perfectrx", nonce) == []


def test_an_expired_timestamp_is_refused(prx):
    order = make_order()
    raw, headers = delivery(shipped(order), timestamp=int(time.time()) - 301)
    assert post(PATH, raw, headers).status == 401
    assert stored("perfectrx", headers["X-PerfectRx-Nonce"]) == []


def test_the_tolerance_window_comes_from_the_settings(prx):
    configure_single("PerfectRx Settings", webhook_tolerance_seconds=900)
    order = make_order()
    raw, headers = delivery(shipped(order), timestamp=int(time.time()) - 600)
    assert post(PATH, raw, headers).status == 200


def test_a_replayed_nonce_is_refused_and_the_event_applied_once(prx):
    order = make_order()
    raw, headers = delivery(shipped(order))
    assert post(PATH, raw, headers).status == 200
    replay = post(PATH, raw, headers)
    assert replay.status == 401 and replay.json()["exc_type"] == "WebhookVerificationError"
    rows = stored("perfectrx", headers["X-PerfectRx-Nonce"])
    assert len(rows) == 1
    assert wait_settled("perfectrx", headers["X-PerfectRx-Nonce"]).attempts == 1


def test_concurrent_replays_let_exactly_one_delivery_through(prx):
    order = make_order()
    raw, headers = delivery(shipped(order))
    replies = post_many(PATH, [(raw, headers)] * 5)
    assert sorted(r.status for r in replies) == [200, 401, 401, 401, 401]
    event = wait_settled("perfectrx", headers["X-PerfectRx-Nonce"])
    assert len(stored("perfectrx", headers["X-PerfectRx-Nonce"])) == 1 and event.attempts == 1


def test_a_replay_the_cache_forgot_is_still_caught_by_the_dedupe_key(prx):
    from medgrid.webhooks.perfectrx import forget_nonce

    order = make_order()
    raw, headers = delivery(shipped(order))
    assert post(PATH, raw, headers).status == 200
    forget_nonce(headers["X-PerfectRx-Nonce"])  # e.g. Redis restarted inside the window
    again = post(PATH, raw, headers)
    assert again.status == 200 and again.json()["message"]["duplicate"] is True
    assert len(stored("perfectrx", headers["X-PerfectRx-Nonce"])) == 1


def test_without_a_configured_secret_every_delivery_is_refused(prx):
    configure_single("PerfectRx Settings", client_secret=None)
    order = make_order()
    raw, headers = delivery(shipped(order))
    assert post(PATH, raw, headers).status == 401
    raw, headers = delivery(shipped(order), secret="")
    assert post(PATH, raw, headers).status == 401
    assert stored("perfectrx", headers["X-PerfectRx-Nonce"]) == []


def test_only_post_is_allowed(prx):
    reply = request("GET", PATH)
    assert reply.status == 403 and reply.json()["exc_type"] == "PermissionError"


def test_unknown_order_is_stored_as_unmatched(prx, caplog):
    raw, headers = delivery(shipped("SO-0000-99999", referenceId="PRX-nobody"))
    with caplog.at_level(logging.INFO, logger="medgrid.webhooks"):
        assert post(PATH, raw, headers).status == 200
        event = wait_settled("perfectrx", headers["X-PerfectRx-Nonce"])
    assert event.status == "Unmatched" and event.sales_order is None
    assert "No Sales Order" in event.error


def test_an_older_event_arriving_late_is_ignored(prx):
    order = make_order()
    raw, headers = delivery(shipped(order, occurredAt="2026-06-02T10:00:00Z"))
    assert post(PATH, raw, headers).status == 200
    assert wait_settled("perfectrx", headers["X-PerfectRx-Nonce"]).status == "Processed"
    late = {"event": "ORDER_RECEIVED", "externalOrderId": order, "occurredAt": "2026-06-01T09:00:00Z", "data": {}}
    raw, headers = delivery(late)
    assert post(PATH, raw, headers).status == 200
    event = wait_settled("perfectrx", headers["X-PerfectRx-Nonce"])
    assert event.status == "Ignored" and "Stale" in event.error
    assert order_values(order, "perfectrx_status").perfectrx_status == "Shipped"
    newer = {"event": "ORDER_DELIVERED", "externalOrderId": order, "occurredAt": "2026-06-03T09:00:00+02:00",
             "data": {}}
    raw, headers = delivery(newer)
    assert post(PATH, raw, headers).status == 200
    assert wait_settled("perfectrx", headers["X-PerfectRx-Nonce"]).status == "Processed"
    values = order_values(order, "perfectrx_status", "perfectrx_tracking_number")
    assert (values.perfectrx_status, values.perfectrx_tracking_number) == ("Delivered", "1Z999AA10123456784")


# ------------------------------------------------------------------------------- layer 3 (apply)

@pytest.mark.parametrize("kind, status", [("ORDER_RECEIVED", "Received"), ("ORDER_SHIPPED", "Shipped"),
                                          ("ORDER_RESHIPPED", "Shipped"), ("ORDER_DELIVERED", "Delivered"),
                                          ("ORDER_CANCELED", "Cancelled")])
def test_each_order_event_sets_the_guides_status(site, kind, status):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("perfectrx", {"event": kind, "externalOrderId": order, "data": {}}, event_type=kind)
    assert apply_event(name) == "Processed"
    assert order_values(order, "perfectrx_status").perfectrx_status == status


def test_reshipment_replaces_the_tracking_and_keeps_a_sent_url(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    apply_event(store_event("perfectrx", shipped(order)))
    apply_event(store_event("perfectrx", {"event": "ORDER_RESHIPPED", "externalOrderId": order, "data": {
        "trackingNumber": "9400100000000000000000", "carrier": "Acme Freight",
        "trackingUrl": "https://acme.example/t/9400"}}))
    values = order_values(order, "perfectrx_status", "perfectrx_tracking_number", "perfectrx_carrier",
                          "perfectrx_tracking_url")
    assert values == {"perfectrx_status": "Shipped", "perfectrx_tracking_number": "9400100000000000000000",
                      "perfectrx_carrier": "Acme Freight", "perfectrx_tracking_url": "https://acme.example/t/9400"}


def test_events_are_matched_by_reference_id_too(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    frappe.db.set_value("Sales Order", order, "perfectrx_reference_id", "PRX-REF-77")
    frappe.db.commit()
    name = store_event("perfectrx", {"event": "ORDER_DELIVERED", "referenceId": "PRX-REF-77", "data": {}})
    assert apply_event(name) == "Processed"
    assert frappe.db.get_value("MedGrid Webhook Event", name, "sales_order") == order
    assert order_values(order, "perfectrx_status").perfectrx_status == "Delivered"


def test_events_of_the_otc_half_of_a_mixed_order_find_the_order(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("perfectrx", {"event": "ORDER_SHIPPED", "externalOrderId": f"{order}-OTC",
                                     "data": {"trackingNumber": "1Z999", "carrier": "UPS"}})
    assert apply_event(name) == "Processed"
    assert frappe.db.get_value("MedGrid Webhook Event", name, "sales_order") == order


def test_patient_creation_success_records_the_patient_without_a_status(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("perfectrx", {"event": "PATIENT_CREATION_SUCCESS", "externalOrderId": order,
                                     "data": {"patientId": "PAT-1"}})
    assert apply_event(name) == "Processed"
    values = order_values(order, "perfectrx_status", "perfectrx_patient_id", "perfectrx_needs_attention")
    assert not values.perfectrx_status  # no status change
    assert (values.perfectrx_patient_id, values.perfectrx_needs_attention) == ("PAT-1", 0)


def test_patient_creation_failure_flags_the_order_for_manual_follow_up(site, caplog, monkeypatch):
    from frappe.model.document import Document

    from medgrid.webhooks.common import apply_event

    comments = []
    monkeypatch.setattr(Document, "add_comment", lambda self, comment_type="Comment", text=None, **kw:
                        comments.append((self.doctype, self.name, comment_type, text)))
    order = make_order()
    name = store_event("perfectrx", {"event": "PATIENT_CREATION_FAILURE", "externalOrderId": order,
                                     "data": {"reason": "Date of birth missing"}})
    with caplog.at_level(logging.WARNING, logger="medgrid.webhooks"):
        assert apply_event(name) == "Processed"
    values = order_values(order, "perfectrx_status", "perfectrx_needs_attention")
    assert not values.perfectrx_status and values.perfectrx_needs_attention == 1
    # a comment on the order's timeline for whoever follows up
    assert len(comments) == 1 and comments[0][:3] == ("Sales Order", order, "Comment")
    assert "manual follow-up" in comments[0][3] and "Date of birth missing" in comments[0][3]
    ours = [r.getMessage() for r in caplog.records if r.name == "medgrid.webhooks"]
    assert any("patient creation failed" in m and order in m for m in ours)
    assert not any("Date of birth" in m for m in ours)  # the reason stays off the log


def test_unknown_event_type_is_ignored(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("perfectrx", {"event": "ORDER_TELEPORTED", "externalOrderId": order})
    assert apply_event(name) == "Ignored"
    assert order_values(order, "perfectrx_status").perfectrx_status in (None, "")


def test_a_settled_event_is_not_applied_again(site):
    from medgrid.webhooks.common import apply_event

    order = make_order()
    name = store_event("perfectrx", shipped(order))
    assert apply_event(name) == "Processed"
    frappe.db.set_value("Sales Order", order, "perfectrx_status", "Delivered")
    frappe.db.commit()
    assert apply_event(name) == "Processed"  # a second job for the same event changes nothing
    assert order_values(order, "perfectrx_status").perfectrx_status == "Delivered"
    assert frappe.db.get_value("MedGrid Webhook Event", name, "attempts") == 1

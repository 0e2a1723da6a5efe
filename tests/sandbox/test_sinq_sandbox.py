"""SINQ sandbox: key header, 201-then-200 idempotency, webhooks in format A and B with signatures."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from sandbox.sinq import SinqSandbox
from tests.sandbox.helpers import advance

ORDER = {"reference": "SO-2026-00123", "lineItems": [{"serviceSKU": "SINQ-ITEM-001", "quantity": 1}],
         "shippingAddress": {"firstName": "Jane", "address1": "123 Main St", "city": "Austin", "provinceCode": "TX",
                             "zip": "78701", "countryCode": "US"}}


def signature_ok(headers: dict, raw: bytes, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-webhook-signature", ""))


@pytest.fixture()
def sinq(start_sandbox):
    return start_sandbox(SinqSandbox, api_key="api-k", webhook_key="hook-k", webhook_secret="hook-s")


def test_key_header_is_required(http, sinq):
    url = f"{sinq.base_url}/api/receivers/orders/inbound"
    assert http.post(url, json=ORDER).status_code == 401
    assert http.post(url, json=ORDER, headers={"key": "wrong"}).status_code == 401
    assert http.post(url, json=ORDER, headers={"key": "api-k"}).status_code == 201


def test_repeat_reference_answers_200_with_the_same_transaction(http, sinq):
    url = f"{sinq.base_url}/api/receivers/orders/inbound"
    first = http.post(url, json=ORDER, headers={"key": "api-k"})
    again = http.post(url, json=ORDER, headers={"key": "api-k"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["reference"] == "SO-2026-00123"
    assert first.json()["transactionId"] == again.json()["transactionId"]
    assert len(sinq.orders) == 1 and len(sinq.timeline.pending()) == 1


def test_invalid_orders_are_refused_with_400(http, sinq):
    url = f"{sinq.base_url}/api/receivers/orders/inbound"
    resp = http.post(url, json={**ORDER, "lineItems": []}, headers={"key": "api-k"})
    assert resp.status_code == 400 and "lineItems" in resp.json()["errors"][0]
    resp = http.post(url, json={**ORDER, "shippingAddress": {"address1": "x"}}, headers={"key": "api-k"})
    assert resp.status_code == 400


def test_format_a_webhooks_carry_key_and_signature(http, sinq, receiver):
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    advance(http, sinq)
    got = receiver.wait_for(4)
    bodies = [json.loads(r["raw"]) for r in got]
    assert [b["status"] for b in bodies] == ["synced", "pending", "shipped", "completed"]
    for r in got:
        assert r["path"] == "/api/method/medgrid.sinq.webhook"
        assert r["headers"]["key"] == "hook-k"
        assert signature_ok(r["headers"], r["raw"], "hook-s")
    assert all(b["reference"] == "SO-2026-00123" and b["id"] for b in bodies)
    assert len({b["id"] for b in bodies}) == 4
    assert "tracking" not in bodies[0]
    tracking = bodies[2]["tracking"]
    assert tracking["trackingNumber"] and tracking["shipBy"] == "UPS" and tracking["trackingUrl"]


def test_format_b_nests_the_payload(http, start_sandbox, receiver):
    sinq = start_sandbox(SinqSandbox, api_key="api-k", webhook_key="hook-k", webhook_secret="hook-s",
                         webhook_format="B")
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    advance(http, sinq)
    bodies = [json.loads(r["raw"]) for r in receiver.wait_for(4)]
    assert [b["type"] for b in bodies] == ["order.synced", "order.pending", "order.shipped", "order.completed"]
    assert bodies[2]["data"]["reference"] == "SO-2026-00123" and bodies[2]["data"]["tracking"]["trackingNumber"]


def test_alternate_format_mixes_a_and_b(http, start_sandbox, receiver):
    sinq = start_sandbox(SinqSandbox, api_key="api-k", webhook_format="alternate")
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    advance(http, sinq)
    bodies = [json.loads(r["raw"]) for r in receiver.wait_for(4)]
    assert ["type" in b for b in bodies] == [False, True, False, True]


def test_without_a_secret_no_signature_header_is_sent(http, start_sandbox, receiver):
    sinq = start_sandbox(SinqSandbox, api_key="api-k", webhook_secret=None, include_event_id=False)
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    advance(http, sinq, steps=1)
    hook = receiver.wait_for(1)[0]
    assert "x-webhook-signature" not in hook["headers"]
    assert "id" not in json.loads(hook["raw"])


def test_duplicate_fault_delivers_the_same_event_twice(http, sinq, receiver):
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "duplicate", "count": 1})
    advance(http, sinq, steps=1)
    got = receiver.wait_for(2)
    assert len(got) == 2 and got[0]["raw"] == got[1]["raw"]


def test_cancel_action_sends_cancelled_and_stops(http, sinq, receiver):
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers={"key": "api-k"})
    http.post(f"{sinq.base_url}/__sandbox/action", json={"action": "cancel", "order": "SO-2026-00123"})
    advance(http, sinq)
    assert [json.loads(r["raw"])["status"] for r in receiver.wait_for(1)] == ["cancelled"]

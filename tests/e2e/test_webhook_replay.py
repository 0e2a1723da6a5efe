"""(d) Duplicate, replayed, badly signed and forged webhooks against the running MedGrid.

A vendor's signed delivery replayed byte for byte is answered 200 and applied once (SINQ, Shopify,
ShipStation: their dedupe keys are the event id / ``X-Shopify-Event-Id`` / ``resource_url``); a
PerfectRx nonce seen before is refused (contracts: "refuse a nonce already seen"). A delivery whose
body was changed after signing, a wrong key or token, or a signature made with the wrong secret is
answered 401 and changes nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.stack import wait_until

pytestmark = pytest.mark.e2e

SYNC_FIELDS = ("perfectrx_status", "perfectrx_tracking_number", "perfectrx_sync_date", "sinq_status",
               "sinq_tracking_number", "sinq_sync_date", "exoceuticals_status", "exoceuticals_tracking_number",
               "exoceuticals_sync_date", "shipstation_status", "shipstation_tracking_number", "shipstation_sync_date")


def _order_fields(stack, so: str) -> dict:
    doc = stack.get_doc("Sales Order", so)
    return {f: doc.get(f) for f in SYNC_FIELDS}


def _all_events(stack) -> list[dict]:
    return stack.webhook_events()


def _deliveries(stack, vendor: str, keys) -> list[dict]:
    return [d for d in stack.sandbox(vendor).deliveries() if d.get("order") in keys]


def _post_raw(stack, delivery: dict, body: bytes | None = None, headers: dict | None = None, url: str | None = None):
    sent_headers = dict(delivery["headers"])
    sent_headers.update(headers or {})
    sent_headers = {k: v for k, v in sent_headers.items() if v is not None}
    data = delivery["raw"].encode() if body is None else body
    return stack.http.post(url or delivery["url"], data=data, headers=sent_headers, timeout=15)


def test_duplicate_forged_and_badly_signed_webhooks(e2e):
    stack = e2e
    prx, sinq, shop, ss = (stack.sandbox(v) for v in ("perfectrx", "sinq", "shopify", "shipstation"))
    # the last event of two vendors is signed with a wrong secret by the vendor itself
    prx.faults({"mode": "bad_signature", "event": "^ORDER_DELIVERED$", "count": 1})
    sinq.faults({"mode": "bad_signature", "event": "completed", "count": 1})

    so = stack.place_order()
    stack.wait_dispatches(so, count=5, timeout=40)
    rx_ref = [o for o in prx.orders() if o["externalOrderId"] == so][0]["referenceId"]
    exo_gid = [o for o in shop.orders() if so in o["tags"]][0]["id"]
    ss_key = f"{so}-shipstation"
    keys = {so, rx_ref, exo_gid, ss_key}

    def timelines_done():
        events = {d["event"] for v in ("perfectrx", "sinq", "shopify", "shipstation") for d in _deliveries(stack, v, keys)}
        wanted = {"ORDER_DELIVERED", "order.completed", "orders/fulfilled", "SHIP_NOTIFY"}
        if not wanted <= events:
            return None
        rows = {r["vendor"]: r for r in stack.shipments(so)}
        return rows if all(rows[v]["tracking_number"] for v in ("perfectrx", "sinq", "exoceuticals",
                                                                 "shipstation")) else None

    wait_until(timelines_done, timeout=40, interval=0.5, what="the vendors' webhook timelines")
    wait_until(lambda: all(e["status"] != "Received" for e in _all_events(stack)), timeout=20,
               what="every stored event applied")

    # --- the vendors' own badly signed deliveries were refused and changed nothing
    bad = [d for d in _deliveries(stack, "perfectrx", keys) + _deliveries(stack, "sinq", keys)
           if d["fault"] == "bad_signature"]
    assert sorted(d["event"] for d in bad) == ["ORDER_DELIVERED", "order.completed"]
    assert all(d["status"] == 401 for d in bad), [(d["event"], d["status"], d["answer"]) for d in bad]
    fields = _order_fields(stack, so)
    assert fields["perfectrx_status"] == "Shipped"  # never Delivered: that event was not believed
    assert fields["sinq_status"] == "Shipped"       # never Completed
    good = {v: [d for d in _deliveries(stack, v, keys) if d["status"] == 200 and not d["fault"]]
            for v in ("perfectrx", "sinq", "shopify", "shipstation")}
    assert all(good.values()), good

    events_before = _all_events(stack)
    names_before = sorted(e["name"] for e in events_before)

    # --- replays, byte for byte: 200 and nothing applied again (PerfectRx: a seen nonce is refused)
    for vendor in ("sinq", "shopify", "shipstation"):
        for delivery in good[vendor]:
            again = stack.sandbox(vendor).redeliver(delivery["id"])
            assert again["status"] == 200, (vendor, delivery["event"], again["status"], again["answer"])
            assert json.loads(again["answer"])["message"]["duplicate"] is True, again["answer"]
    for delivery in good["perfectrx"]:
        again = prx.redeliver(delivery["id"])
        assert again["status"] == 401, (delivery["event"], again["status"], again["answer"])

    # --- forged: the body changed after signing, wrong secrets, keys and tokens
    def tampered(delivery) -> bytes:
        raw = delivery["raw"]
        forged = raw.replace('"shipped"', '"cancelled"').replace("ORDER_SHIPPED", "ORDER_CANCELED")
        forged = forged.replace('"FULFILLED"', '"UNFULFILLED"')
        return (forged if forged != raw else raw.replace("}", ', "forged": true}', 1)).encode()

    attempts = []
    for vendor in ("perfectrx", "sinq", "shopify"):
        for delivery in good[vendor]:
            attempts.append((vendor, "body changed after signing", _post_raw(stack, delivery, body=tampered(delivery))))
    sinq_one, shop_one, prx_one, ss_one = good["sinq"][0], good["shopify"][0], good["perfectrx"][0], good["shipstation"][0]
    attempts += [
        ("sinq", "wrong key header", _post_raw(stack, sinq_one, headers={"key": "not-the-webhook-key"})),
        ("sinq", "no signature", _post_raw(stack, sinq_one, headers={"X-Webhook-Signature": None})),
        ("shopify", "hmac of another secret", _post_raw(stack, shop_one, headers={
            "X-Shopify-Hmac-Sha256": "aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSBzaWduYXR1cmU="})),
        ("perfectrx", "new nonce, old signature", _post_raw(stack, prx_one, headers={
            "X-PerfectRx-Nonce": "0f0e0d0c-0b0a-4909-8807-060504030201"})),
        ("shipstation", "wrong token", _post_raw(stack, ss_one, url=ss_one["url"].split("?")[0] + "?token=wrong")),
        ("shipstation", "no token", _post_raw(stack, ss_one, url=ss_one["url"].split("?")[0])),
        ("shipstation", "resource_url on a foreign host", _post_raw(stack, ss_one, body=json.dumps({
            "resource_url": "https://attacker.example/shipments?batchId=1", "resource_type": "SHIP_NOTIFY"}).encode())),
    ]
    for vendor, what, response in attempts:
        assert response.status_code == 401, (vendor, what, response.status_code, response.text[:300])
        assert "exc_type" in response.json()  # Frappe's error shape, no detail on which check failed

    # --- nothing was stored or changed by any of it (other tests' orders may still be reporting: only
    # events about this order, or carrying a forged body, would count)
    new = [e["name"] for e in _all_events(stack) if e["name"] not in names_before]
    if new:
        stored = stack.get_list("MedGrid Webhook Event", {"name": ["in", new]}, fields=("name", "payload"))
        ours = [e for e in stored if any(k in (e["payload"] or "") for k in (*keys, "attacker.example", "forged"))]
        assert not ours, ours
    after = _order_fields(stack, so)
    assert after == fields, {k: (fields[k], after[k]) for k in fields if fields[k] != after[k]}
    for event in [e for e in events_before if e["sales_order"] == so]:
        assert event["status"] in ("Processed", "Ignored"), event

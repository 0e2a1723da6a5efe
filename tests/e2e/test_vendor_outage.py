"""(b) Vendors down for a while, then back; and vendors that took an order but whose answer was lost.

A vendor that is down makes the dispatch wait (Retrying, with the dispatch state shown to the partner);
the sweep re-sends once the vendor is back; each vendor ends up with the order exactly once.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.stack import CR_ORDERS, MAIN_WAREHOUSE, SINQ_ORDERS, SS_CREATE, wait_until

pytestmark = pytest.mark.e2e

def test_vendor_down_then_back_is_resent_by_the_sweep_exactly_once(e2e):
    stack = e2e
    sinq, cr = stack.sandbox("sinq"), stack.sandbox("centre_research")
    # SINQ hangs up on every order (connection reset), Centre Research answers 503 — until cleared
    sinq.faults({"mode": "down", "path": SINQ_ORDERS, "method": "POST"})
    cr.faults({"mode": "5xx", "status": 503, "path": CR_ORDERS, "method": "POST"})

    so = stack.place_order()

    def outage_seen():
        rows = {d["vendor"]: d for d in stack.dispatches(so)}
        if len(rows) == 5 and rows["sinq"]["status"] == rows["centre_research"]["status"] == "Retrying" \
                and all(rows[v]["status"] == "Sent" for v in ("shipstation", "perfectrx", "exoceuticals")):
            return rows
        return None

    rows = wait_until(outage_seen, timeout=60, interval=0.5, what="SINQ and Centre Research dispatches Retrying",
                      diagnose=lambda: stack.dispatches(so))
    for vendor in ("sinq", "centre_research"):
        assert rows[vendor]["attempts"] == 1 and rows[vendor]["last_error"], rows[vendor]
        assert rows[vendor]["next_retry_at"], rows[vendor]
    assert "503" in rows["centre_research"]["last_error"]
    # the partner sees the dispatch state for the vendors that have not answered yet
    shown = {s["vendor"]: s["status"] for s in stack.shipments(so)}
    assert shown["sinq"] == "Retrying" and shown["centre_research"] == "Retrying", shown
    # down means down: neither vendor has the order; each refused MedGrid's try and its 3 in-call retries
    assert not [o for o in sinq.orders() if o["reference"] == so]
    assert not [o for o in cr.orders() if o["partnerOrderId"] == so]
    sinq_attempts = [e for e in sinq.requests_log() if e["path"] == SINQ_ORDERS and (e["body"] or {}).get("reference") == so]
    assert len(sinq_attempts) == 4 and all(e["fault"] == "down" for e in sinq_attempts)

    # the vendors come back; once the backoff has passed, the sweep (the every-minute job) re-sends
    sinq.clear_faults()
    cr.clear_faults()
    latest_retry = max(rows[v]["next_retry_at"] for v in ("sinq", "centre_research"))
    wait_until(lambda: stack.server_time_passed(latest_retry), timeout=15, interval=0.3, what="the retry time")
    assert stack.sweep() >= 2
    sent = stack.wait_dispatches(so, count=5, timeout=30)
    by_vendor = {d["vendor"]: d for d in sent}
    assert by_vendor["sinq"]["attempts"] == 2 and by_vendor["centre_research"]["attempts"] == 2
    assert not by_vendor["sinq"]["last_error"]

    # exactly once at each vendor
    sinq_orders = [o for o in sinq.orders() if o["reference"] == so]
    assert len(sinq_orders) == 1 and sinq_orders[0]["repeats"] == 0
    assert by_vendor["sinq"]["vendor_order_id"] == sinq_orders[0]["transactionId"]
    cr_orders = [o for o in cr.orders() if o["partnerOrderId"] == so]
    assert len(cr_orders) == 1 and by_vendor["centre_research"]["vendor_order_id"] == cr_orders[0]["orderId"]

    # and the tracking still comes back for the late vendors
    def late_vendors_shipped():
        stack.execute("medgrid.webhooks.reconcile.poll_vendor", "centre_research")
        rows = {s["vendor"]: s for s in stack.shipments(so)}
        return rows if rows["sinq"]["tracking_number"] and rows["centre_research"]["tracking_number"] else None

    shown = wait_until(late_vendors_shipped, timeout=30, interval=0.5, what="SINQ and Centre Research tracking")
    sinq_now = [o for o in sinq.orders() if o["reference"] == so][0]
    assert shown["sinq"]["tracking_number"] == sinq_now["tracking"]["trackingNumber"]


def test_lost_acknowledgements_do_not_duplicate_orders(e2e):
    """Each vendor processes the order but its answer is a 500: MedGrid retries, the vendor dedupes."""
    stack = e2e
    sinq, cr, ss = stack.sandbox("sinq"), stack.sandbox("centre_research"), stack.sandbox("shipstation")
    ss.config(step_delay=30)  # a warehouse ships long after MedGrid's retry (see the next test for the other case)
    for sandbox, path in ((sinq, SINQ_ORDERS), (cr, CR_ORDERS), (ss, SS_CREATE)):
        sandbox.faults({"mode": "5xx", "status": 500, "path": path, "method": "POST", "count": 1, "after": True})

    so = stack.place_order()
    rows = {d["vendor"]: d for d in stack.wait_dispatches(so, count=5, timeout=60)}

    sinq_orders = [o for o in sinq.orders() if o["reference"] == so]
    assert len(sinq_orders) == 1 and sinq_orders[0]["repeats"] == 1  # the repeat answered 200, same transaction
    assert rows["sinq"]["vendor_order_id"] == sinq_orders[0]["transactionId"]
    cr_orders = [o for o in cr.orders() if o["partnerOrderId"] == so]
    assert len(cr_orders) == 1 and cr_orders[0]["repeats"] == 1
    assert rows["centre_research"]["vendor_order_id"] == cr_orders[0]["orderId"]
    ss_orders = [o for o in ss.orders() if o["orderNumber"] == so]
    assert len(ss_orders) == 1 and ss_orders[0]["orderKey"] == f"{so}-shipstation"
    assert ss_orders[0]["_updates"] == 1  # the re-send updated the same order through its orderKey
    assert rows["shipstation"]["vendor_order_id"] == str(ss_orders[0]["orderId"])


def test_resend_of_an_order_the_vendor_already_shipped_is_not_a_failure(e2e):
    """ShipStation took the order, the answer never came back, and the order shipped before MedGrid's
    retry: ShipStation refuses to update a shipped order (vendor-facts §1: only open orders can be
    updated). The order is at the vendor and shipped — the dispatch must not end Failed, and the
    tracking view must not turn a shipped order into "Failed"."""
    stack = e2e
    ss = stack.sandbox("shipstation")
    ss.config(step_delay=None)  # ShipStation ships only when the test says so
    # the vendor processes the order, then holds the connection 3 s and hangs up without an answer
    ss.faults({"mode": "timeout", "delay": 3, "path": SS_CREATE, "count": 1, "after": True})

    so = stack.place_order([{"item_code": "ITEM-002", "qty": 2, "warehouse": MAIN_WAREHOUSE}], rx=False)
    wait_until(lambda: [o for o in ss.orders() if o["orderNumber"] == so], timeout=20, interval=0.1,
               what="ShipStation to have the order")
    ss.advance(all=True)  # the warehouse ships it while MedGrid still waits for the answer
    order = [o for o in ss.orders() if o["orderNumber"] == so][0]
    assert order["orderStatus"] == "shipped"

    def settled():
        rows = stack.dispatches(so)
        return rows if rows and rows[0]["status"] in ("Sent", "Failed") else None

    row = wait_until(settled, timeout=30, interval=0.3, what="the ShipStation dispatch to settle")[0]
    assert len([o for o in ss.orders() if o["orderNumber"] == so]) == 1
    assert row["status"] == "Sent", f"dispatch ended {row['status']}: {row['last_error']}"
    assert row["vendor_order_id"] == str(order["orderId"])

    def shipped_shown():
        rows = stack.shipments(so)
        return rows if rows and rows[0]["tracking_number"] else None

    shown = wait_until(shipped_shown, timeout=20, interval=0.3, what="ShipStation tracking")[0]
    time.sleep(1)  # let any late write of the failed re-send land
    shown = stack.shipments(so)[0]
    assert shown["status"] == "Shipped", shown


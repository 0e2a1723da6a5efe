"""(c) Workers killed mid-dispatch (kill -9, work-horses included): the vendors already had the orders but
MedGrid never got the answers. With a short lease, the sweep recovers the dispatches on new workers,
and no vendor ends up with a duplicate (one order per partnerOrderId / orderKey / reference)."""

from __future__ import annotations

import pytest

from tests.e2e.stack import CR_ORDERS, SS_CREATE, wait_until

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 4


def test_killed_workers_sends_are_recovered_by_the_sweep_without_duplicates(e2e):
    stack = e2e
    cr, ss, sinq = stack.sandbox("centre_research"), stack.sandbox("shipstation"), stack.sandbox("sinq")
    stack.set_single("MedGrid System Settings", {"dispatch_lease_seconds": LEASE_SECONDS})
    ss.config(step_delay=30)  # the order stays open at ShipStation, so the re-send is an update
    # Centre Research and ShipStation (the first two dispatches: one per worker) take the order, then
    # hold the connection: the send hangs inside the worker
    for sandbox, path in ((cr, CR_ORDERS), (ss, SS_CREATE)):
        sandbox.faults({"mode": "timeout", "delay": 20, "path": path, "method": "POST", "count": 1, "after": True})

    so = stack.place_order()

    def both_hanging():
        rows = {d["vendor"]: d for d in stack.dispatches(so)}
        at_vendors = [o for o in cr.orders() if o["partnerOrderId"] == so] and \
            [o for o in ss.orders() if o["orderNumber"] == so]
        if at_vendors and rows.get("centre_research", {}).get("status") == "Sending" \
                and rows.get("shipstation", {}).get("status") == "Sending":
            return rows
        return None

    rows = wait_until(both_hanging, timeout=20, interval=0.1, what="both sends hanging at the vendors",
                      diagnose=lambda: stack.dispatches(so))
    for worker in list(stack.workers):
        stack.kill_worker(worker)  # kill -9 the worker and its work-horse: no cleanup, no answer recorded
    for _ in range(stack.rq_worker_count):
        stack.start_worker()

    # the other vendors' dispatches were still queued: the new workers send them
    def others_sent():
        rows = {d["vendor"]: d for d in stack.dispatches(so)}
        return rows if all(rows[v]["status"] == "Sent" for v in ("sinq", "perfectrx", "exoceuticals")) else None

    rows = wait_until(others_sent, timeout=30, interval=0.3, what="the queued dispatches sent by the new workers",
                      diagnose=lambda: stack.dispatches(so))
    # the killed sends are still claimed: nothing re-sends them while the lease runs
    assert rows["centre_research"]["status"] == rows["shipstation"]["status"] == "Sending"
    assert rows["centre_research"]["attempts"] == rows["shipstation"]["attempts"] == 1

    # the lease runs out; the sweep (the every-minute job) hands them to the new workers
    latest = max(rows[v]["claimed_until"] for v in ("centre_research", "shipstation"))
    wait_until(lambda: stack.server_time_passed(latest), timeout=LEASE_SECONDS + 10, interval=0.3,
               what="the lease to run out")
    assert stack.sweep() >= 2
    rows = {d["vendor"]: d for d in stack.wait_dispatches(so, count=5, timeout=30)}
    assert rows["centre_research"]["attempts"] == rows["shipstation"]["attempts"] == 2

    # one order per idempotency key at every vendor
    cr_orders = [o for o in cr.orders() if o["partnerOrderId"] == so]
    assert len(cr_orders) == 1 and cr_orders[0]["repeats"] == 1  # the re-send got the existing order back
    assert rows["centre_research"]["vendor_order_id"] == cr_orders[0]["orderId"]
    ss_orders = [o for o in ss.orders() if o["orderKey"] == f"{so}-shipstation"]
    assert len(ss_orders) == 1 and ss_orders[0]["_updates"] == 1
    assert len([o for o in ss.orders() if o["orderNumber"] == so]) == 1
    assert rows["shipstation"]["vendor_order_id"] == str(ss_orders[0]["orderId"])
    sinq_orders = [o for o in sinq.orders() if o["reference"] == so]
    assert len(sinq_orders) == 1 and sinq_orders[0]["repeats"] == 0

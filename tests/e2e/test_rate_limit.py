"""(e) A 429 storm: ShipStation's sandbox allows only 8 requests per 6 s per key pair (the real limit is
40 per minute), throttles MedGrid's first calls outright (``429`` fault: ``X-Rate-Limit-Reset: 5``, as
when another app on the same account spent the window), and a dozen orders arrive at once.

MedGrid must honour ``X-Rate-Limit-Remaining`` / ``X-Rate-Limit-Reset`` on every worker (a 429 pauses
the whole key pair, not just the call that got it), stay within the guide's 40 requests per minute per
key pair, and still deliver every order exactly once and bring every tracking number back.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import FAST_SETTINGS, start_stack
from tests.e2e.stack import MAIN_WAREHOUSE, SHIPSTATION_KEY, sandbox_fingerprint, wait_until

pytestmark = pytest.mark.e2e

LIMIT, WINDOW = 8, 6
FAULT_429S, FAULT_RESET = 2, 5  # the sandbox's 429 fault answers X-Rate-Limit-Reset: 5
ORDERS = 12
TOLERANCE = 0.25  # seconds: the reset is whole seconds
GUIDE_LIMIT_PER_MINUTE = 40


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    stack = start_stack(tmp_path_factory, "e2e-ratelimit", step_delay=0.3, rq_workers=2, settings=FAST_SETTINGS,
                        sandbox_config={"shipstation": {"rate_limit": LIMIT, "rate_window": WINDOW}})
    yield stack
    stack.stop()


def fixed_windows(entries: list[dict]) -> list[list[dict]]:
    """The sandbox's fixed windows for one key pair: each starts with the first request after the
    previous one ended (``sandbox.framework.FixedWindowLimiter``; faulted requests never reach it)."""
    windows, start = [], None
    for entry in sorted(entries, key=lambda e: e["ts"]):
        if entry["fault"]:
            continue
        if start is None or entry["ts"] - start >= WINDOW:
            start = entry["ts"]
            windows.append([])
        windows[-1].append(entry)
    return windows


def advertised_resets(entries: list[dict]) -> list[tuple[float, float]]:
    """(time, seconds to wait) of every 429 the sandbox sent, as its X-Rate-Limit-Reset said."""
    resets = [(e["ts"], FAULT_RESET) for e in entries if e["status"] == 429 and e["fault"] == "429"]
    for window in fixed_windows(entries):
        start = window[0]["ts"]
        for e in window:
            if e["status"] == 429:
                resets.append((e["ts"], max(0, int(round(start + WINDOW - e["ts"] + 0.499)))))
    return sorted(resets)


def test_429_storm_is_absorbed_within_the_limits(throttled):
    stack = throttled
    ss = stack.sandbox("shipstation")
    ss.faults({"mode": "429", "path": "/orders/createorder", "count": FAULT_429S})
    names = []
    for _ in range(ORDERS):
        names.append(stack.place_order([{"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN_WAREHOUSE}], rx=False))

    def all_sent():
        rows = stack.get_list("Fulfillment Dispatch", {"sales_order": ["in", names]},
                              fields=("name", "sales_order", "status", "attempts", "last_error"))
        return rows if len(rows) == ORDERS and all(r["status"] == "Sent" for r in rows) else None

    def sweep_and_check():  # retries pushed past the in-call budget come back through the sweep
        stack.sweep()
        return all_sent()

    rows = wait_until(sweep_and_check, timeout=90, interval=1.0, what="every order sent to ShipStation",
                      diagnose=lambda: stack.get_list("Fulfillment Dispatch", {"status": ["!=", "Sent"]},
                                                      fields=("sales_order", "status", "attempts", "last_error")))
    assert not [r for r in rows if r["status"] == "Failed"]

    def all_tracked():
        return all(stack.shipments(so)[0]["tracking_number"] for so in names)

    wait_until(all_tracked, timeout=90, interval=1.0, what="every ShipStation tracking number back",
               diagnose=lambda: [(so, stack.shipments(so)[0]["status"]) for so in names])

    # --- exactly once at the vendor
    orders = [o for o in ss.orders() if o["orderNumber"] in names]
    assert sorted(o["orderNumber"] for o in orders) == sorted(names)
    assert len({o["orderKey"] for o in orders}) == ORDERS

    # --- what the vendor saw
    state = ss.state(log="all")
    client = sandbox_fingerprint(SHIPSTATION_KEY[0])
    # MedGrid is the only client of this sandbox; faulted requests are answered before the key pair is
    # looked at, so they carry no client id
    entries = [e for e in state["log"] if e["client"] == client or e["fault"]]
    assert all(e["headers"].get("User-Agent", "").startswith("MedGrid/") for e in entries)
    throttled_count = sum(1 for e in entries if e["status"] == 429)
    windows = fixed_windows(entries)
    resets = advertised_resets(entries)
    peak = state["requests"]["by_client"][client]["peak_per_minute"]
    print(f"\nShipStation sandbox: {len(entries)} requests, {throttled_count} answered 429 "
          f"({state['requests']['faults_injected'].get('429', 0)} by the fault), peak {peak}/min; "
          f"{len(windows)} windows of {WINDOW} s (accepted, 429): "
          f"{[(sum(e['status'] != 429 for e in w), sum(e['status'] == 429 for e in w)) for w in windows]}")
    assert throttled_count >= FAULT_429S
    # the guide's limit for ShipStation: 40 requests per minute per key pair, 429s included
    assert peak <= GUIDE_LIMIT_PER_MINUTE
    # the vendor's limit itself (requests it accepted per window) was never overrun by MedGrid's retries
    assert all(sum(e["status"] != 429 for e in w) <= LIMIT for w in windows)
    # each reset was honoured: while it ran, only calls already on their way (one per other worker) arrived
    in_flight = stack.rq_worker_count - 1
    for ts, wait in resets:
        early = [e for e in entries if ts < e["ts"] < ts + wait - TOLERANCE]
        assert len(early) <= in_flight, (f"{len(early)} requests within the {wait} s reset of a 429 at {ts:.2f}: "
                                         f"{[(round(e['ts'] - ts, 2), e['status']) for e in early]}")

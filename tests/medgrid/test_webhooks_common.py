"""The shared webhook layer: hooks, redaction, times, stale checks, failures and the sweep."""

from __future__ import annotations

import datetime

import frappe
import pytest

from tests.medgrid.webhook_helpers import configure_single, make_order, order_values, store_event

WEBHOOK_EVENT = "MedGrid Webhook Event"


def test_guide_paths_and_scheduled_fallbacks_are_registered(site):
    overrides = frappe.get_hooks("override_whitelisted_methods")
    targets = {path: (value[-1] if isinstance(value, list) else value) for path, value in overrides.items()}
    assert {k: v for k, v in targets.items() if k.endswith(".webhook")} == {
        "medgrid.perfectrx.webhook": "medgrid.webhooks.perfectrx.webhook",
        "medgrid.shipstation.webhook": "medgrid.webhooks.shipstation.webhook",
        "medgrid.sinq.webhook": "medgrid.webhooks.sinq.webhook",
        "medgrid.exoceuticals.webhook": "medgrid.webhooks.shopify.webhook",
    }
    scheduled = [m for methods in frappe.get_hooks("scheduler_events")["cron"].values() for m in methods]
    for method in ("poll_vendors", "sweep_webhook_events"):
        assert f"medgrid.webhooks.reconcile.{method}" in scheduled


def test_credentials_and_signatures_are_masked_in_stored_headers():
    from medgrid.connectors.redaction import redact_mapping

    headers = {"Key": "k", "Authorization": "Basic x", "X-PerfectRx-Signature": "ab", "X-Shopify-Hmac-Sha256": "c",
               "X-Webhook-Signature": "sha256=d", "Cookie": "sid=1", "X-Shopify-Topic": "orders/updated",
               "User-Agent": "SINQ/1"}
    assert redact_mapping(headers) == {"Key": "***", "Authorization": "Basic ***", "X-PerfectRx-Signature": "***",
                                       "X-Shopify-Hmac-Sha256": "***", "X-Webhook-Signature": "***", "Cookie": "***",
                                       "X-Shopify-Topic": "orders/updated", "User-Agent": "SINQ/1"}
    assert redact_mapping({"connection": "abc", "token": "t"}) == {"connection": "abc", "token": "***"}


@pytest.mark.parametrize("value, utc", [
    ("2026-06-02T10:00:00Z", "2026-06-02 10:00:00"),
    ("2026-06-02T12:00:00+02:00", "2026-06-02 10:00:00"),
    ("2026-06-02T06:00:00.250-04:00", "2026-06-02 10:00:00.250000"),
    (1780394400, "2026-06-02 10:00:00"),
    ("1780394400000", "2026-06-02 10:00:00"),
])
def test_vendor_times_become_system_time(site, value, utc):
    from frappe.utils import convert_utc_to_system_timezone, get_datetime

    from medgrid.webhooks.common import parse_timestamp

    expected = convert_utc_to_system_timezone(get_datetime(utc)).replace(tzinfo=None)
    assert parse_timestamp(value) == expected


def test_unreadable_times_are_none(site):
    from medgrid.webhooks.common import parse_timestamp

    assert [parse_timestamp(v) for v in (None, "", "yesterday", True, "2026-13-01")] == [None] * 5
    assert parse_timestamp("2026-06-02 10:00:00") == datetime.datetime(2026, 6, 2, 10, 0)  # naive: as given


def test_a_crashing_apply_marks_the_event_failed_and_the_sweep_retries_it(site, monkeypatch):
    from medgrid.webhooks import sinq
    from medgrid.webhooks.common import apply_event
    from medgrid.webhooks.reconcile import sweep_webhook_events

    order = make_order()
    name = store_event("sinq", {"reference": order, "status": "shipped"})
    original = sinq.apply
    monkeypatch.setattr(sinq, "apply", lambda event: 1 / 0)
    assert apply_event(name) == "Failed"
    row = frappe.db.get_value(WEBHOOK_EVENT, name, ["status", "attempts", "error"], as_dict=True)
    assert (row.status, row.attempts) == ("Failed", 1) and row.error.startswith("ZeroDivisionError")
    assert order_values(order, "sinq_status").sinq_status in (None, "")  # nothing half-applied
    monkeypatch.setattr(sinq, "apply", original)
    frappe.flags.run_jobs_synchronously = True  # run the re-enqueued apply at the commit
    try:
        assert sweep_webhook_events() >= 1
        frappe.db.commit()
    finally:
        frappe.flags.run_jobs_synchronously = False
    row = frappe.db.get_value(WEBHOOK_EVENT, name, ["status", "attempts", "error"], as_dict=True)
    assert (row.status, row.attempts, row.error) == ("Processed", 2, None)
    assert order_values(order, "sinq_status").sinq_status == "Shipped"


def test_the_sweep_picks_up_events_whose_job_was_lost_and_leaves_fresh_ones(site):
    from frappe.utils import add_to_date, now_datetime

    from medgrid.webhooks.reconcile import sweep_webhook_events

    order = make_order()
    lost = store_event("sinq", {"reference": order, "status": "pending"})
    fresh = store_event("sinq", {"reference": order, "status": "synced"})
    frappe.db.set_value(WEBHOOK_EVENT, lost, "received_at", add_to_date(now_datetime(), minutes=-10))
    frappe.db.commit()
    frappe.flags.run_jobs_synchronously = True
    try:
        sweep_webhook_events()
        frappe.db.commit()
    finally:
        frappe.flags.run_jobs_synchronously = False
    assert frappe.db.get_value(WEBHOOK_EVENT, lost, "status") == "Processed"
    assert frappe.db.get_value(WEBHOOK_EVENT, fresh, "status") == "Received"
    frappe.db.set_value(WEBHOOK_EVENT, fresh, "status", "Ignored")  # keep later sweeps of this site quiet
    frappe.db.commit()


def test_a_failed_event_is_not_retried_forever(site, monkeypatch):
    from medgrid.webhooks.reconcile import MAX_APPLY_ATTEMPTS, sweep_webhook_events

    name = store_event("sinq", {"reference": "SO-0000-00000", "status": "shipped"})
    frappe.db.set_value(WEBHOOK_EVENT, name, {"status": "Failed", "attempts": MAX_APPLY_ATTEMPTS})
    frappe.db.commit()
    queued = []
    monkeypatch.setattr("medgrid.webhooks.common.enqueue_apply", lambda event, after_commit=True: queued.append(event))
    sweep_webhook_events()
    assert name not in queued


def test_staleness_compares_with_the_latest_applied_event_only(site):
    from medgrid.webhooks.common import is_stale

    order = make_order()
    applied = store_event("sinq", {}, occurred_at="2026-06-02 10:00:00")
    failed = store_event("sinq", {}, occurred_at="2026-06-09 10:00:00")
    frappe.db.set_value(WEBHOOK_EVENT, applied, {"status": "Processed", "sales_order": order})
    frappe.db.set_value(WEBHOOK_EVENT, failed, {"status": "Failed", "sales_order": order})
    assert is_stale("sinq", order, "2026-06-02 09:59:59")
    assert not is_stale("sinq", order, "2026-06-02 10:00:00")  # same moment: applied (idempotent)
    assert not is_stale("sinq", order, None)
    assert not is_stale("perfectrx", order, "2020-01-01 00:00:00")
    assert not is_stale("sinq", order, "2026-06-02 09:00:00", exclude=applied)


def test_vendor_settings_secrets_are_stored_encrypted(site):
    configure_single("SINQ Settings", sinq_webhook_key="plain-key-value")
    assert frappe.db.get_single_value("SINQ Settings", "sinq_webhook_key") != "plain-key-value"

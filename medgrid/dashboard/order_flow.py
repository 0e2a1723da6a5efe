"""The order-flow dashboard's numbers: what went to each vendor, how fast it came back, what waits.

Everything is read from the Fulfillment Dispatch outbox and the MedGrid Webhook Event log of the last
``days`` days (the backlog is now, whatever its age):

* dispatches per day by status (all vendors or one) and orders per day per vendor;
* per vendor: dispatches, failure rate (Failed / all), retry rate (sent after more than one attempt or
  now Retrying / all), submit → vendor acknowledgement and submit → shipment as p50 / p95: from the
  dispatch's creation (written in the order's submit) to its ``acknowledged_at`` and ``shipped_at``,
  which the one writer of vendor updates stamps once, when the vendor's status first reaches that
  stage (``medgrid.fulfillment_router.tracking.milestone_stages``);
* webhooks per vendor per day, and their lag: vendor's time → received, received → processed;
* backlog: Queued, Retrying and Failed dispatches now, per vendor.

Each count comes with the admin list URL that shows the rows behind it (``since`` = the period's first
day; the backlog's lists have no date: it is everything waiting now).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.utils import add_days, cint, get_datetime, getdate, nowdate

from medgrid.constants import DISPATCH, FAILED, QUEUED, RETRYING, WEBHOOK_EVENT
from medgrid.pages import ADMIN_ROLES
from medgrid.vendors import get_vendors

DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_ROWS = 50000
BACKLOG_STATUSES = (QUEUED, RETRYING, FAILED)
DISPATCH_LIST = "/medgrid-admin/dispatches"
EVENT_LIST = "/medgrid-admin/webhook-events"


def percentile(values, pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None when empty)."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _seconds(start, end) -> float | None:
    if not start or not end:
        return None
    delta = (get_datetime(end) - get_datetime(start)).total_seconds()
    return delta if delta >= 0 else None


def list_url(base: str, **filters) -> str:
    query = {k: v for k, v in filters.items() if v}
    return f"{base}?{urlencode(query)}" if query else base


def _days(days) -> int:
    try:
        value = cint(days or DEFAULT_DAYS)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_DAYS:
        frappe.throw(_("days must be between 1 and {0}").format(MAX_DAYS), frappe.ValidationError)
    return value


@frappe.whitelist(methods=["GET"])
def get_order_flow(days=DEFAULT_DAYS, vendor=None):
    """Admin: the dashboard's data for the last ``days`` days (``vendor`` narrows the per-day status chart)."""
    frappe.only_for(ADMIN_ROLES)
    return order_flow(_days(days), vendor or None)


def order_flow(days: int = DEFAULT_DAYS, vendor: str | None = None) -> dict:
    vendors = get_vendors()
    if vendor and vendor not in vendors:
        frappe.throw(_("Unknown vendor {0}").format(vendor), frappe.ValidationError)
    start = getdate(add_days(nowdate(), -(days - 1)))
    labels = [str(add_days(start, i)) for i in range(days)]
    dispatches = frappe.get_all(DISPATCH, filters={"creation": [">=", str(start)]},
                                fields=["name", "sales_order", "vendor", "status", "attempts", "creation",
                                        "acknowledged_at", "shipped_at"], limit_page_length=MAX_ROWS)
    events = frappe.get_all(WEBHOOK_EVENT, filters={"received_at": [">=", str(start)]},
                            fields=["vendor", "status", "occurred_at", "received_at", "processed_at"],
                            limit_page_length=MAX_ROWS)
    label_of = {key: d.label for key, d in vendors.items()}
    return {
        "days": days, "from": str(start), "labels": labels, "vendor": vendor or "",
        "vendors": [{"key": k, "label": v} for k, v in label_of.items()],
        "dispatches_by_status": _by_day_and(dispatches, labels, "status",
                                            lambda d: not vendor or d.vendor == vendor),
        "orders_by_vendor": _orders_by_vendor(dispatches, labels, label_of),
        "webhooks_by_vendor": _by_day_and(events, labels, "vendor", lambda e: True, date_field="received_at",
                                          names=label_of),
        "vendor_stats": _vendor_stats(dispatches, events, vendors, str(start)),
        "backlog": backlog(label_of),
    }


def _day(value) -> str:
    return str(getdate(value))


def _by_day_and(rows, labels, key: str, keep, date_field: str = "creation", names=None) -> dict:
    """{labels, datasets: [{name, values}]} counting rows per day per value of ``key``."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        if keep(row) and row.get(date_field):
            counts[row.get(key) or "—"][_day(row.get(date_field))] += 1
    datasets = [{"name": (names or {}).get(value, value), "key": value, "values": [counts[value][d] for d in labels]}
                for value in sorted(counts)]
    return {"labels": labels, "datasets": datasets}


def _orders_by_vendor(dispatches, labels, label_of) -> dict:
    seen: dict[str, dict] = defaultdict(lambda: defaultdict(set))
    for row in dispatches:
        seen[row.vendor][_day(row.creation)].add(row.sales_order)
    datasets = [{"name": label_of.get(v, v), "key": v, "values": [len(seen[v][d]) for d in labels]}
                for v in sorted(seen)]
    return {"labels": labels, "datasets": datasets}


def _vendor_stats(dispatches, events, vendors, since: str) -> list[dict]:
    out = []
    for key, descriptor in vendors.items():
        mine = [d for d in dispatches if d.vendor == key]
        hooks = [e for e in events if e.vendor == key]
        if not mine and not hooks:
            continue
        failed = sum(1 for d in mine if d.status == FAILED)
        retried = sum(1 for d in mine if cint(d.attempts) > 1 or d.status == RETRYING)
        ack = [_seconds(d.creation, d.acknowledged_at) for d in mine]
        ship = [_seconds(d.creation, d.shipped_at) for d in mine]
        lag = [_seconds(e.received_at, e.processed_at) for e in hooks]
        vendor_delay = [_seconds(e.occurred_at, e.received_at) for e in hooks]
        total = len(mine)
        out.append({
            "vendor": key, "label": descriptor.label, "dispatches": total,
            "dispatches_url": list_url(DISPATCH_LIST, vendor=key, since=since),
            "failed": failed, "failed_url": list_url(DISPATCH_LIST, vendor=key, status=FAILED, since=since),
            "failure_rate": round(failed / total, 4) if total else None,
            "retried": retried, "retry_rate": round(retried / total, 4) if total else None,
            "retrying_url": list_url(DISPATCH_LIST, vendor=key, status=RETRYING, since=since),
            "ack_p50": percentile(ack, 50), "ack_p95": percentile(ack, 95), "ack_samples": sum(1 for v in ack if v is not None),
            "ship_p50": percentile(ship, 50), "ship_p95": percentile(ship, 95),
            "ship_samples": sum(1 for v in ship if v is not None),
            "webhooks": len(hooks), "webhooks_url": list_url(EVENT_LIST, vendor=key, since=since),
            "webhook_failed": sum(1 for e in hooks if e.status == FAILED),
            "webhook_failed_url": list_url(EVENT_LIST, vendor=key, status=FAILED, since=since),
            "lag_p50": percentile(lag, 50), "lag_p95": percentile(lag, 95),
            "vendor_delay_p50": percentile(vendor_delay, 50), "vendor_delay_p95": percentile(vendor_delay, 95),
        })
    return out


def backlog(label_of: dict) -> dict:
    """Dispatches waiting now (Queued, Retrying, Failed): totals and per vendor, each with its list URL."""
    rows = frappe.get_all(DISPATCH, filters={"status": ["in", list(BACKLOG_STATUSES)]},
                          fields=["vendor", "status", "count(name) as count"], group_by="vendor, status",
                          order_by="vendor asc", limit_page_length=0)  # (not the default `modified`: grouped)
    totals = {status: 0 for status in BACKLOG_STATUSES}
    per_vendor: dict[str, dict] = {}
    for row in rows:
        totals[row.status] += cint(row.count)
        entry = per_vendor.setdefault(row.vendor, {"vendor": row.vendor, "label": label_of.get(row.vendor, row.vendor),
                                                   **{s: 0 for s in BACKLOG_STATUSES}})
        entry[row.status] = cint(row.count)
    for entry in per_vendor.values():
        entry["urls"] = {s: list_url(DISPATCH_LIST, vendor=entry["vendor"], status=s) for s in BACKLOG_STATUSES}
    return {"totals": totals, "urls": {s: list_url(DISPATCH_LIST, status=s) for s in BACKLOG_STATUSES},
            "vendors": sorted(per_vendor.values(), key=lambda e: e["label"])}

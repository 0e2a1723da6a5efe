"""What the Vendor Dashboard shows one Vendor Profile: its orders, the failures it must act on, its
integrations' health. Vendors have no DocPerm on dispatches or webhook events; the rows are read here
with the vendor's scope (``medgrid.portal.vendor_scope``) as the only filter, so nothing of another vendor
can appear — the page decides who may ask for which profile.
"""

from __future__ import annotations

import datetime

import frappe
from frappe.utils import add_to_date, now_datetime

from medgrid.constants import CANCELLED, DISPATCH, FAILED, RETRYING, SALES_ORDER, VENDOR_PROFILE, WEBHOOK_EVENT
from medgrid.portal.vendor_scope import dispatch_condition
from medgrid.vendors import FINAL_STATUSES, SIDE_STATUSES, get_vendors

MAX_ORDERS = 100
MAX_FAILURES = 50
ADDRESS_FIELDS = ("address_title", "address_line1", "address_line2", "city", "state", "pincode", "country")


def closed_statuses() -> set[str]:
    """Vendor statuses after which the vendor fulfils nothing more (last stage, cancelled, refunded)."""
    out = set(FINAL_STATUSES)
    for descriptor in get_vendors().values():
        out.update(descriptor.statuses.closed)
    return out


def routed_orders(vendor_profile: str, limit: int = MAX_ORDERS) -> list[dict]:
    """The vendor's dispatches, newest first, with age and — only while it still has to fulfil one — the
    shipping address."""
    condition, params = dispatch_condition(vendor_profile)
    rows = frappe.db.sql(
        f"""select d.`name`, d.`sales_order`, d.`vendor`, d.`status`, d.`vendor_status`, d.`tracking_number`,
            d.`carrier`, d.`tracking_url`, d.`creation`, d.`sent_at`, so.`shipping_address_name`
        from `tab{DISPATCH}` d left join `tab{SALES_ORDER}` so on so.`name` = d.`sales_order`
        where {condition} order by d.`creation` desc limit {int(limit)}""", params, as_dict=True)
    closed = closed_statuses()
    now = now_datetime()
    addresses = _addresses({r.shipping_address_name for r in rows if r.shipping_address_name})
    for row in rows:
        row["age"] = _age(now - row.creation) if row.creation else "—"
        fulfils = row.status != CANCELLED and row.vendor_status not in closed
        row["shipping_address"] = addresses.get(row.shipping_address_name) if fulfils else None
        del row["shipping_address_name"]
    return rows


def failures(vendor_profile: str, limit: int = MAX_FAILURES) -> list[dict]:
    """Dispatches that failed or are being retried, or that the vendor reports failed or on hold."""
    condition, params = dispatch_condition(vendor_profile)
    params.update(failed=FAILED, retrying=RETRYING, side1=SIDE_STATUSES[0], side2=SIDE_STATUSES[1])
    return frappe.db.sql(
        f"""select d.`name`, d.`sales_order`, d.`status`, d.`vendor_status`, d.`attempts`, d.`next_retry_at`,
            d.`last_error`, d.`modified`
        from `tab{DISPATCH}` d
        where {condition} and (d.`status` in (%(failed)s, %(retrying)s) or d.`vendor_status` in (%(side1)s, %(side2)s))
        order by d.`modified` desc limit {int(limit)}""", params, as_dict=True)


def webhook_health(vendor_profile: str, hours: int = 24) -> dict:
    """Webhook events about the vendor's own orders received in the last ``hours``: count, failed, newest."""
    condition, params = dispatch_condition(vendor_profile)
    params["since"] = add_to_date(now_datetime(), hours=-hours)
    row = frappe.db.sql(
        f"""select count(*) as received, sum(case when e.`status` = 'Failed' then 1 else 0 end) as failed,
            max(e.`creation`) as newest
        from `tab{WEBHOOK_EVENT}` e
        where e.`creation` >= %(since)s and exists (select 1 from `tab{DISPATCH}` d
            where d.`sales_order` = e.`sales_order` and d.`vendor` = e.`vendor` and {condition})""",
        params, as_dict=True)[0]
    return {"received": int(row.received or 0), "failed": int(row.failed or 0), "newest": row.newest, "hours": hours}


def integration_cards(vendor_profile: str) -> list[dict]:
    """The vendor's integration cards (last sync, last error) without secrets: the Integrations page's data."""
    from medgrid.integrations.status import vendor_cards

    return [{"label": c.get("label"), "status": c.get("status"), "last_sync": c.get("last_sync"),
             "last_error": c.get("last_error"), "type": c.get("type"),
             "connections": len(c.get("connections") or [])}
            for c in vendor_cards(vendor_profile)]


def dashboard(vendor_profile: str) -> dict:
    return {"vendor_profile": vendor_profile,
            "vendor_name": frappe.db.get_value(VENDOR_PROFILE, vendor_profile, "vendor_name"),
            "orders": routed_orders(vendor_profile), "failures": failures(vendor_profile),
            "webhooks": webhook_health(vendor_profile), "integrations": integration_cards(vendor_profile)}


def _addresses(names: set[str]) -> dict[str, str]:
    if not names:
        return {}
    rows = frappe.get_all("Address", filters={"name": ["in", sorted(names)]}, fields=["name", *ADDRESS_FIELDS],
                          limit_page_length=0)
    return {r.name: ", ".join(str(r.get(f)) for f in ADDRESS_FIELDS if r.get(f)) for r in rows}


def _age(delta: datetime.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"

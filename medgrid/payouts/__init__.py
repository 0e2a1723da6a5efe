"""Vendor Payouts: what MedGrid owes a vendor for the dispatches it delivered.

A dispatch is payable once it was sent (``Sent``) and its vendor reports the last stage of its status
vocabulary (the registry's ``Statuses.stages[-1]``: Delivered, Completed, Fulfilled…). A payout is made for
one Vendor Profile and a period from every payable dispatch of that vendor delivered up to the period's end
and not paid yet, by an admin (``create_payouts``) or the monthly job for the month before. A dispatch is
paid at most once: every payout line carries the dispatch's name in a unique column while its payout is not
cancelled, so running twice (or two workers at once) adds nothing. The amount of a dispatch is the sum of
its lines' ``qty × rate`` (the order's selling price of what the vendor fulfilled).

Status: Draft → Approved → Paid (a payment reference required), or Cancelled from Draft or Approved
(which frees its dispatches for a later payout). Admins manage payouts; a vendor reads its own.
"""

from __future__ import annotations

import datetime

import frappe
from frappe import _
from frappe.utils import add_months, get_first_day, get_last_day, getdate, nowdate

from medgrid.constants import DISPATCH, SENT, VENDOR_PROFILE
from medgrid.exceptions import InvalidParameterError
from medgrid.integrations.access import require_admin
from medgrid.portal.vendor_scope import dispatch_condition
from medgrid.vendors import get_vendors

PAYOUT = "Vendor Payout"
PAYOUT_LINE = "Vendor Payout Line"
DRAFT, APPROVED, PAID, CANCELLED = "Draft", "Approved", "Paid", "Cancelled"
TRANSITIONS = {DRAFT: {APPROVED, CANCELLED}, APPROVED: {PAID, CANCELLED}, PAID: set(), CANCELLED: set()}


class AlreadyPaidError(frappe.ValidationError):
    """A dispatch is already on another payout that is not cancelled."""


def delivered_statuses() -> dict[str, str]:
    """vendor key → the vendor status that means delivered (its last stage)."""
    return {key: d.statuses.stages[-1] for key, d in get_vendors().items() if d.statuses.stages}


def _delivered_clause(alias: str = "d") -> tuple[str, dict]:
    clauses, params = [], {}
    for i, (key, status) in enumerate(sorted(delivered_statuses().items())):
        clauses.append(f"({alias}.`vendor` = %(dv{i})s and {alias}.`vendor_status` = %(ds{i})s)")
        params.update({f"dv{i}": key, f"ds{i}": status})
    return ("(" + " or ".join(clauses) + ")" if clauses else "1=0"), params


def payable_dispatches(vendor_profile: str, until: datetime.date) -> list[dict]:
    """The vendor's delivered, unpaid dispatches delivered on or before ``until``, oldest first."""
    scope, params = dispatch_condition(vendor_profile)
    delivered, delivered_params = _delivered_clause()
    params.update(delivered_params, sent=SENT, until=datetime.datetime.combine(getdate(until), datetime.time.max))
    return frappe.db.sql(
        f"""select d.`name`, d.`sales_order`, d.`vendor_status`, coalesce(d.`last_sync`, d.`modified`) as delivered_on
        from `tab{DISPATCH}` d
        where {scope} and d.`status` = %(sent)s and {delivered}
            and coalesce(d.`last_sync`, d.`modified`) <= %(until)s
            and not exists (select 1 from `tab{PAYOUT_LINE}` l where l.`paid_dispatch` = d.`name`)
        order by delivered_on asc, d.`name` asc""",
        params, as_dict=True)


def dispatch_amounts(dispatches: list[str]) -> dict[str, dict]:
    """dispatch → {qty, amount} from its lines."""
    if not dispatches:
        return {}
    rows = frappe.get_all("Fulfillment Dispatch Line", filters={"parent": ["in", dispatches],
                                                                "parenttype": DISPATCH},
                          fields=["parent", "qty", "rate"], limit_page_length=0)
    out = {name: {"qty": 0.0, "amount": 0.0} for name in dispatches}
    for row in rows:
        out[row.parent]["qty"] += float(row.qty or 0)
        out[row.parent]["amount"] += float(row.qty or 0) * float(row.rate or 0)
    return out


def create_payout(vendor_profile: str, period_start, period_end) -> str | None:
    """A Draft payout of everything payable for the vendor up to ``period_end``; None when nothing is."""
    rows = payable_dispatches(vendor_profile, period_end)
    if not rows:
        return None
    doc = frappe.get_doc({"doctype": PAYOUT, "vendor_profile": vendor_profile, "status": DRAFT,
                          "period_start": getdate(period_start), "period_end": getdate(period_end),
                          "lines": [{"fulfillment_dispatch": r.name} for r in rows]})
    frappe.db.savepoint("medgrid_payout")
    try:
        doc.insert(ignore_permissions=True)
    except (frappe.UniqueValidationError, frappe.DuplicateEntryError, AlreadyPaidError):
        # another run paid one of these dispatches in the meantime: this run adds nothing
        frappe.db.rollback(save_point="medgrid_payout")
        return None
    return doc.name


def _date_arg(value, name: str):
    if value in (None, ""):
        return None
    try:
        return getdate(value)
    except Exception:
        frappe.throw(_("{0} must be a date (YYYY-MM-DD)").format(name), InvalidParameterError)


@frappe.whitelist(methods=["POST"])
def create_payouts(vendor_profile=None, period_start=None, period_end=None) -> dict:
    """Admins: Draft payouts of the delivered, unpaid dispatches of one vendor (or every vendor) up to
    ``period_end`` (default today; the period starts by default on the first of that month)."""
    require_admin()
    if vendor_profile is not None and not isinstance(vendor_profile, str):
        frappe.throw(_("vendor_profile must be a Vendor Profile's name"), InvalidParameterError)
    end = _date_arg(period_end, "period_end") or getdate(nowdate())
    start = _date_arg(period_start, "period_start") or get_first_day(end)
    if start > end:
        frappe.throw(_("period_start must not be after period_end"), InvalidParameterError)
    if vendor_profile:
        if not frappe.db.exists(VENDOR_PROFILE, vendor_profile):
            frappe.throw(_("Vendor Profile {0} not found").format(vendor_profile), frappe.DoesNotExistError)
        profiles = [vendor_profile]
    else:
        profiles = frappe.get_all(VENDOR_PROFILE, pluck="name", order_by="name asc", limit_page_length=0)
    created = [name for name in (create_payout(p, start, end) for p in profiles) if name]
    return {"created": created, "period_start": str(start), "period_end": str(end)}


def monthly() -> None:
    """scheduler_events ``monthly``: last month's payouts of every vendor (a rerun adds nothing)."""
    end = get_last_day(add_months(getdate(nowdate()), -1))
    start = get_first_day(end)
    for profile in frappe.get_all(VENDOR_PROFILE, pluck="name", order_by="name asc", limit_page_length=0):
        create_payout(profile, start, end)
        frappe.db.commit()



"""A payment record for one vendor and period: the delivered dispatches it pays and their amounts.

Lines are filled from their dispatches (the amount is never typed): only the vendor's own, delivered
dispatches, each paid at most once (see ``medgrid.payouts``). Status moves Draft → Approved → Paid, or to
Cancelled from Draft or Approved; once approved the lines no longer change.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, now_datetime

from medgrid.constants import DISPATCH, SENT
from medgrid.payouts import (APPROVED, CANCELLED, DRAFT, PAID, PAYOUT_LINE, TRANSITIONS, AlreadyPaidError,
                             delivered_statuses, dispatch_amounts)
from medgrid.portal.vendor_scope import owns_dispatch


class VendorPayout(Document):
    def validate(self):
        before = None if self.is_new() else self.get_doc_before_save()
        old_status = before.status if before else None
        self._check_status(old_status)
        if getdate(self.period_start) > getdate(self.period_end):
            frappe.throw(_("Period Start must not be after Period End"))
        if old_status in (None, DRAFT):
            self._fill_lines()
        elif self._dispatches() != _dispatches_of(before):
            frappe.throw(_("The dispatches of a {0} payout cannot change").format(_(old_status)))
        for row in self.lines:
            # the unique key that keeps a dispatch on one live payout only
            row.paid_dispatch = None if self.status == CANCELLED else row.fulfillment_dispatch
        self.dispatch_count = len(self.lines)
        self.total_amount = flt(sum(flt(row.amount) for row in self.lines), 2)

    def _check_status(self, old_status: str | None) -> None:
        if old_status is None:
            if self.status not in (None, "", DRAFT):
                frappe.throw(_("A new payout starts as Draft"))
            self.status = DRAFT
            return
        if self.status != old_status and self.status not in TRANSITIONS.get(old_status, set()):
            frappe.throw(_("A payout cannot move from {0} to {1}").format(_(old_status), _(self.status)))
        if self.status == APPROVED and old_status != APPROVED:
            self.approved_by, self.approved_on = frappe.session.user, now_datetime()
        if self.status == PAID:
            if not (self.reference or "").strip():
                frappe.throw(_("Enter the Payment Reference before marking the payout Paid"))
            if old_status != PAID:
                self.paid_on = now_datetime()

    def _dispatches(self) -> list[str]:
        return [row.fulfillment_dispatch for row in self.lines]

    def _fill_lines(self) -> None:
        names = self._dispatches()
        if len(set(names)) != len(names):
            frappe.throw(_("A dispatch may appear only once on a payout"))
        delivered = delivered_statuses()
        amounts = dispatch_amounts(names)
        for row in self.lines:
            dispatch = frappe.db.get_value(DISPATCH, row.fulfillment_dispatch,
                                           ["name", "sales_order", "vendor", "status", "vendor_status", "last_sync",
                                            "modified"], as_dict=True)
            if not dispatch:
                frappe.throw(_("Row #{0}: Fulfillment Dispatch {1} not found").format(row.idx, row.fulfillment_dispatch))
            if not owns_dispatch(self.vendor_profile, dispatch.name):
                frappe.throw(_("Row #{0}: dispatch {1} is not fulfilled by {2}").format(
                    row.idx, dispatch.name, self.vendor_profile))
            if dispatch.status != SENT or dispatch.vendor_status != delivered.get(dispatch.vendor):
                frappe.throw(_("Row #{0}: dispatch {1} is not delivered yet").format(row.idx, dispatch.name))
            if self.status != CANCELLED and _paid_elsewhere(dispatch.name, self.name):
                frappe.throw(_("Row #{0}: dispatch {1} is already paid by payout {2}").format(
                    row.idx, dispatch.name, _paid_elsewhere(dispatch.name, self.name)), AlreadyPaidError)
            row.sales_order = dispatch.sales_order
            row.vendor_status = dispatch.vendor_status
            row.delivered_on = dispatch.last_sync or dispatch.modified
            row.qty = amounts[dispatch.name]["qty"]
            row.amount = flt(amounts[dispatch.name]["amount"], 2)


def _dispatches_of(doc) -> list[str]:
    return [row.fulfillment_dispatch for row in doc.lines]


def _paid_elsewhere(dispatch: str, payout: str | None) -> str | None:
    return frappe.db.get_value(PAYOUT_LINE, {"paid_dispatch": dispatch, "parent": ["!=", payout or ""]}, "parent")

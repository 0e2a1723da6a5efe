"""Items approved before approval required a mapped vendor route go back to the queue.

Approval now means sellable: the Item routes to exactly one installed vendor and carries that
vendor's Item mapping (``medgrid.catalog_admin.approval.check_sellable``). An Item approved earlier
without that would be refused at every order, so it returns to Pending with the reason the queue
and the vendor's portal page show; nothing else about it changes and nothing is deleted.
"""

import frappe
from frappe import _
from frappe.utils import cint

from medgrid.catalog_admin.approval import MAX_REASON, PENDING
from medgrid.catalog_admin.mapping import ITEM_FIELDS, mapping_fields, route_of
from medgrid.connectors.base import get_connectors


def execute():
    if not frappe.db.has_column("Item", "medgrid_approval_status"):
        return  # the approval fields come with the app's custom fields; nothing was approved through them yet
    for item_code, problems in unmapped_approved_items():
        reason = _("Sent back for review: an approved product must route to exactly one vendor with its "
                   "mapping set. {0}").format("; ".join(problems))
        frappe.db.set_value("Item", item_code, {"medgrid_approved": 0, "medgrid_approval_status": PENDING,
                                                "medgrid_approval_reason": reason[:MAX_REASON]})


def unmapped_approved_items() -> list[tuple[str, list]]:
    """(item code, route problems) of every approved, enabled Item the router could not sell (what the
    Item validate hook refuses; a mapping value shared with another Item stays for the mapping screen)."""
    fields = [f for f in mapping_fields() if frappe.db.has_column("Item", f)]
    items = frappe.get_all("Item", filters={"disabled": 0, "medgrid_approved": 1}, fields=ITEM_FIELDS + fields,
                           order_by="name asc", limit_page_length=0)
    connectors = get_connectors()
    out = []
    for item in items:
        if cint(item.medgrid_approved):
            problems = route_of(item, connectors)["problems"]
            if problems:
                out.append((item.name, problems))
    return out

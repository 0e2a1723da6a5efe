"""Shared set-up of the back-office tests (approval, mapping, onboarding, order-flow dashboard) on the
``api`` site (tests/medgrid/conftest.py): Items made straight on the site, refusals checked per role."""

from __future__ import annotations

import uuid

ROLES_REFUSED = (None, "partner", "rep", "vendor")   # None: Guest


def unique(prefix: str = "bo") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_item(frappe, *, approved=0, status=None, **values) -> str:
    """An Item; ``approved`` is written straight to the table, as for Items approved before approval
    required a mapped vendor route (the mapping screen lists those; saving one approved is refused)."""
    code = values.pop("item_code", None) or unique("BO-ITEM").upper()
    doc = frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": values.pop("item_name", code),
                          "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1,
                          "medgrid_approved": 0, "medgrid_approval_status": status, **values})
    doc.flags.ignore_permissions = True
    doc.insert()
    if approved:
        frappe.db.set_value("Item", doc.name, "medgrid_approved", approved, update_modified=False)
    return doc.name


def item_values(api, code: str, *fields) -> dict:
    with api.context() as frappe:
        return frappe.db.get_value("Item", code, list(fields), as_dict=True)

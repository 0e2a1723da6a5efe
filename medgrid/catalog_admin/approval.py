"""Product approval: the queue of vendor products waiting for a Marketplace Admin, approve and reject.

Products a vendor brings arrive unapproved (``medgrid_approved`` 0, ``medgrid_approval_status``
Pending) unless their store is trusted: a vendor's own Shopify store only when its Vendor Profile has
``trusted_catalog``, the admin-managed Exoceuticals store always (``Store.approve_new_items`` in
``medgrid.integrations.store_sync``). When an
untrusted store changes a product's content, the Item goes back to Pending and the change is kept in
``medgrid_sync_changes`` (field → [before, after]) for the reviewer.

Every approval field is permlevel 1: only roles with permlevel-1 write on Item (the Marketplace
Admin) may change them, here or in the Desk. Approving also requires the Item to route to exactly one
vendor with its mapping set (``medgrid.catalog_admin.mapping``): only approved, mapped items sell.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import cint, cstr, now_datetime

from medgrid.pages import ADMIN_ROLES

PENDING, APPROVED, REJECTED = "Pending", "Approved", "Rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
MAX_BULK = 200
MAX_REASON = 1000
QUEUE_LIMIT = 500
# store-decided Item fields a reviewer looks at again when an untrusted store changes them
REVIEWED_FIELDS = ("item_name", "description", "item_group", "exoceuticals_variant_id", "shopify_product_id",
                   "vendor_profile", "fulfillment_vendor")
QUEUE_FIELDS = ["name", "item_name", "item_group", "vendor_profile", "fulfillment_vendor", "disabled",
                "medgrid_approved", "medgrid_approval_status", "medgrid_approval_reason", "medgrid_sync_changes",
                "medgrid_reviewed_by", "medgrid_reviewed_on", "shopify_product_id", "modified"]


class NotApprovableError(frappe.ValidationError):
    """The Item cannot be sold as it is (no single vendor route, mapping missing)."""


# ------------------------------------------------------------------------------------- store sync

def synced_item_created(doc, trusted: bool) -> None:
    """A new Item from a store sync: approved when the store is trusted, else it waits in the queue."""
    doc.medgrid_approved = 1 if trusted else 0
    doc.medgrid_approval_status = APPROVED if trusted else PENDING


def synced_item_changed(doc, changes: dict, trusted: bool) -> None:
    """Before a store sync writes ``changes`` to ``doc``: keep what changed; an untrusted store's change
    to what a reviewer approved sends the Item back to the queue."""
    diff = {field: [_plain(doc.get(field)), _plain(value)] for field, value in changes.items()}
    doc.medgrid_sync_changes = json.dumps(diff, sort_keys=True, default=str)
    if not trusted and any(field in REVIEWED_FIELDS for field in changes) and \
            doc.get("medgrid_approval_status") != REJECTED:
        doc.medgrid_approved = 0
        doc.medgrid_approval_status = PENDING


def _plain(value):
    return value if isinstance(value, (int, float)) or value is None else cstr(value)


# ------------------------------------------------------------------------------------- the queue

def check_approver() -> None:
    """Marketplace Admins only, and only with permlevel-1 write on Item (the approval fields)."""
    frappe.only_for(ADMIN_ROLES)
    if 1 not in frappe.get_meta("Item").get_permlevel_access("write"):
        frappe.throw(_("You may not change the approval of Items"), frappe.PermissionError)


def status_of(row) -> str:
    """The approval status as it sells: ``medgrid_approved`` decides (the Desk may tick it without the
    status field), then Rejected or Pending."""
    if cint(row.get("medgrid_approved")):
        return APPROVED
    return REJECTED if row.get("medgrid_approval_status") == REJECTED else PENDING


def queue_rows(status: str = PENDING, vendor_profile: str | None = None, search: str | None = None) -> list[dict]:
    """Items in ``status`` (Pending: unapproved and not rejected), newest change first."""
    if status not in STATUSES:
        frappe.throw(_("Unknown approval status {0}").format(status), frappe.ValidationError)
    filters = []
    if status == PENDING:
        filters.append(["medgrid_approved", "=", 0])
    elif status == REJECTED:
        filters.append(["medgrid_approval_status", "=", REJECTED])
    else:
        filters.append(["medgrid_approved", "=", 1])
    if vendor_profile:
        filters.append(["vendor_profile", "=", vendor_profile])
    if search:
        filters.append(["item_name", "like", f"%{search}%"])
    rows = frappe.get_all("Item", filters=filters, fields=QUEUE_FIELDS, order_by="modified desc",
                          limit_page_length=QUEUE_LIMIT)
    if status == PENDING:  # in Python: a NULL status must count as Pending on every engine
        rows = [r for r in rows if r.medgrid_approval_status != REJECTED]
    problems = {r["item_code"]: r["problems"] for r in unroutable_items_for(rows)}
    for row in rows:
        row["status"] = status_of(row)
        row["changes"] = _changes(row.medgrid_sync_changes)
        row["route_problems"] = problems.get(row.name, [])
    return rows


def unroutable_items_for(rows) -> list[dict]:
    """Route problems of the given Items as if they were approved (what approving them would sell)."""
    from medgrid.catalog_admin.mapping import duplicate_values, load_items, route_of
    from medgrid.connectors.base import get_connectors

    if not rows:
        return []
    connectors = get_connectors()
    duplicates = duplicate_values(load_items())
    names = [r.name for r in rows]
    items = frappe.get_all("Item", filters={"name": ["in", names]},
                           fields=_route_fields(), limit_page_length=len(names))
    out = []
    for item in items:
        route = route_of(item, connectors, duplicates)
        if route["problems"]:
            out.append({"item_code": item.name, **route})
    return out


def _route_fields() -> list[str]:
    from medgrid.catalog_admin.mapping import ITEM_FIELDS, mapping_fields

    return ITEM_FIELDS + mapping_fields()


def _changes(text) -> list[dict]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return []
    return [{"field": field, "before": pair[0], "after": pair[1]} for field, pair in sorted(data.items())
            if isinstance(pair, list) and len(pair) == 2]


@frappe.whitelist(methods=["GET"])
def get_queue(status=PENDING, vendor_profile=None, search=None):
    """Admin: the approval queue (``status`` Pending, Approved or Rejected)."""
    check_approver()
    return queue_rows(status or PENDING, vendor_profile or None, (search or "").strip() or None)


def _names(names) -> list[str]:
    if isinstance(names, str):
        text = names.strip()
        if text.startswith("["):
            try:
                names = json.loads(text)
            except ValueError:
                frappe.throw(_("names must be an item code or a JSON list of item codes"), frappe.ValidationError)
        else:
            names = [text] if text else []
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        frappe.throw(_("Missing required parameter: {0}").format("names"), frappe.ValidationError)
    if len(names) > MAX_BULK:
        frappe.throw(_("At most {0} items at once").format(MAX_BULK), frappe.ValidationError)
    missing = [n for n in names if not frappe.db.exists("Item", n)]
    if missing:
        frappe.throw(_("Item {0} not found").format(", ".join(missing)), frappe.DoesNotExistError)
    return list(dict.fromkeys(n.strip() for n in names))


@frappe.whitelist(methods=["POST"])
def approve_items(names=None, reason=None):
    """Admin: approve Items (one code or a JSON list). All or nothing: an Item without exactly one mapped
    vendor route refuses the whole call, naming it and why."""
    check_approver()
    names = _names(names)
    reason = _reason(reason, required=False)
    from medgrid.catalog_admin.mapping import load_items

    disabled = [i.name for i in frappe.get_all("Item", filters={"name": ["in", names], "disabled": 1},
                                                fields=["name"])]
    if disabled:
        frappe.throw(_("Disabled Items cannot be approved: {0}").format(", ".join(disabled)), NotApprovableError)
    problems = unroutable_items_for(load_items(names=names))
    if problems:
        lines = [f"{p['item_code']}: {'; '.join(p['problems'])}" for p in problems]
        frappe.throw(_("Map these Items to exactly one vendor first:") + "<br>" + "<br>".join(lines),
                     NotApprovableError)
    for name in names:
        _review(name, APPROVED, reason)
    return {"approved": names}


@frappe.whitelist(methods=["POST"])
def reject_items(names=None, reason=None):
    """Admin: reject Items with a reason the vendor sees (one code or a JSON list)."""
    check_approver()
    names = _names(names)
    reason = _reason(reason, required=True)
    for name in names:
        _review(name, REJECTED, reason)
    return {"rejected": names}


def _reason(reason, required: bool) -> str:
    text = cstr(reason).strip() if isinstance(reason, str) or reason is None else None
    if text is None:
        frappe.throw(_("reason must be text"), frappe.ValidationError)
    if required and not text:
        frappe.throw(_("Give a reason: the vendor sees it"), frappe.ValidationError)
    if len(text) > MAX_REASON:
        frappe.throw(_("The reason is longer than {0} characters").format(MAX_REASON), frappe.ValidationError)
    return text


def _review(name: str, status: str, reason: str) -> None:
    doc = frappe.get_doc("Item", name)
    doc.update({"medgrid_approved": 1 if status == APPROVED else 0, "medgrid_approval_status": status,
                "medgrid_approval_reason": reason or None, "medgrid_reviewed_by": frappe.session.user,
                "medgrid_reviewed_on": now_datetime(), "medgrid_sync_changes": None})
    doc.save()  # as the admin: Item write and permlevel-1 write apply


# ------------------------------------------------------------------------------------- Item validate

# Item fields that decide its route; a change to one of them on an approved Item is checked again
ROUTING_FIELDS = ("medgrid_approved", "disabled", "fulfillment_vendor", "vendor_profile", "requires_prescription")


def check_sellable(doc, method=None) -> None:
    """Item validate: an approved, enabled Item routes to exactly one vendor with its mapping set.

    The queue checks this before approving; this hook holds the same rule for every other way an
    Item is saved approved (the Desk form, a REST PUT, an import), so ``medgrid_approved`` always means
    sellable. Checked when the Item is new or one of its routing or mapping fields changes.

    A saved Item is refused (417). A new one is approved by the field's default even when its creator
    may not change approval (a Stock Manager, a vendor), so one that cannot be sold yet is created
    Pending instead, with the reason the queue shows, and the creator is told.
    """
    if not cint(doc.get("medgrid_approved")) or cint(doc.get("disabled")):
        return
    from medgrid.catalog_admin.mapping import mapping_fields, route_of
    from medgrid.connectors.base import get_connectors

    fields = mapping_fields()
    if not doc.is_new() and not any(doc.has_value_changed(f) for f in ROUTING_FIELDS + tuple(fields)):
        return
    # a mapping value another Item shares is not checked here: the mapping screen lists it (the demo and
    # the sandboxes' catalogs share vendor products), and it does not change where this Item goes
    problems = route_of(doc, get_connectors())["problems"]
    if problems and doc.is_new():
        reason = _("Waits for mapping: {0}").format("; ".join(problems))[:MAX_REASON]
        doc.update({"medgrid_approved": 0, "medgrid_approval_status": PENDING, "medgrid_approval_reason": reason})
        frappe.msgprint(_("Item {0} is saved Pending, not approved: {1}").format(doc.name, reason), alert=True)
    elif problems:
        frappe.throw(_("Item {0} cannot be approved until it is mapped to exactly one vendor: {1}").format(
            doc.name, "; ".join(problems)), NotApprovableError)


# ------------------------------------------------------------------------------------- vendors

def vendor_products(vendor_profile: str) -> list[dict]:
    """A vendor's own Items with their approval status and the reviewer's reason (for its portal page)."""
    rows = frappe.get_all("Item", filters={"vendor_profile": vendor_profile},
                          fields=["name", "item_name", "disabled", "medgrid_approved", "medgrid_approval_status",
                                  "medgrid_approval_reason", "medgrid_reviewed_on"],
                          order_by="modified desc", limit_page_length=QUEUE_LIMIT)
    for row in rows:
        row["status"] = status_of(row)
    return rows


# ------------------------------------------------------------------------------------- Item fields

def approval_item_fields(after: str) -> list[dict]:
    """The Item fields of the approval (``medgrid.setup.custom_fields`` adds them after the mapping fields).

    permlevel 1, like ``medgrid_approved``: a rep or vendor neither changes nor (through the API) reads
    another vendor's review; the vendor's portal page shows it its own Items' reason.
    """
    common = {"permlevel": 1, "no_copy": 1}
    return [
        {"fieldname": "medgrid_approval_section", "fieldtype": "Section Break", "label": "Marketplace Approval",
         "collapsible": 1, "insert_after": after},
        {**common, "fieldname": "medgrid_approval_status", "fieldtype": "Select", "label": "Approval Status",
         "options": "\n" + "\n".join(STATUSES), "insert_after": "medgrid_approval_section", "in_standard_filter": 1},
        {**common, "fieldname": "medgrid_approval_reason", "fieldtype": "Small Text", "label": "Approval Reason",
         "insert_after": "medgrid_approval_status",
         "description": "Why the product was rejected (or notes on its approval); the vendor sees it"},
        {**common, "fieldname": "medgrid_reviewed_by", "fieldtype": "Link", "options": "User", "label": "Reviewed By",
         "read_only": 1, "insert_after": "medgrid_approval_reason"},
        {**common, "fieldname": "medgrid_reviewed_on", "fieldtype": "Datetime", "label": "Reviewed On",
         "read_only": 1, "insert_after": "medgrid_reviewed_by"},
        {**common, "fieldname": "medgrid_sync_changes", "fieldtype": "Long Text", "read_only": 1,
         "label": "Changed by the Last Store Sync", "insert_after": "medgrid_reviewed_on",
         "description": "JSON: field → [before, after], written by the Shopify catalog sync"},
    ]

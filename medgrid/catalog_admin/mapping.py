"""The vendor mapping fields of Items: format checks, the router's one-route rule, inline edit, CSV.

The mapping fields are the registered vendors' ``item_mapping_field`` (``medgrid.vendors``): with the
built-in vendors ``perfectrx_drug_description``, ``shipstation_product_id``, ``sinq_sku``,
``centre_research_product_id`` and ``exoceuticals_variant_id`` (shared by the Exoceuticals store and
vendors' own Shopify stores). Which vendor an Item goes to is decided by the router alone
(:func:`medgrid.fulfillment_router.routing.vendor_for_item`); this module only explains its answer.
"""

from __future__ import annotations

import csv
import io
import json
import re

import frappe
from frappe import _
from frappe.utils import cstr

from medgrid.pages import ADMIN_ROLES
from medgrid.vendors import get_vendors

SHOPIFY_VARIANT_GID = re.compile(r"^gid://shopify/ProductVariant/[1-9][0-9]{0,19}$")
SHOPIFY_FIELD = "exoceuticals_variant_id"
# ASCII control characters (a pasted tab or newline inside an id would reach the vendor as is)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_LENGTH = 140
MAX_DESCRIPTION_LENGTH = 500
MAX_IMPORT_ROWS = 5000
MAX_ITEMS = 5000
UNROUTED = "unrouted"
ITEM_FIELDS = ["name", "item_name", "disabled", "is_sales_item", "medgrid_approved", "fulfillment_vendor",
               "vendor_profile", "requires_prescription"]


class MappingFormatError(frappe.ValidationError):
    """A mapping value the vendor would not recognise."""


def mapping_fields() -> list[str]:
    """Every registered vendor's Item mapping field, once each, in registry order."""
    out: list[str] = []
    for descriptor in get_vendors().values():
        if descriptor.item_mapping_field and descriptor.item_mapping_field not in out:
            out.append(descriptor.item_mapping_field)
    return out


def field_labels() -> dict:
    meta = frappe.get_meta("Item")
    return {f: _(meta.get_label(f)) for f in mapping_fields()}


def field_vendors() -> dict:
    """mapping field → labels of the vendors that read it."""
    out: dict[str, list] = {}
    for descriptor in get_vendors().values():
        if descriptor.item_mapping_field:
            out.setdefault(descriptor.item_mapping_field, []).append(descriptor.label)
    return out


def format_problem(fieldname: str, value) -> str | None:
    """Why ``value`` is not a valid ``fieldname`` mapping (None when it is; a blank value clears it)."""
    text = cstr(value)
    if not text.strip():
        return None
    if text != text.strip():
        return _("has spaces at its start or end")
    if CONTROL_CHARACTERS.search(text):
        return _("contains a tab, line break or other control character")
    if fieldname == SHOPIFY_FIELD:
        if not SHOPIFY_VARIANT_GID.match(text):
            return _("is not a Shopify variant GID (gid://shopify/ProductVariant/<digits>)")
        return None
    limit = MAX_DESCRIPTION_LENGTH if fieldname == "perfectrx_drug_description" else MAX_ID_LENGTH
    if len(text) > limit:
        return _("is longer than {0} characters").format(limit)
    return None


# ------------------------------------------------------------------------------------------- routes

def load_items(filters=None, names=None) -> list:
    """Enabled Items with their routing and mapping fields (at most MAX_ITEMS)."""
    filters = dict(filters or {})
    filters.setdefault("disabled", 0)
    if names is not None:
        filters["name"] = ["in", list(names) or [""]]
    return frappe.get_all("Item", filters=filters, fields=ITEM_FIELDS + mapping_fields(),
                          order_by="name asc", limit_page_length=MAX_ITEMS)


def duplicate_values(items) -> dict:
    """(field, value) → item codes, for mapping values two or more Items share."""
    seen: dict[tuple, list] = {}
    for item in items:
        for fieldname in mapping_fields():
            value = cstr(item.get(fieldname)).strip()
            if value:
                seen.setdefault((fieldname, value), []).append(item.name)
    return {key: codes for key, codes in seen.items() if len(codes) > 1}


def route_of(item, connectors, duplicates=None) -> dict:
    """The router's vendor for ``item`` and every reason it does not have exactly one usable route."""
    from medgrid.fulfillment_router.routing import vendor_for_item

    vendors = get_vendors()
    vendor = vendor_for_item(item, connectors)
    problems = []
    set_fields = [f for f in mapping_fields() if cstr(item.get(f)).strip()]
    decided_by_mapping = not item.get("fulfillment_vendor") and not _profile_key(item.get("vendor_profile")) \
        and not (item.get("requires_prescription") and "perfectrx" in connectors)
    if not vendor:
        problems.append(_("no vendor: set a Fulfillment Vendor, a Vendor Profile or a mapping field"))
    elif vendor not in connectors:
        problems.append(_("routed to {0}, which is not an installed vendor").format(vendor))
    if decided_by_mapping and len(set_fields) > 1:
        problems.append(_("several mapping fields are set ({0}): the router takes the first, name the vendor "
                          "in Fulfillment Vendor").format(", ".join(set_fields)))
    descriptor = vendors.get(vendor) if vendor else None
    field = descriptor.item_mapping_field if descriptor else None
    if descriptor and field and not cstr(item.get(field)).strip():
        problems.append(_("routed to {0} but {1} is empty").format(descriptor.label, field))
    for fieldname in set_fields:
        problem = format_problem(fieldname, item.get(fieldname))
        if problem:
            problems.append(f"{fieldname} {problem}")
        codes = (duplicates or {}).get((fieldname, cstr(item.get(fieldname)).strip()))
        if codes:
            others = [c for c in codes if c != item.name]
            problems.append(_("{0} is also the mapping of {1}").format(fieldname, ", ".join(others)))
    return {"vendor": vendor, "vendor_label": descriptor.label if descriptor else None, "problems": problems,
            "mapped": bool(descriptor and (not field or cstr(item.get(field)).strip()))}


def _profile_key(profile):
    return frappe.db.get_value("Vendor Profile", profile, "vendor_key") if profile else None


def unroutable_items(names=None) -> list[dict]:
    """Approved, enabled Items that do not resolve to exactly one usable vendor route, with the reasons."""
    from medgrid.connectors.base import get_connectors

    connectors = get_connectors()
    everything = load_items()
    duplicates = duplicate_values(everything)
    wanted = set(names) if names is not None else None
    out = []
    for item in everything:
        if not item.medgrid_approved or (wanted is not None and item.name not in wanted):
            continue
        route = route_of(item, connectors, duplicates)
        if route["problems"]:
            out.append({"item_code": item.name, "item_name": item.item_name, **route})
    return out


# ------------------------------------------------------------------------------------------- the screen

@frappe.whitelist(methods=["GET"])
def get_mapping(vendor=None):
    """Admin: the Items a vendor fulfils (``vendor`` = a vendor key, or ``unrouted``), unmapped first."""
    frappe.only_for(ADMIN_ROLES)
    return mapping_rows(vendor)


def mapping_rows(vendor=None) -> dict:
    from medgrid.connectors.base import get_connectors

    vendors = get_vendors()
    if vendor and vendor != UNROUTED and vendor not in vendors:
        frappe.throw(_("Unknown vendor {0}").format(vendor), frappe.ValidationError)
    connectors = get_connectors()
    items = load_items()
    duplicates = duplicate_values(items)
    rows = []
    for item in items:
        route = route_of(item, connectors, duplicates)
        key = route["vendor"] if route["vendor"] in vendors else UNROUTED
        if vendor and key != vendor:
            continue
        row = {"item_code": item.name, "item_name": item.item_name, "approved": bool(item.medgrid_approved),
               "fulfillment_vendor": item.fulfillment_vendor, "vendor_profile": item.vendor_profile, **route,
               "values": {f: item.get(f) or "" for f in mapping_fields()}}
        rows.append(row)
    rows.sort(key=lambda r: (r["mapped"] and not r["problems"], r["item_code"]))
    return {"vendor": vendor or "", "fields": mapping_fields(), "labels": field_labels(), "rows": rows,
            "unmapped": sum(1 for r in rows if not r["mapped"] or r["problems"])}


@frappe.whitelist(methods=["POST"])
def save_mapping(item_code=None, fieldname=None, value=None):
    """Admin: set one mapping field of one Item (blank clears it); the Item's route afterwards."""
    frappe.only_for(ADMIN_ROLES)
    item_code, fieldname = _required(item_code, "item_code"), _required(fieldname, "fieldname")
    _check_field(fieldname)
    value = cstr(value)
    problem = format_problem(fieldname, value)
    if problem:
        frappe.throw(_("{0} of Item {1} {2}").format(fieldname, item_code, problem), MappingFormatError)
    if not frappe.db.exists("Item", item_code):
        frappe.throw(_("Item {0} not found").format(item_code), frappe.DoesNotExistError)
    _check_unique(fieldname, value, item_code)
    doc = frappe.get_doc("Item", item_code)
    doc.set(fieldname, value.strip() or None)
    doc.save()  # as the admin: Item write permission and MedGrid's write guard apply
    from medgrid.connectors.base import get_connectors

    item = load_items(names=[item_code])
    route = route_of(item[0], get_connectors(), duplicate_values(load_items())) if item else {}
    return {"item_code": item_code, "fieldname": fieldname, "value": doc.get(fieldname) or "", **route}


def _required(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        frappe.throw(_("Missing required parameter: {0}").format(name), frappe.ValidationError)
    return value.strip()


def _check_field(fieldname: str) -> None:
    if fieldname not in mapping_fields():
        frappe.throw(_("{0} is not a vendor mapping field (one of {1})").format(
            fieldname, ", ".join(mapping_fields())), frappe.ValidationError)


def _check_unique(fieldname: str, value: str, item_code: str) -> None:
    value = value.strip()
    if not value:
        return
    other = frappe.db.get_value("Item", {fieldname: value, "name": ["!=", item_code]}, "name")
    if other:
        frappe.throw(_("{0} {1} is already the mapping of Item {2}").format(fieldname, value, other),
                     MappingFormatError)


# ------------------------------------------------------------------------------------------- CSV

@frappe.whitelist(methods=["GET"])
def export_mapping(vendor=None):
    """Admin: the mapping screen's rows as CSV text (item_code, item_name, the mapping fields)."""
    frappe.only_for(ADMIN_ROLES)
    data = mapping_rows(vendor)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["item_code", "item_name", *data["fields"]])
    for row in data["rows"]:
        writer.writerow([row["item_code"], row["item_name"], *(row["values"][f] for f in data["fields"])])
    return {"filename": f"medgrid-mapping-{vendor or 'all'}.csv", "csv": out.getvalue()}


@frappe.whitelist(methods=["POST"])
def import_mapping(csv_text=None):
    """Admin: set mapping fields from CSV (``item_code`` plus any mapping columns; a blank cell clears).

    All or nothing: every row is checked first (known Item, known column, format, one Item per value)
    and any problem refuses the whole file naming row and column.
    """
    frappe.only_for(ADMIN_ROLES)
    if not isinstance(csv_text, str) or not csv_text.strip():
        frappe.throw(_("Missing required parameter: {0}").format("csv_text"), frappe.ValidationError)
    changes, errors = plan_import(csv_text)
    if errors:
        frappe.throw("<br>".join(errors[:20]) + (_("<br>… and {0} more").format(len(errors) - 20)
                                                 if len(errors) > 20 else ""), MappingFormatError)
    updated = 0
    for item_code, values in changes.items():
        doc = frappe.get_doc("Item", item_code)
        diff = {f: v for f, v in values.items() if cstr(doc.get(f)) != cstr(v)}
        if diff:
            doc.update(diff)
            doc.save()
            updated += 1
    return {"rows": len(changes), "updated": updated, "unchanged": len(changes) - updated}


def plan_import(csv_text: str) -> tuple[dict, list]:
    """item_code → {field: value or None} from the CSV, and the problems found (row numbers are the file's)."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return {}, [_("The file is empty")]
    except csv.Error as error:
        return {}, [_("The file is not CSV: {0}").format(error)]
    if "item_code" not in header:
        return {}, [_("The first row must name the columns, with an item_code column")]
    fields = mapping_fields()
    unknown = [h for h in header if h and h not in fields and h not in ("item_code", "item_name")]
    if unknown:
        return {}, [_("Unknown columns: {0} (mapping columns are {1})").format(", ".join(unknown), ", ".join(fields))]
    columns = [(i, h) for i, h in enumerate(header) if h in fields]
    if not columns:
        return {}, [_("No mapping column: add one of {0}").format(", ".join(fields))]
    code_at = header.index("item_code")
    changes: dict = {}
    errors: list = []
    claimed: dict = {}
    try:
        rows = list(reader)
    except csv.Error as error:
        return {}, [_("The file is not CSV: {0}").format(error)]
    if len(rows) > MAX_IMPORT_ROWS:
        return {}, [_("At most {0} rows per file").format(MAX_IMPORT_ROWS)]
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        code = row[code_at].strip() if code_at < len(row) else ""
        if not code or not frappe.db.exists("Item", code):
            errors.append(_("Row {0}: Item {1} not found").format(number, code or "(blank)"))
            continue
        if code in changes:
            errors.append(_("Row {0}: Item {1} is in the file twice").format(number, code))
            continue
        values = {}
        for index, fieldname in columns:
            value = row[index] if index < len(row) else ""
            problem = format_problem(fieldname, value)
            if problem:
                errors.append(_("Row {0}, {1}: {2} {3}").format(number, fieldname, json.dumps(value), problem))
                continue
            value = value.strip()
            if value:
                key = (fieldname, value)
                if key in claimed:
                    errors.append(_("Row {0}, {1}: {2} is also given to {3}").format(
                        number, fieldname, value, claimed[key]))
                claimed[key] = code
            values[fieldname] = value or None
        changes[code] = values
    # a value may not stay with an Item the file does not move it away from
    for (fieldname, value), code in claimed.items():
        holder = frappe.db.get_value("Item", {fieldname: value, "name": ["!=", code]}, "name")
        if holder and not (holder in changes and changes[holder].get(fieldname, value) != value):
            errors.append(_("{0} {1} is already the mapping of Item {2}").format(fieldname, value, holder))
    return changes, errors

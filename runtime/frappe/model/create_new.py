"""New documents with their defaults (Frappe's frappe.model.create_new)."""

from __future__ import annotations

import frappe
from frappe.model import no_value_fields, table_fields


def get_new_doc(doctype, parent_doc=None, parentfield=None, as_dict=False):
    """A new document of ``doctype`` with static and dynamic defaults applied."""
    doc = frappe.get_doc({"doctype": doctype, "__islocal": 1, "owner": frappe.session.user, "docstatus": 0})
    apply_field_defaults(doc)
    if parent_doc:
        doc.parent = parent_doc.name
        doc.parenttype = parent_doc.doctype
    if parentfield:
        doc.parentfield = parentfield
    return doc.as_dict() if as_dict else doc


def _default_value(df):
    from frappe.utils import nowdate, now_datetime, nowtime

    default = df.get("default")
    if default is None or default == "":
        if df.fieldtype == "Select" and df.options:
            # Frappe fills a Select without a default with its first option
            options = [o for o in df.options.split("\n") if o.strip()] if df.fieldname == "naming_series" \
                else df.options.split("\n")
            return options[0] if options and options[0] else None
        return None
    if isinstance(default, str):
        if default.lower() == "today":
            return nowdate() if df.fieldtype != "Datetime" else now_datetime()
        if default.lower() == "now":
            return now_datetime() if df.fieldtype == "Datetime" else nowtime()
        if default.startswith(":"):
            return None
        if default == "__user":
            return frappe.session.user
    return default


def apply_field_defaults(doc) -> None:
    """Fill empty fields with their defaults (and user-permission defaults for Links)."""
    from frappe.permissions import get_user_permission_default

    for df in doc.meta.fields:
        if df.fieldtype in no_value_fields or df.fieldtype in table_fields:
            continue
        if doc.get(df.fieldname) not in (None, ""):
            continue
        value = None
        if df.fieldtype == "Link" and not doc.get("parentfield"):
            value = get_user_permission_default(df)
        if value is None:
            value = _default_value(df)
            if value is not None and df.fieldtype in ("Check", "Int", "Float", "Currency", "Percent"):
                from frappe.model.base_document import _coerce

                value = _coerce(df.fieldtype, value, df)
        if value is not None:
            doc.set(df.fieldname, value)


def set_dynamic_default_values(doc, parent_doc=None, parentfield=None):
    apply_field_defaults(doc)

"""New documents with their defaults (Frappe's frappe.model.create_new).

A new document starts from a *template*: the doctype's static defaults (user-permission and
site/user defaults for Links, the field default, "Today", the first option of a Select), with
``__islocal`` and ``__unsaved`` set. Dynamic defaults (``:DocType`` references, "now") are added
per document. ``Document._set_defaults`` copies the template into a document being inserted (and
into new child rows on save) wherever the document holds None, as Frappe's ``update_if_missing``.
"""

from __future__ import annotations

import copy

import frappe
from frappe.model import data_fieldtypes, numeric_fieldtypes


def get_new_doc(doctype, parent_doc=None, parentfield=None, as_dict=False):
    """A new document of ``doctype`` with static and dynamic defaults applied."""
    templates = getattr(frappe.local, "new_doc_templates", None)
    if templates is None:
        templates = frappe.local.new_doc_templates = {}
    if doctype not in templates:
        templates[doctype] = make_new_doc(doctype)
    doc = copy.deepcopy(templates[doctype])
    set_dynamic_default_values(doc, parent_doc, parentfield)
    return doc if as_dict else frappe.get_doc(doc)


def make_new_doc(doctype) -> dict:
    """The template dict of a new ``doctype`` document (static defaults only)."""
    doc = frappe.get_doc({"doctype": doctype, "__islocal": 1, "owner": frappe.session.user, "docstatus": 0})
    set_user_and_static_default_values(doc)
    out = frappe._dict()
    for fieldname in doc.meta.get_valid_columns():
        df = doc.meta.get_field(fieldname)
        if df is not None and df.get("is_virtual"):
            continue
        value = doc.__dict__.get(fieldname)
        if df is not None and df.fieldtype == "Check":
            value = 1 if _truthy_int(value) else 0
        out[fieldname] = value
    out["doctype"] = doctype
    out["__islocal"] = 1
    if not doc.meta.issingle:
        out["__unsaved"] = 1
    return out


def _truthy_int(value) -> bool:
    from frappe.utils import cint

    return bool(cint(value))


def set_user_and_static_default_values(doc) -> None:
    """Defaults that do not depend on other documents: Link defaults from the user's permissions and
    the user/site defaults, else the field's static default (the title field gets none)."""
    title_field = doc.meta.get("title_field")
    site_defaults = None
    for df in doc.meta.fields:
        if df.fieldtype not in data_fieldtypes or df.get("is_virtual"):
            continue
        value = None
        if df.fieldtype == "Link" and df.options and df.options != "User":
            if site_defaults is None:
                site_defaults = _user_and_site_defaults()
            value = _link_default(df, site_defaults)
        if value is None and df.fieldname != title_field:
            value = get_static_default_value(df)
            if value is not None and df.fieldtype in numeric_fieldtypes:
                from frappe.model.base_document import _coerce

                value = _coerce(df.fieldtype, value, df)
        if value is not None:
            doc.set(df.fieldname, value)


def _user_and_site_defaults() -> dict:
    """The session user's defaults over the site-wide ones (``tabDefaultValue``)."""
    if not getattr(frappe.local, "db", None):
        return {}
    out = {}
    try:
        for parent in ("__default", frappe.session.user):
            # {defkey: [values by creation]}, kept per process until tabDefaultValue is written
            for key, values in frappe.db._cached_defaults(parent).items():
                for value in values:
                    if value not in (None, ""):
                        out[key] = value
    except Exception:
        return {}
    return out


def _link_default(df, site_defaults):
    """A Link's default: the user's default User Permission (or only allowed value), else the
    user/site default of the same name when that record exists."""
    from frappe.permissions import get_user_permission_default

    if not df.get("ignore_user_permissions"):
        value = get_user_permission_default(df)
        if value is not None:
            return value
    value = site_defaults.get(df.fieldname)
    if value and not isinstance(value, (list, dict)):
        try:
            if frappe.db.exists(df.options, value):
                return value
        except Exception:
            return None
    return None


def get_static_default_value(df):
    """The field's own default: ``__user``, "Today", a plain value, or a Select's first option."""
    from frappe.utils import nowdate

    default = df.get("default")
    if default not in (None, ""):
        if not isinstance(default, str):
            return default
        if default == "__user":
            return frappe.session.user
        if default.lower() == "today":
            return nowdate()
        if default.lower() == "now" and df.fieldtype == "Datetime":
            return None  # dynamic: set per document
        if default.startswith(":"):
            return None  # dynamic: a value of another document
        if df.fieldtype == "Time" and default.lower() == "now":
            return None
        return default
    if df.fieldtype == "Select" and df.options and df.options not in ("[Select]", "Loading..."):
        # the first line of the options, blank when the options start with an empty line
        return df.options.split("\n", 1)[0]
    return None


def set_dynamic_default_values(doc: dict, parent_doc=None, parentfield=None) -> None:
    """Defaults computed for each new document: ``:DocType`` (a field of the referenced document of
    the parent, or of the site default of that doctype) and "now" for Datetime/Time fields."""
    from frappe.utils import now_datetime, nowtime

    meta = frappe.get_meta(doc["doctype"])
    for df in meta.fields:
        default = df.get("default")
        if not isinstance(default, str) or not default:
            continue
        if default.startswith(":"):
            value = _default_from_another_document(df, parent_doc)
            if value is not None and not doc.get(df.fieldname):
                doc[df.fieldname] = value
        elif default.lower() == "now" and df.fieldtype == "Datetime":
            doc[df.fieldname] = now_datetime()
        elif default.lower() == "now" and df.fieldtype == "Time":
            doc[df.fieldname] = nowtime()
    if parent_doc is not None:
        doc["parent"] = parent_doc.name
        doc["parenttype"] = parent_doc.doctype
    if parentfield:
        doc["parentfield"] = parentfield


def _default_from_another_document(df, parent_doc):
    ref_doctype = df.default[1:]
    ref_fieldname = ref_doctype.lower().replace(" ", "_")
    try:
        if parent_doc is not None:
            reference = parent_doc.get(ref_fieldname)
        else:
            reference = frappe.db.get_default(ref_fieldname)
        if not reference:
            return None
        return frappe.db.get_value(ref_doctype, reference, df.fieldname)
    except Exception:
        return None


def update_if_missing(doc, values: dict) -> None:
    """Copy ``values`` into ``doc`` where the document holds None (Frappe's update_if_missing)."""
    skip = getattr(doc, "dont_update_if_missing", None) or ()
    for key, value in values.items():
        if key == "doctype" or value is None or key in skip:
            continue
        if doc.get(key) is None:
            doc.set(key, value)


def apply_field_defaults(doc) -> None:
    """Fill a document's empty fields with the defaults of a new document of its doctype."""
    parent_doc = getattr(doc, "parent_doc", None) if doc.get("parentfield") else None
    values = get_new_doc(doc.doctype, parent_doc=parent_doc, parentfield=doc.get("parentfield"), as_dict=True)
    for key in ("__islocal", "__unsaved", "name", "parent", "parenttype", "parentfield", "idx"):
        values.pop(key, None)
    update_if_missing(doc, values)

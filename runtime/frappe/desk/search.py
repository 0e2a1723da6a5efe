"""``frappe.desk.search``: the Link field's type-ahead (``search_link``) over ``search_widget``.

Frappe's behaviour (v15): the text is matched with ``like %txt%`` on ``name``, the title field and
the doctype's ``search_fields`` (text-like fields only); disabled records (a ``disabled`` Check, or an
``enabled`` Check at 0) are left out; rows whose name contains the text earlier come first, then the
doctype's sort order. Each result is ``{"value": name, "description": "<other columns, joined>"}``.
A ``query`` (set by a form script's ``set_query``) names a whitelisted method that answers instead,
and the ``standard_queries`` hook can name one per doctype.

Rows are the ones the REST API lists for the user (``frappe.get_list``: roles, User Permissions,
permission query conditions). Unlike Frappe, ``ignore_user_permissions`` does not widen that: on
Frappe it returns every row of a doctype the user may read at all — every customer to a partner.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint, cstr

# field types whose text a search matches (Frappe's list)
_SEARCHABLE_TYPES = ("Data", "Text", "Small Text", "Long Text", "Link", "Select", "Read Only", "Text Editor")
# Frappe orders by relevance inside the query; here the candidates are ordered in Python, so the
# query fetches this many rows beyond the page (enough for the type-ahead's few results)
_CANDIDATES = 500
_MAX_PAGE_LENGTH = 500
# a type-ahead text longer than this finds nothing (SQLite refuses LIKE patterns over 50 kB; no Link
# value is that long): the answer is an empty list, as Frappe answered a 60 kB text (security-desk B11)
_MAX_SEARCH_TEXT = 1000


@frappe.whitelist()
def search_link(doctype, txt, query=None, filters=None, page_length=10, searchfield=None, reference_doctype=None,
                ignore_user_permissions=False):
    """The Link field's suggestions: ``[{"value", "description"}]`` (``label`` when the doctype
    shows its title in links)."""
    rows = search_widget(doctype, cstr(txt).strip(), query, searchfield=searchfield, page_length=page_length,
                         filters=filters, reference_doctype=reference_doctype,
                         ignore_user_permissions=ignore_user_permissions)
    return build_for_autosuggest(rows, doctype)


@frappe.whitelist()
def search_widget(doctype, txt, query=None, searchfield=None, start=0, page_length=10, filters=None,
                  filter_fields=None, as_dict=False, reference_doctype=None, ignore_user_permissions=False):
    """Rows (lists: name first, then the search columns) matching ``txt``."""
    doctype = _require_doctype(doctype)
    txt = cstr(txt)
    start, page_length = _page(start, page_length)
    if len(txt) > _MAX_SEARCH_TEXT:
        return []
    filters = _parse_filters(filters)

    if not query:
        standard = frappe.get_hooks("standard_queries") or {}
        if standard.get(doctype):
            query = standard[doctype][-1]
    if query:
        return _run_query(query, doctype, txt, searchfield, start, page_length, filters, as_dict, reference_doctype)

    meta = frappe.get_meta(doctype)
    readable = set(meta.get_permitted_fieldnames()) | {"name"}
    searchfield = _check_searchfield(meta, searchfield)
    columns = [f for f in _std_fields_list(meta, searchfield or "name") if f in readable]

    or_filters = []
    if txt:
        for fieldname in columns if not searchfield else ["name", searchfield]:
            df = meta.get_field(fieldname)
            if fieldname == "name" or (df and df.fieldtype in _SEARCHABLE_TYPES):
                or_filters.append([doctype, fieldname, "like", f"%{txt}%"])
    if _has_check(meta, "enabled"):
        filters.append([doctype, "enabled", "=", 1])
    if _has_check(meta, "disabled"):
        filters.append([doctype, "disabled", "!=", 1])

    order_by = f"`tab{doctype}`.`{meta.sort_field or 'modified'}` {meta.sort_order or 'desc'}, `tab{doctype}`.`idx` desc"
    rows = frappe.get_list(doctype, fields=[f"`tab{doctype}`.`{f}`" for f in columns], filters=filters,
                           or_filters=or_filters, order_by=order_by, limit_start=0,
                           limit_page_length=start + page_length + _CANDIDATES, as_list=True,
                           reference_doctype=reference_doctype)
    rows = _by_relevance(rows, txt)[start:start + page_length]
    if as_dict:
        return [frappe._dict(zip(columns, row)) for row in rows]
    return [list(row) for row in rows]


def build_for_autosuggest(rows, doctype: str) -> list[dict]:
    """``{"value": first column, "description": the other non-empty columns, each once}``."""
    meta = frappe.get_meta(doctype)
    out = []
    for row in rows or []:
        values = list(row.values()) if isinstance(row, dict) else list(row)
        if not values:
            continue
        value = values[0]
        rest = _unique_texts(values[1:])
        if cint(meta.get("show_title_field_in_link")) and rest:
            label = rest[0]
            out.append({"value": value, "label": label, "description": ", ".join([cstr(value)] + rest[1:])})
        else:
            out.append({"value": value, "description": ", ".join(rest)})
    return out


def _unique_texts(values) -> list[str]:
    seen = []
    for v in values:
        text = cstr(v)
        if text and text not in seen:
            seen.append(text)
    return seen


def _by_relevance(rows, txt: str):
    """Names containing the text earlier first (MariaDB's case-insensitive ``locate``); the query's
    order is kept among equals and for names without it."""
    if not txt:
        return list(rows)
    needle = txt.lower()

    def rank(row):
        position = cstr(row[0]).lower().find(needle)
        return (0, position) if position >= 0 else (1, 0)

    return sorted(rows, key=rank)


def _std_fields_list(meta, key: str) -> list[str]:
    """name, the search fields, the title field, then ``key``: the columns a result shows."""
    fields = ["name"]
    for fieldname in (meta.get("search_fields") or "").split(","):
        fieldname = fieldname.strip()
        if fieldname and fieldname not in fields and (meta.get_field(fieldname) or fieldname in ("owner", "modified")):
            fields.append(fieldname)
    title = meta.get("title_field")
    if title and title not in fields and meta.get_field(title):
        fields.append(title)
    if key not in fields:
        fields.append(key)
    return fields


def _has_check(meta, fieldname: str) -> bool:
    df = meta.get_field(fieldname)
    return bool(df and df.fieldtype == "Check")


def _require_doctype(doctype) -> str:
    from frappe.desk.form.utils import require_doctype

    return require_doctype(doctype)


def _page(start, page_length) -> tuple[int, int]:
    start, page_length = cint(start), cint(page_length)
    if start < 0 or page_length < 0:
        frappe.throw(_("start and page_length must not be negative"), frappe.DataError)
    return start, min(page_length or 10, _MAX_PAGE_LENGTH)


def _parse_filters(filters) -> list:
    """``filters`` as a list of ``[doctype?, field, op, value]`` (a dict or JSON text is accepted)."""
    if isinstance(filters, str):
        from frappe.utils.caller_input import decode

        filters = decode(filters) if filters.strip() else None
    if not filters:
        return []
    if isinstance(filters, dict):
        out = []
        for key, value in filters.items():
            if isinstance(value, (list, tuple)) and len(value) == 2:
                out.append([key, value[0], value[1]])
            else:
                out.append([key, "=", value])
        return out
    if isinstance(filters, list):
        return list(filters)
    frappe.throw(_("filters must be an object or a list"), frappe.DataError)


def _check_searchfield(meta, searchfield):
    if not searchfield or searchfield == "name":
        return None
    if not isinstance(searchfield, str) or not meta.get_field(searchfield):
        frappe.throw(_("{0} is not a field of {1}").format(frappe.bold(cstr(searchfield)[:140]), meta.name),
                     frappe.DataError)
    return searchfield


def _run_query(query, doctype, txt, searchfield, start, page_length, filters, as_dict, reference_doctype):
    """A set_query ``query`` or a ``standard_queries`` method: it must be whitelisted, as any call."""
    if not isinstance(query, str):
        frappe.throw(_("query must be the dotted path of a method"), frappe.DataError)
    try:
        method = frappe.get_attr(query)
    except (ImportError, AttributeError, ValueError):
        frappe.throw(_("Method {0} not found").format(frappe.bold(query[:200])), frappe.DoesNotExistError)
    frappe.is_whitelisted(method)
    return frappe.call(method, doctype, txt, searchfield or "name", start, page_length, filters, as_dict=as_dict,
                       reference_doctype=reference_doctype)

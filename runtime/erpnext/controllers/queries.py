"""Link-field search queries of the ERPNext subset (``standard_queries`` in hooks.py), with ERPNext's
names and semantics; the rows are those ``frappe.get_list`` gives the user (the REST API's rules)."""

from __future__ import annotations

import frappe
from frappe.utils import cint, cstr


@frappe.whitelist()
def customer_query(doctype, txt, searchfield, start, page_len, filters, as_dict=False):
    """Customers for a Link field: name, the title (customer_name) and the search fields, matched with
    ``like %txt%`` on the search fields; names and customer names containing the text earlier come
    first, then by idx (desc), name and customer_name — ERPNext's order."""
    meta = frappe.get_meta("Customer")
    fields = ["name"]
    title = (meta.get("title_field") or "").strip()
    if title:
        fields.append(title)
    for fieldname in meta.get_search_fields():
        if fieldname not in fields and (fieldname == "name" or meta.get_field(fieldname)):
            fields.append(fieldname)
    readable = set(meta.get_permitted_fieldnames()) | {"name"}
    fields = [f for f in fields if f in readable]

    txt = cstr(txt)
    or_filters = [["Customer", f, "like", f"%{txt}%"] for f in meta.get_search_fields() if f in readable] if txt else []
    conditions = [["Customer", "docstatus", "<", 2], ["Customer", "disabled", "=", 0]]
    conditions.extend(_filters_list(filters))
    rows = frappe.get_list("Customer", fields=fields + ["idx"], filters=conditions, or_filters=or_filters,
                           order_by="`tabCustomer`.`name` asc", limit_page_length=0)
    needle = txt.lower()

    def position(value):
        found = cstr(value).lower().find(needle)
        return found if found >= 0 else 99999

    rows.sort(key=lambda r: (position(r.name), position(r.get(title)), -cint(r.idx), cstr(r.name),
                             cstr(r.get(title))))
    page = rows[cint(start):cint(start) + cint(page_len or 20)]
    if as_dict:
        return [frappe._dict({f: r.get(f) for f in fields}) for r in page]
    return [[r.get(f) for f in fields] for r in page]


def _filters_list(filters) -> list:
    if not filters:
        return []
    if isinstance(filters, dict):
        return [["Customer", key, "=", value] if not isinstance(value, (list, tuple))
                else ["Customer", key, value[0], value[1]] for key, value in filters.items()]
    return list(filters)

"""``frappe.desk.reportview.get``: the Desk list view's query, answered as Frappe v15 answers it.

The request's form arguments go to ``DatabaseQuery.execute`` as they are, so the permission rules
are exactly those of ``frappe.get_list``: a child doctype without a valid parent is refused with
"<child> is not a valid parent DocType for <child>", because Frappe names the queried doctype itself
as the parent when none is given. An argument ``execute`` does not take (``parent`` among them) is a
TypeError in Frappe, answered with a 500; here it is a 400 with the same type and message. The rows
come back "compressed": ``{"keys": [...], "values": [[...], ...], "user_info": {}}``.
"""

from __future__ import annotations

import json

import frappe

# the arguments DatabaseQuery.execute takes in Frappe v15 (besides the doctype)
_EXECUTE_ARGUMENTS = frozenset((
    "fields", "filters", "or_filters", "docstatus", "group_by", "order_by", "limit_start", "limit_page_length",
    "as_list", "with_childnames", "debug", "ignore_permissions", "user", "with_comment_count", "join",
    "distinct", "start", "page_length", "limit", "ignore_ifnull", "save_user_settings",
    "save_user_settings_fields", "update", "user_settings", "reference_doctype", "run", "strict", "pluck",
    "ignore_ddl", "parent_doctype",
))
# dropped before the query, as Frappe's clean_params does (and what a caller must never control)
_DROPPED = ("cmd", "data", "ignore_permissions", "view", "user", "csrf_token", "join")
# accepted for Frappe's signature but not honoured: they would let a caller see the SQL or change rows
_IGNORED = ("run", "debug", "update", "as_list", "pluck", "ignore_ddl", "strict", "user_settings",
            "save_user_settings", "save_user_settings_fields", "with_childnames", "ignore_ifnull")
_JSON_ARGUMENTS = ("fields", "filters", "or_filters", "docstatus")


@frappe.whitelist()
@frappe.read_only()
def get():
    """The list view's rows for ``doctype`` as ``{"keys", "values", "user_info"}``."""
    args = frappe._dict(frappe.local.form_dict)
    for key in _DROPPED:
        args.pop(key, None)
    doctype = args.pop("doctype", None)
    unexpected = [key for key in args if key not in _EXECUTE_ARGUMENTS]
    if unexpected:
        _unexpected_argument(unexpected[0])
    for key in _JSON_ARGUMENTS:
        if isinstance(args.get(key), str):
            args[key] = frappe.parse_json(args[key])
    for key in _IGNORED:
        args.pop(key, None)
    with_comment_count = frappe.utils.cint(args.pop("with_comment_count", 0))
    if not args.get("group_by"):
        args.pop("group_by", None)
    from frappe.model.db_query import DatabaseQuery

    rows = DatabaseQuery(doctype).execute(**args)
    if with_comment_count:
        for row in rows:
            row["_comment_count"] = _comment_count(row)
    return compress(rows)


def compress(rows):
    """Rows as one list of keys and a list of value lists (an empty result stays as it is)."""
    if not rows:
        return rows
    keys = list(rows[0])
    return {"keys": keys, "values": [[row.get(key) for key in keys] for row in rows], "user_info": {}}


def _comment_count(row) -> int:
    try:
        return len(json.loads(row.get("_comments") or "[]"))
    except (TypeError, ValueError):
        return 0


def _unexpected_argument(name: str) -> None:
    from frappe.utils.caller_input import bad_request

    raise bad_request(TypeError(f"DatabaseQuery.execute() got an unexpected keyword argument '{name}'"))


@frappe.whitelist()
@frappe.read_only()
def get_count():
    """The list view's count: rows of ``doctype`` the user may list under ``filters`` (capped at
    ``limit`` when given, as Frappe counts a limited query). Same permission rules as ``get``."""
    from frappe.model.db_query import DatabaseQuery

    args = frappe._dict(frappe.local.form_dict)
    doctype = args.get("doctype")
    filters = frappe.parse_json(args.get("filters")) if isinstance(args.get("filters"), str) else args.get("filters")
    or_filters = args.get("or_filters")
    if isinstance(or_filters, str):
        or_filters = frappe.parse_json(or_filters)
    limit = frappe.utils.cint(args.get("limit"))
    distinct = str(args.get("distinct")).lower() == "true"
    if limit:
        rows = DatabaseQuery(doctype).execute(fields=[f"`tab{doctype}`.`name`"], filters=filters or [],
                                              or_filters=or_filters or [], limit_page_length=limit,
                                              distinct=distinct, order_by=None)
        return len(rows)
    field = f"count({'distinct ' if distinct else ''}`tab{doctype}`.`name`) as total_count"
    rows = DatabaseQuery(doctype).execute(fields=[field], filters=filters or [], or_filters=or_filters or [],
                                          order_by=None)
    return rows[0].get("total_count") if rows else 0

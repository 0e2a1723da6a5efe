"""REST API v2 (``/api/v2/...``): results under ``data``, messages and errors as plain lists."""

from __future__ import annotations

from werkzeug.routing import Rule

import frappe
import frappe.client
from frappe import _
from frappe.handler import is_valid_http_method, override_whitelisted_method

PERMISSION_MAP = {"GET": "read", "POST": "write"}


def handle_rpc_call(method: str, doctype: str | None = None):
    """Call a whitelisted method; ``/method/<DocType>/<name>`` looks in the doctype's controller module."""
    if doctype:
        method = f"{_controller_module(doctype)}.{method}"
    method = override_whitelisted_method(method)
    try:
        fn = frappe.get_attr(method)
    except Exception as e:
        frappe.throw(_("Failed to get method {0} with {1}").format(method, str(e)))
    frappe.is_whitelisted(fn)
    is_valid_http_method(fn)
    return frappe.call(fn, **frappe.form_dict)


def _controller_module(doctype: str) -> str:
    meta = frappe.get_meta(doctype)
    module = frappe.scrub(meta.module)
    app = frappe.local_module_app().get(module) if hasattr(frappe, "local_module_app") else None
    app = app or "frappe"
    name = frappe.scrub(doctype)
    return f"{app}.{module}.doctype.{name}.{name}"


def login():
    """Logging in happens while the request is set up; nothing is left to do here."""


def logout():
    frappe.local.login_manager.logout()
    frappe.db.commit()


def ping():
    return "pong"


def read_doc(doctype: str, name: str):
    doc = frappe.get_doc(doctype, name)
    doc.check_permission("read")
    if hasattr(doc, "apply_fieldlevel_read_permissions"):
        doc.apply_fieldlevel_read_permissions()
    return doc.as_dict()


def document_list(doctype: str):
    """GET /api/v2/document/<doctype>: ``start``/``limit`` replace limit_start/limit_page_length."""
    args = frappe.form_dict
    fields = _json(args.get("fields"))
    filters = _json(args.get("filters"))
    or_filters = _json(args.get("or_filters"))
    start = _cint(args.get("start", 0))
    limit = _cint(args.get("limit", 20))
    as_dict = args.get("as_dict", True)
    if isinstance(as_dict, str):
        as_dict = as_dict.lower() not in ("0", "false")
    data = frappe.client.get_list(
        doctype,
        fields=fields,
        filters=filters,
        or_filters=or_filters,
        group_by=args.get("group_by"),
        order_by=args.get("order_by"),
        limit_start=start,
        limit_page_length=limit + 1 if limit else 0,
        as_dict=as_dict,
        debug=bool(args.get("debug")),
    )
    if limit:
        frappe.response["has_next_page"] = len(data) > limit
        data = data[:limit]
    return data


def _json(value):
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        from frappe.utils.caller_input import loads

        return loads(value)
    return value


def _cint(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def count(doctype: str) -> int:
    return frappe.client.get_count(doctype, filters=frappe.form_dict.get("filters"))


def create_doc(doctype: str):
    """POST: the body is the document; a string or int ``name`` in it is kept."""
    data = frappe.form_dict
    data.pop("doctype", None)
    doc = frappe.new_doc(doctype, **data)
    if (name := data.get("name")) and isinstance(name, (str, int)):
        doc.flags.name_set = True
    return doc.insert().as_dict()


def copy_doc(doctype: str, name: str, ignore_no_copy: bool = True):
    doc = frappe.get_doc(doctype, name)
    doc.check_permission("read")
    copy = frappe.copy_doc(doc, ignore_no_copy=ignore_no_copy)
    return copy.as_dict(no_nulls=True)


def update_doc(doctype: str, name: str):
    data = frappe.form_dict
    doc = frappe.get_doc(doctype, name, for_update=True)
    data.pop("flags", None)
    doc.update(data)
    doc.save()
    if doc.get("parenttype"):
        frappe.get_doc(doc.parenttype, doc.parent).save()
    return doc.as_dict()


def delete_doc(doctype: str, name: str):
    frappe.client.delete_doc(doctype, name)
    frappe.response.http_status_code = 202
    return "ok"


def get_meta(doctype: str):
    frappe.only_for("All")
    return frappe.get_meta(doctype).as_dict()


def execute_doc_method(doctype: str, name: str, method: str | None = None):
    """Run a whitelisted controller method; the document is echoed back in ``docs``."""
    method = method or frappe.form_dict.pop("run_method")
    doc = frappe.get_doc(doctype, name)
    if hasattr(doc, "is_whitelisted"):
        doc.is_whitelisted(method)
    fn = getattr(getattr(doc, method), "__func__", getattr(doc, method))
    is_valid_http_method(fn)
    doc.check_permission(PERMISSION_MAP[frappe.request.method])
    result = doc.run_method(method, **frappe.form_dict)
    frappe.response.docs.append(doc.as_dict())
    return result


def run_doc_method(method: str, document: dict | str, kwargs=None):
    """Run a whitelisted method on an unsaved document and echo it back in ``docs``."""
    document = frappe.parse_json(document)
    kwargs = frappe.parse_json(kwargs) if kwargs else {}
    doc = frappe.get_doc(document)
    doc._original_modified = doc.get("modified")
    if hasattr(doc, "check_if_latest"):
        doc.check_if_latest()
    doc.check_permission(PERMISSION_MAP.get(frappe.request.method, "read"))
    method_obj = getattr(doc, method)
    fn = getattr(method_obj, "__func__", method_obj)
    frappe.is_whitelisted(fn)
    is_valid_http_method(fn)
    result = doc.run_method(method, **(kwargs or {}))
    frappe.response.docs.append(doc)
    return result


url_rules = [
    Rule("/method/login", endpoint=login),
    Rule("/method/logout", endpoint=logout, methods=["POST"]),
    Rule("/method/ping", endpoint=ping),
    Rule("/method/run_doc_method", methods=["GET", "POST"], endpoint=run_doc_method),
    Rule("/method/<method>", endpoint=handle_rpc_call),
    Rule("/method/<doctype>/<method>", endpoint=handle_rpc_call),
    Rule("/document/<doctype>", methods=["GET"], endpoint=document_list),
    Rule("/document/<doctype>", methods=["POST"], endpoint=create_doc),
    Rule("/document/<doctype>/<path:name>/", methods=["GET"], endpoint=read_doc),
    Rule("/document/<doctype>/<path:name>/", methods=["PATCH", "PUT"], endpoint=update_doc),
    Rule("/document/<doctype>/<path:name>/", methods=["DELETE"], endpoint=delete_doc),
    Rule("/document/<doctype>/<path:name>/copy", methods=["GET"], endpoint=copy_doc),
    Rule("/document/<doctype>/<path:name>/method/<method>/", methods=["GET", "POST"], endpoint=execute_doc_method),
    Rule("/doctype/<doctype>/meta", methods=["GET"], endpoint=get_meta),
    Rule("/doctype/<doctype>/count", methods=["GET"], endpoint=count),
]

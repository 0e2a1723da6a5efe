"""REST API v1: ``/api/method/<dotted.path>`` and ``/api/resource/<DocType>[/<name>]``."""

from __future__ import annotations

import json

from werkzeug.routing import Rule

import frappe
import frappe.client
from frappe.handler import is_valid_http_method


def _sbool(value):
    """'true'/'1' → True, 'false'/'0' → False; anything else is returned unchanged."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return value


def document_list(doctype: str):
    """GET /api/resource/<doctype>: ``frappe.client.get_list`` with the request's parameters."""
    args = frappe.form_dict
    # a non-JSON `fields` is the caller's error: Frappe lets it out as a 500 JSONDecodeError, the
    # runtime answers a DataError with the decoder's message
    for param in ("fields", "expand"):
        if args.get(param):
            args[param] = _json_param(param, args[param])

    args.setdefault("limit_page_length", args.limit or args.limit_page_length or 20)

    for param in ("as_dict", "debug"):
        if args.get(param) is not None:
            args[param] = _sbool(args[param])

    return frappe.call(frappe.client.get_list, doctype, **args)


def _json_param(param: str, value):
    from frappe.utils.caller_input import decode

    if not isinstance(value, str):
        return value
    try:
        return decode(value)
    except json.JSONDecodeError as e:
        message = str(e)
    frappe.throw(frappe._("Invalid JSON in {0}: {1}").format(param, message), frappe.DataError)


def handle_rpc_call(method: str):
    """/api/method/<method>: everything after the first '/' is ignored, as Frappe does."""
    import frappe.handler

    method = method.split("/")[0]
    frappe.form_dict.cmd = method
    return frappe.handler.handle()


def create_doc(doctype: str):
    """POST /api/resource/<doctype>: insert a new document from the request body."""
    data = get_request_form_data()
    data.pop("doctype", None)
    return frappe.new_doc(doctype, **data).insert()


def update_doc(doctype: str, name: str):
    """PUT /api/resource/<doctype>/<name>: update and save (docstatus changes submit/cancel)."""
    data = get_request_form_data()
    doc = frappe.get_doc(doctype, name, for_update=True)
    if "flags" in data:
        del data["flags"]
    doc.update(data)
    doc.save()

    # a child row is saved through its parent so the parent's hooks run
    if doc.get("parenttype"):
        frappe.get_doc(doc.parenttype, doc.parent).save()
    return doc


def delete_doc(doctype: str, name: str):
    """DELETE /api/resource/<doctype>/<name>: 202 with ``"ok"``."""
    frappe.delete_doc(doctype, name, ignore_missing=False)
    frappe.response.http_status_code = 202
    return "ok"


def read_doc(doctype: str, name: str):
    """GET /api/resource/<doctype>/<name>, or a whitelisted doc method when ``run_method`` is given."""
    if "run_method" in frappe.form_dict:
        return execute_doc_method(doctype, name)

    doc = frappe.get_doc(doctype, name)
    if not doc.has_permission("read"):
        # a bare PermissionError: the refusal's reasons are in the messages, no _error_message
        raise frappe.PermissionError
    if hasattr(doc, "apply_fieldlevel_read_permissions"):
        doc.apply_fieldlevel_read_permissions()
    if _sbool(frappe.form_dict.get("expand_links")) is True:
        doc_dict = doc.as_dict()
        _expand_links(doc_dict)
        return doc_dict
    return doc


def _expand_links(doc_dict) -> None:
    """Replace Link / Dynamic Link values with the linked documents (read permission checked)."""
    meta = frappe.get_meta(doc_dict.doctype)
    fields = list(meta.get_link_fields()) + list(getattr(meta, "get_dynamic_link_fields", lambda: [])())
    for field in fields:
        value = doc_dict.get(field.fieldname)
        if not value:
            continue
        target = field.options if field.fieldtype == "Link" else doc_dict.get(field.options)
        if not target:
            continue
        linked = frappe.get_doc(target, value)
        linked.check_permission("read")
        if hasattr(linked, "apply_fieldlevel_read_permissions"):
            linked.apply_fieldlevel_read_permissions()
        doc_dict[field.fieldname] = linked


def execute_doc_method(doctype: str, name: str, method: str | None = None):
    """Run a whitelisted controller method; GET needs read, POST needs write permission."""
    from werkzeug.exceptions import NotFound

    from frappe.utils.caller_input import bad_request

    if not method:
        # Frappe's own KeyError (a 500 there) for a POST without run_method, as a 400 here
        if "run_method" not in frappe.form_dict:
            raise bad_request(KeyError("run_method"))
        method = frappe.form_dict.pop("run_method")
    if not isinstance(method, str):
        # a JSON body can send a list or a number (Frappe: TypeError from hasattr, a 500)
        raise bad_request(TypeError("attribute name must be string"))
    doc = frappe.get_doc(doctype, name)
    if not hasattr(doc, method):
        # Frappe answers an unknown controller method with Werkzeug's HTML 404
        raise NotFound
    if hasattr(doc, "is_whitelisted"):
        doc.is_whitelisted(method)
    method_obj = getattr(doc, method)
    fn = getattr(method_obj, "__func__", method_obj)
    if not hasattr(doc, "is_whitelisted"):
        frappe.is_whitelisted(fn)
    is_valid_http_method(fn)

    doc.check_permission("write" if frappe.request.method == "POST" else "read")
    return doc.run_method(method, **frappe.form_dict)


def get_request_form_data():
    """The body of a create/update: ``data`` (JSON), else the raw JSON body, else the form fields."""
    if frappe.form_dict.data is None:
        data = frappe.safe_decode(frappe.request.get_data())
    else:
        data = frappe.form_dict.data
    if isinstance(data, (dict, list)):
        parsed = data
    else:
        from frappe.utils.caller_input import decode

        try:
            parsed = decode(data)
        except (TypeError, ValueError):
            return frappe.form_dict
    if isinstance(parsed, dict):
        return frappe._dict(parsed)
    return frappe.form_dict


url_rules = [
    Rule("/method/<path:method>", endpoint=handle_rpc_call),
    Rule("/resource/<doctype>", methods=["GET"], endpoint=document_list),
    Rule("/resource/<doctype>", methods=["POST"], endpoint=create_doc),
    Rule("/resource/<doctype>/<path:name>/", methods=["GET"], endpoint=read_doc),
    Rule("/resource/<doctype>/<path:name>/", methods=["PUT"], endpoint=update_doc),
    Rule("/resource/<doctype>/<path:name>/", methods=["DELETE"], endpoint=delete_doc),
    Rule("/resource/<doctype>/<path:name>/", methods=["POST"], endpoint=execute_doc_method),
]

"""Whitelisted probe methods for the HTTP tests."""

import frappe
from frappe.rate_limiter import rate_limit

AFTER_REQUEST_CALLS = []


class ProbeBadRequest(frappe.ValidationError):
    http_status_code = 400


@frappe.whitelist()
def ping_dict():
    return {"ok": True, "count": 3, "items": ["a", "b"], "user": frappe.session.user}


@frappe.whitelist()
def return_none():
    return None


@frappe.whitelist()
def return_unicode():
    return {"city": "Zürich", "when": frappe.utils.getdate("2026-03-01")}


@frappe.whitelist()
def msgprint_and_return():
    frappe.msgprint("A message for the user")
    return {"ok": True}


@frappe.whitelist()
def throw_plain():
    frappe.throw("Plain validation failure")


@frappe.whitelist()
def throw_permission():
    frappe.throw("You shall not pass", exc=frappe.PermissionError)


@frappe.whitelist()
def throw_bad_request():
    frappe.throw("Probe says: bad request", ProbeBadRequest)


@frappe.whitelist()
def raise_python():
    raise ValueError("plain python error boom")


@frappe.whitelist(allow_guest=True)
def guest_ok():
    return {"guest_allowed": True, "user": frappe.session.user}


@frappe.whitelist(allow_guest=True)
def guest_echo(**kwargs):
    return {"kwargs": sorted(kwargs), "raw_len": len(frappe.request.get_data()), "user": frappe.session.user}


@frappe.whitelist(allow_guest=True)
def echo(**kwargs):
    return {"form_dict": dict(frappe.form_dict), "kwargs": kwargs}


@frappe.whitelist(methods=["POST"])
def post_only():
    return {"post_only": True}


@frappe.whitelist()
@rate_limit(limit=2, seconds=60)
def rate_limited():
    return {"rate_limited_call": "ok"}


@frappe.whitelist(allow_guest=True)
def write_tag(label):
    """Writes a row; whether it survives depends on the request verb (commit rule)."""
    frappe.get_doc({"doctype": "RT Tag", "tag_name": label}).insert(ignore_permissions=True)
    return label


def not_whitelisted():
    return "secret"


def after_request_hook(response=None, request=None):
    AFTER_REQUEST_CALLS.append((request.path if request else None, getattr(response, "status_code", None)))

"""Resolving and running whitelisted methods (``/api/method/...`` and the legacy ``cmd`` RPC).

Short command names without a dot (``ping``, ``logout``, ``run_doc_method``...) are looked up in this
module's globals, which is how Frappe v15 exposes them.
"""

from __future__ import annotations

import inspect

from werkzeug.wrappers import Response

import frappe
from frappe import _, ping  # noqa: F401  (``ping`` is reachable as the short command "ping")


def handle():
    """Run ``frappe.form_dict.cmd`` and store its return value under ``message``.

    ``login`` runs nothing here: LoginManager already did the work while the request was set up.
    A method that returns a Werkzeug Response gets it passed through unchanged.
    """
    cmd = frappe.local.form_dict.cmd
    data = None
    if cmd != "login":
        data = execute_cmd(cmd)

    # an empty string or list is a valid answer, only None means "nothing"
    if data is not None:
        if isinstance(data, Response):
            return data
        frappe.response["message"] = data
    return None


def execute_cmd(cmd: str, from_async: bool = False):
    """Resolve ``cmd`` (after ``override_whitelisted_methods``), check it may be called, call it."""
    cmd = override_whitelisted_method(cmd)

    try:
        method = get_attr(cmd)
    except Exception as e:
        frappe.throw(_("Failed to get method for command {0} with {1}").format(cmd, e))

    if from_async:
        method = method.queue

    if method != run_doc_method:
        frappe.is_whitelisted(method)
        is_valid_http_method(method)

    return frappe.call(method, **frappe.form_dict)


def override_whitelisted_method(original_method: str) -> str:
    """The replacement that ``hooks.override_whitelisted_methods`` names for a dotted path.

    When several apps override the same path, the last installed app wins.
    """
    own = getattr(frappe, "override_whitelisted_method", None)
    if own is not None and own is not override_whitelisted_method:
        return own(original_method)
    overrides = frappe.get_hooks("override_whitelisted_methods", {}) or {}
    replacement = overrides.get(original_method)
    if replacement:
        return replacement[-1] if isinstance(replacement, (list, tuple)) else replacement
    return original_method


def is_valid_http_method(method) -> None:
    """Refuse the call (403) when the request verb is not in the decorator's ``methods``."""
    if frappe.flags.in_safe_exec:
        return
    method = getattr(method, "__func__", method)
    http_method = frappe.local.request.method
    allowed = frappe.allowed_http_methods_for_whitelisted_func.get(method)
    if allowed is None:
        allowed = ["GET", "POST", "PUT", "DELETE"]
    if http_method not in allowed:
        throw_permission_error()


def throw_permission_error() -> None:
    """The plain 'Not permitted' PermissionError."""
    own = getattr(frappe, "throw_permission_error", None)
    if own is not None and own is not throw_permission_error:
        own()
        return
    frappe.throw(_("Not permitted"), frappe.PermissionError)


def get_attr(cmd: str):
    """The callable behind a command: dotted paths are imported, bare names come from this module."""
    if "." in cmd:
        return frappe.get_attr(cmd)
    return globals()[cmd]


@frappe.whitelist(allow_guest=True)
def logout():
    """End the current session; the response carries a fresh Guest session."""
    frappe.local.login_manager.logout()
    frappe.db.commit()


@frappe.whitelist(allow_guest=True)
def web_logout():
    """Log out and show a 'Logged Out' page."""
    frappe.local.login_manager.logout()
    frappe.db.commit()
    from frappe.website.serve import respond_as_web_page

    respond_as_web_page(_("Logged Out"), _("You have been successfully logged out"), indicator_color="green")


@frappe.whitelist()
def run_doc_method(method, docs=None, dt=None, dn=None, arg=None, args=None):
    """Run a whitelisted controller method on a stored or posted document.

    The document is echoed back in ``docs``; the method's return value goes to ``message``.
    """
    if not args and arg:
        args = arg

    if dt:
        doc = frappe.get_doc(dt, dn or dt)
    else:
        docs = frappe.parse_json(docs)
        doc = frappe.get_doc(docs)
        doc._original_modified = doc.modified
        if hasattr(doc, "check_if_latest"):
            doc.check_if_latest()

    if not doc or not doc.has_permission("read"):
        throw_permission_error()

    try:
        args = frappe.parse_json(args)
    except ValueError:
        pass

    method_obj = getattr(doc, method)
    fn = getattr(method_obj, "__func__", method_obj)
    frappe.is_whitelisted(fn)
    is_valid_http_method(fn)

    params = list(inspect.signature(method_obj).parameters)
    if not params or (len(params) == 1 and params[0] == "self"):
        result = doc.run_method(method)
    elif "args" in params or not isinstance(args, dict):
        result = doc.run_method(method, args)
    else:
        result = doc.run_method(method, **args)

    frappe.response.docs.append(doc)
    if result is None:
        return None
    frappe.response["message"] = result
    return None


# the historical name
runserverobj = run_doc_method

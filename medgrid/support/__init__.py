"""Support requests: portal users ask for help ("Submit a help request via the Support menu"), admins answer.

A signed-in user submits a request (subject, category, optionally one of its own orders, message) through
``submit_request``; admins work the ``MedGrid Support Request`` doctype in the Desk (status, assignment,
reply) and the requester reads its requests and the replies on ``/portal/support``. A requester never
sees anyone else's requests (row rules in ``medgrid/permissions.py``).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from medgrid.constants import DISPATCH, SALES_ORDER
from medgrid.exceptions import InvalidParameterError, MissingParameterError
from medgrid.pages import VENDOR, is_admin
from medgrid.permissions import readable_doc
from medgrid.portal.vendor_scope import own_profiles, owns_dispatch

SUPPORT_REQUEST = "MedGrid Support Request"
MAX_SUBJECT = 140
MAX_MESSAGE = 10000
MAX_LISTED = 100
# a signed-in user may open this many requests an hour (a loop of requests is not a way to reach MedGrid)
REQUESTS_PER_HOUR = 30


def categories() -> list[str]:
    options = frappe.get_meta(SUPPORT_REQUEST).get_field("category").options or ""
    return [o for o in options.split("\n") if o]


def _text(value, name: str, limit: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        frappe.throw(_("{0} is required").format(name), MissingParameterError)
    if not isinstance(value, str):
        frappe.throw(_("{0} must be text").format(name), InvalidParameterError)
    text = value.strip()
    if len(text) > limit:
        frappe.throw(_("{0} is longer than {1} characters").format(name, limit), InvalidParameterError)
    return text


def related_order_allowed(sales_order: str, user: str) -> bool:
    """Whether ``user`` may name ``sales_order``: one it may read, or (a vendor) one routed to it."""
    if not frappe.db.exists(SALES_ORDER, sales_order):
        return False
    if readable_doc(SALES_ORDER, sales_order, user):
        return True
    if VENDOR in frappe.get_roles(user):
        dispatches = frappe.get_all(DISPATCH, filters={"sales_order": sales_order}, pluck="name")
        return any(owns_dispatch(p, d) for p in own_profiles(user) for d in dispatches)
    return False


@frappe.whitelist(methods=["POST"])
def submit_request(subject=None, category=None, message=None, sales_order=None) -> dict:
    """A new support request of the session user; answers its name and status."""
    user = frappe.session.user
    if user == "Guest":
        frappe.throw(_("Log in to ask for support"), frappe.PermissionError)
    recent = frappe.db.count(SUPPORT_REQUEST, {"requester": user,
                                                "creation": [">=", add_to_date(now_datetime(), hours=-1)]})
    if recent >= REQUESTS_PER_HOUR:
        frappe.throw(_("You opened {0} requests in the last hour. Please wait before sending another.").format(recent),
                     frappe.RateLimitExceededError)
    subject = _text(subject, "subject", MAX_SUBJECT)
    message = _text(message, "message", MAX_MESSAGE)
    category = category or "Other"
    if category not in categories():
        frappe.throw(_("category must be one of {0}").format(", ".join(categories())), InvalidParameterError)
    if sales_order in ("", None):
        sales_order = None
    elif not isinstance(sales_order, str) or not related_order_allowed(sales_order, user):
        # the same answer whether the order exists or belongs to someone else
        frappe.throw(_("Sales Order {0} is not one of your orders").format(sales_order), InvalidParameterError)
    doc = frappe.get_doc({"doctype": SUPPORT_REQUEST, "subject": subject, "category": category, "message": message,
                          "sales_order": sales_order, "requester": user, "status": "Open"})
    doc.insert(ignore_permissions=True)
    return {"name": doc.name, "status": doc.status}


@frappe.whitelist(methods=["GET"])
def my_requests() -> list[dict]:
    """The session user's requests, newest first, with the replies."""
    user = frappe.session.user
    if user == "Guest":
        frappe.throw(_("Log in to see your support requests"), frappe.PermissionError)
    return requests_of(user)


def requests_of(user: str) -> list[dict]:
    return frappe.get_all(SUPPORT_REQUEST, filters={"requester": user},
                          fields=["name", "subject", "category", "sales_order", "status", "message", "reply",
                                  "replied_on", "creation"],
                          order_by="creation desc", limit_page_length=MAX_LISTED)


def recent_requests() -> list[dict]:
    """Admins: the latest requests of everyone (the page's queue; the Desk has the full list)."""
    if not is_admin():
        return []
    return frappe.get_all(SUPPORT_REQUEST, fields=["name", "subject", "category", "sales_order", "status",
                                                   "requester", "assigned_to", "creation"],
                          order_by="creation desc", limit_page_length=MAX_LISTED)

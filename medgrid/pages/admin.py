"""The admin views (``/medgrid-admin/dispatches``, ``/medgrid-admin/webhook-events`` and their detail pages).

Lists filter by status, vendor and Sales Order; a detail page shows a dispatch's lines, attempts,
last error, the related (already redacted) MedGrid Integration Log rows and webhook events, or a
webhook event's redacted headers and payload. Retry goes through the whitelisted
``medgrid.fulfillment_router.retry_dispatches``; failed or unmatched webhook events are applied
again with :func:`retry_webhook_events`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote

import frappe
from frappe import _
from frappe.utils import flt, fmt_money, format_datetime

from medgrid.connectors.carriers import carrier_label
from medgrid.constants import CANCELLED, DISPATCH, FAILED, INTEGRATION_LOG, QUEUED, RETRYING, SENDING, SENT, WEBHOOK_EVENT
from medgrid.pages import ADMIN_ROLES, base_context, is_admin, require_login
from medgrid.vendors import get_vendors, vendor_keys

DISPATCH_STATUSES = (QUEUED, SENDING, SENT, RETRYING, FAILED, CANCELLED)
EVENT_STATUSES = ("Received", "Processed", "Ignored", "Unmatched", "Failed")
RETRYABLE_DISPATCH = (FAILED, RETRYING, QUEUED)
RETRYABLE_EVENT = ("Failed", "Unmatched")
PAGE_LENGTH = 100
RELATED_LIMIT = 50


def require_admin() -> None:
    """Login first (403 page with a Login button), then a MedGrid admin role."""
    require_login()
    if not is_admin():
        frappe.throw(_("Only MedGrid admins may open this page"), frappe.PermissionError)


def _common(context, route: str, title: str) -> None:
    require_admin()
    base_context(context, route, title)
    context.list_route = route
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"
    context.fmt_number = lambda value: f"{flt(value):g}"
    context.fmt_money = lambda value: fmt_money(value) if value else "—"
    context.vendors = vendor_keys()
    # filters and rows show the registry's labels ("Centre Research"), never the keys
    context.vendor_labels = {key: d.label for key, d in get_vendors().items()}


def _filters(allowed_statuses, date_field: str = "creation") -> tuple[dict, dict]:
    """The list filters from the query string: (values for the form, filters for get_list)."""
    args = frappe.form_dict
    values = {key: (args.get(key) or "").strip() if isinstance(args.get(key), str) else ""
              for key in ("status", "vendor", "sales_order", "since")}
    filters = {}
    # ``since`` (YYYY-MM-DD): the order-flow dashboard's numbers link to the rows of their period
    if _is_date(values["since"]):
        filters[date_field] = [">=", values["since"]]
    else:
        values["since"] = ""
    if values["status"] in allowed_statuses:
        filters["status"] = values["status"]
    else:
        values["status"] = ""
    if values["vendor"] in vendor_keys():
        filters["vendor"] = values["vendor"]
    else:
        values["vendor"] = ""
    if values["sales_order"]:
        filters["sales_order"] = ["like", f"%{values['sales_order']}%"]
    return values, filters


def _is_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


# ------------------------------------------------------------------------------------ dispatches

def dispatches_context(context) -> None:
    """``/medgrid-admin/dispatches``: the dispatch outbox, newest change first."""
    _common(context, "/medgrid-admin/dispatches", _("Fulfillment Dispatches"))
    context.filter_values, filters = _filters(DISPATCH_STATUSES)
    context.statuses = DISPATCH_STATUSES
    context.rows = frappe.get_list(
        DISPATCH, filters=filters,
        fields=["name", "sales_order", "vendor", "vendor_label", "status", "attempts", "vendor_status",
                "next_retry_at", "last_error", "modified"],
        order_by="modified desc", limit_page_length=PAGE_LENGTH)
    for row in context.rows:
        describe_attempt(row)
    context.retryable = RETRYABLE_DISPATCH


def describe_attempt(row) -> None:
    """What the admin sees after a Retry: when the last attempt ended (a dispatch changes only when an
    attempt or a vendor update touches it) and, for a failure the admin can fix, the page to fix it on."""
    row["attempted_at"] = format_datetime(row.modified) if row.get("attempts") else None
    row["fix"] = fix_for(row) if row.status in (FAILED, RETRYING) else None


# last_error wording of order data a vendor cannot ship without (medgrid.connectors)
ORDER_DATA_ERRORS = ("has no shipping address", "cannot go to", "without:", "needs a", "no fulfillment vendor")
CONNECTION_ERRORS = ("Settings have no", "credentials", "HTTP 401", "HTTP 403", "not connected")


def fix_for(row) -> dict | None:
    """``{label, url}`` of the page where the cause of a failed dispatch is fixed, or None when it is not
    the order's or the connection's (a vendor outage: Retry later)."""
    error = row.get("last_error") or ""
    order = row.get("sales_order")
    if order and "shipping address" in error:
        return {"label": _("Set the shipping address of {0}").format(order),
                "url": f"/app/sales-order/{quote(order)}"}
    if order and any(mark in error for mark in ORDER_DATA_ERRORS):
        return {"label": _("Complete Sales Order {0}").format(order), "url": f"/app/sales-order/{quote(order)}"}
    if any(mark.lower() in error.lower() for mark in CONNECTION_ERRORS):
        vendor = get_vendors().get(row.get("vendor") or "")
        if vendor and vendor.settings_doctype and vendor.settings_is_single:
            return {"label": _("Check the {0} settings").format(vendor.label),
                    "url": "/app/" + quote(vendor.settings_doctype.lower().replace(" ", "-"))}
        return {"label": _("Check the vendor's connection"), "url": "/portal/integrations"}
    return None


def _readable_doc(doctype: str):
    """The document named in the URL, when it exists and the user may read it (else 404 / 403)."""
    name = frappe.form_dict.get("name")
    if not isinstance(name, str) or not frappe.db.exists(doctype, name):
        raise frappe.PageDoesNotExistError
    doc = frappe.get_doc(doctype, name)
    doc.check_permission("read")
    return doc


def dispatch_context(context) -> None:
    """``/medgrid-admin/dispatches/<name>``: one dispatch with its lines, logs and webhook events."""
    _common(context, "/medgrid-admin/dispatches", _("Fulfillment Dispatch"))
    doc = _readable_doc(DISPATCH)
    context.doc = doc
    context.title = _("Dispatch {0}").format(doc.name)
    context.retryable = doc.status in RETRYABLE_DISPATCH
    context.fix = fix_for(doc) if doc.status in (FAILED, RETRYING) else None
    context.carrier_label = carrier_label
    context.attempted_at = format_datetime(doc.modified) if doc.attempts else None
    context.logs = integration_logs(doc)
    context.events = frappe.get_list(
        WEBHOOK_EVENT, filters={"sales_order": doc.sales_order, "vendor": doc.vendor},
        fields=["name", "event_type", "status", "received_at", "processed_at", "attempts", "error"],
        order_by="received_at desc", limit_page_length=RELATED_LIMIT)


def integration_logs(doc) -> list[dict]:
    """Vendor requests made for a dispatch (or its order, same vendor); bodies are redacted at write time."""
    fields = ["name", "status", "method", "url", "status_code", "duration_ms", "request_body", "response_body",
              "error", "creation"]
    rows = frappe.get_list(INTEGRATION_LOG, filters={"reference_doctype": DISPATCH, "reference_name": doc.name},
                           fields=fields, order_by="creation desc", limit_page_length=RELATED_LIMIT)
    rows += frappe.get_list(INTEGRATION_LOG, filters={"reference_doctype": "Sales Order",
                                                      "reference_name": doc.sales_order, "vendor": doc.vendor},
                            fields=fields, order_by="creation desc", limit_page_length=RELATED_LIMIT)
    rows.sort(key=lambda r: r.creation, reverse=True)
    for row in rows:
        row["request_pretty"] = pretty(row.request_body)
        row["response_pretty"] = pretty(row.response_body)
    return rows[:RELATED_LIMIT]


# -------------------------------------------------------------------------------- webhook events

def webhook_events_context(context) -> None:
    """``/medgrid-admin/webhook-events``: inbound webhooks, newest first."""
    _common(context, "/medgrid-admin/webhook-events", _("Webhook Events"))
    context.filter_values, filters = _filters(EVENT_STATUSES, date_field="received_at")
    context.statuses = EVENT_STATUSES
    context.rows = frappe.get_list(
        WEBHOOK_EVENT, filters=filters,
        fields=["name", "vendor", "event_type", "status", "sales_order", "received_at", "processed_at", "attempts",
                "error"],
        order_by="received_at desc", limit_page_length=PAGE_LENGTH)
    context.retryable = RETRYABLE_EVENT


def webhook_event_context(context) -> None:
    """``/medgrid-admin/webhook-events/<name>``: the stored (redacted) headers, payload and outcome."""
    _common(context, "/medgrid-admin/webhook-events", _("Webhook Event"))
    doc = _readable_doc(WEBHOOK_EVENT)
    context.doc = doc
    context.title = _("Webhook Event {0}").format(doc.name)
    context.retryable = doc.status in RETRYABLE_EVENT
    context.headers_pretty = pretty(doc.headers)
    context.payload_pretty = pretty(doc.payload)
    context.dispatches = frappe.get_list(
        DISPATCH, filters={"sales_order": doc.sales_order, "vendor": doc.vendor},
        fields=["name", "status", "vendor_status", "tracking_number", "modified"],
        limit_page_length=RELATED_LIMIT) if doc.sales_order else []


def pretty(text) -> str:
    """JSON indented for reading; any other text as it is."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(text)


@frappe.whitelist(methods=["POST"])
def retry_webhook_events(names=None):
    """Admin: apply Failed or Unmatched webhook events again (one name or a JSON list)."""
    from medgrid.webhooks.common import RECEIVED, enqueue_apply

    frappe.only_for(ADMIN_ROLES)
    if isinstance(names, str):
        names = json.loads(names) if names.strip().startswith("[") else [names]
    if not names:
        frappe.throw(_("Missing required parameter: {0}").format("names"))
    retried, skipped = [], []
    for name in names:
        status = frappe.db.get_value(WEBHOOK_EVENT, name, "status")
        if status is None:
            frappe.throw(_("Webhook Event {0} not found").format(name), frappe.DoesNotExistError)
        if status not in RETRYABLE_EVENT:
            skipped.append(name)
            continue
        if status != "Failed":
            # an Unmatched event may match now (e.g. the vendor id arrived since): apply it as new
            frappe.db.set_value(WEBHOOK_EVENT, name, "status", RECEIVED)
        enqueue_apply(name, after_commit=True)
        retried.append(name)
    return {"retried": retried, "skipped": skipped}


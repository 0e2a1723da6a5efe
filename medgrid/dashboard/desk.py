"""The order-flow dashboard as Frappe Desk records on a real bench: Number Cards, Dashboard Charts and the
"MedGrid Order Flow" Dashboard (``/app/dashboard-view/MedGrid Order Flow``), made on install and migrate.

They count the same rows as ``/medgrid-admin/dashboard`` (Fulfillment Dispatch, MedGrid Webhook Event)
with Frappe's own chart engine, so whoever may read those doctypes (the Marketplace Admin) sees them.
The runtime has no Dashboard doctypes: there the hook does nothing and the page is the dashboard.
Records are created once and then left to the admins (a migrate never overwrites their edits).
"""

from __future__ import annotations

import json

import frappe

from medgrid.constants import DISPATCH, FAILED, QUEUED, RETRYING, WEBHOOK_EVENT

DASHBOARD = "MedGrid Order Flow"
MODULE = "MedGrid"

NUMBER_CARDS = [
    {"label": "Dispatches Queued", "document_type": DISPATCH, "color": "#e8833a",
     "filters": [[DISPATCH, "status", "=", QUEUED]]},
    {"label": "Dispatches Retrying", "document_type": DISPATCH, "color": "#e0b400",
     "filters": [[DISPATCH, "status", "=", RETRYING]]},
    {"label": "Dispatches Failed", "document_type": DISPATCH, "color": "#d24545",
     "filters": [[DISPATCH, "status", "=", FAILED]]},
    {"label": "Webhook Events Failed", "document_type": WEBHOOK_EVENT, "color": "#d24545",
     "filters": [[WEBHOOK_EVENT, "status", "=", FAILED]]},
]

CHARTS = [
    {"chart_name": "Dispatches per Day", "chart_type": "Count", "document_type": DISPATCH, "based_on": "creation",
     "timeseries": 1, "timespan": "Last Month", "time_interval": "Daily", "type": "Bar", "width": "Full"},
    {"chart_name": "Failed Dispatches per Day", "chart_type": "Count", "document_type": DISPATCH,
     "based_on": "creation", "timeseries": 1, "timespan": "Last Month", "time_interval": "Daily", "type": "Line",
     "color": "#d24545", "filters": [[DISPATCH, "status", "=", FAILED]], "width": "Half"},
    {"chart_name": "Dispatches by Vendor", "chart_type": "Group By", "document_type": DISPATCH,
     "group_by_type": "Count", "group_by_based_on": "vendor", "type": "Bar", "width": "Half"},
    {"chart_name": "Dispatches by Status", "chart_type": "Group By", "document_type": DISPATCH,
     "group_by_type": "Count", "group_by_based_on": "status", "type": "Donut", "width": "Half"},
    {"chart_name": "Webhook Events per Day", "chart_type": "Count", "document_type": WEBHOOK_EVENT,
     "based_on": "received_at", "timeseries": 1, "timespan": "Last Month", "time_interval": "Daily", "type": "Bar",
     "width": "Half"},
]


def install_desk_dashboard() -> None:
    """after_install / after_migrate: create what is missing (nothing on a site without Frappe's dashboards)."""
    if not all(frappe.db.table_exists(doctype) for doctype in ("Dashboard", "Dashboard Chart", "Number Card")):
        return
    cards = [_number_card(card) for card in NUMBER_CARDS]
    charts = [(_chart(chart), chart["width"]) for chart in CHARTS]
    if frappe.db.exists("Dashboard", DASHBOARD):
        return
    frappe.get_doc({
        "doctype": "Dashboard", "dashboard_name": DASHBOARD, "module": MODULE,
        "cards": [{"card": name} for name in cards],
        "charts": [{"chart": name, "width": width} for name, width in charts],
    }).insert(ignore_permissions=True)


def _number_card(card: dict) -> str:
    name = frappe.db.get_value("Number Card", {"label": card["label"]}, "name")
    if name:
        return name
    doc = frappe.get_doc({
        "doctype": "Number Card", "label": card["label"], "type": "Document Type",
        "document_type": card["document_type"], "function": "Count", "is_public": 1, "module": MODULE,
        "color": card["color"], "filters_json": json.dumps(card["filters"]),
        "show_percentage_stats": 1, "stats_time_interval": "Daily"})
    doc.insert(ignore_permissions=True)
    return doc.name


def _chart(chart: dict) -> str:
    if frappe.db.exists("Dashboard Chart", chart["chart_name"]):
        return chart["chart_name"]
    values = {key: value for key, value in chart.items() if key not in ("filters", "width")}
    doc = frappe.get_doc({"doctype": "Dashboard Chart", **values, "is_public": 1, "module": MODULE,
                          "filters_json": json.dumps(chart.get("filters") or [])})
    doc.insert(ignore_permissions=True)
    return doc.name

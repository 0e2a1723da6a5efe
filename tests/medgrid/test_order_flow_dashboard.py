"""Order-flow dashboard (issue 14 item 8): per vendor per day by status, failure and retry rates,
submit → ack / shipment p50/p95, webhook volume and lag, backlog with the list URL behind each number."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from medgrid.dashboard.order_flow import percentile
from tests.medgrid.backoffice_helpers import ROLES_REFUSED, unique

FLOW = "medgrid.dashboard.order_flow.get_order_flow"


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5], 95) == 5
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 95)) == (50, 95)
    assert percentile([3, None, 1, 2], 50) == 2


@pytest.fixture()
def flow(api):
    """Four dispatches of a vendor in the window (one Failed, one retried and acknowledged, one shipped and
    since delivered), two webhooks."""
    from frappe.utils import now_datetime

    now = now_datetime().replace(microsecond=0)
    vendor = "centre_research"
    with api.context() as frappe:
        frappe.db.delete("Fulfillment Dispatch", {"vendor": vendor})
        frappe.db.delete("MedGrid Webhook Event", {"vendor": vendor})

        def at(seconds):
            return now + timedelta(seconds=seconds) if seconds is not None else None

        def dispatch(status, attempts, ack_after=None, vendor_status=None, shipped_after=None, last_sync_after=None):
            doc = frappe.get_doc({"doctype": "Fulfillment Dispatch", "sales_order": unique("SO-FLOW"), "vendor": vendor,
                                  "status": status, "attempts": attempts, "vendor_status": vendor_status,
                                  "sent_at": at(5) if status == "Sent" else None, "acknowledged_at": at(ack_after),
                                  "shipped_at": at(shipped_after), "last_sync": at(last_sync_after)})
            doc.flags.ignore_links = True
            doc.insert(ignore_permissions=True)
            frappe.db.set_value("Fulfillment Dispatch", doc.name, "creation", now, update_modified=False)
            return doc.name

        dispatch("Failed", 5)
        dispatch("Sent", 3, ack_after=600, vendor_status="Processing", last_sync_after=600)
        # delivered since: the shipment time is its own column, not the last vendor update's
        dispatch("Sent", 1, ack_after=60, vendor_status="Delivered", shipped_after=3600, last_sync_after=7200)
        dispatch("Queued", 0)
        for processed_after in (2, 30):
            event = frappe.get_doc({"doctype": "MedGrid Webhook Event", "vendor": vendor, "dedupe_key": unique(),
                                    "status": "Processed", "payload": "{}", "received_at": now,
                                    "occurred_at": now - timedelta(seconds=5),
                                    "processed_at": now + timedelta(seconds=processed_after)})
            event.insert(ignore_permissions=True)
    return vendor


def test_the_admin_reads_the_numbers_and_the_lists_behind_them(api, flow):
    response = api.method(FLOW, "admin", days=7)
    assert response.status_code == 200, response.json_body
    data = response.json_body["message"]
    assert len(data["labels"]) == 7
    stats = next(s for s in data["vendor_stats"] if s["vendor"] == flow)
    assert (stats["dispatches"], stats["failed"], stats["failure_rate"]) == (4, 1, 0.25)
    assert (stats["retried"], stats["retry_rate"]) == (2, 0.5)
    assert (stats["ack_p50"], stats["ack_p95"], stats["ack_samples"]) == (60, 600, 2)
    assert (stats["ship_p50"], stats["ship_samples"]) == (3600, 1)
    assert (stats["webhooks"], stats["lag_p50"], stats["lag_p95"], stats["vendor_delay_p50"]) == (2, 2, 30, 5)
    since = data["from"]
    assert stats["failed_url"] == f"/medgrid-admin/dispatches?vendor=centre_research&status=Failed&since={since}"
    assert stats["webhooks_url"] == f"/medgrid-admin/webhook-events?vendor=centre_research&since={since}"

    today = data["labels"][-1]
    by_status = {d["key"]: d["values"][-1] for d in data["dispatches_by_status"]["datasets"]}
    assert by_status["Failed"] >= 1 and by_status["Sent"] >= 2 and data["labels"][-1] == today
    orders = {d["key"]: d["values"][-1] for d in data["orders_by_vendor"]["datasets"]}
    assert orders[flow] == 4
    backlog = {v["vendor"]: v for v in data["backlog"]["vendors"]}[flow]
    assert (backlog["Queued"], backlog["Failed"], backlog["Retrying"]) == (1, 1, 0)
    assert backlog["urls"]["Queued"] == "/medgrid-admin/dispatches?vendor=centre_research&status=Queued"

    narrowed = api.method(FLOW, "admin", days=7, vendor=flow).json_body["message"]["dispatches_by_status"]
    assert sum(sum(d["values"]) for d in narrowed["datasets"]) == 4


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_nobody_else_reads_the_dashboard(api, role):
    assert api.method(FLOW, role).status_code == 403


@pytest.mark.parametrize("args", [{"days": 0}, {"days": 91}, {"days": "many"}, {"vendor": "nobody"}])
def test_bad_arguments_are_a_clear_4xx(api, args):
    assert api.method(FLOW, "admin", **args).status_code == 417


def test_the_dispatch_list_shows_the_rows_of_the_period(api, flow):
    """A dashboard number's link lists the same rows: an older dispatch is left out by ``since``."""
    from frappe.utils import add_days, nowdate

    with api.context() as frappe:
        old = frappe.get_all("Fulfillment Dispatch", filters={"vendor": flow}, pluck="name", limit=1)[0]
        frappe.db.set_value("Fulfillment Dispatch", old, "creation", add_days(nowdate(), -30), update_modified=False)
    stats = next(s for s in api.method(FLOW, "admin", days=7).json_body["message"]["vendor_stats"]
                 if s["vendor"] == flow)
    page = api.request("GET", stats["dispatches_url"], "admin").get_data(as_text=True)
    assert stats["dispatches"] == 3 == page.count('<tr data-name="')
    assert old not in page
    assert api.request("GET", "/medgrid-admin/dispatches?since=2026-13-45", "admin").status_code == 200


# Frappe 15's Select options of the Dashboard Chart / Number Card / Dashboard Chart Link fields the app sets
FRAPPE15_OPTIONS = {
    "Dashboard Chart": {
        "chart_type": {"Count", "Sum", "Average", "Group By", "Custom", "Report"},
        "type": {"Line", "Bar", "Percentage", "Pie", "Donut", "Heatmap"},
        "timespan": {"Last Year", "Last Quarter", "Last Month", "Last Week", "Select Date Range"},
        "time_interval": {"Yearly", "Quarterly", "Monthly", "Weekly", "Daily"},
        "group_by_type": {"Count", "Sum", "Average"},
    },
    "Number Card": {
        "type": {"Document Type", "Report", "Custom"},
        "function": {"Count", "Sum", "Average", "Minimum", "Maximum"},
        "stats_time_interval": {"Daily", "Weekly", "Monthly", "Yearly"},
    },
}
CHART_WIDTHS = {"Half", "Full"}


def test_desk_dashboard_records_name_real_fields(api, monkeypatch):
    """The bench's Dashboard Chart / Number Card records count fields the doctypes have, with Frappe 15's
    options; on the runtime (no Dashboard doctypes) the hook makes nothing."""
    import frappe as frappe_module

    from medgrid.dashboard import desk

    with api.context() as frappe:
        desk.install_desk_dashboard()  # no Dashboard tables here: nothing happens, nothing fails
        assert not frappe.db.table_exists("Dashboard Chart")
        made = []
        with monkeypatch.context() as patch:  # undone before the site closes
            patch.setattr(frappe.db, "table_exists", lambda doctype, cached=True: True)
            patch.setattr(frappe.db, "exists", lambda *args, **kwargs: False)
            patch.setattr(frappe.db, "get_value", lambda *args, **kwargs: None)

            class Recorded(frappe_module._dict):
                def insert(self, ignore_permissions=False):
                    made.append(self)
                    self.name = self.get("chart_name") or self.get("label") or self.get("dashboard_name")
                    return self

            patch.setattr(frappe_module, "get_doc", lambda values: Recorded(values))
            desk.install_desk_dashboard()
            for doc in made:
                for field, allowed in FRAPPE15_OPTIONS.get(doc.doctype, {}).items():
                    if doc.get(field):
                        assert doc[field] in allowed, (doc.get("name"), field, doc[field])
                if doc.doctype in ("Dashboard Chart", "Number Card"):
                    meta = frappe.get_meta(doc.document_type)
                    for field in (doc.get("based_on"), doc.get("group_by_based_on")):
                        assert not field or field == "creation" or meta.get_field(field), (doc.name, field)
                    for _doctype, field, _op, _value in json.loads(doc.filters_json):
                        assert meta.get_field(field), (doc.name, field)
        dashboard = next(d for d in made if d.doctype == "Dashboard")
        assert len(dashboard.charts) == len(desk.CHARTS) and len(dashboard.cards) == len(desk.NUMBER_CARDS)
        assert all(row["width"] in CHART_WIDTHS for row in dashboard.charts)

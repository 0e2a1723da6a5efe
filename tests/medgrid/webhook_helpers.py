"""Shared set-up for the webhook tests, on the session site of ``tests/conftest.py`` (the ``site`` fixture).

The endpoint tests send real requests through ``frappe.app.application`` with Werkzeug's test
client. A request initialises and destroys its own Frappe context, so it runs on a helper thread (a
fresh context) while the test keeps its own; the request commits on its own connection, so whatever a
test sets up for it is committed first, and every test uses fresh orders, nonces and ids. The apply
job runs on the runtime's in-process worker after the request commits; :func:`post` returns once the
events the request stored have been applied (read from the event rows), so a test's next write never
races the worker — on SQLite a concurrent writer would get "database is locked".
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from urllib.parse import urlencode

import frappe
from frappe.utils import add_days, nowdate
from werkzeug.test import Client

WEBHOOK_EVENT = "MedGrid Webhook Event"


class Reply:
    """A finished response: status, headers, body."""

    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(method: str, path: str, body=b"", headers: dict | None = None, query: dict | None = None) -> Reply:
    """Send one request to the session site as a Guest, from another thread (its own Frappe context)."""
    from frappe.app import application

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    site = frappe.local.site
    # the request reads committed data only (its own connection), and the test reads what it committed
    frappe.db.commit()
    url = path + (f"?{urlencode(query)}" if query else "")
    all_headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
    all_headers += list((headers or {}).items())
    result = {}

    def run():
        try:
            client = Client(application, use_cookies=False)
            response = client.open(url, method=method, headers=all_headers, data=raw, base_url=f"http://{site}")
            try:
                result["reply"] = Reply(response.status_code, response.headers, response.get_data())
            finally:
                response.close()
        except BaseException as e:  # surfaced in the test thread
            result["error"] = e

    started = frappe.utils.now_datetime()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in result:
        raise result["error"]
    wait_for_applies(started)
    return result["reply"]


def wait_for_applies(since, timeout: float = 20.0) -> None:
    """Wait until every event stored since ``since`` has left Received (its apply job ran)."""
    deadline = time.monotonic() + timeout
    while True:
        frappe.db.rollback()  # a fresh snapshot: see what the request and the job committed
        if not frappe.get_all(WEBHOOK_EVENT, filters={"creation": [">=", since], "status": "Received"}, limit=1):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"webhook events stored since {since} not applied within {timeout}s")
        time.sleep(0.02)


def post(path: str, body, headers: dict | None = None, query: dict | None = None) -> Reply:
    """POST ``body`` (bytes, or a dict sent as JSON) as a Guest."""
    return request("POST", path, body, headers, query)


def post_many(path: str, deliveries: list[tuple]) -> list[Reply]:
    """Send ``(body, headers)`` deliveries at the same moment, one thread each; replies in order."""
    replies: list = [None] * len(deliveries)
    barrier = threading.Barrier(len(deliveries))
    frappe.db.commit()
    site = frappe.local.site

    def run(index, body, headers):
        from frappe.app import application

        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        client = Client(application, use_cookies=False)
        barrier.wait()
        response = client.open(path, method="POST", headers=[("Content-Type", "application/json"),
                                                             *headers.items()], data=raw, base_url=f"http://{site}")
        try:
            replies[index] = Reply(response.status_code, response.headers, response.get_data())
        finally:
            response.close()

    started = frappe.utils.now_datetime()
    threads = [threading.Thread(target=run, args=(i, b, h)) for i, (b, h) in enumerate(deliveries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wait_for_applies(started)
    return replies


def dedupe_key(vendor: str, identity: str) -> str:
    """The stored key of a vendor's event identity (the doctype: SHA-256 of vendor + identity)."""
    return hashlib.sha256(f"{vendor}:{identity}".encode()).hexdigest()


def events(**filters) -> list:
    """Stored webhook events matching ``filters`` (oldest first)."""
    frappe.db.rollback()
    return frappe.get_all(WEBHOOK_EVENT, filters=filters, fields=["*"], order_by="creation asc")


def stored(vendor: str, identity: str) -> list:
    """Events stored for one vendor event identity (a nonce, an id, a resource_url …)."""
    return events(dedupe_key=dedupe_key(vendor, identity))


def wait_settled(vendor: str, identity: str, timeout: float = 20.0):
    """The event stored for ``identity`` once its apply job has run (status no longer Received)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = stored(vendor, identity)
        if rows and rows[0].status != "Received":
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{vendor} event {identity} not applied within {timeout}s: {rows}")
        time.sleep(0.05)


def configure_single(doctype: str, **values) -> None:
    """Set fields (Password fields included) on a single doctype and commit."""
    doc = frappe.get_single(doctype)
    doc.update(values)
    doc.save(ignore_permissions=True)
    frappe.db.commit()


def make_order(items=("ITEM-003",), routed=True, **values) -> str:
    """A submitted demo Sales Order, committed; returns its name.

    The router does not send it; with ``routed`` its Fulfillment Dispatches are recorded as Sent (what
    the router leaves once the vendors have the order), since webhooks only apply to orders routed to
    the vendor that sends them.
    """
    from medgrid.setup.demo import make_demo_data
    from tests.medgrid.factories import ensure_stock

    make_demo_data()
    lines = [(code, "Skydell Exoceuticals - SM" if code == "ITEM-005" else "Skydell Main - SM") for code in items]
    for code, warehouse in lines:
        ensure_stock([(code, 1)], warehouse)  # every submitted order reserves a unit
    frappe.flags.medgrid_skip_dispatch = True
    try:
        order = frappe.get_doc({
            "doctype": "Sales Order", "customer": "Demo Clinic Partner", "company": "Skydell",
            "delivery_date": add_days(nowdate(), 7), "shipping_address_name": "Demo Clinic Partner-Shipping",
            "patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-02",
            "prescriber_npi": "1234567890", "prescriber_first_name": "Greg", "prescriber_last_name": "House",
            "items": [{"item_code": code, "qty": 1, "warehouse": warehouse} for code, warehouse in lines],
            **values,
        }).insert()
        order.submit()
    finally:
        frappe.flags.medgrid_skip_dispatch = False
    if routed:
        record_routes(order)
    frappe.db.commit()
    return order.name


def record_routes(order) -> list[str]:
    """Fulfillment Dispatches of ``order`` as the router plans them, already Sent (no job sends them)."""
    from medgrid.connectors.base import get_connector
    from medgrid.fulfillment_router.routing import plan_routes

    names = []
    for route in plan_routes(order):
        names.append(frappe.get_doc({
            "doctype": "Fulfillment Dispatch", "sales_order": order.name, "vendor": route.vendor,
            "vendor_label": get_connector(route.vendor).label, "vendor_profile": route.vendor_profile,
            "route_key": route.key, "connection_doctype": route.connection[0], "connection_name": route.connection[1],
            "status": "Sent", "attempts": 1, "lines": route.lines,
        }).insert(ignore_permissions=True).name)
    return names


def order_values(name: str, *fields) -> dict:
    frappe.db.rollback()
    return frappe.db.get_value("Sales Order", name, list(fields), as_dict=True)


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def store_event(vendor: str, body: dict, *, event_type: str | None = None, occurred_at=None,
                context: dict | None = None) -> str:
    """Insert a Received event directly (the apply-layer tests skip the endpoint); returns its name."""
    doc = frappe.get_doc({
        "doctype": WEBHOOK_EVENT, "vendor": vendor, "event_type": event_type,
        "dedupe_key": dedupe_key(vendor, unique()),
        "status": "Received", "occurred_at": occurred_at, "received_at": frappe.utils.now_datetime(),
        "attempts": 0, "headers": json.dumps({"headers": {}, "query": {}, "context": context or {}}),
        "payload": json.dumps(body),
    }).insert(ignore_permissions=True)
    frappe.db.commit()
    return doc.name

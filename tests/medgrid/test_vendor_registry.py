"""The vendor registry (issue 16): a sixth vendor, "Acme", added by another app through ``medgrid_vendors`` alone.

The test app ``tests/apps/medgrid_acme`` holds everything Acme is — descriptor, connector, webhook, settings
doctype, sandbox — and nothing in MedGrid names it. On a site with that app installed the whole flow runs
over real HTTP: route → dispatch → the Acme sandbox → its signed webhooks to a MedGrid web server → status on
the order and on its dispatch → ``aggregate_shipments`` → the admin page; and the per-order poll works too.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

import frappe

from tests.conftest import ROOT, create_test_site, drop_test_site
from tests.medgrid import factories
from tests.medgrid.integration_helpers import PASSWORD, http, make_user

sys.path.insert(0, os.path.join(ROOT, "tests", "apps", "medgrid_acme"))

SITE = "acme.localhost"
ITEM = "ACME-WIDGET"
ACME_SKU = "ACME-SKU-1"
ADMIN_ROLE = "MedGrid Marketplace Admin"


@pytest.fixture(scope="module")
def test_site(sites_path):
    """This module's site: MedGrid and the Acme app (the ``site`` fixture connects to it)."""
    conf = create_test_site(sites_path, SITE, apps=("erpnext", "medgrid", "medgrid_acme"))
    from frappe.installer import update_site_config

    # jobs (the send, the webhook apply) run when their transaction commits: the flow is deterministic
    update_site_config("run_jobs_synchronously", 1,
                       site_config_path=os.path.join(sites_path, SITE, "site_config.json"))
    yield SITE
    drop_test_site(conf)


@pytest.fixture()
def medgrid_url(site):
    """MedGrid served over loopback HTTP, where the sandbox sends its webhooks."""
    from werkzeug.serving import make_server

    from frappe.app import application

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture()
def acme(site, medgrid_url):
    """The Acme sandbox (manual timeline), and MedGrid's Acme Settings pointing at it."""
    from sandbox import sandbox_class

    sandbox = sandbox_class("acme", apps=["medgrid_acme"])(
        {"step_delay": None, "medgrid_url": medgrid_url, "medgrid_host_header": site}, port=0).start()
    settings = frappe.get_single("Acme Settings")
    settings.update({"enabled": 1, **sandbox.medgrid_settings()["Acme Settings"]})
    settings.save(ignore_permissions=True)
    frappe.db.commit()
    yield sandbox
    sandbox.stop()


def acme_item() -> None:
    factories.masters()
    if not frappe.db.exists("Item", ITEM):
        frappe.get_doc({"doctype": "Item", "item_code": ITEM, "item_name": "Acme Widget", "item_group": "Products",
                        "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1, "medgrid_approved": 1,
                        "acme_sku": ACME_SKU}).insert(ignore_permissions=True)
        frappe.get_doc({"doctype": "Item Price", "item_code": ITEM, "price_list": factories.PRICE_LIST,
                        "price_list_rate": 42}).insert(ignore_permissions=True)


def routed_order(qty: int = 2):
    """A submitted order for Acme's item, routed by MedGrid's router (no skip flag)."""
    acme_item()
    order = factories.sales_order([(ITEM, qty)], submit=False, patient=False)
    order.submit()
    frappe.db.commit()
    return order


def acme_dispatch(order_name: str) -> dict:
    return frappe.db.get_value("Fulfillment Dispatch", {"sales_order": order_name, "vendor": "acme"},
                               ["name", "status", "vendor_status", "vendor_order_id", "tracking_number", "carrier",
                                "tracking_url"], as_dict=True)


# ------------------------------------------------------------------------------- registry

def test_installing_the_app_registers_acme_everywhere(site):
    from medgrid.connectors.base import get_connectors
    from medgrid.vendors import get_vendors

    assert list(get_vendors())[-1] == "acme"
    assert get_connectors()["acme"].label == "Acme Fulfilment"
    # the Sales Order section and the Item mapping field, from the descriptor
    status = frappe.get_meta("Sales Order").get_field("acme_status")
    assert status.options.split("\n")[1:] == ["Accepted", "Packed", "Shipped", "Delivered", "Cancelled", "Failed"]
    assert frappe.get_meta("Item").get_field("acme_sku")
    assert "acme" in frappe.get_meta("Item").get_field("fulfillment_vendor").options.split("\n")
    # the vendor Selects of MedGrid's own doctypes, set at migrate
    for doctype, fieldname in (("Fulfillment Dispatch", "vendor"), ("MedGrid Webhook Event", "vendor"),
                               ("Vendor Profile", "vendor_key")):
        assert "acme" in frappe.get_meta(doctype).get_field(fieldname).options.split("\n"), doctype
    # its settings' defaults are stored, disabled until set up
    assert frappe.db.sql("select 1 from `tabSingles` where `doctype`='Acme Settings' limit 1")


def test_the_sandbox_runner_knows_acme_only_when_asked():
    from sandbox import sandbox_paths

    assert "acme" not in sandbox_paths()
    assert sandbox_paths(["medgrid_acme"])["acme"] == "medgrid_acme.sandbox.AcmeSandbox"


# --------------------------------------------------------------------------------- the flow

def test_route_dispatch_sandbox_webhooks_tracking_and_admin_page(site, acme):
    from medgrid.fulfillment_router import aggregate_shipments

    # route → dispatch → the sandbox (the send job runs at the submit's commit)
    order = routed_order(qty=2)
    placed = next(o for o in acme.orders.values() if o["reference"] == order.name)
    assert placed["lines"] == [{"sku": ACME_SKU, "quantity": 2}]
    frappe.db.rollback()
    dispatch = acme_dispatch(order.name)
    assert (dispatch.status, dispatch.vendor_order_id, dispatch.vendor_status) == ("Sent", placed["id"], "Accepted")
    assert frappe.db.get_value("Sales Order", order.name, ["acme_order_id", "acme_status"]) == \
        (placed["id"], "Accepted")

    # the sandbox plays packed → shipped → delivered as signed webhooks to MedGrid
    acme.timeline.advance(None, key=placed["id"])
    frappe.db.rollback()
    events = frappe.get_all("MedGrid Webhook Event", filters={"vendor": "acme", "sales_order": order.name},
                            fields=["status", "error"])
    assert [e.status for e in events] == ["Processed"] * 3, events

    # status and tracking on the order and on its dispatch alike
    values = frappe.db.get_value("Sales Order", order.name, ["acme_status", "acme_tracking_number", "acme_carrier",
                                                             "acme_tracking_url", "acme_sync_date"], as_dict=True)
    tracking = placed["tracking"]
    assert (values.acme_status, values.acme_tracking_number, values.acme_carrier) == \
        ("Delivered", tracking["number"], "UPS")
    assert values.acme_tracking_url == f"https://www.ups.com/track?tracknum={tracking['number']}"
    dispatch = acme_dispatch(order.name)
    assert (dispatch.vendor_status, dispatch.tracking_number, dispatch.carrier, dispatch.tracking_url) == \
        ("Delivered", tracking["number"], "UPS", values.acme_tracking_url)

    # the consolidated view
    [shipment] = [s for s in aggregate_shipments(order.name)["shipments"] if s["vendor"] == "acme"]
    assert shipment == {"vendor": "acme", "vendor_label": "Acme Fulfilment", "status": "Delivered",
                        "tracking_number": tracking["number"], "carrier": "UPS",
                        "tracking_url": values.acme_tracking_url}

    # the admin page lists it under its own vendor filter
    page = admin_page(f"/medgrid-admin/dispatches?vendor=acme&sales_order={order.name}")
    assert page.status == 200
    text = page.body.decode()
    assert dispatch.name in text and 'value="acme"' in text and "Delivered" in text


def admin_page(path: str):
    from werkzeug.test import Client

    from frappe.app import application

    admin = make_user((ADMIN_ROLE,))
    frappe.db.commit()
    client = Client(application)
    login = http("POST", "/api/method/login", body={"usr": admin, "pwd": PASSWORD}, client=client)
    assert login.status == 200, login.body
    return http("GET", path, client=client, headers={"Accept": "text/html"})


def test_a_late_webhook_does_not_move_acme_back_and_the_poll_catches_up(site, acme):
    from medgrid.webhooks.reconcile import poll_vendor

    order = routed_order(qty=1)
    placed = next(o for o in acme.orders.values() if o["reference"] == order.name)
    # the vendor moves on but its webhooks are lost: the poll reads the order back
    acme.faults.set({"mode": "drop", "count": 10})
    acme.timeline.advance(None, key=placed["id"])
    result = poll_vendor("acme")
    assert result[order.name] == "Delivered"
    frappe.db.rollback()
    assert acme_dispatch(order.name).vendor_status == "Delivered"
    assert frappe.db.get_value("Sales Order", order.name, "acme_status") == "Delivered"


# ------------------------------------------------------------------------------- attackers

def test_a_guest_with_a_wrong_signature_is_refused_and_nothing_is_stored(site, acme):
    before = frappe.db.count("MedGrid Webhook Event", {"vendor": "acme"})
    reply = http("POST", "/api/method/medgrid_acme.vendor.webhook",
                 headers={"X-Acme-Signature": "0" * 64},
                 body={"event_id": "forged", "reference": "SO-2026-00001", "status": "delivered"})
    assert reply.status == 401
    assert frappe.db.count("MedGrid Webhook Event", {"vendor": "acme"}) == before


@pytest.mark.parametrize("roles", [(), ("External Vendor",), ("Customer / Partner Platform",),
                                   ("Internal Sales Rep",)])
def test_only_admins_read_acme_settings(site, roles):
    from tests.medgrid.integration_helpers import api_token

    headers = api_token(make_user(roles)) if roles else {}
    reply = http("GET", "/api/resource/Acme Settings/Acme Settings", headers=headers)
    assert reply.status == 403
    assert b"sandbox-acme" not in reply.body


# ------------------------------------------------------------------------------ the pieces

def test_a_vendor_update_maps_to_the_vendors_fields_and_to_the_dispatch():
    from medgrid.vendors.builtin import CENTRE_RESEARCH
    from medgrid.vendors.update import KEEP, VendorUpdate

    owned = CENTRE_RESEARCH.order_fields
    update = VendorUpdate(status="Shipped", vendor_order_id="cr-1", extra={"cr_shipping_tier": "Standard"})
    update.set_tracking(" 1Z9 ", "UPS")
    assert update.order_fields(owned, "now") == {
        "cr_status": "Shipped", "cr_order_id": "cr-1", "cr_tracking_number": "1Z9", "cr_carrier": "UPS",
        "cr_tracking_url": "https://www.ups.com/track?tracknum=1Z9", "cr_shipping_tier": "Standard",
        "cr_sync_date": "now"}
    assert update.dispatch_fields() == {"vendor_status": "Shipped", "vendor_order_id": "cr-1", "tracking_number": "1Z9",
                                        "carrier": "UPS", "tracking_url": "https://www.ups.com/track?tracknum=1Z9"}
    # untouched tracking stays as it is; withdrawn tracking is written as empty
    assert VendorUpdate(status="Processing").dispatch_fields() == {"vendor_status": "Processing"}
    assert VendorUpdate().clear_tracking().dispatch_fields() == {"tracking_number": None, "carrier": None,
                                                                 "tracking_url": None}
    assert VendorUpdate().set_tracking("").tracking_number is KEEP
    # field values of the vendor (or dispatch column names) read back into the same update
    again = VendorUpdate.from_order_fields(owned, {"cr_status": "Shipped", "cr_order_id": "cr-1",
                                                   "cr_sync_date": "then", "cr_shipping_tier": "Standard"})
    assert (again.status, again.vendor_order_id, again.extra) == ("Shipped", "cr-1", {"cr_shipping_tier": "Standard"})
    assert VendorUpdate.from_order_fields(owned, {"vendor_status": "Open", "carrier": None}).dispatch_fields() == \
        {"vendor_status": "Open", "carrier": None}


def test_statuses_list_stages_first_and_close_at_the_last_stage_or_a_final_status():
    from medgrid.vendors import Statuses

    statuses = Statuses(stages=("Pending", "Shipped", "Delivered"), others=("Cancelled", "Refunded", "On Hold"))
    assert statuses.vocabulary == ("Pending", "Shipped", "Delivered", "Cancelled", "Refunded", "On Hold")
    assert statuses.closed == ("Delivered", "Cancelled", "Refunded")


def test_a_later_registration_of_a_key_replaces_the_earlier_one():
    from medgrid.vendors import app_vendor_paths, descriptors_from

    paths = app_vendor_paths(["medgrid", "medgrid_acme"])
    registry = descriptors_from(paths + ["medgrid.vendors.builtin.SINQ"])
    assert list(registry)[-1] == "sinq" and len(registry) == 7
    # an entry that is not a descriptor is refused at once
    with pytest.raises(TypeError):
        descriptors_from(["medgrid.vendors.FINAL_STATUSES"])

"""The Vendor Dashboard (/portal/vendor-dashboard, medgrid.portal.vendor_dashboard): only the vendor's own rows."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from medgrid.portal.vendor_dashboard import dashboard
from tests.medgrid import factories
from tests.medgrid.integration_helpers import ADMIN_ROLE, browser_logged_in, http, make_user, make_vendor, unique

PAGE = "/portal/vendor-dashboard"


def page(user: str, query: dict | None = None):
    return http("GET", PAGE, client=browser_logged_in(user), query=query, headers={"Accept": "text/html"})


def routed(profile: str, **values):
    order = factories.sales_order([("CT-CR-BPC", 1)])
    return factories.dispatch(order, "centre_research", vendor_profile=profile, **values)


def address_line() -> str:
    return frappe.db.get_value("Address", factories.SHIPPING_ADDRESS, "address_line1")


def test_a_vendor_sees_its_orders_with_status_tracking_and_age_and_never_another_vendors(site):
    # given
    user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    own = routed(profile, status="Sent", vendor_status="Shipped", tracking_number="1Z-OWN-1", carrier="UPS",
                 tracking_url="https://www.ups.com/track?tracknum=1Z-OWN-1")
    theirs = routed(other_profile, status="Sent", vendor_status="Processing", tracking_number="1Z-THEIRS-9")

    # when
    reply = page(user)

    # then
    html = reply.body.decode()
    assert reply.status == 200
    assert own.name in html and own.sales_order in html and "1Z-OWN-1" in html and "Shipped" in html
    assert theirs.name not in html and theirs.sales_order not in html and "1Z-THEIRS-9" not in html


def test_the_shipping_address_shows_only_while_the_vendor_fulfils(site):
    # given
    _user, profile = make_vendor("centre_research")
    open_one = routed(profile, status="Sent", vendor_status="Processing")
    delivered = routed(profile, status="Sent", vendor_status="Delivered")
    cancelled = routed(profile, status="Cancelled")

    # when
    rows = {r["name"]: r for r in dashboard(profile)["orders"]}

    # then
    assert address_line() in rows[open_one.name]["shipping_address"]
    assert rows[delivered.name]["shipping_address"] is None
    assert rows[cancelled.name]["shipping_address"] is None


def test_failures_to_act_on_are_the_vendors_own(site):
    # given
    user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    failed = routed(profile, status="Failed", last_error="Centre Research: SKU cr-variant-id-001 unknown")
    on_hold = routed(profile, status="Sent", vendor_status="On Hold")
    fine = routed(profile, status="Sent", vendor_status="Processing")
    theirs = routed(other_profile, status="Failed", last_error="their secret trouble")

    # when
    names = {f["name"] for f in dashboard(profile)["failures"]}
    html = page(user).body.decode()

    # then
    assert names == {failed.name, on_hold.name}
    assert fine.name not in names
    assert "SKU cr-variant-id-001 unknown" in html and "their secret trouble" not in html and theirs.name not in html


def test_webhooks_of_the_last_day_are_counted_for_the_vendors_own_orders_only(site):
    # given
    _user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    own = routed(profile, status="Sent")
    theirs = routed(other_profile, status="Sent")
    for dispatch, status in ((own, "Processed"), (own, "Failed"), (theirs, "Processed")):
        frappe.get_doc({"doctype": "MedGrid Webhook Event", "vendor": "centre_research", "dedupe_key": unique(),
                        "status": status, "sales_order": dispatch.sales_order, "payload": "{}",
                        "received_at": now_datetime()}).insert(ignore_permissions=True)

    # when
    health = dashboard(profile)["webhooks"]

    # then
    assert (health["received"], health["failed"]) == (2, 1) and health["newest"]


def test_a_dispatch_without_a_profile_is_the_sole_vendor_of_its_connectors(site):
    # given: one Vendor Profile on the connector, a dispatch naming only the connector
    profiles = frappe.get_all("Vendor Profile", filters={"vendor_key": "sinq"}, pluck="name")
    for name in profiles:
        frappe.db.set_value("Vendor Profile", name, "vendor_key", "")
    try:
        _user, sole = make_vendor("sinq")
        order = factories.sales_order([("CT-SINQ-D3", 1)])
        dispatch = factories.dispatch(order, "sinq", status="Sent")
        assert dispatch.name in {r["name"] for r in dashboard(sole)["orders"]}

        # when: a second vendor on the same connector
        _user2, second = make_vendor("sinq")

        # then: nobody can say whose it is, so it is neither's
        assert dispatch.name not in {r["name"] for r in dashboard(sole)["orders"]}
        assert dispatch.name not in {r["name"] for r in dashboard(second)["orders"]}
    finally:
        frappe.db.rollback()


def test_another_vendors_dashboard_is_refused_and_admins_see_any(site):
    # given
    user, _profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    theirs = routed(other_profile, status="Sent")
    admin = make_user([ADMIN_ROLE])

    # when
    peek = page(user, {"vendor_profile": other_profile})
    as_admin = page(admin, {"vendor_profile": other_profile})

    # then
    assert peek.status == 403 and theirs.name not in peek.body.decode()
    assert as_admin.status == 200 and theirs.name in as_admin.body.decode()


def test_partners_reps_and_guests_are_refused(site):
    for roles in (["Customer / Partner Platform"], ["Internal Sales Rep"], []):
        assert page(make_user(roles)).status == 403
    assert http("GET", PAGE, headers={"Accept": "text/html"}).status == 403


def test_a_vendor_without_a_profile_is_told_so(site):
    reply = page(make_user())
    assert reply.status == 200 and "No Vendor Profile is linked to your user yet" in reply.body.decode()


def test_the_demo_gives_every_back_office_screen_content_once(site):
    # given: the demo catalog and the users scripts/demo_site.py makes
    from medgrid.setup.demo import make_demo_data
    from medgrid.setup.demo_portal import DEMO_PARTNER, DEMO_VENDOR_PROFILE, make_portal_demo

    make_demo_data()
    for email, roles in ((DEMO_PARTNER, ["Customer / Partner Platform"]), ("vendor@vendor.example", ["External Vendor"])):
        if not frappe.db.exists("User", email):
            make_user(roles, email=email)
    if not frappe.db.exists("Vendor Profile", DEMO_VENDOR_PROFILE):
        frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": DEMO_VENDOR_PROFILE, "vendor_key": "shipstation",
                        "user": "vendor@vendor.example", "status": "Active"}).insert(ignore_permissions=True)

    # when
    make_portal_demo()
    make_portal_demo()

    # then
    [payout] = frappe.get_all("Vendor Payout", filters={"vendor_profile": DEMO_VENDOR_PROFILE},
                              fields=["status", "dispatch_count", "total_amount"])
    assert (payout.status, payout.dispatch_count) == ("Approved", 1) and payout.total_amount > 0
    [request] = frappe.get_all("MedGrid Support Request", filters={"requester": DEMO_PARTNER},
                               fields=["status", "reply", "sales_order"])
    assert request.status == "Answered" and request.reply and request.sales_order
    board = dashboard(DEMO_VENDOR_PROFILE)
    assert len(board["orders"]) == 3 and len(board["failures"]) == 1
    # the delivered order's address is gone; the open one's and the failed one's (still to fulfil) show
    assert sorted(o["vendor_status"] or o["status"] for o in board["orders"] if o["shipping_address"]) == \
        ["Awaiting Shipment", "Failed"]

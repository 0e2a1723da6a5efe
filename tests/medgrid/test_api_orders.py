"""Placing and tracking orders over HTTP as each MedGrid role, as the guide describes."""

from __future__ import annotations

from frappe.utils import add_days, nowdate

from tests.medgrid.api_site import SHIPPING_ADDRESSES, USERS, server_messages

AGG = "medgrid.fulfillment_router.aggregate_shipments"


def order_body(customer="Demo Clinic Partner", items=(("ITEM-001", 5),), **extra):
    body = {
        "customer": customer, "transaction_date": nowdate(), "delivery_date": add_days(nowdate(), 7),
        "currency": "USD", "selling_price_list": "Standard Selling",
        "items": [{"item_code": code, "qty": qty, "rate": 89.00, "warehouse": "Skydell Main - SM"}
                  for code, qty in items],
        "shipping_address_name": SHIPPING_ADDRESSES.get(customer),
    }
    body.update(extra)
    return body


def create(api, user="partner", **kwargs):
    r = api.resource("POST", "Sales Order", user=user, body=order_body(**kwargs))
    assert r.status_code == 200, r.json_body
    return r.json_body["data"]


def test_partner_creates_a_draft_as_in_the_guide(api):
    data = create(api)
    assert data["name"].startswith(f"SO-{nowdate()[:4]}-")
    assert data["status"] == "Draft" and data["grand_total"] == 445.0 and data["docstatus"] == 0


def test_partner_submits_and_the_router_dispatches(api):
    from medgrid_fake_vendors import connectors

    name = create(api)["name"]
    r = api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 1})
    assert r.status_code == 200, r.json_body
    assert r.json_body["data"]["docstatus"] == 1 and r.json_body["data"]["status"] == "To Deliver and Bill"
    with api.context() as frappe:
        rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": name}, fields=["vendor", "status"])
    assert [(r.vendor, r.status) for r in rows] == [("centre_research", "Sent")]
    assert [s[:2] for s in connectors.SENT if s[1] == name] == [("centre_research", name)]
    r = api.method(AGG, "partner", "POST", sales_order=name)
    assert r.status_code == 200
    shipments = r.json_body["message"]["shipments"]
    assert r.json_body["message"]["sales_order"] == name
    assert [s["vendor"] for s in shipments] == ["centre_research"]
    assert set(shipments[0]) == {"vendor", "vendor_label", "status", "tracking_number", "carrier", "tracking_url"}


def test_partner_cannot_order_for_another_customer(api):
    r = api.resource("POST", "Sales Order", user="partner", body=order_body(customer="Other Clinic"))
    assert r.status_code == 403
    with api.context() as frappe:
        assert not frappe.db.exists("Sales Order", {"customer": "Other Clinic", "owner": USERS["partner"][0]})


def test_partner_sees_only_its_customers_orders(api):
    mine = create(api)["name"]
    other = create(api, user="partner2", customer="Other Clinic")["name"]
    r = api.resource("GET", "Sales Order", user="partner", params={"limit_page_length": 0})
    names = {row["name"] for row in r.json_body["data"]}
    assert mine in names and other not in names
    assert api.resource("GET", "Sales Order", other, user="partner").status_code == 403
    assert api.method(AGG, "partner", "POST", sales_order=other).status_code == 403


def test_sales_rep_sees_its_territory_and_its_own_orders(api):
    us_order = create(api)["name"]                     # Demo Clinic Partner is in the United States
    ca_order = create(api, user="partner2", customer="Other Clinic")["name"]  # Canada
    names = lambda user: {row["name"] for row in api.resource("GET", "Sales Order", user=user,
                                                             params={"limit_page_length": 0}).json_body["data"]}
    assert us_order in names("rep") and ca_order not in names("rep")
    assert ca_order in names("rep2") and us_order not in names("rep2")
    assert api.resource("GET", "Sales Order", ca_order, user="rep").status_code == 403
    own = create(api, user="rep2")["name"]  # a US order created by the Canada rep
    assert own in names("rep2")
    assert api.resource("GET", "Sales Order", own, user="rep2").status_code == 200


def test_sales_rep_cannot_approve_vendor_products(api):
    r = api.resource("PUT", "Item", "ITEM-002", user="rep", body={"medgrid_approved": 0})
    assert r.status_code == 403
    r = api.resource("PUT", "Item", "ITEM-002", user="admin", body={"medgrid_approved": 1, "item_name": "Sterile Syringe 5ml (box of 100)"})
    assert r.status_code == 200
    with api.context() as frappe:
        assert frappe.db.get_value("Item", "ITEM-002", "medgrid_approved") == 1


def test_unknown_order_is_404_and_missing_parameter_400(api):
    r = api.method(AGG, "partner", "POST", sales_order="SO-2026-99999")
    assert r.status_code == 404 and r.json_body["exc_type"] == "DoesNotExistError"
    r = api.method(AGG, "partner", "POST")
    assert r.status_code == 400 and server_messages(r)


def test_admin_redispatch_answers_409_and_417(api):
    draft = create(api)["name"]
    r = api.method("medgrid.fulfillment_router.dispatch_vendor", "admin", "POST", sales_order=draft,
                   vendor="centre_research")
    assert r.status_code == 417
    api.resource("PUT", "Sales Order", draft, user="partner", body={"docstatus": 1})
    with api.context() as frappe:
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": draft}, "status", "Sent")
    r = api.method("medgrid.fulfillment_router.dispatch_vendor", "admin", "POST", sales_order=draft,
                   vendor="centre_research")
    assert r.status_code == 409 and r.json_body["exc_type"] == "AlreadyDispatchedError"
    r = api.method("medgrid.fulfillment_router.dispatch_vendor", "partner", "POST", sales_order=draft,
                   vendor="centre_research")
    assert r.status_code == 403


def test_bad_lines_are_refused_with_clear_errors_and_nothing_saved(api):
    r = api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-001", 0),)))
    assert r.status_code == 417 and r.json_body["exc_type"] == "InvalidQtyError"
    with api.context() as frappe:
        frappe.db.set_value("Item", "ITEM-003", "medgrid_approved", 0)
    try:
        r = api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-003", 1),)))
        assert r.status_code == 400 and "not available for sale" in server_messages(r)[0]
    finally:
        with api.context() as frappe:
            frappe.db.set_value("Item", "ITEM-003", "medgrid_approved", 1)
    r = api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-004", 1),)))
    assert r.status_code == 417 and "Prescription items need patient and prescriber" in server_messages(r)[0]


def test_vendor_and_roleless_users_cannot_touch_orders(api):
    assert api.resource("GET", "Sales Order", user="vendor").status_code == 403
    assert api.resource("POST", "Sales Order", user="norole", body=order_body()).status_code == 403

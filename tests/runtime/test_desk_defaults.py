"""Issue 13: erpnext.desk_defaults.get_transaction_defaults — what a new Sales Order form shows before its
first save (company currency, price list, rates) — tried by every caller, as attackers too."""

from __future__ import annotations

import pytest

from tests.medgrid.api_site import USERS
from tests.runtime.test_desk_medgrid import desk  # noqa: F401  (the MedGrid Desk test site)

METHOD = "erpnext.desk_defaults.get_transaction_defaults"


def test_a_rep_gets_the_defaults_of_a_customer_it_may_read(desk):  # noqa: F811
    reply = desk.call(METHOD, "rep", get={"doctype": "Sales Order", "customer": "Demo Clinic Partner"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    out = reply.json_body["message"]
    assert out["company"] == "Skydell" and out["currency"] == "USD"
    assert out["selling_price_list"] and out["price_list_currency"] == "USD"
    assert out["conversion_rate"] == 1.0 and out["plc_conversion_rate"] == 1.0
    assert out["customer_name"] == "Demo Clinic Partner"


def test_without_a_customer_the_company_and_selling_settings_defaults(desk):  # noqa: F811
    out = desk.call(METHOD, "admin", get={"doctype": "Sales Order"}).json_body["message"]
    assert out["company"] == "Skydell" and out["currency"] == "USD" and out["selling_price_list"]
    assert "customer_name" not in out


@pytest.mark.parametrize("who, status", [(None, 403), ("vendor", 403), ("norole", 403)])
def test_callers_who_may_not_create_orders_are_refused(desk, who, status):  # noqa: F811
    if who and who not in desk.keys:
        pytest.skip(f"{who} has no API key on this site")
    reply = desk.call(METHOD, who, get={"doctype": "Sales Order", "customer": "Demo Clinic Partner"})
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert "selling_price_list" not in reply.get_data(as_text=True)


def test_a_partner_may_not_read_another_clinics_defaults(desk):  # noqa: F811
    own = desk.call(METHOD, "partner", get={"doctype": "Sales Order", "customer": "Demo Clinic Partner"})
    assert own.status_code == 200, own.get_data(as_text=True)
    other = desk.call(METHOD, "partner", get={"doctype": "Sales Order", "customer": "Other Clinic"})
    assert other.status_code == 403, other.get_data(as_text=True)
    assert "Other Clinic" not in str((other.json_body or {}).get("message", ""))


@pytest.mark.parametrize("args, status", [
    ({"doctype": "User"}, 417),                                   # not a selling document
    ({"doctype": "Sales Order", "customer": "No Such Clinic"}, 404),
    ({"doctype": "Sales Order", "company": "No Such Company"}, 404),
])
def test_bad_arguments_are_clear_4xx(desk, args, status):  # noqa: F811
    reply = desk.call(METHOD, "admin", get=args)
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.json_body["exc_type"]


def test_a_json_customer_is_refused(desk):  # noqa: F811
    reply = desk.call(METHOD, "admin", form={"doctype": "Sales Order", "customer": '{"a": 1}'})
    assert reply.status_code in (404, 417), reply.get_data(as_text=True)

"""Vendor Payouts (medgrid.payouts, the Vendor Payout doctype, /portal/payouts): what is paid, once, by whom.

A dispatch is payable when Sent and its vendor reports its last stage (Delivered for Centre Research).
"""

from __future__ import annotations

import frappe
import pytest
from frappe.utils import add_months, get_first_day, now_datetime

from medgrid.payouts import AlreadyPaidError, create_payout, monthly
from tests.medgrid import factories
from tests.medgrid.integration_helpers import ADMIN_ROLE, api_token, browser_logged_in, http, make_user, make_vendor

CREATE = "/api/method/medgrid.payouts.create_payouts"
PARTNER = "Customer / Partner Platform"
REP = "Internal Sales Rep"


def delivered(profile: str, *, vendor_status: str = "Delivered", when=None, qty: float = 2):
    """A Centre Research dispatch of the vendor ``profile`` in ``vendor_status`` (one line of ``qty``)."""
    order = factories.sales_order([("CT-CR-BPC", qty)])
    return factories.dispatch(order, "centre_research", vendor_profile=profile, status="Sent",
                              vendor_status=vendor_status, last_sync=when or now_datetime())


def payouts_of(profile: str) -> list:
    frappe.db.rollback()
    return frappe.get_all("Vendor Payout", filters={"vendor_profile": profile},
                          fields=["name", "status", "total_amount", "dispatch_count"], order_by="creation asc")


def lines_of(payout: str) -> list[str]:
    return frappe.get_all("Vendor Payout Line", filters={"parent": payout, "parenttype": "Vendor Payout"},
                          pluck="fulfillment_dispatch", order_by="idx asc")


def admin_headers() -> dict:
    return api_token(make_user([ADMIN_ROLE]))


# ------------------------------------------------------------------------------------------ creating

def test_an_admin_creates_a_payout_of_the_vendors_delivered_dispatches_only(site):
    # given
    _user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    paid = delivered(profile, qty=3)
    shipped = delivered(profile, vendor_status="Shipped")
    someone_elses = delivered(other_profile)
    headers = admin_headers()

    # when
    reply = http("POST", CREATE, headers=headers, body={"vendor_profile": profile})

    # then
    assert reply.status == 200, reply.body
    [payout] = payouts_of(profile)
    assert reply.message["created"] == [payout.name]
    assert lines_of(payout.name) == [paid.name]
    assert shipped.name not in lines_of(payout.name) and someone_elses.name not in lines_of(payout.name)
    rate = paid.lines[0].rate
    assert (payout.status, payout.dispatch_count, payout.total_amount) == ("Draft", 1, pytest.approx(3 * rate))


def test_a_dispatch_is_paid_at_most_once_however_often_payouts_run(site):
    # given
    _user, profile = make_vendor("centre_research")
    delivered(profile)
    headers = admin_headers()
    first = http("POST", CREATE, headers=headers, body={"vendor_profile": profile})

    # when
    second = http("POST", CREATE, headers=headers, body={"vendor_profile": profile})
    everyone = http("POST", CREATE, headers=headers, body={})

    # then
    assert len(first.message["created"]) == 1
    assert second.message["created"] == [] and not set(everyone.message["created"]) & set(first.message["created"])
    assert len(payouts_of(profile)) == 1


def test_the_monthly_job_pays_last_month_once(site):
    # given
    _user, profile = make_vendor("centre_research")
    last_month = delivered(profile, when=add_months(now_datetime(), -1))
    this_month = delivered(profile, when=now_datetime())
    frappe.db.commit()

    # when
    monthly()
    monthly()

    # then
    [payout] = payouts_of(profile)
    assert lines_of(payout.name) == [last_month.name]
    assert this_month.name not in lines_of(payout.name)


def test_a_second_payout_naming_a_paid_dispatch_is_refused(site):
    # given
    _user, profile = make_vendor("centre_research")
    dispatch = delivered(profile)
    create_payout(profile, get_first_day(now_datetime()), now_datetime().date())

    # when / then
    with pytest.raises(AlreadyPaidError):
        frappe.get_doc({"doctype": "Vendor Payout", "vendor_profile": profile, "period_start": "2026-01-01",
                        "period_end": "2026-12-31", "lines": [{"fulfillment_dispatch": dispatch.name}]}).insert()


def test_a_payout_names_only_its_vendors_delivered_dispatches(site):
    # given
    _user, profile = make_vendor("centre_research")
    _other, other_profile = make_vendor("centre_research")
    other = delivered(other_profile)
    in_transit = delivered(profile, vendor_status="Shipped")

    # when / then
    for dispatch in (other, in_transit):
        with pytest.raises(frappe.ValidationError):
            frappe.get_doc({"doctype": "Vendor Payout", "vendor_profile": profile, "period_start": "2026-01-01",
                            "period_end": "2026-12-31", "lines": [{"fulfillment_dispatch": dispatch.name}]}).insert()


# ------------------------------------------------------------------------------------------ status

def test_status_moves_draft_approved_paid_with_a_reference(site):
    # given
    _user, profile = make_vendor("centre_research")
    delivered(profile)
    doc = frappe.get_doc("Vendor Payout", create_payout(profile, "2026-01-01", now_datetime().date()))

    # when / then: straight to Paid is refused
    doc.status = "Paid"
    doc.reference = "WIRE-1"
    with pytest.raises(frappe.ValidationError):
        doc.save()
    doc.reload()
    doc.status = "Approved"
    doc.save()
    assert doc.approved_by == "Administrator" and doc.approved_on
    doc.status = "Paid"
    doc.reference = ""
    with pytest.raises(frappe.ValidationError):  # no reference
        doc.save()
    doc.reload()
    doc.status = "Paid"
    doc.reference = "WIRE-1"
    doc.save()
    assert doc.paid_on
    doc.status = "Draft"
    with pytest.raises(frappe.ValidationError):  # Paid is final
        doc.save()


def test_an_approved_payouts_dispatches_cannot_change(site):
    # given
    _user, profile = make_vendor("centre_research")
    delivered(profile)
    doc = frappe.get_doc("Vendor Payout", create_payout(profile, "2026-01-01", now_datetime().date()))
    doc.status = "Approved"
    doc.save()
    extra = delivered(profile)

    # when / then
    doc.append("lines", {"fulfillment_dispatch": extra.name})
    with pytest.raises(frappe.ValidationError):
        doc.save()


def test_cancelling_a_payout_frees_its_dispatches_for_the_next_one(site):
    # given
    _user, profile = make_vendor("centre_research")
    dispatch = delivered(profile)
    doc = frappe.get_doc("Vendor Payout", create_payout(profile, "2026-01-01", now_datetime().date()))

    # when
    doc.status = "Cancelled"
    doc.save()
    again = create_payout(profile, "2026-01-01", now_datetime().date())

    # then
    assert again and lines_of(again) == [dispatch.name]


# ------------------------------------------------------------------------------------------ who sees what

def test_a_vendor_reads_its_own_payouts_and_never_another_vendors(site):
    # given
    user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    delivered(profile)
    delivered(other_profile)
    own = create_payout(profile, "2026-01-01", now_datetime().date())
    other = create_payout(other_profile, "2026-01-01", now_datetime().date())
    headers = api_token(user)

    # when
    listed = http("GET", "/api/resource/Vendor Payout", headers=headers,
                  query={"filters": frappe.as_json({"name": ["in", [own, other]]})})
    get_own = http("GET", f"/api/resource/Vendor Payout/{own}", headers=headers)
    get_other = http("GET", f"/api/resource/Vendor Payout/{other}", headers=headers)
    rows_other = http("GET", "/api/resource/Vendor Payout Line", headers=headers,
                      query={"parent": "Vendor Payout", "fields": '["parent"]', "limit_page_length": 0})
    change_own = http("PUT", f"/api/resource/Vendor Payout/{own}", headers=headers, body={"status": "Approved"})
    create = http("POST", CREATE, headers=headers, body={"vendor_profile": profile})

    # then
    assert [r["name"] for r in listed.json()["data"]] == [own]
    assert get_own.status == 200 and get_own.json()["data"]["lines"]
    assert get_other.status == 403
    assert other not in {r["parent"] for r in rows_other.json().get("data", [])}
    assert change_own.status == 403 and create.status == 403
    assert [p.status for p in payouts_of(profile)] == ["Draft"]


@pytest.mark.parametrize("roles", [[REP], [PARTNER], []], ids=["rep", "partner", "no-role"])
def test_reps_partners_and_others_get_no_payment_records(site, roles):
    # given
    _user, profile = make_vendor("centre_research")
    delivered(profile)
    payout = create_payout(profile, "2026-01-01", now_datetime().date())
    caller = make_user(roles)
    headers = api_token(caller)

    # when
    replies = [http("GET", "/api/resource/Vendor Payout", headers=headers),
               http("GET", f"/api/resource/Vendor Payout/{payout}", headers=headers),
               http("POST", CREATE, headers=headers, body={}),
               http("GET", "/portal/payouts", client=browser_logged_in(caller), headers={"Accept": "text/html"})]

    # then
    assert [r.status for r in replies] == [403, 403, 403, 403]


def test_guests_get_nothing(site):
    assert http("GET", "/api/resource/Vendor Payout").status == 403
    assert http("POST", CREATE, body={}).status == 403
    assert http("GET", "/portal/payouts", headers={"Accept": "text/html"}).status == 403


def test_bad_input_is_a_clean_4xx(site):
    headers = admin_headers()
    assert http("POST", CREATE, headers=headers, body={"period_end": "not-a-date"}).status == 400
    assert http("POST", CREATE, headers=headers, body={"period_start": "2026-05-01", "period_end": "2026-04-01"}
                ).status == 400
    assert http("POST", CREATE, headers=headers, body={"vendor_profile": "No Such Vendor"}).status == 404
    assert http("POST", CREATE, headers=headers, body={"vendor_profile": ["x"]}).status == 400


def test_the_payouts_page_shows_the_vendor_its_own_payouts_only(site):
    # given
    user, profile = make_vendor("centre_research")
    _other_user, other_profile = make_vendor("centre_research")
    delivered(profile)
    delivered(other_profile)
    own = create_payout(profile, "2026-01-01", now_datetime().date())
    other = create_payout(other_profile, "2026-01-01", now_datetime().date())
    browser = browser_logged_in(user)

    # when
    page = http("GET", "/portal/payouts", client=browser, headers={"Accept": "text/html"})
    peek = http("GET", "/portal/payouts", client=browser, query={"vendor_profile": other_profile},
                headers={"Accept": "text/html"})

    # then
    assert page.status == 200
    assert own in page.body.decode() and other not in page.body.decode()
    assert peek.status == 403


def test_the_database_itself_refuses_a_second_live_line_for_a_dispatch(site):
    # given: a payout paying the dispatch (its line holds the unique paid-dispatch key)
    _user, profile = make_vendor("centre_research")
    dispatch = delivered(profile)
    payout = create_payout(profile, "2026-01-01", now_datetime().date())

    # when: a second line is written past every check (as a concurrent run would)
    row = frappe.get_doc({"doctype": "Vendor Payout Line", "parent": payout, "parenttype": "Vendor Payout",
                          "parentfield": "lines", "idx": 2, "fulfillment_dispatch": dispatch.name,
                          "paid_dispatch": dispatch.name})

    # then
    with pytest.raises(Exception) as refused:
        row.db_insert()
    assert isinstance(refused.value, (frappe.UniqueValidationError, frappe.DuplicateEntryError)) or \
        frappe.db.is_unique_key_violation(refused.value)

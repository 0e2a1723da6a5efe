"""API Access (/portal/api-access, medgrid.portal.api_access): generate, rotate, timestamps, who may do it.

Every check goes over HTTP through ``frappe.app.application`` (real auth, CSRF, permissions, commits).
"""

from __future__ import annotations

import re

import frappe

from tests.medgrid.integration_helpers import ADMIN_ROLE, browser_logged_in, http, make_user

GENERATE = "/api/method/medgrid.portal.api_access.generate_api_key"
SUMMARY = "/api/method/medgrid.portal.api_access.get_api_access"
WHOAMI = "/api/method/frappe.auth.get_logged_user"
PARTNER = "Customer / Partner Platform"
CSRF = re.compile(r'frappe\.csrf_token = "([^"]+)"')


def page(browser, query: dict | None = None):
    return http("GET", "/portal/api-access", client=browser, query=query, headers={"Accept": "text/html"})


def generate_in_browser(user: str, target: str | None = None):
    """Log in as ``user``, open the page, press Generate/Rotate (a POST with the page's CSRF token)."""
    browser = browser_logged_in(user)
    html = page(browser, {"user": target} if target else None)
    assert html.status == 200, html.body[:500]
    token = CSRF.search(html.body.decode()).group(1)
    return http("POST", GENERATE, client=browser, body={"user": target} if target else {},
                headers={"X-Frappe-CSRF-Token": token})


def token_header(key: str, secret: str) -> dict:
    return {"Authorization": f"token {key}:{secret}"}


def whoami(key: str, secret: str):
    return http("GET", WHOAMI, headers=token_header(key, secret))


def record(user: str) -> dict:
    frappe.db.rollback()
    return frappe.db.get_value("MedGrid API Key", user, ["api_key", "created_on", "rotated_on", "last_used_on",
                                                         "created_by"], as_dict=True) or {}


# ------------------------------------------------------------------------------------------ own keys

def test_a_partner_generates_its_key_pair_on_the_page_and_the_header_authenticates(site):
    # given
    user = make_user([PARTNER])

    # when
    reply = generate_in_browser(user)

    # then
    assert reply.status == 200, reply.body
    answer = reply.message
    assert answer["user"] == user and len(answer["api_key"]) == 15 and len(answer["api_secret"]) == 15
    assert answer["authorization"] == f"token {answer['api_key']}:{answer['api_secret']}"
    assert whoami(answer["api_key"], answer["api_secret"]).message == user
    stored = record(user)
    assert stored["api_key"] == answer["api_key"] and stored["created_by"] == user
    assert stored["created_on"] and stored["rotated_on"]


def test_rotating_stops_the_old_secret_at_once_and_keeps_the_key(site):
    # given
    user = make_user([PARTNER])
    first = generate_in_browser(user).message
    assert whoami(first["api_key"], first["api_secret"]).status == 200

    # when
    second = http("POST", GENERATE, headers=token_header(first["api_key"], first["api_secret"]), body={}).message

    # then
    assert second["api_key"] == first["api_key"] and second["api_secret"] != first["api_secret"]
    assert whoami(first["api_key"], first["api_secret"]).status == 401
    assert whoami(second["api_key"], second["api_secret"]).message == user


def test_the_secret_is_never_answered_again(site):
    # given
    user = make_user([PARTNER])
    issued = generate_in_browser(user).message
    headers = token_header(issued["api_key"], issued["api_secret"])

    # when
    summary = http("GET", SUMMARY, headers=headers)
    html = page(browser_logged_in(user))

    # then
    assert summary.status == 200 and summary.message["api_key"] == issued["api_key"]
    assert "api_secret" not in summary.message and issued["api_secret"] not in summary.body.decode()
    assert issued["api_key"] in html.body.decode() and issued["api_secret"] not in html.body.decode()


def test_last_used_is_recorded_on_token_calls_at_most_once_a_minute(site):
    # given
    user = make_user([PARTNER])
    issued = generate_in_browser(user).message
    assert record(user)["last_used_on"] is None

    # when
    whoami(issued["api_key"], issued["api_secret"])
    first_use = record(user)["last_used_on"]
    whoami(issued["api_key"], issued["api_secret"])

    # then
    assert first_use is not None
    assert record(user)["last_used_on"] == first_use  # the second call within the minute writes nothing


def test_a_wrong_secret_records_no_use(site):
    # given
    user = make_user([PARTNER])
    issued = generate_in_browser(user).message

    # when
    reply = whoami(issued["api_key"], "not-the-secret")

    # then
    assert reply.status == 401
    assert record(user)["last_used_on"] is None


# ------------------------------------------------------------------------------------------ others' keys

def test_an_admin_rotates_a_vendors_secret_and_the_vendors_old_secret_stops(site):
    # given
    vendor = make_user()
    old = generate_in_browser(vendor).message
    admin = make_user([ADMIN_ROLE])

    # when
    reply = generate_in_browser(admin, target=vendor)

    # then
    assert reply.status == 200, reply.body
    assert reply.message["user"] == vendor and reply.message["api_key"] == old["api_key"]
    assert whoami(old["api_key"], old["api_secret"]).status == 401
    assert whoami(reply.message["api_key"], reply.message["api_secret"]).message == vendor
    assert record(vendor)["created_by"] == vendor


def test_a_non_admin_cannot_touch_another_users_keys(site):
    # given
    victim = make_user([PARTNER])
    victim_keys = generate_in_browser(victim).message
    attacker = make_user([PARTNER])
    attacker_keys = generate_in_browser(attacker).message
    headers = token_header(attacker_keys["api_key"], attacker_keys["api_secret"])

    # when
    rotate = http("POST", GENERATE, headers=headers, body={"user": victim})
    read = http("GET", SUMMARY, headers=headers, query={"user": victim})
    html = http("GET", "/portal/api-access", client=browser_logged_in(attacker), query={"user": victim},
                headers={"Accept": "text/html"})

    # then
    assert (rotate.status, read.status, html.status) == (403, 403, 403)
    assert whoami(victim_keys["api_key"], victim_keys["api_secret"]).message == victim


def test_an_admin_cannot_take_a_system_managers_or_the_administrators_keys(site):
    # given
    admin = make_user([ADMIN_ROLE])
    admin_keys = generate_in_browser(admin).message
    manager = make_user(["System Manager"])
    headers = token_header(admin_keys["api_key"], admin_keys["api_secret"])

    # when
    replies = [http("POST", GENERATE, headers=headers, body={"user": target})
               for target in (manager, "Administrator")]

    # then
    assert [r.status for r in replies] == [403, 403]
    frappe.db.rollback()
    assert not frappe.db.get_value("User", manager, "api_key")


def test_bad_input_and_guests_are_refused_cleanly(site):
    # given
    user = make_user([PARTNER])
    keys = generate_in_browser(user).message
    headers = token_header(keys["api_key"], keys["api_secret"])
    admin = make_user([ADMIN_ROLE])
    admin_keys = generate_in_browser(admin).message

    # when
    guest = http("POST", GENERATE, body={})
    guest_page = http("GET", "/portal/api-access", headers={"Accept": "text/html"})
    unknown = http("POST", GENERATE, headers=token_header(admin_keys["api_key"], admin_keys["api_secret"]),
                   body={"user": "nobody@nowhere.example"})
    not_text = http("POST", GENERATE, headers=token_header(admin_keys["api_key"], admin_keys["api_secret"]),
                    body={"user": ["x"]})
    via_get = http("GET", GENERATE, headers=headers)

    # then
    assert guest.status == 403 and guest_page.status == 403
    assert unknown.status == 404
    assert not_text.status == 400
    assert via_get.status in (403, 405)  # POST only
    assert whoami(keys["api_key"], keys["api_secret"]).message == user


def test_the_portal_menu_and_me_link_to_api_access(site):
    # given
    user = make_user([PARTNER])

    # when
    html = http("GET", "/me", client=browser_logged_in(user), headers={"Accept": "text/html"})

    # then
    assert html.status == 200
    assert 'href="/portal/api-access"' in html.body.decode()
    assert 'href="/portal/support"' in html.body.decode()
    assert 'href="/portal/payouts"' not in html.body.decode()  # vendors only

"""The Desk's meta cache: a doctype's getdoctype bundle is kept in localStorage (per user and site metadata
version) and sent back as cached_timestamp, so the next page answers "use_cache" instead of 178 KB; first
paint cold and warm is written to artifacts/desk-first-paint.json (reported, not asserted). A second user
in the same browser never gets the first one's copy, and logging out leaves none behind."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tests.browser.conftest import USERS, login
from tests.browser.test_desk_sales_order import desk_ready, record_first_paint

CACHED_KEYS = "() => Object.keys(localStorage).filter((k) => k.startsWith('_doctype:'))"


def is_getdoctype_of(doctype):
    def match(response):
        url = urlparse(response.url)
        return (url.path.endswith("/frappe.desk.form.load.getdoctype")
                and parse_qs(url.query).get("doctype") == [doctype])
    return match


def open_and_answer(page, url, doctype):
    """Open ``url`` and return the JSON of the page's getdoctype call for ``doctype``."""
    with page.expect_response(is_getdoctype_of(doctype)) as reply:
        page.goto(url)
    desk_ready(page)
    assert reply.value.ok, reply.value.text()
    return reply.value.json(), parse_qs(urlparse(reply.value.url).query).get("cached_timestamp", [""])[0]


def test_meta_comes_from_the_cache_on_the_next_page_for_the_same_user_only(stack, page, shot):
    login(page, stack, "rep", "/app")
    desk_ready(page)

    cold, sent = open_and_answer(page, stack.url + "/app/sales-order/new", "Sales Order")
    record_first_paint(page, "form: new Sales Order (rep, cold: meta from the server)")
    assert sent == "" and cold["docs"][0]["name"] == "Sales Order"
    keys = page.evaluate(CACHED_KEYS)
    assert any(USERS["rep"] in k and "Sales Order" in k for k in keys), keys

    warm, sent = open_and_answer(page, stack.url + "/app/sales-order/new", "Sales Order")
    record_first_paint(page, "form: new Sales Order (rep, warm: meta from localStorage)")
    assert sent == cold["docs"][0]["modified"]
    assert warm.get("message") == "use_cache" and not warm.get("docs"), (
        sent, [(d["name"], d["modified"]) for d in warm.get("docs", [])], [(d["name"], d["modified"]) for d in cold["docs"]])
    # the cached bundle drives the form exactly as a fresh one (the app's script ran: its catalog button)
    expect(page.locator(".form-page .title-text")).to_have_text("New Sales Order")
    expect(page.get_by_role("button", name="Browse Catalog")).to_be_visible()
    shot(page, "warm-form")

    warm_list, _sent = open_and_answer(page, stack.url + "/app/sales-order", "Sales Order")
    record_first_paint(page, "list: Sales Order (rep, warm: meta from localStorage)")
    assert warm_list["message"] == "use_cache"
    expect(page.locator(".list-page .title-text")).to_have_text("Sales Order")

    # logging out drops every copy (a shared computer keeps none of the rep's meta)
    page.get_by_role("button", name=f"User menu of").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(lambda url: "/login" in url)
    assert page.evaluate(CACHED_KEYS) == []

    # a copy left under the rep's key (as if logout had not run) is never sent for another user
    login(page, stack, "admin", "/app")
    desk_ready(page)
    page.evaluate("""(user) => localStorage.setItem('_doctype:' + JSON.stringify([user, frappe.boot.metadata_version, 'Sales Order']),
        JSON.stringify([{doctype: 'DocType', name: 'Sales Order', modified: 'planted', fields: []}]))""", USERS["rep"])
    fresh, sent = open_and_answer(page, stack.url + "/app/sales-order/new", "Sales Order")
    assert sent == "" and fresh["docs"][0]["name"] == "Sales Order"
    # the page dropped the other user's copy and keeps its own
    keys = page.evaluate(CACHED_KEYS)
    assert keys and all(USERS["admin"] in k for k in keys), keys

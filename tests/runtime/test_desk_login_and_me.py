"""Issue 13: the styled /login page (error states, no open redirect) and /me with the portal menu."""

from __future__ import annotations

import pytest

from http_helpers import USERS, get_http_site

MENU = [
    {"title": "Reader Pages", "route": "/reader-pages", "role": "RT Reader"},
    {"title": "Everyone's Page", "route": "everyone"},
    {"title": "<b>Admins</b>", "route": "/admins", "role": "System Manager"},
]


@pytest.fixture()
def http(sites_path):
    return get_http_site(sites_path)


@pytest.fixture()
def portal_menu(monkeypatch):
    """The apps' portal menu hooks, as an app like MedGrid declares them."""
    import frappe

    real = frappe.get_hooks

    def get_hooks(hook=None, *args, **kwargs):
        if hook == "standard_portal_menu_items":
            return list(MENU)
        return real(hook, *args, **kwargs)

    monkeypatch.setattr(frappe, "get_hooks", get_hooks)


def test_login_page_is_styled_and_its_assets_are_served(http):
    page = http.get("/login")
    assert page.status == 200
    for bundle in ("/assets/frappe/css/website.bundle.css", "/assets/frappe/css/login.bundle.css"):
        assert f'href="{bundle}"' in page.text
        asset = http.get(bundle)
        assert asset.status == 200 and asset.content_type.startswith("text/css"), bundle
        assert len(asset.body) < 300 * 1024
    # the error states are in the page, shown without HTML from the server
    for state in ("Invalid login credentials", "locked", "could not be reached", "Enter your email and password"):
        assert state in page.text
    assert "textContent" in page.text and "innerHTML" not in page.text


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_login_redirect_stays_on_the_site(http, target):
    from urllib.parse import quote

    reply = http.get(f"/login?redirect-to={quote(target, safe='')}", auth=http.token("reader"))
    assert reply.status == 301
    assert reply.headers["Location"] == "/app"
    page = http.get(f"/login?redirect-to={quote(target, safe='')}")
    assert 'const next = "" || new URLSearchParams' in page.text, "the server passes no target to the page"


def test_login_redirect_to_a_path_of_the_site_is_kept(http):
    reply = http.get("/login?redirect-to=/app/rt-note", auth=http.token("reader"))
    assert reply.status == 301 and reply.headers["Location"] == "/app/rt-note"


def test_failed_login_answers_the_message_the_page_shows(http):
    reply = http.post("/api/method/login", json_body={"usr": USERS["reader"][0], "pwd": "wrong-password"})
    assert reply.status == 401
    assert reply.json()["message"] == "Invalid login credentials"


def test_me_is_refused_to_guest(http):
    reply = http.get("/me")
    assert reply.status == 403 and "<title>Not Permitted</title>" in reply.text


def test_me_shows_the_portal_menu_of_the_users_roles(http, portal_menu):
    reader = http.get("/me", auth=http.token("reader"))
    assert reader.status == 200, reader.text
    assert '<a href="/reader-pages">Reader Pages</a>' in reader.text
    assert '<a href="/everyone">Everyone&#39;s Page</a>' in reader.text or "/everyone" in reader.text
    assert "/admins" not in reader.text
    assert 'href="/app"' in reader.text, "a System User gets the Desk link"

    website = http.get("/me", auth=http.token("website"))
    assert website.status == 200
    assert "/reader-pages" not in website.text and "/admins" not in website.text
    assert "/everyone" in website.text
    assert 'href="/app"' not in website.text, "a Website User has no Desk"

    admin = http.get("/me", auth=http.token("admin"))
    assert "&lt;b&gt;Admins&lt;/b&gt;" in admin.text and "<b>Admins</b>" not in admin.text


def test_me_escapes_the_users_name(http):
    with http.context() as frappe:
        frappe.db.set_value("User", USERS["website"][0], "first_name", "<img src=x onerror=alert(1)>")
    try:
        reply = http.get("/me", auth=http.token("website"))
        assert reply.status == 200
        assert "<img src=x" not in reply.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in reply.text
    finally:
        with http.context() as frappe:
            frappe.db.set_value("User", USERS["website"][0], "first_name", "WebOnly")

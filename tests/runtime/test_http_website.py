"""Portal pages: www templates with get_context, login-required pages, redirects, caching, /login,
/me, /app, the 404 page and static assets."""

from __future__ import annotations

import pytest

from http_helpers import get_http_site


@pytest.fixture()
def http(sites_path):
    return get_http_site(sites_path)


def test_login_required_page_for_guest(http):
    reply = http.get("/probe-portal")
    assert reply.status == 403
    assert reply.content_type == "text/html; charset=utf-8"
    assert reply.headers["X-Page-Name"] == "message"
    assert reply.headers["X-From-Cache"] == "False"
    assert "Location" not in reply.headers
    assert "<title>Not Permitted</title>" in reply.text
    assert "<p>You need to be logged in to access this page</p>" in reply.text
    assert "href='/login?redirect-to=%2Fprobe-portal'" in reply.text
    assert reply.text.startswith("<!DOCTYPE html>\n<!-- Built on Frappe. https://frappeframework.com/ -->\n")
    # JSON clients get the same HTML page: JSON errors exist only under /api/
    assert http.get("/probe-portal", headers={"Accept": "application/json"}).status == 403


def test_page_renders_for_logged_in_users(http):
    sid = http.login("website")
    reply = http.get("/probe-portal", cookies={"sid": sid})
    assert reply.status == 200
    assert reply.headers["X-Page-Name"] == "probe-portal"
    assert '<p id="probe-user">Hello WebOnly (http-website@example.com)</p>' in reply.text
    assert '<body frappe-session-status="logged-in" data-path="probe-portal" class="">' in reply.text
    assert "<title>Probe portal</title>" in reply.text
    # token auth renders as the key's user
    reply = http.get("/probe-portal", auth=http.token("reader"))
    assert reply.status == 200 and "http-reader@example.com" in reply.text
    assert reply.cookie("sid") == "Guest"


def test_redirect_page(http):
    reply = http.get("/probe-portal-redirect")
    assert reply.status == 301
    assert reply.headers["Location"] == "/login?redirect-to=/probe-portal-redirect"
    assert reply.headers["Cache-Control"] == "no-store, no-cache, must-revalidate"
    assert reply.body == b""


def test_login_and_me_pages(http):
    login = http.get("/login")
    assert login.status == 200 and "<title>Login</title>" in login.text
    assert login.headers["X-Page-Name"] == "login"
    sid = http.login("website")
    again = http.get("/login", cookies={"sid": sid})
    assert again.status == 301 and again.headers["Location"] == "me"
    assert http.get("/login", auth=http.token()).headers["Location"] == "/app"
    assert http.get("/me").status == 403
    me = http.get("/me", cookies={"sid": sid})
    assert me.status == 200 and "<title> My Account </title>" in me.text


def test_app_page_sends_guests_to_login(http):
    reply = http.get("/app")
    assert reply.status == 301
    assert reply.headers["Location"] == "/login?redirect-to=%2Fapp"


def test_not_found_page(http):
    reply = http.get("/no-such-page-here")
    assert reply.status == 404
    assert reply.headers["X-Page-Name"] == "404"
    assert "<title>Not Found</title>" in reply.text


def test_pages_without_no_cache_are_cached_for_everyone(http):
    first = http.get("/probe-cached")
    second = http.get("/probe-cached", auth=http.token())
    assert first.status == second.status == 200
    assert second.headers["X-From-Cache"] == "True"
    assert first.text == second.text


def test_static_assets(http):
    reply = http.get("/assets/http_probe/css/probe.css")
    assert reply.status == 200
    assert reply.body == b"body { color: #123456; }\n"
    assert reply.content_type.startswith("text/css")
    assert reply.set_cookies == []
    assert http.get("/assets/http_probe/css/missing.css").status == 404
    assert http.get("/assets/http_probe/../hooks.py").status == 404

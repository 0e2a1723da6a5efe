"""Authentication over HTTP: API keys (token / Basic), password login and logout, session cookies,
CSRF and the failed-login lock-out."""

from __future__ import annotations

import base64

import pytest

from http_helpers import PASSWORD, USERS, get_http_site

LOGGED = "/api/method/frappe.auth.get_logged_user"


@pytest.fixture()
def http(sites_path):
    return get_http_site(sites_path)


def test_token_and_basic_auth(http):
    assert http.get(LOGGED, auth=http.token()).json() == {"message": "http-admin@example.com"}
    assert http.get(LOGGED, auth=http.token("reader")).json() == {"message": "http-reader@example.com"}
    # the scheme name is case-insensitive
    assert http.get(LOGGED, auth=http.token().replace("token", "TOKEN", 1)).status == 200
    assert http.get(LOGGED, auth=http.basic()).json() == {"message": "http-admin@example.com"}


@pytest.mark.parametrize("header", [
    "token {key}:wrongsecret0000",
    "token unknownkey00000:wrongsecret0000",
    "token {key}",
    "token {key}:",
    "Foo {key}:{secret}",
])
def test_bad_credentials_are_401_and_expire_cookies(http, header):
    key, secret = http.keys["admin"]
    reply = http.get(LOGGED, auth=header.format(key=key, secret=secret))
    assert reply.status == 401
    body = reply.json()
    assert body["exc_type"] == "AuthenticationError"
    assert body["exception"] == "frappe.exceptions.AuthenticationError"
    assert "_server_messages" not in body
    # Guest cookies first, then expiring copies of every login cookie
    assert reply.cookie_names()[:5] == ["sid", "system_user", "full_name", "user_id", "user_image"]
    assert sorted(reply.expired_cookies()) == sorted(["full_name", "user_id", "sid", "user_image", "system_user"])


def test_basic_with_wrong_secret_and_bad_base64(http):
    key, _ = http.keys["admin"]
    bad = "Basic " + base64.b64encode(f"{key}:nope".encode()).decode()
    assert http.get(LOGGED, auth=bad).status == 401
    reply = http.get(LOGGED, auth="Basic !!!notbase64")
    assert reply.status == 400
    assert reply.json()["exc_type"] == "InvalidAuthorizationToken"


def test_no_credentials_and_one_part_header(http):
    assert http.get(LOGGED).status == 403
    assert http.get(LOGGED, auth="token").status == 403
    # a bad key fails even on a guest-allowed method
    assert http.get("/api/method/http_probe.api.guest_ok", auth="token x:y").status == 401


def test_login_logout_cookie_flow(http):
    reply = http.post("/api/method/login", json_body={"usr": USERS["admin"][0], "pwd": PASSWORD})
    assert reply.status == 200
    assert reply.json() == {"message": "Logged In", "home_page": "/app", "full_name": "HttpAdmin"}
    sid = reply.cookie("sid")
    assert len(sid) == 56 and all(c in "0123456789abcdef" for c in sid)
    assert reply.cookie("user_id") == "http-admin%40example.com"
    assert reply.cookie("system_user") == "yes"
    assert reply.cookie("full_name") == "HttpAdmin"

    follow = http.get(LOGGED, cookies={"sid": sid})
    assert follow.json() == {"message": "http-admin@example.com"}
    assert follow.cookie("sid") == sid  # re-sent on every response

    # the session lives in the database as well
    with http.context() as frappe:
        assert frappe.db.sql("select `user` from `tabSessions` where `sid`=%s", (sid,))[0][0] == USERS["admin"][0]

    out = http.post("/api/method/logout", cookies={"sid": sid})
    assert out.status == 200
    assert out.json() == {"message": "No App", "home_page": "/login", "full_name": "Guest"}
    assert out.cookie("sid") == "Guest"
    assert "sid" in out.expired_cookies()

    stale = http.get(LOGGED, cookies={"sid": sid})
    assert stale.status == 403
    assert list(stale.json())[0] == "session_expired"


def test_login_variants(http):
    reply = http.post("/api/method/login", form={"usr": USERS["reader"][0], "pwd": PASSWORD})
    assert reply.status == 200 and reply.json()["full_name"] == "HttpReader"
    reply = http.get(f"/api/method/login?usr={USERS['reader'][0]}&pwd={PASSWORD}")
    assert reply.status == 200
    website = http.post("/api/method/login", json_body={"usr": USERS["website"][0], "pwd": PASSWORD})
    assert website.json() == {"message": "No App", "home_page": "/me", "full_name": "WebOnly"}
    assert website.cookie("system_user") == "no"
    # /api/v1/method/login does not log in
    assert http.post("/api/v1/method/login", json_body={"usr": USERS["reader"][0], "pwd": PASSWORD}).cookie("sid") == "Guest"


@pytest.mark.parametrize("body, message", [
    ({"usr": "http-admin@example.com", "pwd": "wrong-password"}, "Invalid login credentials"),
    ({"usr": "nobody@example.com", "pwd": "x"}, "Invalid login credentials"),
    ({}, "Incomplete login details"),
])
def test_failed_login(http, body, message):
    reply = http.post("/api/method/login", json_body=body, headers={"X-Forwarded-For": "10.0.0.99"})
    assert reply.status == 401
    data = reply.json()
    assert list(data)[:3] == ["message", "exception", "exc_type"]
    assert data["message"] == message
    assert reply.set_cookies == []


def test_csrf_only_after_desk_page(http):
    sid = http.login("admin")
    # an API-only session has no token, so no header is needed
    assert http.post("/api/method/http_probe.api.ping_dict", cookies={"sid": sid}).status == 200
    page = http.get("/app", cookies={"sid": sid}, headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["X-Page-Name"] == "app"
    token = page.text.split('frappe.csrf_token = "', 1)[1].split('"', 1)[0]
    assert len(token) == 56

    missing = http.post("/api/method/http_probe.api.ping_dict", cookies={"sid": sid})
    assert missing.status == 400
    assert missing.json() == {"exc_type": "CSRFTokenError", "_server_messages": missing.json()["_server_messages"]}
    assert missing.server_messages()[0]["message"] == "Invalid Request"
    wrong = http.post("/api/method/http_probe.api.ping_dict", cookies={"sid": sid},
                      headers={"X-Frappe-CSRF-Token": "deadbeef"})
    assert wrong.status == 400
    good = http.post("/api/method/http_probe.api.ping_dict", cookies={"sid": sid},
                     headers={"X-Frappe-CSRF-Token": token})
    assert good.status == 200
    assert http.get("/api/method/http_probe.api.ping_dict", cookies={"sid": sid}).status == 200
    # token auth never meets the CSRF check
    assert http.post("/api/method/http_probe.api.ping_dict", auth=http.token()).status == 200
    http.post("/api/method/logout", cookies={"sid": sid}, headers={"X-Frappe-CSRF-Token": token})


def test_cookie_session_user_wins_over_api_key(http):
    sid = http.login("reader")
    reply = http.get(LOGGED, cookies={"sid": sid}, auth=http.token("admin"))
    assert reply.json() == {"message": "http-reader@example.com"}


def test_lock_out_after_repeated_failures(http):
    http.set_system_setting("allow_consecutive_login_attempts", 2)
    http.set_system_setting("allow_login_after_fail", 60)
    try:
        user = USERS["reader"][0]
        ip = {"X-Forwarded-For": "10.1.2.3"}
        for _ in range(3):
            assert http.post("/api/method/login", json_body={"usr": user, "pwd": "bad"}, headers=ip).status == 401
        locked = http.post("/api/method/login", json_body={"usr": user, "pwd": PASSWORD}, headers=ip)
        # Frappe answers 500 here; the runtime 429 with Retry-After (issue 12: 4xx, same type and message)
        assert locked.status == 429 and locked.headers.get("Retry-After") == "60"
        assert locked.json()["exc_type"] == "SecurityException"
        assert locked.server_messages()[0]["message"] == "Your account has been locked and will resume after 60 seconds"
    finally:
        http.set_system_setting("allow_consecutive_login_attempts", 10)
        with http.context() as frappe:
            frappe.cache().delete_value(["login_failed_count", "login_failed_time"])


def test_session_expiry_comes_from_system_settings(http):
    http.set_system_setting("session_expiry", "01:00")
    try:
        with http.context() as frappe:
            frappe.db.set_default("session_expiry", "01:00")
        reply = http.get("/api/method/ping")
        assert "Max-Age=3600" in reply.set_cookies[0]
    finally:
        with http.context() as frappe:
            frappe.db.set_default("session_expiry", "170:00")
        http.set_system_setting("session_expiry", "170:00")

"""/api/method: routing, whitelisting, status codes, error bodies, form_dict rules, commit rule,
the per-endpoint rate limit and the site-wide limiter, CORS and site resolution."""

from __future__ import annotations

import json

import pytest

from http_helpers import HOST, SITE, get_http_site


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    yield site
    site.set_config(rate_limit=None, allow_cors=None, monitor=None)


GUEST_COOKIES = ["sid", "system_user", "full_name", "user_id", "user_image"]


def test_whitelisted_method_returns_message(http):
    reply = http.get("/api/method/http_probe.api.ping_dict", auth=http.token())
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.body == b'{"message":{"ok":true,"count":3,"items":["a","b"],"user":"http-admin@example.com"}}'
    # token auth still answers with the Guest session cookies
    assert reply.cookie_names() == GUEST_COOKIES
    assert reply.cookie("sid") == "Guest"
    sid_header = reply.set_cookies[0]
    assert "HttpOnly" in sid_header and "Max-Age=" in sid_header and "SameSite=Lax" in sid_header


def test_none_gives_empty_object_and_v1_prefix(http):
    assert http.get("/api/method/http_probe.api.return_none", auth=http.token()).body == b"{}"
    assert http.get("/api/v1/method/http_probe.api.ping_dict", auth=http.token()).json()["message"]["ok"] is True
    # a trailing path after the method name is ignored
    assert http.get("/api/method/http_probe.api.ping_dict/extra", auth=http.token()).status == 200


def test_json_is_compact_ascii_with_dates_as_strings(http):
    reply = http.get("/api/method/http_probe.api.return_unicode", auth=http.token())
    assert reply.body == b'{"message":{"city":"Z\\u00fcrich","when":"2026-03-01"}}'


def test_msgprint_becomes_server_messages(http):
    reply = http.get("/api/method/http_probe.api.msgprint_and_return", auth=http.token())
    body = reply.json()
    assert list(body) == ["message", "_server_messages"]
    assert body["_server_messages"] == json.dumps([json.dumps({"message": "A message for the user", "title": "Message"})])


def test_throw_is_417_with_traceback_keys(http):
    reply = http.post("/api/method/http_probe.api.throw_plain", auth=http.token())
    assert reply.status == 417
    body = reply.json()
    assert list(body) == ["exception", "exc_type", "_exc_source", "exc", "_server_messages"]
    assert body["exception"] == "frappe.exceptions.ValidationError: Plain validation failure"
    assert body["exc_type"] == "ValidationError"
    assert body["_exc_source"] == "http_probe (app)"
    exc = json.loads(body["exc"])
    assert exc[0].startswith("Traceback (most recent call last):") and exc[0].endswith(
        "frappe.exceptions.ValidationError: Plain validation failure\n")
    (message,) = reply.server_messages()
    assert list(message) == ["message", "title", "indicator", "raise_exception", "__frappe_exc_id"]
    assert message["indicator"] == "red" and message["raise_exception"] == 1
    assert len(message["__frappe_exc_id"]) == 56


def test_status_codes_follow_exception_classes(http):
    assert http.post("/api/method/http_probe.api.throw_permission", auth=http.token()).status == 403
    reply = http.post("/api/method/http_probe.api.throw_bad_request", auth=http.token())
    assert reply.status == 400
    assert reply.json()["exception"] == "http_probe.api.ProbeBadRequest: Probe says: bad request"
    reply = http.post("/api/method/http_probe.api.raise_python", auth=http.token())
    assert reply.status == 500
    body = reply.json()
    assert list(body) == ["exception", "exc_type", "_exc_source", "exc"]
    assert body["exception"] == "ValueError: plain python error boom"


def test_tracebacks_hidden_when_system_settings_say_so(http):
    http.set_system_setting("allow_error_traceback", 0)
    try:
        reply = http.post("/api/method/http_probe.api.throw_plain", auth=http.token())
        assert reply.status == 417
        assert list(reply.json()) == ["exc_type", "_server_messages"]
        reply = http.post("/api/method/http_probe.api.raise_python", auth=http.token())
        assert reply.json() == {"exc_type": "ValueError"}
    finally:
        http.set_system_setting("allow_error_traceback", 1)


def test_html_error_page_for_browsers(http):
    reply = http.post("/api/method/http_probe.api.throw_plain", auth=http.token(), headers={"Accept": "text/html"})
    assert reply.status == 417
    assert reply.content_type == "text/html; charset=utf-8"
    assert "<title>Server Error</title>" in reply.text
    assert reply.headers["X-Page-Name"] == "message"
    # XHR callers keep JSON even when they prefer HTML
    reply = http.post("/api/method/http_probe.api.throw_plain", auth=http.token(),
                      headers={"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"})
    assert reply.content_type == "application/json"


def test_unknown_and_unwhitelisted_methods(http):
    reply = http.get("/api/method/http_probe.api.does_not_exist", auth=http.token())
    assert reply.status == 417
    assert reply.json()["exception"] == (
        "frappe.exceptions.ValidationError: Failed to get method for command http_probe.api.does_not_exist "
        "with module 'http_probe.api' has no attribute 'does_not_exist'")
    reply = http.get("/api/method/no_such_app.api.fn", auth=http.token())
    assert reply.status == 417
    assert [m["message"] for m in reply.server_messages()] == [
        "App no_such_app is not installed",
        "Failed to get method for command no_such_app.api.fn with App no_such_app is not installed",
    ]
    reply = http.get("/api/method/http_probe.api.not_whitelisted", auth=http.token())
    assert reply.status == 403
    (message,) = reply.server_messages()
    assert message["title"] == "Method Not Allowed"
    assert message["message"] == (
        "<details><summary>You are not permitted to access this resource. Login to access</summary>"
        "Function <strong>http_probe.api.not_whitelisted</strong> is not whitelisted.</details>")


def test_guest_access(http):
    assert http.get("/api/method/http_probe.api.guest_ok").json() == {
        "message": {"guest_allowed": True, "user": "Guest"}}
    reply = http.get("/api/method/http_probe.api.ping_dict")
    assert reply.status == 403
    assert list(reply.json()) == ["exception", "exc_type", "exc", "_server_messages"]
    assert http.get("/api/method/ping").json() == {"message": "pong"}


def test_http_verbs(http):
    reply = http.get("/api/method/http_probe.api.post_only", auth=http.token())
    assert reply.status == 403
    assert reply.server_messages()[0]["message"] == "Not permitted"
    assert http.post("/api/method/http_probe.api.post_only", auth=http.token()).status == 200
    assert http.request("DELETE", "/api/method/http_probe.api.ping_dict", auth=http.token()).status == 200
    # PATCH is not among the default verbs of @frappe.whitelist()
    assert http.request("PATCH", "/api/method/http_probe.api.ping_dict", auth=http.token()).status == 403
    head = http.request("HEAD", "/api/method/ping")
    assert head.status == 403 and head.body == b""


def test_form_dict_rules(http):
    echo = "/api/method/http_probe.api.echo"
    reply = http.get(echo + "?a=1&_=123&b=x+y")
    assert reply.json()["message"]["form_dict"] == {"a": "1", "b": "x y", "cmd": "http_probe.api.echo"}
    # a JSON body wins over the query string, which is ignored entirely
    reply = http.post(echo + "?q=query", json_body={"a": 1, "b": [1, 2], "c": None})
    assert reply.json()["message"]["form_dict"] == {"a": 1, "b": [1, 2], "c": None, "cmd": "http_probe.api.echo"}
    # form fields override query arguments
    reply = http.post(echo + "?q=query&a=query_a", form={"a": "form_a"})
    assert reply.json()["message"]["form_dict"] == {"q": "query", "a": "form_a", "cmd": "http_probe.api.echo"}
    # a JSON array becomes form_dict.data
    reply = http.post(echo, json_body=[1, 2, 3])
    assert reply.json()["message"]["form_dict"] == {"data": [1, 2, 3], "cmd": "http_probe.api.echo"}
    # text/plain bodies are not parsed
    reply = http.post(echo + "?a=1", data='{"b": 2}', headers={"Content-Type": "text/plain"})
    assert reply.json()["message"]["form_dict"] == {"a": "1", "cmd": "http_probe.api.echo"}
    # invalid JSON fails before the session is set up: no cookies; Frappe answers 500, the runtime 400
    # with the decoder's type and message (issue 12: caller input gets a 4xx)
    reply = http.post(echo, data="{not json", headers={"Content-Type": "application/json"})
    assert reply.status == 400 and reply.json()["exc_type"] == "JSONDecodeError"
    assert reply.set_cookies == []
    # a JSON scalar is refused
    reply = http.post(echo, data="5", headers={"Content-Type": "application/json"})
    assert reply.status == 417


def test_legacy_cmd_and_override(http):
    reply = http.get("/?cmd=http_probe.api.guest_ok")
    assert reply.json() == {"message": {"guest_allowed": True, "user": "Guest"}}
    body = {"event": "x", "city": "Zürich"}
    reply = http.post("/api/method/vendor.webhook.receive", json_body=body)
    assert reply.status == 200
    raw_len = len(json.dumps(body).encode())
    assert reply.json()["message"] == {"kwargs": ["city", "cmd", "event"], "raw_len": raw_len, "user": "Guest"}


def test_commit_rule(http):
    http.post("/api/method/http_probe.api.write_tag", json_body={"label": "posted-tag"})
    http.get("/api/method/http_probe.api.write_tag?label=got-tag")
    with http.context() as frappe:
        assert frappe.db.exists("RT Tag", "posted-tag")
        assert not frappe.db.exists("RT Tag", "got-tag")


def test_after_request_hook_runs(http):
    from http_probe import api

    api.AFTER_REQUEST_CALLS.clear()
    http.get("/api/method/ping")
    assert api.AFTER_REQUEST_CALLS == [("/api/method/ping", 200)]


def test_rate_limit_decorator(http):
    path = "/api/method/http_probe.api.rate_limited"
    headers = {"X-Forwarded-For": "10.9.8.7"}
    assert http.get(path, auth=http.token(), headers=headers).status == 200
    assert http.get(path, auth=http.token(), headers=headers).status == 200
    reply = http.get(path, auth=http.token(), headers=headers)
    assert reply.status == 429
    assert reply.json()["exc_type"] == "RateLimitExceededError"
    assert reply.server_messages()[0]["message"] == (
        "You hit the rate limit because of too many requests. Please try after sometime.")
    assert "X-RateLimit-Limit" not in reply.headers
    # another address has its own count
    assert http.get(path, auth=http.token(), headers={"X-Forwarded-For": "10.9.8.6"}).status == 200


def test_site_wide_limiter_headers_and_429(http):
    http.set_config(rate_limit={"limit": 600, "window": 3600}, monitor=1)
    reply = http.get("/api/method/ping")
    names = [k for k, _ in reply.headers.items()]
    assert names[-4:] == ["X-RateLimit-Reset", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Frappe-Request-Id"]
    assert reply.headers["X-RateLimit-Limit"] == "600000000"
    assert int(reply.headers["X-RateLimit-Remaining"]) % 1000000 == 0
    assert len(reply.headers["X-Frappe-Request-Id"]) == 36

    http.set_config(rate_limit={"limit": 0.000001, "window": 600}, monitor=None)
    http.get("/api/method/ping")
    reply = http.get("/api/method/ping")
    assert reply.status == 429
    assert reply.json()["exc_type"] == "TooManyRequestsError"
    assert reply.headers["Retry-After"] == reply.headers["X-RateLimit-Reset"]
    page = http.get("/login")
    assert page.status == 429 and page.text == "Too Many Requests"


def test_cors(http):
    http.set_config(allow_cors=["http://localhost:3000"])
    reply = http.get("/api/method/ping", headers={"Origin": "http://localhost:3000"})
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert reply.headers["Access-Control-Allow-Credentials"] == "true"
    assert reply.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in http.get("/api/method/ping", headers={"Origin": "http://evil"}).headers
    preflight = http.request("OPTIONS", "/api/resource/RT%20Note", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status == 200 and preflight.body == b""
    assert preflight.content_type == "text/plain; charset=utf-8"
    assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert preflight.headers["Access-Control-Max-Age"] == "86400"
    assert preflight.set_cookies == []


def test_site_resolution(http):
    assert http.get("/api/method/ping", host="127.0.0.1:8000", headers={"X-Frappe-Site-Name": SITE}).status == 200
    reply = http.get("/api/method/ping", host="127.0.0.1:8000")
    assert reply.status == 404
    assert reply.content_type == "text/html; charset=utf-8"
    assert "<p>127.0.0.1 does not exist</p>" in reply.text
    assert reply.set_cookies == []


def test_unknown_api_route_and_wrong_verb(http):
    reply = http.get("/api/nothing/here", auth=http.token())
    assert reply.status == 404 and reply.json() == {"exc_type": "DoesNotExistError"}
    reply = http.request("PATCH", "/api/resource/RT%20Note/X", auth=http.token())
    assert reply.status == 405 and reply.content_type.startswith("text/html")


def test_v2_method_shapes(http):
    assert http.get("/api/v2/method/http_probe.api.ping_dict", auth=http.token()).json()["data"]["ok"] is True
    reply = http.post("/api/v2/method/http_probe.api.throw_plain", auth=http.token())
    assert reply.status == 417
    (error,) = reply.json()["errors"]
    assert list(error) == ["type", "exception", "message", "title", "indicator"]
    assert error["type"] == "ValidationError" and error["message"] == "Plain validation failure"
    assert "messages" not in reply.json()
    reply = http.post("/api/v2/method/http_probe.api.raise_python", auth=http.token())
    assert list(reply.json()["errors"][0]) == ["type", "exception"]


def test_host_header_without_port(http):
    assert http.get("/api/method/ping", host=SITE).status == 200
    assert HOST.startswith(SITE)


def test_default_site_for_the_dev_server(tmp_path, monkeypatch):
    import frappe.app

    monkeypatch.delenv("MEDGRID_DEFAULT_SITE", raising=False)
    assert frappe.app.get_default_site(str(tmp_path)) is None
    (tmp_path / "currentsite.txt").write_text("from-file.localhost\n")
    assert frappe.app.get_default_site(str(tmp_path)) == "from-file.localhost"
    (tmp_path / "common_site_config.json").write_text('{"default_site": "from-config.localhost"}')
    assert frappe.app.get_default_site(str(tmp_path)) == "from-config.localhost"
    monkeypatch.setenv("MEDGRID_DEFAULT_SITE", "from-env.localhost")
    assert frappe.app.get_default_site(str(tmp_path)) == "from-env.localhost"


def test_default_site_env_answers_unknown_hosts(http, monkeypatch):
    monkeypatch.setenv("MEDGRID_DEFAULT_SITE", SITE)
    assert http.get("/api/method/ping", host="127.0.0.1:8000").json() == {"message": "pong"}


def test_serve_command_is_registered():
    from click.testing import CliRunner

    from medgrid_runtime.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--noreload" in result.output and "--site" in result.output

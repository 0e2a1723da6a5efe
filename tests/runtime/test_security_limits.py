"""Issue 12 item 15: unbounded bodies and over-deep JSON are refused before any work.

Real Frappe saves a 5 MB JSON body (security-desk.json B13) and answers 20,000-deep nesting with a 500
RecursionError (B12). The runtime refuses bodies over the site's ``max_request_body_size`` (default
1 MiB) with 413 and JSON nested deeper than 100 levels with 400; malformed JSON is a 400 with the
decoder's own type and message (Frappe: 500).
"""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from werkzeug.test import Client

from http_helpers import HOST, get_http_site

NOTES = "/api/resource/RT%20Note"


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    yield site
    site.set_config(max_request_body_size=None)


def _created(http, title) -> bool:
    with http.context() as frappe:
        return bool(frappe.db.exists("RT Note", {"title": title}))


def _post_json_text(http, text):
    return http.post(NOTES, auth=http.token(), data=text, headers={"Content-Type": "application/json"})


def _refused_large(reply):
    assert reply.status == 413, reply.text[:300]
    body = reply.json()
    assert body["exc_type"] == "RequestBodyTooLargeError"
    messages = [json.loads(m)["message"] for m in json.loads(body["_server_messages"])]
    assert any("larger than the limit" in m for m in messages)


def test_body_over_the_default_limit_is_413(http):
    title = "big body"
    reply = _post_json_text(http, json.dumps({"title": title, "remarks": "x" * (1024 * 1024 + 10)}))
    _refused_large(reply)
    assert not _created(http, title)
    # just under the limit the body is read: what the fields take is the document's business
    ok = _post_json_text(http, json.dumps({"title": "almost big", "remarks": "x" * (1024 * 1024 - 100)}))
    assert ok.status in (200, 417), ok.text[:300]


def test_a_value_longer_than_its_text_column_is_417_not_500(http):
    # RT Note.remarks is Small Text: 64 KiB on MariaDB, unlimited on SQLite and PostgreSQL (text)
    # (Frappe: 500 from MariaDB)
    reply = _post_json_text(http, json.dumps({"title": "long remarks", "remarks": "x" * 70000}))
    with http.context() as frappe:
        engine = frappe.db.db_type
    if engine in ("sqlite", "postgres"):
        assert reply.status == 200, reply.text[:300]
    else:
        assert reply.status == 417, reply.text[:300]
        assert reply.json()["exc_type"] == "CharacterLengthExceededError"
        assert "insert into" not in reply.text.lower()
        assert not _created(http, "long remarks")


def test_limit_is_a_site_config_key(http):
    http.set_config(max_request_body_size=4096)
    _refused_large(_post_json_text(http, json.dumps({"title": "five kb", "remarks": "x" * 5000})))
    # form bodies and method calls too, before authentication or any other work
    reply = http.post("/api/method/http_probe.api.echo", form={"a": "x" * 5000})
    _refused_large(reply)
    assert _post_json_text(http, json.dumps({"title": "small"})).status == 200


def _chunked(http, body: bytes):
    from frappe.app import application

    client = Client(application, use_cookies=False)
    return client.open(NOTES, method="POST", input_stream=io.BytesIO(body), base_url=f"http://{HOST}",
                       headers=[("Host", HOST), ("Authorization", http.token()), ("Content-Type", "application/json")],
                       environ_overrides={"wsgi.input_terminated": True})


def test_bodies_without_a_length_are_limited_too(http):
    http.set_config(max_request_body_size=4096)
    big = _chunked(http, json.dumps({"title": "chunked big", "remarks": "x" * 5000}).encode())
    assert big.status_code == 413 and big.json["exc_type"] == "RequestBodyTooLargeError"
    assert not _created(http, "chunked big")
    small = _chunked(http, json.dumps({"title": "chunked small", "remarks": "y" * 1000}).encode())
    assert small.status_code == 200, small.get_data(as_text=True)[:300]
    assert small.json["data"]["remarks"] == "y" * 1000


@pytest.mark.parametrize("depth", [20000, 150])
def test_over_deep_json_body_is_400(http, depth):
    reply = _post_json_text(http, "[" * depth + "]" * depth)
    assert reply.status == 400, reply.text[:300]
    assert reply.json()["exc_type"] == "InvalidRequestBodyError"
    assert "RecursionError" not in reply.text
    nested = _post_json_text(http, json.dumps({"title": "deep inside"})[:-1] + ', "extra": '
                             + "[" * depth + "]" * depth + "}")
    assert nested.status == 400
    assert not _created(http, "deep inside")


def test_reasonable_nesting_is_accepted(http):
    reply = _post_json_text(http, json.dumps({"title": "nested ok"})[:-1] + ', "extra": ' + "[" * 90 + "]" * 90 + "}")
    assert reply.status == 200, reply.text[:300]


def test_over_deep_json_arguments_are_400(http):
    deep = "[" * 5000 + "]" * 5000
    reply = http.get(f"{NOTES}?filters={quote(deep)}", auth=http.token())
    assert reply.status == 400 and reply.json()["exc_type"] == "InvalidRequestBodyError"
    reply = http.post("/api/method/frappe.client.get_list", auth=http.token(),
                      form={"doctype": "RT Note", "filters": deep})
    assert reply.status == 400 and "RecursionError" not in reply.text
    reply = http.post(NOTES, auth=http.token(), form={"data": deep})
    assert reply.status == 400 and "RecursionError" not in reply.text


def test_malformed_json_is_a_400_with_frappes_message(http):
    # Frappe: 500 json.decoder.JSONDecodeError with this message (formdict.json post_invalid_json_body)
    reply = _post_json_text(http, "{not json")
    assert reply.status == 400
    body = reply.json()
    assert body["exc_type"] == "JSONDecodeError"
    assert body["exception"] == ("json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: "
                                 "line 1 column 2 (char 1)")
    # refused before the session is set up: no cookies, as Frappe's 500 had none
    assert reply.set_cookies == []
    reply = http.post("/api/method/frappe.client.save", auth=http.token(), form={"doc": "{broken"})
    assert reply.status == 400 and reply.json()["exc_type"] == "JSONDecodeError"

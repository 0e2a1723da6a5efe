"""Issue 12 item 6: tracebacks name files as a bench does (``apps/frappe/frappe/app.py``), never by the
server's absolute paths; with System Settings ``allow_error_traceback`` off an error body has none."""

from __future__ import annotations

import json
import os
import sys

import pytest

from http_helpers import ROOT, get_http_site


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    site.set_system_setting("allow_error_traceback", 1)
    yield site
    site.set_system_setting("allow_error_traceback", 1)


def _no_server_paths(text: str):
    for path in {ROOT, os.path.realpath(ROOT), sys.prefix, sys.base_prefix, os.path.expanduser("~")}:
        if path and path != "/":
            assert path not in text, path
    assert '"/' not in text.replace('\\"/', '"/')  # no File "/…" in the traceback


def test_error_bodies_carry_bench_relative_paths(http):
    reply = http.get("/api/method/http_probe.api.raise_python", auth=http.token())
    assert reply.status == 500
    body = reply.json()
    trace = json.loads(body["exc"])[0]
    assert 'File "apps/frappe/frappe/app.py"' in trace
    assert 'File "apps/http_probe/http_probe/api.py"' in trace
    assert trace.rstrip().endswith("ValueError: plain python error boom")
    _no_server_paths(reply.text)
    # the source app is still recognised from the relative paths
    assert body.get("_exc_source") == "http_probe (app)"


def test_validation_errors_too(http):
    reply = http.get("/api/method/http_probe.api.throw_plain", auth=http.token())
    assert reply.status == 417
    assert 'File "apps/frappe/frappe/' in json.loads(reply.json()["exc"])[0]
    _no_server_paths(reply.text)


def test_libraries_are_named_relative_to_the_environment():
    import frappe

    try:
        json.loads("{nope")
    except ValueError:
        text = frappe.get_traceback()
    assert 'File "python/lib/python' in text or 'File "env/lib/python' in text
    _no_server_paths(text)


def test_without_tracebacks_the_body_has_no_code_at_all(http):
    http.set_system_setting("allow_error_traceback", 0)
    reply = http.get("/api/method/http_probe.api.raise_python", auth=http.token())
    assert reply.status == 500
    body = reply.json()
    assert body["exc_type"] == "ValueError"
    assert "exc" not in body and "exception" not in body and "_exc_source" not in body
    assert "apps/" not in reply.text and ROOT not in reply.text

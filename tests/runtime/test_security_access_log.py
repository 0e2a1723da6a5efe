"""Issue 12 item 14: secrets in URLs stay out of every access log the runtime writes.

ShipStation sends its webhook token in the query string (``…/medgrid.shipstation.webhook?token=…``);
OAuth callbacks carry codes and signatures there, and a login may carry ``pwd``. The development
server (``medgrid-runtime serve``) and gunicorn with ``-c python:medgrid_runtime.gunicorn_conf`` log
such URLs without them.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request

import pytest

TOKEN = "ss-webhook-token-1f2e3d"
URLS = [
    f"/api/method/medgrid.shipstation.webhook?connection=Main&token={TOKEN}",
    f"/api/v2/method/medgrid.webhooks.shipstation.webhook?token={TOKEN}",
    f"/api/method/medgrid.integrations.shopify_callback?code={TOKEN}&hmac={TOKEN}&shop=x.myshopify.com",
    f"/api/method/login?usr=someone&pwd={TOKEN}",
    f"/?cmd=medgrid.sinq.webhook&key={TOKEN}",
    f"/api/resource/Item?fields=%5B%22name%22%5D&api_key={TOKEN}",
]


def test_redact_url():
    from frappe.utils.access_log import redact_url

    assert redact_url(URLS[0]) == "/api/method/medgrid.shipstation.webhook?<redacted>"
    assert redact_url(URLS[1]) == "/api/v2/method/medgrid.webhooks.shipstation.webhook?<redacted>"
    assert redact_url(URLS[2]) == "/api/method/medgrid.integrations.shopify_callback?<redacted>"
    assert redact_url(URLS[3]) == "/api/method/login?usr=someone&pwd=<redacted>"
    assert redact_url(URLS[4]) == "/?<redacted>"
    assert redact_url(URLS[5]) == "/api/resource/Item?fields=%5B%22name%22%5D&api_key=<redacted>"
    # ordinary parameters are kept, item codes included
    assert redact_url("/api/method/medgrid.catalog.search_items?query=BPC&item_code=ITEM-001") == \
        "/api/method/medgrid.catalog.search_items?query=BPC&item_code=ITEM-001"
    assert redact_url("/api/method/ping") == "/api/method/ping"


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dev_server_log_has_no_secrets(caplog, monkeypatch):
    import werkzeug.serving

    import frappe.app

    # the handler `serve` hands to Werkzeug
    captured = {}
    monkeypatch.setenv("DEV_SERVER", "")
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **kw: captured.update(kw))
    frappe.app.serve(port=0, no_reload=True)
    handler = captured["request_handler"]

    server = werkzeug.serving.make_server("127.0.0.1", _free_port(), _app, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for url in URLS:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{url}").read()
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len([line for line in lines if "HTTP/1.1" in line]) == len(URLS), lines
    assert not any(TOKEN in line for line in lines), lines
    assert any("medgrid.shipstation.webhook?<redacted>" in line for line in lines)


def test_gunicorn_configuration_keeps_secrets_out(tmp_path):
    pytest.importorskip("gunicorn")
    (tmp_path / "tiny_wsgi.py").write_text(textwrap.dedent("""
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
    """))
    log = tmp_path / "access.log"
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:medgrid_runtime.gunicorn_conf", "--access-logfile",
         str(log), "-w", "1", "-b", f"127.0.0.1:{port}", "tiny_wsgi:app"],
        cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping").read()
                break
            except OSError:
                time.sleep(0.1)
        for url in URLS:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{url}",
                                             headers={"Referer": f"https://shop.example/admin?token={TOKEN}",
                                                      "Authorization": f"Basic {TOKEN}"})
            urllib.request.urlopen(request).read()
    finally:
        process.terminate()
        process.wait(timeout=20)
    text = log.read_text()
    assert text.count("\n") >= len(URLS) + 1, text
    assert TOKEN not in text, text
    assert "/api/method/medgrid.shipstation.webhook?<redacted>" in text
    assert "pwd=<redacted>" in text

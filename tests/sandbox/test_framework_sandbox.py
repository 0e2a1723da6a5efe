"""The shared sandbox machinery: fault switches, introspection, timelines, webhook safety, launcher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from sandbox.framework import FixedWindowLimiter, RequestLog, is_loopback_url
from sandbox.run import build_config, medgrid_settings, start_all
from sandbox.sinq import SinqSandbox
from tests.sandbox.helpers import advance, state

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORDER = {"reference": "SO-1", "lineItems": [{"serviceSKU": "SINQ-ITEM-001", "quantity": 1}],
         "shippingAddress": {"firstName": "Jane", "address1": "1 Main", "city": "Austin", "provinceCode": "TX",
                             "zip": "78701", "countryCode": "US"}}
KEY = {"key": "api-k"}


@pytest.fixture()
def sinq(start_sandbox):
    return start_sandbox(SinqSandbox, api_key="api-k")


def inbound(http, sinq, **kw):
    return http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER, headers=KEY, **kw)


# ---------------------------------------------------------------- faults

def test_5xx_fault_hits_count_requests_then_clears(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "5xx", "count": 2, "status": 503})
    assert [inbound(http, sinq).status_code for _ in range(3)] == [503, 503, 201]
    assert http.get(f"{sinq.base_url}/__sandbox/faults").json()["faults"] == []
    assert len(sinq.orders) == 1  # a faulted request never reached the vendor logic


def test_after_fault_processes_the_request_then_fails_the_answer(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json=[{"mode": "5xx", "count": 1, "after": True}])
    assert inbound(http, sinq).status_code == 500
    assert len(sinq.orders) == 1  # the vendor did take the order: a retry must find it
    retry = inbound(http, sinq)
    assert retry.status_code == 200 and retry.json()["transactionId"] == sinq.orders["SO-1"]["transactionId"]


def test_a_bad_control_payload_is_a_400(http, sinq):
    assert http.post(f"{sinq.base_url}/__sandbox/advance", json=["x"]).status_code == 400
    assert http.post(f"{sinq.base_url}/__sandbox/faults", json=[{"mode": "5xx", "count": 1}]).status_code == 200


def test_timeout_fault_holds_the_request_past_the_client_timeout(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "timeout", "count": 1, "delay": 1.0})
    with pytest.raises(requests.exceptions.Timeout):
        inbound(http, sinq, timeout=0.3)
    assert sinq.orders == {}


def test_down_fault_drops_the_connection(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "down", "count": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        inbound(http, sinq, timeout=5)
    assert inbound(http, sinq).status_code == 201


def test_malformed_fault_returns_broken_json(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "malformed", "count": 1})
    resp = inbound(http, sinq)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def test_faults_can_target_a_path_and_method(http, sinq):
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "5xx", "path": "^/nowhere$"})
    assert inbound(http, sinq).status_code == 201
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "5xx", "method": "GET"})
    assert inbound(http, sinq).status_code == 200
    http.delete(f"{sinq.base_url}/__sandbox/faults")
    assert http.get(f"{sinq.base_url}/__sandbox/faults").json()["faults"] == []


def test_unknown_fault_mode_is_refused(http, sinq):
    resp = http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "explode"})
    assert resp.status_code == 400


def test_drop_fault_records_but_does_not_send(http, sinq, receiver):
    inbound(http, sinq)
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "drop", "event": "order.synced"})
    advance(http, sinq)
    statuses = [json.loads(r["raw"])["status"] for r in receiver.wait_for(3)]
    assert statuses == ["pending", "shipped", "completed"]
    deliveries = state(http, sinq)["webhooks"]["deliveries"]
    assert deliveries[0]["fault"] == "drop" and deliveries[0]["status"] is None


# ---------------------------------------------------------------- introspection

def test_state_counts_requests_per_minute_and_endpoint(http, sinq):
    for _ in range(3):
        inbound(http, sinq)
    http.post(f"{sinq.base_url}/api/receivers/orders/inbound", json=ORDER)  # 401
    s = state(http, sinq)
    assert s["requests"]["total"] == 4
    assert sum(s["requests"]["per_minute"].values()) == 4
    assert s["requests"]["peak_per_minute"] == 4
    assert s["requests"]["by_endpoint"] == {"POST /api/receivers/orders/inbound": 4}
    assert s["requests"]["by_status"] == {"201": 1, "200": 2, "401": 1}
    assert len(s["log"]) == 4 and s["log"][0]["body"]["reference"] == "SO-1"
    assert s["log"][0]["headers"]["key"] == "<redacted>"  # credentials never reach the log
    assert len(s["orders"]) == 1


def test_control_endpoints_are_not_counted(http, sinq):
    for _ in range(3):
        state(http, sinq)
    assert state(http, sinq)["requests"]["total"] == 0


def test_reset_forgets_everything(http, sinq):
    inbound(http, sinq)
    http.post(f"{sinq.base_url}/__sandbox/faults", json={"mode": "5xx"})
    http.post(f"{sinq.base_url}/__sandbox/reset")
    s = state(http, sinq)
    assert s["orders"] == [] and s["requests"]["total"] == 0 and s["faults"] == [] and s["timeline"]["pending"] == []


def test_config_can_be_changed_at_run_time(http, sinq, receiver):
    resp = http.post(f"{sinq.base_url}/__sandbox/config", json={"webhook_format": "B", "webhook_secret": "s2"})
    assert resp.json()["config"]["webhook_secret"] == "<redacted>"
    inbound(http, sinq)
    advance(http, sinq, steps=1)
    assert json.loads(receiver.wait_for(1)[0]["raw"])["type"] == "order.synced"


def test_peak_per_minute_is_a_sliding_window():
    assert RequestLog.peak([0, 10, 59.9, 60, 61, 130]) == 4
    assert RequestLog.peak([]) == 0


def test_fixed_window_limiter():
    limiter = FixedWindowLimiter(2, 60)
    assert [limiter.check("a", now=0.0)[0] for _ in range(3)] == [True, True, False]
    assert limiter.check("a", now=30.0) == (False, 2, 0, 30)
    assert limiter.check("a", now=60.0)[0] is True
    assert limiter.check("b", now=1.0)[0] is True


# ---------------------------------------------------------------- timeline and webhook safety

def test_timer_mode_plays_the_timeline_by_itself(http, start_sandbox, receiver):
    sinq = start_sandbox(SinqSandbox, api_key="api-k", step_delay=0.05)
    inbound(http, sinq)
    got = receiver.wait_for(4, timeout=10)
    assert [json.loads(r["raw"])["status"] for r in got] == ["synced", "pending", "shipped", "completed"]
    assert sinq.timeline.wait_idle(5)


def test_webhooks_only_go_to_loopback_addresses(http, start_sandbox):
    sinq = start_sandbox(SinqSandbox, api_key="api-k", webhook_url="http://192.0.2.10/hook")
    inbound(http, sinq)
    advance(http, sinq, steps=1)
    delivery = state(http, sinq)["webhooks"]["deliveries"][0]
    assert delivery["status"] is None and "loopback" in delivery["error"]
    assert is_loopback_url("http://127.0.0.1:8000/x") and is_loopback_url("http://localhost/x")
    assert is_loopback_url("http://site1.localhost:8000/x") and not is_loopback_url("https://example.com/")


def test_a_failing_medgrid_is_recorded(http, sinq, receiver):
    receiver.status = 401
    inbound(http, sinq)
    advance(http, sinq, steps=1)
    assert state(http, sinq)["webhooks"]["by_status"] == {"401": 1}


def test_sandboxes_listen_only_on_loopback():
    with pytest.raises(ValueError):
        SinqSandbox({}, host="0.0.0.0", port=0)


# ---------------------------------------------------------------- launcher

def test_build_config_reads_environment():
    config = build_config({"step_delay": 5, "sinq": {"port": 1}},
                          environ={"SANDBOX_MEDGRID_URL": "http://127.0.0.1:8000", "SANDBOX_STEP_DELAY": "0.5",
                                   "SANDBOX_SINQ_WEBHOOK_FORMAT": "B", "SANDBOX_SHIPSTATION_RATE_LIMIT": "10"})
    assert config["medgrid_url"] == "http://127.0.0.1:8000" and config["step_delay"] == 0.5
    assert config["sinq"] == {"port": 1, "webhook_format": "B"}
    assert config["shipstation"]["rate_limit"] == 10


def test_start_all_and_medgrid_settings():
    config = build_config({"medgrid_url": "http://127.0.0.1:8000", **{v: {"port": 0} for v in
                                                                      ("perfectrx", "shipstation", "sinq",
                                                                       "centre_research", "shopify")}}, environ={})
    sandboxes = start_all(config)
    try:
        settings = medgrid_settings(sandboxes)
        assert settings["SINQ Settings"]["sinq_api_url"] == sandboxes["sinq"].base_url
        assert settings["PerfectRx Settings"]["base_url"] == sandboxes["perfectrx"].base_url
        assert settings["ShipStation Connection"]["base_url"] == sandboxes["shipstation"].base_url
        assert settings["Centre Research Settings"]["centre_research_api_url"] == sandboxes["centre_research"].base_url
        assert settings["Exoceuticals Settings"]["api_base_url"] == sandboxes["shopify"].base_url
        assert sandboxes["perfectrx"].webhook_url == "http://127.0.0.1:8000/api/method/medgrid.perfectrx.webhook"
    finally:
        for sandbox in sandboxes.values():
            sandbox.stop()


def test_launcher_starts_all_and_stops_on_sigterm(tmp_path):
    ready = tmp_path / "ready.json"
    ports = [arg for v in ("perfectrx", "shipstation", "sinq", "centre_research", "shopify")
             for arg in ("--port", f"{v}=0")]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--manual", "--ready-file", str(ready), *ports],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        urls = json.loads(ready.read_text())
        assert set(urls) == {"perfectrx", "shipstation", "sinq", "centre_research", "shopify"}
        session = requests.Session()
        session.trust_env = False
        for url in urls.values():
            assert session.get(f"{url}/__sandbox/state", timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "sinq" in out and "listening on http://127.0.0.1:" in out and "sandboxes stopped" in out

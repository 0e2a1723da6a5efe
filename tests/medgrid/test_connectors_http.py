"""The shared vendor HTTP client: redaction, retries, Retry-After, timeouts, rate limits, the log."""

from __future__ import annotations

import email.utils
import json

import pytest
import requests

import frappe

from medgrid.connectors import integration_log, rate_limit
from medgrid.connectors.base import VendorError
from medgrid.connectors.http import VendorClient
from medgrid.connectors.rate_limit import RateLimit
from medgrid.connectors.redaction import redact, redact_url
from medgrid.connectors.retry import RetryPolicy, parse_retry_after
from tests.medgrid.connector_helpers import logs_for

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

BASE = "https://vendor.example"
REF = ("Sales Order", "SO-HTTP-TEST")


def client(**kwargs) -> VendorClient:
    values = dict(vendor="testvendor", base_url=BASE, reference=REF, secrets=("s3cr3t-value",))
    values.update(kwargs)
    return VendorClient(**values)


# ------------------------------------------------------------------------------------- redaction

def test_redact_masks_secret_headers_but_keeps_the_auth_scheme():
    headers = {"Authorization": "Basic U2hpcFN0YXRpb246Um9ja3M=", "X-API-Key": "k", "key": "sinq",
               "X-Shopify-Access-Token": "shpat_1", "Content-Type": "application/json", "X-Partner-Account": "p"}
    assert redact(headers) == {"Authorization": "Basic ***", "X-API-Key": "***", "key": "***",
                               "X-Shopify-Access-Token": "***", "Content-Type": "application/json",
                               "X-Partner-Account": "p"}
    assert redact({"Authorization": "Bearer eyJ.abc"}) == {"Authorization": "Bearer ***"}


def test_redact_masks_secrets_in_nested_json_bodies_and_keeps_business_keys():
    body = json.dumps({"credentials": {"clientId": "id-1", "clientSecret": "cs"}, "access_token": "tok",
                       "refresh_token": "rt", "user": {"password": "pw", "pwd": "pw2"},
                       "orderKey": "SO-1-shipstation", "items": [{"lineItemKey": "row-1", "api_key": "x"}]})
    assert json.loads(redact(body)) == {
        "credentials": {"clientId": "id-1", "clientSecret": "***"}, "access_token": "***", "refresh_token": "***",
        "user": {"password": "***", "pwd": "***"}, "orderKey": "SO-1-shipstation",
        "items": [{"lineItemKey": "row-1", "api_key": "***"}]}


def test_redact_handles_form_bodies_bytes_urls_and_literal_secrets():
    assert redact(b"grant_type=refresh_token&client_secret=abc&refresh_token=def&client_id=app") == \
        "grant_type=refresh_token&client_secret=***&refresh_token=***&client_id=app"
    assert redact_url("https://x.example/hook?token=abc&page=2") == "https://x.example/hook?token=***&page=2"
    assert redact_url("https://user:pw@x.example/a") == "https://***@x.example/a"
    assert redact("upstream said: bad key s3cr3t-value", secrets=("s3cr3t-value",)) == "upstream said: bad key ***"


# ----------------------------------------------------------------------------------- retry-after

def test_parse_retry_after_seconds_and_http_date(clock):
    assert parse_retry_after("120") == 120
    future = email.utils.formatdate(clock.time() + 90, usegmt=True)
    assert parse_retry_after(future) == pytest.approx(90, abs=1)
    past = email.utils.formatdate(clock.time() - 90, usegmt=True)
    assert parse_retry_after(past) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_429_retry_after_seconds_is_slept_then_retried(csite, mocked, clock):
    mocked.get(f"{BASE}/thing", status=429, headers={"Retry-After": "7"})
    mocked.get(f"{BASE}/thing", status=200, json={"ok": True})

    response = client().request("GET", "/thing")

    assert response.json() == {"ok": True}
    assert len(clock.sleeps) == 1 and 7 <= clock.sleeps[0] <= 7.5


def test_503_retry_after_http_date_is_honoured(csite, mocked, clock):
    when = email.utils.formatdate(clock.time() + 12, usegmt=True)
    mocked.get(f"{BASE}/thing", status=503, headers={"Retry-After": when})
    mocked.get(f"{BASE}/thing", status=200, json={})

    client().request("GET", "/thing")

    assert len(clock.sleeps) == 1 and 11 <= clock.sleeps[0] <= 12.5


def test_a_retry_after_too_long_to_sleep_goes_back_to_the_router(csite, mocked, clock):
    mocked.get(f"{BASE}/thing", status=429, headers={"Retry-After": "600"})

    with pytest.raises(VendorError) as raised:
        client().request("GET", "/thing")

    assert raised.value.retryable and raised.value.retry_after == 600 and raised.value.status_code == 429
    assert clock.sleeps == [] and len(mocked.calls) == 1


def test_backoff_grows_exponentially_with_jitter(csite, mocked, clock):
    mocked.get(f"{BASE}/thing", status=500)

    with pytest.raises(VendorError) as raised:
        client(policy=RetryPolicy(max_retries=3, backoff_base=1.0)).request("GET", "/thing")

    assert raised.value.retryable and raised.value.status_code == 500
    assert len(mocked.calls) == 4
    low = [1, 2, 4]
    assert all(lo <= s <= lo + 1 for lo, s in zip(low, clock.sleeps, strict=True)), clock.sleeps


def test_backoff_from_a_small_base_is_capped_at_the_policys_max(csite, mocked, clock, recwarn):
    mocked.get(f"{BASE}/thing", status=503)

    with pytest.raises(VendorError):
        client(policy=RetryPolicy(max_retries=4, backoff_base=0.5, backoff_max=2.0)).request("GET", "/thing")

    low = [0.5, 1.0, 2.0, 2.0]  # 0.5 × 2^n plus up to 0.5 of jitter, never past the max
    assert all(lo <= s <= min(lo + 0.5, 2.0) for lo, s in zip(low, clock.sleeps, strict=True)), clock.sleeps
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]  # tenacity's deprecated ``initial``


def test_no_retry_on_4xx_other_than_429(csite, mocked, clock):
    mocked.post(f"{BASE}/thing", status=422, json={"message": "bad field"})

    with pytest.raises(VendorError) as raised:
        client().request("POST", "/thing", json_body={"a": 1})

    assert len(mocked.calls) == 1 and not raised.value.retryable
    assert "bad field" in str(raised.value)


def test_network_errors_retry_then_surface_as_retryable(csite, mocked, clock):
    mocked.get(f"{BASE}/thing", body=requests.ConnectTimeout("slow"))

    with pytest.raises(VendorError) as raised:
        client(policy=RetryPolicy(max_retries=2)).request("GET", "/thing")

    assert raised.value.retryable and raised.value.status_code is None
    assert len(mocked.calls) == 3
    rows = logs_for(REF[1])
    assert len(rows) == 3 and all(r.status == "Error" and "timed out" in r.error for r in rows)


def test_every_call_carries_the_configured_timeout(csite, mocked):
    frappe.db.set_single_value("MedGrid System Settings", "http_timeout_seconds", 7)
    mocked.get(f"{BASE}/thing", json={})

    client().request("GET", "/thing")

    assert mocked.calls[0].request.req_kwargs["timeout"] == 7


# ----------------------------------------------------------------------------- integration log

def test_each_attempt_is_logged_with_secrets_redacted(csite, mocked, clock):
    mocked.post(f"{BASE}/login?token=abc", status=500, body="s3cr3t-value is wrong")
    mocked.post(f"{BASE}/login?token=abc", status=200, json={"access_token": "live-token", "ok": 1})

    client(headers={"Authorization": "Bearer live-token"}, secrets=("s3cr3t-value", "live-token")).request(
        "POST", "/login?token=abc", json_body={"credentials": {"clientId": "me", "clientSecret": "s3cr3t-value"}})

    first, second = logs_for(REF[1])
    dump = frappe.as_json([first, second])
    assert "s3cr3t-value" not in dump and "live-token" not in dump and "token=abc" not in dump
    assert (first.status, first.status_code, first.error) == ("Error", 500, "HTTP 500")
    assert (second.status, second.status_code) == ("Success", 200)
    assert json.loads(second.request_body) == {"credentials": {"clientId": "me", "clientSecret": "***"}}
    assert json.loads(second.response_body) == {"access_token": "***", "ok": 1}
    assert json.loads(second.request_headers)["Authorization"] == "Bearer ***"
    assert second.url == f"{BASE}/login?token=***" and second.method == "POST" and second.vendor == "testvendor"
    assert (second.reference_doctype, second.reference_name) == REF


def test_logs_survive_a_rollback_of_the_callers_transaction(csite, mocked):
    mocked.get(f"{BASE}/thing", status=400, json={"error": "refused"})
    frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": "Caller Work To Undo"}).insert()

    reference = ("Sales Order", f"SO-ROLLBACK-{frappe.generate_hash(length=8)}")
    with pytest.raises(VendorError):
        client(reference=reference).request("GET", "/thing")
    frappe.db.rollback()  # what the router does after a VendorError

    rows = logs_for(reference[1])
    assert [(r.status, r.status_code) for r in rows] == [("Error", 400)]
    assert not frappe.db.exists("Vendor Profile", "Caller Work To Undo")


def test_logs_survive_a_rollback_to_a_savepoint(csite, mocked):
    mocked.get(f"{BASE}/thing", json={})
    frappe.db.savepoint("before_vendor_call")

    client().request("GET", "/thing")
    frappe.db.rollback(save_point="before_vendor_call")
    assert logs_for(REF[1]) == []  # undone with the savepoint…
    frappe.db.commit()

    assert len(logs_for(REF[1])) == 1  # …and restored by the commit


def test_rejected_requests_are_logged_without_being_sent(csite, mocked):
    integration_log.log_rejected_request("testvendor", "GET", "http://evil.example/x?token=t", "not allowed", REF)

    [row] = logs_for(REF[1])
    assert row.status == "Rejected" and row.url == "http://evil.example/x?token=***" and row.error == "not allowed"
    assert len(mocked.calls) == 0


# ---------------------------------------------------------------------------------- rate limits

def test_sliding_window_waits_for_the_oldest_request_to_leave_it(csite, clock):
    limit = RateLimit("testvendor", "fp-sliding", amount=3, window_seconds=10)
    for _ in range(3):
        limit.acquire()
    assert clock.sleeps == []
    clock.advance(4)
    limit.acquire()  # the 4th in 10 s waits until the first one is 10 s old
    assert len(clock.sleeps) == 1 and clock.sleeps[0] == pytest.approx(6, abs=0.1)


def test_two_workers_share_one_budget(csite, clock):
    worker_a = RateLimit("testvendor", "fp-shared", amount=2, window_seconds=60)
    worker_b = RateLimit("testvendor", "fp-shared", amount=2, window_seconds=60)
    other_account = RateLimit("testvendor", "fp-other", amount=2, window_seconds=60)
    worker_a.acquire()
    worker_b.acquire()
    other_account.acquire()
    assert clock.sleeps == []
    worker_a.acquire()
    assert clock.sleeps == [pytest.approx(60, abs=0.1)]  # worker A waits for B's share too


def test_a_spent_window_longer_than_max_wait_is_deferred_to_the_router(csite, clock):
    limit = RateLimit("testvendor", "fp-long", amount=1, window_seconds=300)
    limit.acquire()
    with pytest.raises(VendorError) as raised:
        limit.acquire()
    assert raised.value.retryable and raised.value.retry_after == pytest.approx(300, abs=0.1)
    assert clock.sleeps == []


def test_one_waiter_per_account_sleeps_and_the_others_get_slots_of_their_own(csite, clock):
    limit = RateLimit("testvendor", "fp-one-waiter", amount=1, window_seconds=60)
    other_account = RateLimit("testvendor", "fp-one-waiter-2", amount=1, window_seconds=60)
    limit.acquire()
    held = limit._become_waiter()  # another worker waits on this account
    with rate_limit.one_waiter_per_account():
        other_account.acquire()  # a free slot: no waiting, no waiter needed
        deferred = []
        for _ in range(3):
            with pytest.raises(rate_limit.RateLimitWait) as raised:
                limit.acquire()
            deferred.append(raised.value)
    assert clock.sleeps == []
    # the window frees in 60 s; each caller is given its own slot from then on, window / amount apart
    assert [e.retry_after for e in deferred] == [pytest.approx(60 * (n + 1), abs=0.2) for n in range(3)]
    assert all(e.retryable and e.status_code == 429 and isinstance(e, VendorError) for e in deferred)
    assert frappe.flags.medgrid_rate_limit_one_waiter is None  # the rule ends with its block

    limit._stop_waiting(held)
    with rate_limit.one_waiter_per_account():
        limit.acquire()  # the place is free: this caller is the waiter and sleeps the window out
    assert clock.sleeps == [pytest.approx(60, abs=0.2)]
    assert limit._become_waiter()  # and gives the place back

    clock.advance(61)
    limit.acquire()
    limit.acquire()  # outside the block every caller sleeps, as before, however many do
    assert clock.sleeps[1:] == [pytest.approx(60, abs=0.2)]


def test_limits_are_kept_in_redis_when_the_site_has_redis_cache(csite, clock, monkeypatch):
    import limits.storage.redis
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    monkeypatch.setattr(limits.storage.redis, "time", clock)
    monkeypatch.setitem(frappe.local.conf, "redis_cache", url)
    rate_limit.reset_rate_limiters()

    key = frappe.generate_hash(length=12)
    limit = RateLimit("testvendor", key, amount=2, window_seconds=30)
    limit.acquire()
    limit.acquire()
    limiter, storage = rate_limit.get_rate_limiter()
    assert type(storage).__name__ == "RedisStorage"
    assert limiter.get_window_stats(limit.item, "medgrid", "testvendor", key).remaining == 0
    limit.acquire()
    assert clock.sleeps == [pytest.approx(30, abs=0.1)]

"""``frappe.cache``: the same behaviour on Redis (``redis_cache`` set) and in process memory."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

import frappe
from frappe.utils import redis_wrapper

REDIS_URL = os.environ.get("MEDGRID_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
def cache(request, site, monkeypatch):
    """The site cache on one backend, under a key namespace no other test run uses."""
    prefix = f"mgtest-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(redis_wrapper, "_site_prefix", lambda: prefix)
    if request.param == "redis":
        import redis

        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        frappe.local.conf["redis_cache"] = REDIS_URL
    else:
        frappe.local.conf.pop("redis_cache", None)
    backend = redis_wrapper.get_cache()
    yield backend
    backend.delete_keys("")
    frappe.local.cache = {}


def test_backend_follows_the_config(cache):
    expected = redis_wrapper.RedisWrapper if frappe.local.conf.get("redis_cache") else redis_wrapper.MemoryCache
    assert isinstance(cache, expected)
    # frappe.cache is usable both ways (v15 attribute form and the older call form)
    assert frappe.cache() is cache
    assert redis_wrapper.cache_proxy() is cache and redis_wrapper.cache_proxy.make_key("k") == cache.make_key("k")


def test_values_round_trip_with_generators_and_users(cache):
    cache.set_value("vendor", {"name": "sinq", "limits": [1, 2]})
    frappe.local.cache = {}
    assert cache.get_value("vendor") == {"name": "sinq", "limits": [1, 2]}

    calls = []
    value = cache.get_value("computed", generator=lambda: calls.append(1) or "fresh")
    assert value == "fresh" and cache.get_value("computed") == "fresh" and calls == [1]

    cache.set_value("prefs", "mine", user="a@example.com")
    assert cache.get_value("prefs", user="a@example.com") == "mine"
    assert cache.get_value("prefs", user="b@example.com") is None
    assert cache.get_value("prefs") is None

    cache.delete_value(["vendor", "computed"])
    frappe.local.cache = {}
    assert cache.get_value("vendor") is None and cache.get_value("computed") is None


def test_expiring_values(cache, monkeypatch):
    cache.set_value("token", "t1", expires_in_sec=30)
    assert cache.get_value("token", expires=True) == "t1"
    if isinstance(cache, redis_wrapper.MemoryCache):
        now = redis_wrapper._clock()
        monkeypatch.setattr(redis_wrapper, "_clock", lambda: now + 31)
    else:
        cache.expire_key("token", 0)
    assert cache.get_value("token", expires=True) is None


def test_raw_counters_with_ttl(cache):
    key = cache.make_key("rate:shipstation")
    assert cache.incrby(key, 1) == 1 and cache.incr(key) == 2
    assert cache.get(key) == b"2"
    assert cache.ttl(key) == -1
    assert cache.expire(key, 60) and 0 < cache.ttl(key) <= 60
    assert cache.incr(key) == 3 and 0 < cache.ttl(key) <= 60  # incr keeps the expiry
    cache.delete(key)
    assert cache.ttl(key) == -2 and cache.get(key) is None


def test_hashes(cache):
    cache.hset("doctype_meta", "Item", {"fields": 3})
    cache.hset("doctype_meta", "Bin", {"fields": 5})
    frappe.local.cache = {}
    assert cache.hget("doctype_meta", "Item") == {"fields": 3}
    assert cache.hexists("doctype_meta", "Bin") and not cache.hexists("doctype_meta", "Warehouse")
    assert {k.decode() if isinstance(k, bytes) else k for k in cache.hgetall("doctype_meta")} == {"Item", "Bin"}
    assert cache.hget("doctype_meta", "Warehouse", generator=lambda: {"fields": 1}) == {"fields": 1}

    cache.hdel("doctype_meta", ["Item", "Bin"])
    frappe.local.cache = {}
    assert cache.hget("doctype_meta", "Item") is None
    assert cache.hget("doctype_meta", "Warehouse") == {"fields": 1}


def test_lists_and_sets_return_bytes_like_redis(cache):
    cache.rpush("events", "a")
    cache.rpush("events", "b")
    cache.lpush("events", "z")
    assert cache.llen("events") == 3 and cache.lrange("events", 0, -1) == [b"z", b"a", b"b"]
    assert cache.lpop("events") == b"z" and cache.rpop("events") == b"b"

    cache.sadd("vendors", "sinq", "perfectrx")
    assert cache.smembers("vendors") == {b"sinq", b"perfectrx"}
    assert cache.sismember("vendors", "sinq")
    cache.srem("vendors", "sinq")
    assert cache.smembers("vendors") == {b"perfectrx"}


def test_keys_are_namespaced_and_deleted_by_prefix(cache):
    cache.set_value("webhook:1", 1)
    cache.set_value("webhook:2", 2)
    cache.set_value("other", 3)
    keys = sorted(k.decode() if isinstance(k, bytes) else k for k in cache.get_keys("webhook:"))
    prefix = redis_wrapper._site_prefix()
    assert keys == [f"{prefix}|webhook:1", f"{prefix}|webhook:2"]

    cache.delete_keys("webhook:")
    frappe.local.cache = {}
    assert cache.get_keys("webhook:") == [] and cache.get_value("other") == 3


def test_site_namespace(site, monkeypatch):
    monkeypatch.setitem(frappe.local.conf, "db_type", "sqlite")
    assert redis_wrapper._site_prefix() == frappe.local.site  # every SQLite site has the same db_name
    monkeypatch.setitem(frappe.local.conf, "db_type", "mariadb")
    monkeypatch.setitem(frappe.local.conf, "db_name", "_abc123")
    assert redis_wrapper._site_prefix() == "_abc123"  # as Frappe


def test_memory_cache_is_shared_by_threads():
    store = redis_wrapper.MemoryCache()
    key = "counter"

    def bump():
        for _ in range(500):
            store.incr(key)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(key) == b"4000"

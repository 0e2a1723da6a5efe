"""``frappe.cache``: the site cache, on Redis when configured, in process memory otherwise.

Frappe v15 keeps one ``RedisWrapper`` (a ``redis.Redis`` subclass) per process and namespaces every
key with the site's ``db_name`` (``b"<db_name>|<key>"``), so one client serves every site. Values
written through ``set_value``/``hset`` are pickled; the plain Redis commands (``get``, ``set``,
``incr``, ``expire`` …) are left untouched and take keys already built with ``make_key``.

Which backend a call uses is decided by the current site's configuration:

* ``redis_cache`` set (site or common config) → :class:`RedisWrapper` on that URL;
* otherwise → :class:`MemoryCache`, a thread-safe in-process store with the same methods
  (TTL, ``incr``/``incrby``, lists, sets, hashes). It is shared by the threads of one process
  only — run Redis when several processes (gunicorn workers, RQ workers) must share limits.

Public entry points: :func:`get_cache` (the backend for the current site), :func:`setup_cache`
(Frappe's name for the same), and :data:`cache_proxy`, an object usable both as ``frappe.cache``
and ``frappe.cache()`` — v15 code uses the attribute form, older code the call form.
"""

from __future__ import annotations

import fnmatch
import pickle
import threading
import time
from contextlib import suppress

import redis
import redis.exceptions

import frappe

# Protocol 5 is the fastest one every supported Python reads.
PICKLE_PROTOCOL = 5

_clients: dict[str, "RedisWrapper"] = {}
_clients_lock = threading.Lock()


def _site_prefix() -> str:
    """The namespace of the current site's keys: its ``db_name`` as in Frappe — except for SQLite
    sites, whose database file is named the same in every site folder, so the site name is used."""
    conf = getattr(frappe.local, "conf", None) or {}
    site = getattr(frappe.local, "site", None)
    if conf.get("db_type", "sqlite") == "sqlite" and site:
        return site
    return conf.get("db_name") or site or ""


def _session_user():
    session = getattr(frappe.local, "session", None)
    return session.get("user") if session else None


def _local_cache():
    """The per-request dict Frappe keeps in front of Redis (``frappe.local.cache``), if any."""
    return getattr(frappe.local, "cache", None)


def _compose_key(key, user=None, shared=False) -> str:
    if shared:
        return key
    if user:
        if user is True:
            user = _session_user()
        key = f"user:{user}:{key}"
    return f"{_site_prefix()}|{key}"


class RedisWrapper(redis.Redis):
    """A Redis client that namespaces keys per site and pickles the values it stores."""

    def connected(self) -> bool:
        """True when the server answers a PING."""
        try:
            self.ping()
            return True
        except redis.exceptions.ConnectionError:
            return False

    def __call__(self):
        """Return self, so ``frappe.cache().get_value(...)`` keeps working."""
        return self

    def make_key(self, key, user=None, shared=False):
        """Namespace ``key`` for the site (and for ``user``, ``True`` meaning the session user).

        ``shared=True`` returns the key untouched (bench-wide keys)."""
        if shared:
            return key
        return _compose_key(key, user, shared).encode()

    # ------------------------------------------------------------------ values

    def set_value(self, key, val, user=None, expires_in_sec=None, shared=False):
        """Store ``val`` (pickled) under the site key, optionally expiring after ``expires_in_sec``."""
        key = self.make_key(key, user, shared)
        local_cache = _local_cache()
        if local_cache is not None and not expires_in_sec:
            local_cache[key] = val
        with suppress(redis.exceptions.ConnectionError):
            self.set(name=key, value=pickle.dumps(val, protocol=PICKLE_PROTOCOL), ex=expires_in_sec)

    def get_value(self, key, generator=None, user=None, expires=False, shared=False, *, use_local_cache=True):
        """Return the cached value, or call ``generator()``, store and return its result.

        ``expires=True`` marks a key written with a TTL: it is never served from (or written to)
        the per-request local cache, and the generator result is not stored."""
        original_key = key
        key = self.make_key(key, user, shared)
        local_cache = _local_cache()
        if use_local_cache and not expires and local_cache is not None and key in local_cache:
            return local_cache[key]

        val = None
        with suppress(redis.exceptions.ConnectionError):
            val = self.get(key)
        if val is not None:
            val = pickle.loads(val)

        if not expires:
            if val is None and generator:
                val = generator()
                self.set_value(original_key, val, user=user, shared=shared)
            elif local_cache is not None:
                local_cache[key] = val
        return val

    def expire_key(self, key, time, *, user=None, shared=False):
        """Make a site key expire in ``time`` seconds."""
        with suppress(redis.exceptions.ConnectionError):
            return self.expire(self.make_key(key, user, shared), time)

    def get_all(self, key) -> dict:
        """Every value whose key starts with ``key``, by full key."""
        return {k: self.get_value(k, shared=True) for k in self.get_keys(key)}

    def get_keys(self, key) -> list:
        """Full keys (bytes) of the site starting with ``key``."""
        pattern = self.make_key(key + "*")
        try:
            return self.keys(pattern)
        except redis.exceptions.ConnectionError:
            local_cache = _local_cache() or {}
            return [k for k in local_cache if fnmatch.fnmatchcase(_as_text(k), _as_text(pattern))]

    def delete_keys(self, key) -> None:
        """Delete every site key starting with ``key``."""
        self.delete_value(self.get_keys(key), make_keys=False)

    def delete_key(self, *args, **kwargs) -> None:
        """Alias of :meth:`delete_value`."""
        self.delete_value(*args, **kwargs)

    def delete_value(self, keys, user=None, make_keys=True, shared=False) -> None:
        """Delete one key or a list of keys (site keys unless ``make_keys=False``)."""
        if not keys:
            return
        if not isinstance(keys, (list, tuple)):
            keys = (keys,)
        if make_keys:
            keys = [self.make_key(k, user=user, shared=shared) for k in keys]
        local_cache = _local_cache()
        if local_cache is not None:
            for k in keys:
                local_cache.pop(k, None)
        with suppress(redis.exceptions.ConnectionError):
            self.unlink(*keys)

    # ------------------------------------------------------------------ lists

    def lpush(self, key, value):
        """Push onto the head of a site list."""
        return super().lpush(self.make_key(key), value)

    def rpush(self, key, value):
        """Push onto the tail of a site list."""
        return super().rpush(self.make_key(key), value)

    def lpop(self, key):
        """Pop from the head of a site list."""
        return super().lpop(self.make_key(key))

    def rpop(self, key):
        """Pop from the tail of a site list."""
        return super().rpop(self.make_key(key))

    def llen(self, key):
        """Length of a site list."""
        return super().llen(self.make_key(key))

    def lrange(self, key, start, stop):
        """Items ``start``..``stop`` (inclusive) of a site list."""
        return super().lrange(self.make_key(key), start, stop)

    def ltrim(self, key, start, stop):
        """Keep only items ``start``..``stop`` of a site list."""
        return super().ltrim(self.make_key(key), start, stop)

    # ------------------------------------------------------------------ hashes

    def hset(self, name, key, value, shared=False, *args, **kwargs):
        """Set field ``key`` of the site hash ``name`` to ``value`` (pickled)."""
        if key is None:
            return
        _name = self.make_key(name, shared=shared)
        local_cache = _local_cache()
        if local_cache is not None:
            local_cache.setdefault(_name, {})[key] = value
        with suppress(redis.exceptions.ConnectionError):
            super().hset(_name, key, pickle.dumps(value, protocol=PICKLE_PROTOCOL), *args, **kwargs)

    def hget(self, name, key, generator=None, shared=False):
        """Field ``key`` of the site hash ``name``; ``generator()`` fills a missing field."""
        _name = self.make_key(name, shared=shared)
        if not key:
            return None
        local_cache = _local_cache()
        if local_cache is not None:
            cached = local_cache.setdefault(_name, {})
            if key in cached:
                return cached[key]
        value = None
        with suppress(redis.exceptions.ConnectionError):
            value = super().hget(_name, key)
        if value is not None:
            value = pickle.loads(value)
            if local_cache is not None:
                local_cache[_name][key] = value
        elif generator:
            value = generator()
            self.hset(name, key, value, shared=shared)
        return value

    def hgetall(self, name):
        """Every field of the site hash ``name``, unpickled (field names stay bytes)."""
        value = super().hgetall(self.make_key(name))
        return {k: pickle.loads(v) for k, v in value.items()}

    def hexists(self, name, key, shared=False) -> bool:
        """True when the site hash ``name`` has field ``key``."""
        if key is None:
            return False
        try:
            return super().hexists(self.make_key(name, shared=shared), key)
        except redis.exceptions.ConnectionError:
            return False

    def hkeys(self, name):
        """Field names of the site hash ``name``."""
        try:
            return super().hkeys(self.make_key(name))
        except redis.exceptions.ConnectionError:
            return []

    def hdel(self, name, keys, shared=False, pipeline=None):
        """Delete one field or a list of fields of the site hash ``name``."""
        _name = self.make_key(name, shared=shared)
        if not isinstance(keys, (list, tuple)):
            keys = [keys]
        local_cache = _local_cache()
        if local_cache is not None and _name in local_cache:
            for k in keys:
                local_cache[_name].pop(k, None)
        if pipeline is not None:
            for k in keys:
                pipeline.hdel(_name, k)
            return
        with suppress(redis.exceptions.ConnectionError):
            if keys:
                super().hdel(_name, *keys)

    def hdel_names(self, names, key) -> None:
        """Delete field ``key`` from each site hash in ``names``."""
        pipeline = self.pipeline()
        for name in names:
            self.hdel(name, key, pipeline=pipeline)
        with suppress(redis.exceptions.ConnectionError):
            pipeline.execute()

    def hdel_keys(self, name_starts_with, key) -> None:
        """Delete field ``key`` from every site hash whose name starts with ``name_starts_with``."""
        pipeline = self.pipeline()
        for full_name in self.get_keys(name_starts_with):
            name = _as_text(full_name).split("|", 1)[1]
            self.hdel(name, key, pipeline=pipeline)
        with suppress(redis.exceptions.ConnectionError):
            pipeline.execute()

    def exists(self, *names, user=None, shared=None) -> int:
        """How many of the site keys ``names`` exist."""
        keys = [self.make_key(n, user=user, shared=shared) for n in names]
        try:
            return super().exists(*keys)
        except redis.exceptions.ConnectionError:
            return 0

    # ------------------------------------------------------------------ sets

    def sadd(self, name, *values):
        """Add members to the site set ``name``."""
        return super().sadd(self.make_key(name), *values)

    def srem(self, name, *values):
        """Remove members from the site set ``name``."""
        return super().srem(self.make_key(name), *values)

    def sismember(self, name, value) -> bool:
        """True when ``value`` is in the site set ``name``."""
        return super().sismember(self.make_key(name), value)

    def spop(self, name):
        """Remove and return a random member of the site set ``name``."""
        return super().spop(self.make_key(name))

    def srandmember(self, name, count=None):
        """A random member of the site set ``name``."""
        return super().srandmember(self.make_key(name), count)

    def smembers(self, name):
        """Every member of the site set ``name``."""
        return super().smembers(self.make_key(name))


# ---------------------------------------------------------------------- in-process cache


def _clock() -> float:
    """The clock TTLs are measured on (monotonic; a function so tests can patch it)."""
    return time.monotonic()


def _as_text(key) -> str:
    return key.decode() if isinstance(key, bytes) else str(key)


def _to_bytes(value) -> bytes:
    """Encode a value the way redis-py does before sending it (str/int/float → bytes)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        raise redis.exceptions.DataError("Invalid input of type: 'bool'. Convert to a bytes, string, int or float first.")
    if isinstance(value, (int, float, str)):
        return str(value).encode() if not isinstance(value, str) else value.encode()
    if isinstance(value, memoryview):
        return bytes(value)
    raise redis.exceptions.DataError(
        f"Invalid input of type: '{type(value).__name__}'. Convert to a bytes, string, int or float first."
    )


class _MemoryPipeline:
    """Collects commands and runs them in order on ``execute()`` (no isolation guarantees)."""

    def __init__(self, cache: "MemoryCache"):
        self._cache = cache
        self._commands = []

    def __getattr__(self, name):
        def queue(*args, **kwargs):
            self._commands.append((name, args, kwargs))
            return self

        return queue

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._commands.clear()

    def execute(self):
        commands, self._commands = self._commands, []
        with self._cache._lock:
            return [getattr(self._cache, name)(*args, **kwargs) for name, args, kwargs in commands]


class MemoryCache:
    """Thread-safe in-process stand-in for :class:`RedisWrapper` (same method names and semantics).

    Keys are site-namespaced strings; values stored through ``set_value``/``hset`` are kept as
    Python objects, while the raw Redis-style commands (``set``/``get``/``incr``/lists/sets)
    store bytes, as Redis would return them. Expired keys vanish lazily on access and in a
    periodic sweep."""

    _SWEEP_EVERY = 1000

    def __init__(self):
        self._data: dict[str, object] = {}
        self._expiry: dict[str, float] = {}
        self._lock = threading.RLock()
        self._ops = 0

    def __call__(self):
        """Return self, so ``frappe.cache().get_value(...)`` keeps working."""
        return self

    # --------------------------------------------------------------- internals

    def _alive(self, key) -> bool:
        deadline = self._expiry.get(key)
        if deadline is not None and deadline <= _clock():
            self._data.pop(key, None)
            self._expiry.pop(key, None)
            return False
        return key in self._data

    def _read(self, key, default=None):
        return self._data[key] if self._alive(key) else default

    def _write(self, key, value, ttl=None) -> None:
        self._data[key] = value
        if ttl:
            self._expiry[key] = _clock() + float(ttl)
        else:
            self._expiry.pop(key, None)
        self._ops += 1
        if self._ops % self._SWEEP_EVERY == 0:
            now = _clock()
            for k in [k for k, t in self._expiry.items() if t <= now]:
                self._data.pop(k, None)
                self._expiry.pop(k, None)

    def _container(self, key, kind):
        value = self._read(key)
        if value is None:
            value = kind()
            self._data[key] = value
        elif not isinstance(value, kind):
            raise redis.exceptions.ResponseError(
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            )
        return value

    # --------------------------------------------------------------- Frappe API

    def connected(self) -> bool:
        """Always True: the store lives in this process."""
        return True

    def ping(self) -> bool:
        """Always True."""
        return True

    def make_key(self, key, user=None, shared=False):
        """Namespace ``key`` for the site (and for ``user``); ``shared=True`` leaves it as is."""
        if shared:
            return key
        return _compose_key(key, user, shared)

    def set_value(self, key, val, user=None, expires_in_sec=None, shared=False):
        """Store ``val`` under the site key, optionally expiring after ``expires_in_sec``."""
        key = self.make_key(key, user, shared)
        with self._lock:
            self._write(key, val, expires_in_sec)

    def get_value(self, key, generator=None, user=None, expires=False, shared=False, *, use_local_cache=True):
        """Return the cached value, or call ``generator()``, store and return its result."""
        full_key = self.make_key(key, user, shared)
        with self._lock:
            val = self._read(full_key)
        if val is None and generator and not expires:
            val = generator()
            self.set_value(key, val, user=user, shared=shared)
        return val

    def expire_key(self, key, time, *, user=None, shared=False):
        """Make a site key expire in ``time`` seconds."""
        return self.expire(self.make_key(key, user, shared), time)

    def get_all(self, key) -> dict:
        """Every value whose key starts with ``key``, by full key."""
        return {k: self.get_value(k, shared=True) for k in self.get_keys(key)}

    def get_keys(self, key) -> list:
        """Full keys of the site starting with ``key``."""
        return self.keys(self.make_key(key + "*"))

    def delete_keys(self, key) -> None:
        """Delete every site key starting with ``key``."""
        self.delete_value(self.get_keys(key), make_keys=False)

    def delete_key(self, *args, **kwargs) -> None:
        """Alias of :meth:`delete_value`."""
        self.delete_value(*args, **kwargs)

    def delete_value(self, keys, user=None, make_keys=True, shared=False) -> None:
        """Delete one key or a list of keys (site keys unless ``make_keys=False``)."""
        if not keys:
            return
        if not isinstance(keys, (list, tuple)):
            keys = (keys,)
        if make_keys:
            keys = [self.make_key(k, user=user, shared=shared) for k in keys]
        self.delete(*keys)

    def exists(self, *names, user=None, shared=None) -> int:
        """How many of the site keys ``names`` exist."""
        keys = [self.make_key(n, user=user, shared=shared) for n in names]
        with self._lock:
            return sum(1 for k in keys if self._alive(k))

    # lists (site keys; members stored as bytes, like Redis)

    def lpush(self, key, *values):
        """Push onto the head of a site list; returns the new length."""
        with self._lock:
            lst = self._container(self.make_key(key), list)
            for v in values:
                lst.insert(0, _to_bytes(v))
            return len(lst)

    def rpush(self, key, *values):
        """Push onto the tail of a site list; returns the new length."""
        with self._lock:
            lst = self._container(self.make_key(key), list)
            lst.extend(_to_bytes(v) for v in values)
            return len(lst)

    def lpop(self, key):
        """Pop from the head of a site list (None when empty)."""
        with self._lock:
            lst = self._read(self.make_key(key))
            return lst.pop(0) if lst else None

    def rpop(self, key):
        """Pop from the tail of a site list (None when empty)."""
        with self._lock:
            lst = self._read(self.make_key(key))
            return lst.pop() if lst else None

    def llen(self, key) -> int:
        """Length of a site list."""
        with self._lock:
            return len(self._read(self.make_key(key)) or ())

    def lrange(self, key, start, stop) -> list:
        """Items ``start``..``stop`` (inclusive, negative from the end) of a site list."""
        with self._lock:
            lst = list(self._read(self.make_key(key)) or ())
        return lst[start:] if stop == -1 else lst[start : stop + 1]

    def ltrim(self, key, start, stop) -> bool:
        """Keep only items ``start``..``stop`` of a site list."""
        full = self.make_key(key)
        with self._lock:
            lst = self._read(full)
            if lst is not None:
                lst[:] = lst[start:] if stop == -1 else lst[start : stop + 1]
        return True

    # hashes (site keys; values kept as Python objects, as hset/hget pickle them on Redis)

    def hset(self, name, key, value, shared=False, *args, **kwargs):
        """Set field ``key`` of the site hash ``name``."""
        if key is None:
            return
        with self._lock:
            self._container(self.make_key(name, shared=shared), dict)[key] = value

    def hget(self, name, key, generator=None, shared=False):
        """Field ``key`` of the site hash ``name``; ``generator()`` fills a missing field."""
        if not key:
            return None
        with self._lock:
            value = (self._read(self.make_key(name, shared=shared)) or {}).get(key)
        if value is None and generator:
            value = generator()
            self.hset(name, key, value, shared=shared)
        return value

    def hgetall(self, name) -> dict:
        """A copy of every field of the site hash ``name``."""
        with self._lock:
            return dict(self._read(self.make_key(name)) or {})

    def hexists(self, name, key, shared=False) -> bool:
        """True when the site hash ``name`` has field ``key``."""
        if key is None:
            return False
        with self._lock:
            return key in (self._read(self.make_key(name, shared=shared)) or {})

    def hkeys(self, name) -> list:
        """Field names of the site hash ``name``."""
        with self._lock:
            return list(self._read(self.make_key(name)) or {})

    def hdel(self, name, keys, shared=False, pipeline=None):
        """Delete one field or a list of fields of the site hash ``name``."""
        if not isinstance(keys, (list, tuple)):
            keys = [keys]
        with self._lock:
            mapping = self._read(self.make_key(name, shared=shared))
            if mapping:
                for k in keys:
                    mapping.pop(k, None)

    def hdel_names(self, names, key) -> None:
        """Delete field ``key`` from each site hash in ``names``."""
        for name in names:
            self.hdel(name, key)

    def hdel_keys(self, name_starts_with, key) -> None:
        """Delete field ``key`` from every site hash whose name starts with ``name_starts_with``."""
        for full_name in self.get_keys(name_starts_with):
            with self._lock:
                mapping = self._read(full_name)
                if isinstance(mapping, dict):
                    mapping.pop(key, None)

    # sets (site keys; members stored as bytes)

    def sadd(self, name, *values) -> int:
        """Add members to the site set ``name``; returns how many were new."""
        with self._lock:
            members = self._container(self.make_key(name), set)
            before = len(members)
            members.update(_to_bytes(v) for v in values)
            return len(members) - before

    def srem(self, name, *values) -> int:
        """Remove members from the site set ``name``; returns how many were there."""
        with self._lock:
            members = self._read(self.make_key(name)) or set()
            removed = 0
            for v in values:
                b = _to_bytes(v)
                if b in members:
                    members.discard(b)
                    removed += 1
            return removed

    def sismember(self, name, value) -> bool:
        """True when ``value`` is in the site set ``name``."""
        with self._lock:
            return _to_bytes(value) in (self._read(self.make_key(name)) or set())

    def spop(self, name):
        """Remove and return a member of the site set ``name``."""
        with self._lock:
            members = self._read(self.make_key(name))
            return members.pop() if members else None

    def srandmember(self, name, count=None):
        """A member of the site set ``name``."""
        with self._lock:
            members = list(self._read(self.make_key(name)) or ())
        if count is None:
            return members[0] if members else None
        return members[:count]

    def smembers(self, name) -> set:
        """Every member of the site set ``name``."""
        with self._lock:
            return set(self._read(self.make_key(name)) or ())

    # --------------------------------------------------------------- raw Redis commands
    # These take full keys (from make_key), like redis-py's own methods.

    def get(self, name):
        """Raw GET: the bytes stored under ``name`` (or the object stored by ``set_value``)."""
        with self._lock:
            return self._read(name)

    def set(self, name, value, ex=None, px=None, nx=False, xx=False, keepttl=False, **kwargs):
        """Raw SET with EX/PX/NX/XX; returns True, or None when NX/XX prevented the write."""
        with self._lock:
            exists = self._alive(name)
            if (nx and exists) or (xx and not exists):
                return None
            ttl = ex if ex is not None else (px / 1000.0 if px is not None else None)
            if keepttl and exists and ttl is None:
                deadline = self._expiry.get(name)
                self._data[name] = _to_bytes(value)
                if deadline is not None:
                    self._expiry[name] = deadline
                return True
            self._write(name, _to_bytes(value), ttl)
            return True

    def setex(self, name, time, value):
        """Raw SETEX."""
        return self.set(name, value, ex=time)

    def setnx(self, name, value) -> bool:
        """Raw SETNX."""
        return bool(self.set(name, value, nx=True))

    def getset(self, name, value):
        """Raw GETSET."""
        with self._lock:
            old = self._read(name)
            self._write(name, _to_bytes(value))
            return old

    def mget(self, keys, *args):
        """Raw MGET."""
        keys = list(keys) if isinstance(keys, (list, tuple)) else [keys]
        keys.extend(args)
        with self._lock:
            return [self._read(k) for k in keys]

    def incrby(self, name, amount=1) -> int:
        """Raw INCRBY (a missing key counts as 0; the TTL is kept)."""
        with self._lock:
            current = self._read(name)
            try:
                number = int(current) if current is not None else 0
            except (TypeError, ValueError):
                raise redis.exceptions.ResponseError("value is not an integer or out of range") from None
            number += int(amount)
            deadline = self._expiry.get(name)
            self._data[name] = str(number).encode()
            if deadline is not None:
                self._expiry[name] = deadline
            return number

    def incr(self, name, amount=1) -> int:
        """Raw INCR."""
        return self.incrby(name, amount)

    def decrby(self, name, amount=1) -> int:
        """Raw DECRBY."""
        return self.incrby(name, -int(amount))

    def decr(self, name, amount=1) -> int:
        """Raw DECR."""
        return self.incrby(name, -int(amount))

    def incrbyfloat(self, name, amount=1.0) -> float:
        """Raw INCRBYFLOAT."""
        with self._lock:
            current = self._read(name)
            number = float(current) if current is not None else 0.0
            number += float(amount)
            deadline = self._expiry.get(name)
            self._data[name] = repr(number).encode()
            if deadline is not None:
                self._expiry[name] = deadline
            return number

    def expire(self, name, time) -> bool:
        """Raw EXPIRE (seconds, int or timedelta); False when the key does not exist."""
        seconds = time.total_seconds() if hasattr(time, "total_seconds") else float(time)
        with self._lock:
            if not self._alive(name):
                return False
            if seconds <= 0:
                self._data.pop(name, None)
                self._expiry.pop(name, None)
            else:
                self._expiry[name] = _clock() + seconds
            return True

    def pexpire(self, name, time) -> bool:
        """Raw PEXPIRE (milliseconds)."""
        ms = time.total_seconds() * 1000 if hasattr(time, "total_seconds") else float(time)
        return self.expire(name, ms / 1000.0)

    def persist(self, name) -> bool:
        """Raw PERSIST."""
        with self._lock:
            return self._alive(name) and self._expiry.pop(name, None) is not None

    def ttl(self, name) -> int:
        """Raw TTL: seconds left, -1 without expiry, -2 when missing."""
        with self._lock:
            if not self._alive(name):
                return -2
            deadline = self._expiry.get(name)
            if deadline is None:
                return -1
            return max(0, round(deadline - _clock()))

    def pttl(self, name) -> int:
        """Raw PTTL (milliseconds)."""
        with self._lock:
            if not self._alive(name):
                return -2
            deadline = self._expiry.get(name)
            if deadline is None:
                return -1
            return max(0, int((deadline - _clock()) * 1000))

    def delete(self, *names) -> int:
        """Raw DEL: how many of ``names`` existed."""
        with self._lock:
            removed = 0
            for name in names:
                if self._alive(name):
                    removed += 1
                self._data.pop(name, None)
                self._expiry.pop(name, None)
            return removed

    unlink = delete

    def keys(self, pattern="*") -> list:
        """Raw KEYS with glob patterns."""
        pattern = _as_text(pattern)
        with self._lock:
            return [k for k in list(self._data) if fnmatch.fnmatchcase(_as_text(k), pattern) and self._alive(k)]

    def scan_iter(self, match=None, count=None, _type=None, **kwargs):
        """Raw SCAN as an iterator."""
        yield from self.keys(match or "*")

    def flushall(self, *args, **kwargs) -> bool:
        """Drop every key of every site."""
        with self._lock:
            self._data.clear()
            self._expiry.clear()
        return True

    flushdb = flushall

    def pipeline(self, transaction=True, shard_hint=None) -> _MemoryPipeline:
        """A pipeline that runs queued commands in order on ``execute()``."""
        return _MemoryPipeline(self)


_memory_cache = MemoryCache()


# ---------------------------------------------------------------------- factory


def _configured_url():
    conf = getattr(frappe.local, "conf", None)
    return conf.get("redis_cache") if conf else None


def get_redis_client(url: str) -> RedisWrapper:
    """The process-wide :class:`RedisWrapper` for ``url`` (one connection pool per URL)."""
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                client = RedisWrapper.from_url(url)
                _clients[url] = client
    return client


def get_cache():
    """The cache for the current site: :class:`RedisWrapper` when ``redis_cache`` is configured,
    else the process's :class:`MemoryCache`. This is what ``frappe.cache`` resolves to."""
    url = _configured_url()
    if url:
        return get_redis_client(url)
    return _memory_cache


def setup_cache():
    """Frappe's name for building the cache client (same as :func:`get_cache`)."""
    return get_cache()


def get_memory_cache() -> MemoryCache:
    """The process's in-memory cache (used when no ``redis_cache`` is configured)."""
    return _memory_cache


class CacheProxy:
    """Stands for ``frappe.cache``: attribute access goes to the current site's backend, and calling
    it returns that backend, so both ``frappe.cache.get_value(k)`` (v15) and
    ``frappe.cache().get_value(k)`` (older apps) work."""

    __slots__ = ()

    def __call__(self):
        return get_cache()

    def __getattr__(self, name):
        return getattr(get_cache(), name)

    def __repr__(self):
        return f"<frappe.cache → {type(get_cache()).__name__}>"


cache_proxy = CacheProxy()

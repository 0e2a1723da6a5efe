"""Idle database connections kept for the next request of this process (issue 17).

Opening a connection is the largest cost of a cheap request on every engine (MariaDB: TCP, handshake
and authentication; PostgreSQL: the same plus a backend process; SQLite: parsing the whole schema on
the first statement). A request therefore puts its connection aside when it ends and the next request
of the process with the same connection parameters takes it back.

What makes that safe is the same for the three engines, so it lives here once:

* a connection is put aside only after the engine's ``reset`` (a rollback) succeeded, so no
  transaction, lock or snapshot of one request reaches the next;
* it is handed out again only after the engine's ``check`` (local state: still open, no transaction)
  passed, and — when it sat idle longer than ``probe_after`` seconds — its ``probe`` (a ping or an
  equally cheap round trip: the server may have closed it); one that fails is closed and the next idle
  one is tried. A connection put aside a moment ago is not pinged: under load that ping was one of
  the few round trips a cached request makes, and a server that restarts closes its connections
  long before a restart completes;
* nothing crosses ``fork()``: a child sees another pid and drops what its parent kept, keeping the
  objects referenced so that neither garbage collection nor a close touches the parent's sockets or
  file locks;
* at most ``per_key`` connections per parameter set and ``total`` in all; beyond that the least
  recently put aside is closed.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable

_pools: "weakref.WeakSet[IdleConnectionPool]" = weakref.WeakSet()


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:
        pass  # a connection that cannot even close is dropped all the same


class IdleConnectionPool:
    """Idle connections of this process, keyed by connection parameters (LIFO per key, LRU eviction).

    ``reset(conn)`` runs when a connection is put aside, ``check(conn)`` before it is reused and
    ``probe(conn)`` before a reuse after more than ``probe_after`` idle seconds; each returns a truthy
    value when the connection may be kept, and an exception counts as a refusal. ``close(conn)`` closes
    a connection that is refused, evicted or dropped by :meth:`close_all`.
    """

    def __init__(self, name: str, *, per_key: int = 4, total: int = 16,
                 reset: Callable | None = None, check: Callable | None = None,
                 probe: Callable | None = None, probe_after: float = 1.0,
                 close: Callable | None = None, getpid: Callable[[], int] = os.getpid,
                 clock: Callable[[], float] = time.monotonic):
        if per_key < 1 or total < 1:
            raise ValueError("an idle-connection pool needs room for at least one connection")
        self.name = name
        self.per_key = per_key
        self.total = total
        self._reset = reset
        self._check = check
        self._probe = probe
        self.probe_after = probe_after
        self._clock = clock
        self._close = close or _close_quietly
        self._getpid = getpid
        self._lock = threading.Lock()
        self._entries: list[tuple[Hashable, object, float]] = []  # (key, conn, when put aside), oldest first
        self._pid = getpid()
        # a forked child's copies of its parent's connections: referenced, never used or closed
        self._inherited: list = []
        _pools.add(self)

    # ------------------------------------------------------------------ public

    def take(self, key: Hashable):
        """The most recently put aside connection for ``key`` that passes the check, or None."""
        while True:
            with self._lock:
                self._forget_parent_connections()
                entry = self._pop_newest(key)
            if entry is None:
                return None
            conn, put_at = entry
            if self._passes(self._check, conn) and (
                    self._clock() - put_at <= self.probe_after or self._passes(self._probe, conn)):
                return conn
            self._close_quietly(conn)  # dead or dirty: try the next one

    def put(self, key: Hashable, conn) -> bool:
        """Keep ``conn`` for a later :meth:`take`; True when kept. The pool owns it either way: a
        connection that fails the reset is closed, as is what the caps push out."""
        if key is None or not self._passes(self._reset, conn):
            self._close_quietly(conn)
            return False
        with self._lock:
            self._forget_parent_connections()
            self._entries.append((key, conn, self._clock()))
            evicted = self._over_caps(key)
        for old in evicted:
            self._close_quietly(old)
        return True

    def discard(self, conn) -> None:
        """Close a connection that must not be kept (the caller's judgement, not the pool's)."""
        self._close_quietly(conn)

    def close_all(self) -> int:
        """Close every connection this process keeps (before forking workers, or to release files).
        Returns how many were closed."""
        with self._lock:
            self._forget_parent_connections()
            conns = [entry[1] for entry in self._entries]
            self._entries.clear()
        for conn in conns:
            self._close_quietly(conn)
        return len(conns)

    def idle_connections(self, key: Hashable | None = None) -> list:
        """The connections kept now by this process (for ``key`` only, when given), oldest first."""
        with self._lock:
            self._forget_parent_connections()
            return [conn for k, conn, _at in self._entries if key is None or k == key]

    def __len__(self) -> int:
        return len(self.idle_connections())

    @property
    def inherited_count(self) -> int:
        """How many connections of a parent process this child holds on to without using them."""
        with self._lock:
            self._forget_parent_connections()
            return len(self._inherited)

    # ------------------------------------------------------------------ internals (lock held)

    def _forget_parent_connections(self) -> None:
        pid = self._getpid()
        if pid != self._pid:
            self._inherited.extend(entry[1] for entry in self._entries)
            self._entries.clear()
            self._pid = pid

    def _pop_newest(self, key):
        for i in range(len(self._entries) - 1, -1, -1):
            if self._entries[i][0] == key:
                _key, conn, put_at = self._entries.pop(i)
                return conn, put_at
        return None

    def _over_caps(self, key) -> list:
        evicted = []
        same_key = [i for i, entry in enumerate(self._entries) if entry[0] == key]
        for i in reversed(same_key[: max(len(same_key) - self.per_key, 0)]):
            evicted.append(self._entries.pop(i)[1])
        while len(self._entries) > self.total:
            evicted.append(self._entries.pop(0)[1])
        return evicted

    # ------------------------------------------------------------------ hooks

    @staticmethod
    def _passes(hook, conn) -> bool:
        if hook is None:
            return True
        try:
            return bool(hook(conn))
        except Exception:
            return False

    def _close_quietly(self, conn) -> None:
        try:
            self._close(conn)
        except Exception:
            pass


def close_all_pools() -> int:
    """Close the idle connections of every pool of this process (all engines); how many were closed."""
    return sum(pool.close_all() for pool in list(_pools))


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork() stays held in the child for ever: take fresh ones, and
    # drop the parent's connections now rather than at the next use.
    for pool in list(_pools):
        pool._lock = threading.Lock()
        pool._forget_parent_connections()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

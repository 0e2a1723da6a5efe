"""The idle-connection pool behind the three engines (issue 17).

First the pool class on its own, with stand-in connections: caps, least-recently-used eviction, a fork
simulated by a pid change, the reset and check hooks. Then, on the engine named by ``MEDGRID_TEST_DB``,
what a request sees: two requests of one process share one connection, a request that fails after a
write leaves nothing to the next, and a connection the server dropped is replaced, not reused.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

import pytest

from frappe.database.pool import IdleConnectionPool, close_all_pools

from tests.forking import answer_in_child

TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")


class StandIn:
    """A connection as the pool sees it: something that can be closed."""

    def __init__(self, name):
        self.name = name
        self.closed = False
        self.resets = 0
        self.checks = 0

    def close(self):
        self.closed = True

    def __repr__(self):
        return f"StandIn({self.name!r})"


def counting_reset(conn):
    conn.resets += 1
    return True


def counting_check(conn):
    conn.checks += 1
    return True


# ---------------------------------------------------------------- the pool class


def test_a_connection_put_aside_is_taken_back_for_its_key_only():
    pool = IdleConnectionPool("t", reset=counting_reset, check=counting_check)
    conn = StandIn("a")
    assert pool.take("site-a") is None
    assert pool.put("site-a", conn) is True
    assert conn.resets == 1
    assert pool.take("site-b") is None
    assert pool.take("site-a") is conn
    assert conn.checks == 1 and not conn.closed
    assert pool.take("site-a") is None  # handed out once


def test_the_newest_connection_of_a_key_is_taken_first():
    pool = IdleConnectionPool("t")
    older, newer = StandIn("older"), StandIn("newer")
    pool.put("k", older)
    pool.put("k", newer)
    assert pool.take("k") is newer
    assert pool.take("k") is older


def test_cap_per_key_closes_the_least_recently_put_aside():
    pool = IdleConnectionPool("t", per_key=2, total=10)
    first, second, third = StandIn(1), StandIn(2), StandIn(3)
    for conn in (first, second, third):
        assert pool.put("k", conn) is True
    assert first.closed
    assert pool.idle_connections("k") == [second, third]
    assert not second.closed and not third.closed


def test_total_cap_evicts_least_recently_used_across_keys():
    pool = IdleConnectionPool("t", per_key=4, total=3)
    a1, b1, a2 = StandIn("a1"), StandIn("b1"), StandIn("a2")
    pool.put("a", a1)
    pool.put("b", b1)
    pool.put("a", a2)
    # a1 is used again: taken and put back, it becomes the most recent; b1 is now the oldest
    assert pool.take("a") is a2
    assert pool.take("a") is a1
    pool.put("a", a2)
    pool.put("a", a1)
    c1 = StandIn("c1")
    pool.put("c", c1)
    assert b1.closed
    assert pool.take("b") is None
    assert pool.idle_connections() == [a2, a1, c1]
    assert len(pool) == 3


def test_failed_reset_closes_instead_of_keeping():
    def refuse(conn):
        conn.resets += 1
        return False

    def explode(conn):
        raise RuntimeError("rollback failed: server gone")

    refusing, exploding = IdleConnectionPool("t", reset=refuse), IdleConnectionPool("t", reset=explode)
    a, b = StandIn("a"), StandIn("b")
    assert refusing.put("k", a) is False
    assert exploding.put("k", b) is False
    assert a.closed and a.resets == 1 and b.closed
    assert refusing.take("k") is None and exploding.take("k") is None


def test_failed_check_discards_and_the_next_idle_one_is_tried():
    dead = set()

    def alive(conn):
        conn.checks += 1
        if conn.name in dead:
            raise ConnectionError("server closed the connection")
        return True

    pool = IdleConnectionPool("t", check=alive)
    healthy, stale_a, stale_b = StandIn("healthy"), StandIn("stale-a"), StandIn("stale-b")
    pool.put("k", healthy)
    pool.put("k", stale_a)
    pool.put("k", stale_b)
    dead.update({"stale-a", "stale-b"})
    assert pool.take("k") is healthy
    assert stale_a.closed and stale_b.closed and not healthy.closed
    assert pool.idle_connections() == []

    pool.put("k", healthy)
    dead.add("healthy")
    assert pool.take("k") is None  # all dead: the caller connects anew
    assert healthy.closed


def test_the_probe_runs_only_after_the_connection_sat_idle():
    now = [1000.0]
    probed: list = []

    def probe(conn):
        probed.append(conn.name)
        return conn.name != "dead"

    pool = IdleConnectionPool("t", check=counting_check, probe=probe, probe_after=1.0, clock=lambda: now[0])
    conn = StandIn("a")
    pool.put("k", conn)
    now[0] += 0.5
    assert pool.take("k") is conn  # put aside a moment ago: checked, not probed
    assert (conn.checks, probed) == (1, [])

    pool.put("k", conn)
    now[0] += 30
    assert pool.take("k") is conn
    assert (conn.checks, probed) == (2, ["a"])

    dead = StandIn("dead")
    pool.put("k", conn)
    pool.put("k", dead)
    now[0] += 30
    assert pool.take("k") is conn  # the dead one failed its probe, was closed, and the next was tried
    assert dead.closed and probed == ["a", "dead", "a"]


def test_a_failed_check_is_not_saved_by_a_fresh_put():
    pool = IdleConnectionPool("t", check=lambda conn: False, probe=lambda conn: True, probe_after=60)
    conn = StandIn("x")
    pool.put("k", conn)
    assert pool.take("k") is None  # the local check always runs
    assert conn.closed


def test_a_check_that_answers_false_discards_too():
    pool = IdleConnectionPool("t", check=lambda conn: False)
    conn = StandIn("x")
    pool.put("k", conn)
    assert pool.take("k") is None
    assert conn.closed


def test_a_none_key_is_never_kept():
    pool = IdleConnectionPool("t")
    conn = StandIn("x")
    assert pool.put(None, conn) is False
    assert conn.closed


def test_fork_drops_the_parents_connections_without_closing_them():
    pid = [1000]
    closed_by_pool = []
    pool = IdleConnectionPool("t", getpid=lambda: pid[0], close=closed_by_pool.append)
    parents = [StandIn("p1"), StandIn("p2")]
    for conn in parents:
        pool.put("k", conn)

    pid[0] = 1001  # what a child of fork() sees
    assert pool.take("k") is None
    assert pool.idle_connections() == []
    assert pool.inherited_count == 2  # still referenced: no finaliser runs on the parent's sockets
    assert pool.close_all() == 0
    assert closed_by_pool == [] and not any(c.closed for c in parents)

    own = StandIn("child")
    pool.put("k", own)
    assert pool.take("k") is own  # the child keeps its own connections as usual


def test_close_all_closes_every_idle_connection():
    pool = IdleConnectionPool("t")
    conns = [StandIn(i) for i in range(3)]
    for i, conn in enumerate(conns):
        pool.put(("k", i % 2), conn)
    assert pool.close_all() == 3
    assert all(c.closed for c in conns)
    assert pool.take(("k", 0)) is None


def test_close_all_pools_reaches_every_pool():
    first, second = IdleConnectionPool("one"), IdleConnectionPool("two")
    a, b = StandIn("a"), StandIn("b")
    first.put("k", a)
    second.put("k", b)
    assert close_all_pools() >= 2
    assert a.closed and b.closed


def test_caps_below_one_are_refused():
    with pytest.raises(ValueError):
        IdleConnectionPool("t", per_key=0)
    with pytest.raises(ValueError):
        IdleConnectionPool("t", total=0)


def test_a_real_fork_leaves_the_child_without_the_parents_connections():
    pool = IdleConnectionPool("t")
    parent_conn = StandIn("parent")
    pool.put("k", parent_conn)
    # the child finds nothing to take, and the parent's connection set aside
    assert answer_in_child(lambda: pool.take("k") is None and pool.inherited_count == 1)
    assert pool.take("k") is parent_conn and not parent_conn.closed  # the parent's is untouched


# ---------------------------------------------------------------- on the test engine

PROBE_MODULE = "runtime_test_app.pool_probe"
PROBE_TABLE = "tabPool Probe"


def engine_module():
    return importlib.import_module(f"frappe.database.{TEST_DB}")


@pytest.fixture(scope="module")
def probe(test_site, sites_path):
    """Guest methods under an installed app that note the connection they ran on."""
    import frappe

    seen: list = []
    module = types.ModuleType(PROBE_MODULE)

    def remember_connection():
        seen.append(frappe.db._conn)
        return "ok"

    def write_then_fail(tag):
        frappe.db.sql(f"insert into `{PROBE_TABLE}` (`name`) values (%s)", (tag,))
        seen.append(frappe.db._conn)
        raise RuntimeError("this request fails after its write")

    def count_rows():
        seen.append(frappe.db._conn)
        return frappe.db.sql(f"select count(*) from `{PROBE_TABLE}`")[0][0]

    for fn in (remember_connection, write_then_fail, count_rows):
        setattr(module, fn.__name__, frappe.whitelist(allow_guest=True)(fn))
    sys.modules[PROBE_MODULE] = module

    def on_site(statement):
        frappe.init(test_site, sites_path=sites_path, force=True)
        try:
            frappe.connect()
            frappe.db.sql(statement)
            frappe.db.commit()
        finally:
            frappe.destroy()

    on_site(f"create table if not exists `{PROBE_TABLE}` (`name` varchar(140) primary key)")
    yield {"site": test_site, "sites_path": sites_path, "seen": seen}
    sys.modules.pop(PROBE_MODULE, None)
    on_site(f"drop table if exists `{PROBE_TABLE}`")


def call(probe, method, **params):
    from werkzeug.test import Client

    from frappe.app import application

    os.environ["MEDGRID_SITES_PATH"] = probe["sites_path"]
    response = Client(application, use_cookies=False).get(
        f"/api/method/{PROBE_MODULE}.{method}", query_string=params, headers=[("Host", f"{probe['site']}:8000")])
    try:
        return response.status_code, response.get_json(silent=True)
    finally:
        response.close()  # the end of the request: frappe.destroy puts the connection aside


def test_two_requests_in_one_process_share_one_connection(probe):
    engine_module().close_idle_connections()
    probe["seen"].clear()
    assert call(probe, "remember_connection") == (200, {"message": "ok"})
    assert call(probe, "remember_connection") == (200, {"message": "ok"})
    first, second = probe["seen"]
    assert first is second
    assert engine_module().idle_pool.idle_connections() == [first]  # kept between requests, once


def test_a_request_that_fails_after_a_write_leaves_nothing_to_the_next(probe):
    engine_module().close_idle_connections()
    probe["seen"].clear()
    # a GET is not rolled back by the request handler: only putting the connection aside does it
    status, _body = call(probe, "write_then_fail", tag="never-committed")
    assert status >= 500
    status, body = call(probe, "count_rows")
    assert (status, body) == (200, {"message": 0})
    failed_on, next_on = probe["seen"]
    assert next_on is failed_on  # the same connection, and nothing of the failed request on it

    # nor does another connection of the site see the row (it never got committed)
    import frappe

    frappe.init(probe["site"], sites_path=probe["sites_path"], force=True)
    try:
        conf = dict(frappe.local.conf)
        engine = engine_module()
        fresh_class = {"sqlite": "SQLiteDatabase", "mariadb": "MariaDBDatabase", "postgres": "PostgresDatabase"}
        engine.close_idle_connections()
        other = getattr(engine, fresh_class[TEST_DB])(conf)
        try:
            assert other.sql(f"select count(*) from `{PROBE_TABLE}`")[0][0] == 0
        finally:
            other.close()
    finally:
        frappe.destroy()


def test_kept_connection_carries_no_transaction(site):
    import frappe

    table = "tabPool Probe Tx"
    db_class = type(frappe.local.db)
    engine_module().close_idle_connections()
    db = db_class(frappe.local.conf)
    db.sql(f"create table if not exists `{table}` (`name` varchar(140) primary key)")
    db.commit()
    db.sql(f"insert into `{table}` (`name`) values ('uncommitted')")
    conn = db._conn
    db.close()  # a request that ended without commit or rollback

    again = db_class(frappe.local.conf)
    try:
        assert again._conn is conn
        assert again.sql(f"select count(*) from `{table}`")[0][0] == 0
        again.sql(f"drop table `{table}`")
        again.commit()
    finally:
        again.close()


@pytest.mark.skipif(TEST_DB != "postgres", reason="PostgreSQL's failed-transaction state")
def test_postgres_connection_in_a_failed_transaction_is_never_reused(site):
    import frappe
    from frappe.database import postgres

    postgres.close_idle_connections()
    db = postgres.PostgresDatabase(frappe.local.conf)
    with pytest.raises(db.ProgrammingError):
        db.sql("select * from `tabNo Such Table For Pool`")
    failed = db._conn
    db.close()
    assert failed.closed
    assert postgres.idle_pool.idle_connections() == []

    again = postgres.PostgresDatabase(frappe.local.conf)
    try:
        assert again._conn is not failed
        assert again.sql("select 1") == ((1,),)
    finally:
        again.close()


@pytest.mark.skipif(TEST_DB == "sqlite", reason="a server that drops the connection")
def test_a_connection_the_server_dropped_is_replaced(site, monkeypatch):
    import frappe

    db_class = type(frappe.local.db)
    engine_module().close_idle_connections()
    # as after a pause: the connection is probed before it is handed out again
    monkeypatch.setattr(engine_module().idle_pool, "probe_after", 0.0)
    db = db_class(frappe.local.conf)
    db.sql("select 1")
    victim = db._conn
    victim_id = victim.info.backend_pid if TEST_DB == "postgres" else victim.thread_id()
    db.close()
    assert engine_module().idle_pool.idle_connections() == [victim]

    if TEST_DB == "postgres":
        frappe.db.sql("select pg_terminate_backend(%s)", (victim_id,))
    else:
        frappe.db.sql(f"kill connection {int(victim_id)}")
    frappe.db.commit()

    replacement = db_class(frappe.local.conf)
    try:
        assert replacement._conn is not victim
        assert replacement.sql("select 1") == ((1,),)
    finally:
        replacement.close()


@pytest.mark.skipif(TEST_DB != "postgres", reason="PostgreSQL's server-side prepared statements")
def test_a_kept_postgres_connection_follows_a_table_altered_elsewhere(site):
    """A statement prepared on a kept connection would fail once another connection adds a column
    ("cached plan must not change result type"); kept connections therefore prepare nothing."""
    import frappe
    from frappe.database import postgres

    table = "tabPool Probe Plan"
    frappe.db.sql(f"create table if not exists `{table}` (`name` varchar(140) primary key)")
    frappe.db.sql(f"insert into `{table}` (`name`) values ('one')")
    frappe.db.commit()
    try:
        postgres.close_idle_connections()
        db = postgres.PostgresDatabase(frappe.local.conf)
        for _ in range(8):  # more than psycopg's default threshold for preparing a statement
            assert db.sql(f"select * from `{table}` where `name` = %s", ("one",)) == (("one",),)
        db.commit()  # a request that commits: nothing left to roll back, which would drop prepared statements
        kept = db._conn
        db.close()

        frappe.db.sql(f"alter table `{table}` add column `extra` int")
        frappe.db.commit()

        again = postgres.PostgresDatabase(frappe.local.conf)
        try:
            assert again._conn is kept
            assert again.sql(f"select * from `{table}` where `name` = %s", ("one",)) == (("one", None),)
        finally:
            again.close()
    finally:
        frappe.db.sql(f"drop table if exists `{table}`")
        frappe.db.commit()


@pytest.mark.skipif(TEST_DB != "mariadb", reason="MariaDB's rollback and ping commands")
def test_a_mariadb_connection_whose_request_ended_its_transaction_is_kept_without_more_round_trips(site, monkeypatch):
    import frappe
    from frappe.database import mariadb

    mariadb.close_idle_connections()
    db = mariadb.MariaDBDatabase(frappe.local.conf)
    db.sql("select 1")
    conn = db._conn
    sent: list = []
    for command in ("rollback", "ping"):
        original = getattr(conn, command)
        monkeypatch.setattr(conn, command, lambda *a, _c=command, _o=original, **k: (sent.append(_c), _o(*a, **k))[1])
    assert conn.transaction_open
    db.rollback()  # the request handler ends the transaction …
    assert sent == ["rollback"] and not conn.transaction_open
    db.close()  # … so putting the connection aside sends nothing more
    again = mariadb.MariaDBDatabase(frappe.local.conf)
    try:
        assert again._conn is conn
        assert sent == ["rollback"]  # and it comes back without a ping: it was put aside just now
        again.sql("select 1")
        assert conn.transaction_open
    finally:
        again.close()
    assert sent == ["rollback", "rollback"]  # a request that did not end its transaction: rolled back here


@pytest.mark.skipif(TEST_DB != "mariadb", reason="MariaDB's COMMIT and ROLLBACK commands")
def test_a_mariadb_commit_or_rollback_with_nothing_since_the_last_sends_nothing(site, monkeypatch):
    """A webhook commits its stored event, then the request's end commits again: the second is no round trip."""
    import frappe
    from frappe.database import mariadb

    db = mariadb.MariaDBDatabase(frappe.local.conf)
    conn, sent = db._conn, []
    original = conn._execute_command
    monkeypatch.setattr(conn, "_execute_command", lambda command, sql: (sent.append(sql), original(command, sql))[1])
    try:
        db.sql("select 1")
        db.commit()
        db.commit()
        db.rollback()
        assert [s for s in sent if s in ("COMMIT", "ROLLBACK")] == ["COMMIT"]
        db.sql("select 1")
        db.rollback()
        db.commit()
        assert [s for s in sent if s in ("COMMIT", "ROLLBACK")] == ["COMMIT", "ROLLBACK"]
    finally:
        db.close()

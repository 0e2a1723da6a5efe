"""Connections kept for the next request of a process (issue 17): reused only when that is safe."""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.forking import answer_in_child

TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")


@pytest.fixture()
def sqlite_file_site(tmp_path):
    """A frappe context whose SQLite database is a file of the test's own (no site needed)."""
    import frappe

    frappe.init("reuse.localhost", sites_path=str(tmp_path), new_site=True, force=True)
    frappe.local.site_path = str(tmp_path)
    yield tmp_path
    frappe.destroy()


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite's kept connections")
def test_sqlite_reuses_a_connection_but_never_for_a_replaced_file(sqlite_file_site):
    from frappe.database.sqlite import SQLiteDatabase, close_idle_connections

    close_idle_connections()
    conf = {"db_type": "sqlite", "db_name": "reuse"}
    first = SQLiteDatabase(conf)
    first.sql("create table `tabProbe` (`value` text)")
    first.sql("insert into `tabProbe` values ('old file')")
    first.commit()
    kept = first._conn
    first.close()

    second = SQLiteDatabase(conf)
    assert second._conn is kept  # the same connection, no new schema parse
    assert second.sql("select `value` from `tabProbe`") == (("old file",),)
    second.close()

    # a restore puts a new file in place (os.replace): the kept connection must not answer for it
    path = os.path.join(str(sqlite_file_site), "reuse.sqlite3")
    replacement = path + ".new"
    conn = sqlite3.connect(replacement)
    conn.execute("create table `tabProbe` (`value` text)")
    conn.execute("insert into `tabProbe` values ('new file')")
    conn.commit()
    conn.close()
    for suffix in ("-wal", "-shm"):  # as frappe.utils.backups does before swapping the file in
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.replace(replacement, path)

    third = SQLiteDatabase(conf)
    assert third._conn is not kept
    assert third.sql("select `value` from `tabProbe`") == (("new file",),)
    third.close()
    close_idle_connections()


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite's kept connections")
def test_sqlite_kept_connection_carries_no_transaction(sqlite_file_site):
    from frappe.database.sqlite import SQLiteDatabase, close_idle_connections

    close_idle_connections()
    conf = {"db_type": "sqlite", "db_name": "reuse_tx"}
    db = SQLiteDatabase(conf)
    db.sql("create table `tabProbe` (`value` text)")
    db.commit()
    db.sql("insert into `tabProbe` values ('never committed')")
    db.close()  # a request that ended without commit

    again = SQLiteDatabase(conf)
    assert again.sql("select count(*) from `tabProbe`") == ((0,),)
    assert not again._conn.in_transaction
    again.close()
    close_idle_connections()


def test_kept_connections_are_not_used_in_a_forked_child(site):
    """A forked work-horse must not touch its parent's kept connections (sockets, file locks)."""
    import importlib

    import frappe

    engine = importlib.import_module(f"frappe.database.{TEST_DB}")
    frappe.db.sql("select 1")
    frappe.db.commit()
    parent_conn = frappe.db._conn
    frappe.db.close()  # kept for this process
    # in the child the parent's connection is not on offer, and it was set aside
    assert answer_in_child(lambda: not any(c is parent_conn for c in engine.idle_pool.idle_connections())
                           and engine.idle_pool.inherited_count != 0)
    frappe.connect()  # the fixture's teardown rolls back on a connection


@pytest.mark.skipif(TEST_DB != "mariadb", reason="MariaDB's kept connections")
def test_mariadb_kept_connection_holds_no_locks(site):
    """A connection put aside after a read must not block DDL elsewhere (it is rolled back first)."""
    import frappe
    from frappe.database.mariadb import MariaDBDatabase

    frappe.db.sql("create table if not exists `tabReuse Probe` (`name` varchar(140) primary key)")
    frappe.db.commit()
    try:
        reader = MariaDBDatabase(frappe.local.conf)
        reader.sql("select count(*) from `tabReuse Probe`")  # opens a transaction: a metadata lock
        reader.close()  # kept for reuse, rolled back
        frappe.db.sql("set session lock_wait_timeout = 5")
        frappe.db.sql("alter table `tabReuse Probe` add column `probe` int")  # would wait on the lock
    finally:
        from frappe.database.mariadb import close_idle_connections

        close_idle_connections()  # had one kept its lock, nothing else here would wait on it
        frappe.db.sql("drop table if exists `tabReuse Probe`")
        frappe.db.sql("set session lock_wait_timeout = 31536000")

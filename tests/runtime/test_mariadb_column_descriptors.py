"""MariaDB: column descriptors parsed once per process give the results PyMySQL's own parse gives."""

from __future__ import annotations

import pymysql
import pytest


@pytest.fixture()
def mariadb(site):
    import frappe

    if frappe.db.db_type != "mariadb":
        pytest.skip("PyMySQL's column descriptors are MariaDB's")
    return frappe


def plain_connection(frappe):
    """A PyMySQL connection of its own class: every descriptor parsed as PyMySQL does."""
    conf = frappe.local.conf
    return pymysql.connect(host=conf.get("db_host") or "127.0.0.1", port=int(conf.get("db_port") or 3306),
                           user=conf.get("db_user") or conf.get("db_name"), password=conf.get("db_password") or "",
                           database=conf.get("db_name"), charset="utf8mb4")


def described(cursor, sql):
    cursor.execute(sql)
    return cursor.description, cursor.fetchall()


QUERIES = ["select * from `tabUser` order by `name`",
           "select `name` as `n`, `creation`, `enabled` + 1 as `e`, null as `nothing` from `tabUser` order by `name`",
           "select count(*), max(`modified`) from `tabRole`"]


def test_results_and_descriptions_are_pymysqls(mariadb):
    from frappe.database import mariadb as engine

    plain = plain_connection(mariadb)
    try:
        for sql in QUERIES:
            ours = mariadb.db._conn.cursor()
            first = described(ours, sql)
            again = described(ours, sql)  # every descriptor from the cache now
            theirs = described(plain.cursor(), sql)
            assert first == again
            assert first[0] == theirs[0]
            assert [tuple(map(str, row)) for row in first[1]] == [tuple(map(str, row)) for row in theirs[1]]
        assert engine._DESCRIPTORS
    finally:
        plain.close()


def test_a_repeated_result_takes_its_descriptors_from_the_cache(mariadb):
    conn = mariadb.db._conn
    conn.query("select `name`, `enabled` from `tabUser` limit 1")
    first = conn._result.fields
    conn.query("select `name`, `enabled` from `tabUser` limit 1")
    assert all(a is b for a, b in zip(first, conn._result.fields))
    conn.query("select `name` as `other`, `enabled` from `tabUser` limit 1")
    assert conn._result.fields[0] is not first[0] and conn._result.fields[0].name == "other"


def test_a_changed_column_reads_with_its_new_type(mariadb):
    db = mariadb.db
    db.sql("drop table if exists `descriptor_probe`")
    try:
        db.sql("create table `descriptor_probe` (`v` int)")
        db.sql("insert into `descriptor_probe` values (7)")
        assert db.sql("select `v` from `descriptor_probe`") == ((7,),)
        db.sql("alter table `descriptor_probe` modify `v` varchar(10)")
        assert db.sql("select `v` from `descriptor_probe`") == (("7",),)
        db.sql("alter table `descriptor_probe` modify `v` decimal(10,2)")
        assert db.sql("select `v` from `descriptor_probe`") == ((7.0,),)
    finally:
        db.sql("drop table if exists `descriptor_probe`")


def test_the_cache_is_bounded(mariadb, monkeypatch):
    from frappe.database import mariadb as engine

    monkeypatch.setattr(engine, "_DESCRIPTORS_KEPT", 3)
    conn = mariadb.db._conn
    for n in range(5):
        conn.query(f"select 1 as `c{n}`, 2 as `d{n}`")
        assert len(engine._DESCRIPTORS) <= 3
        assert [f.name for f in conn._result.fields] == [f"c{n}", f"d{n}"]

"""``frappe.db.bulk_insert`` (Frappe's signature): many rows in multi-row INSERTs, in the caller's transaction."""

from __future__ import annotations

import pytest

from tests.statement_log import StatementLog, drivers_logging_to

FIELDS = ["name", "role_name", "desk_access", "creation", "modified"]


@pytest.fixture()
def log(site):
    """Statements counted from here on (SQLite reports through a trace set when it connects: reconnect)."""
    import frappe

    with drivers_logging_to(StatementLog()) as statements:
        frappe.db.close()
        frappe.connect()
        yield statements
        if frappe.db.db_type == "sqlite":
            frappe.db._conn.set_trace_callback(None)


def rows(prefix: str, count: int) -> list[tuple]:
    return [(f"{prefix}-{n:04d}", f"{prefix} {n}", n % 2, "2026-12-07 10:00:00", "2026-12-07 10:00:00")
            for n in range(count)]


def stored(frappe, prefix: str) -> list[tuple]:
    return [tuple(r) for r in frappe.db.sql("select `name`, `role_name`, `desk_access` from `tabRole` "
                                            "where `name` like %s order by `name`", (prefix + "-%",))]


def test_rows_are_written_in_statements_under_the_bound_value_limit(log):
    import frappe

    with log.counting():
        frappe.db.bulk_insert("Role", FIELDS, rows("BulkA", 400))
    inserts = log.matching(r"^insert into `tabRole`")
    # 900 bound values per statement at most: 180 rows of 5 fields
    assert len(inserts) == 3
    assert stored(frappe, "BulkA") == [row[:3] for row in rows("BulkA", 400)]
    frappe.db.rollback()
    assert stored(frappe, "BulkA") == []  # nothing committed by the insert itself


def test_chunk_size_bounds_rows_per_statement(log):
    import frappe

    with log.counting():
        frappe.db.bulk_insert("Role", FIELDS, iter(rows("BulkB", 7)), chunk_size=3)
    assert len(log.matching(r"^insert into `tabRole`")) == 3
    assert len(stored(frappe, "BulkB")) == 7


def test_duplicates_fail_unless_ignored(site):
    import frappe

    frappe.db.bulk_insert("Role", FIELDS, rows("BulkC", 3))
    with pytest.raises(Exception):
        frappe.db.bulk_insert("Role", FIELDS, rows("BulkC", 4))
    frappe.db.rollback()
    frappe.db.bulk_insert("Role", FIELDS, rows("BulkC", 3))
    frappe.db.bulk_insert("Role", FIELDS, rows("BulkC", 5), ignore_duplicates=True)
    assert len(stored(frappe, "BulkC")) == 5


def test_nothing_to_insert_sends_nothing(log):
    import frappe

    with log.counting():
        frappe.db.bulk_insert("Role", FIELDS, [])
    assert log.statements == []

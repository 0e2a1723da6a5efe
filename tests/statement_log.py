"""The SQL statements the database drivers send, counted on all three engines (statement budgets).

Counted where each driver sends: PyMySQL's ``Connection.query``, psycopg's ``Cursor.execute`` and SQLite's
trace callback (set when the runtime connects). Transaction control and connection set-up are left out.
"""

from __future__ import annotations

import contextlib
import re

import psycopg
import pymysql.connections
import pytest

UNCOUNTED = ("begin", "commit", "rollback", "savepoint", "release", "pragma", "start transaction", "set ")


class StatementLog:
    """Every statement sent while ``counting()``: whitespace folded, PostgreSQL's quotes read as backticks."""

    def __init__(self):
        self.statements: list[str] = []
        self.active = False

    def add(self, sql) -> None:
        if not self.active:
            return
        text = " ".join((sql.decode() if isinstance(sql, bytes) else str(sql)).split()).replace('"', "`")
        if not text.lower().startswith(UNCOUNTED):
            self.statements.append(text)

    @contextlib.contextmanager
    def counting(self):
        self.statements, self.active = [], True
        try:
            yield self
        finally:
            self.active = False

    def matching(self, pattern: str) -> list[str]:
        return [s for s in self.statements if re.search(pattern, s, re.IGNORECASE)]


@contextlib.contextmanager
def drivers_logging_to(log: StatementLog):
    """Make the three drivers report each statement to ``log`` for the duration."""
    from frappe.database.sqlite import SQLiteDatabase

    patch = pytest.MonkeyPatch()
    mysql_query, pg_execute, sqlite_connect = (pymysql.connections.Connection.query, psycopg.Cursor.execute,
                                               SQLiteDatabase.connect)

    def mysql(conn, sql, unbuffered=False):
        log.add(sql)
        return mysql_query(conn, sql, unbuffered)

    def postgres(cursor, query, params=None, **kwargs):
        log.add(query if isinstance(query, (str, bytes)) else query.as_string(cursor))
        return pg_execute(cursor, query, params, **kwargs)

    def sqlite(db):
        sqlite_connect(db)
        db._conn.set_trace_callback(log.add)

    patch.setattr(pymysql.connections.Connection, "query", mysql)
    patch.setattr(psycopg.Cursor, "execute", postgres)
    patch.setattr(SQLiteDatabase, "connect", sqlite)
    try:
        yield log
    finally:
        patch.undo()

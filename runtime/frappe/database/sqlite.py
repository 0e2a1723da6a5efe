"""SQLite engine: the embedded default (one file per site)."""

from __future__ import annotations

import datetime
import os
import re
import sqlite3
from decimal import Decimal

import frappe
from frappe.database.database import _PLACEHOLDER, Database
from frappe.database.pool import IdleConnectionPool


def _register_types() -> None:
    # Columns are declared with Frappe's MariaDB type names; parse them back into Python types
    # so documents see the same values as on MariaDB.
    sqlite3.register_adapter(datetime.datetime, lambda v: v.isoformat(" "))
    sqlite3.register_adapter(datetime.date, lambda v: v.isoformat())
    sqlite3.register_adapter(datetime.time, lambda v: v.isoformat())
    sqlite3.register_adapter(datetime.timedelta, str)
    sqlite3.register_adapter(Decimal, float)
    sqlite3.register_adapter(bool, int)

    def _date(b):
        s = b.decode()
        try:
            return datetime.date.fromisoformat(s[:10])
        except ValueError:
            return s

    def _datetime(b):
        s = b.decode()
        try:
            return datetime.datetime.fromisoformat(s)
        except ValueError:
            return s

    def _time(b):
        s = b.decode()
        try:
            h, m, rest = (s.split(":") + ["0", "0"])[:3]
            sec = float(rest)
            return datetime.timedelta(hours=int(h), minutes=int(m), seconds=sec)
        except ValueError:
            return s

    sqlite3.register_converter("date", _date)
    sqlite3.register_converter("datetime", _datetime)
    sqlite3.register_converter("time", _time)
    sqlite3.register_converter("decimal", lambda b: float(b))


_register_types()


def _file_key(path: str):
    # the file's path and inode: a restored or recreated database (a new file) is never served by a
    # connection to the old one
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_dev, st.st_ino)


def _put_aside(conn) -> bool:
    if conn.in_transaction:
        conn.rollback()  # nothing of this request's transaction reaches the next one
    return True


def _no_open_transaction(conn) -> bool:
    return not conn.in_transaction  # also raises on a closed connection: then it is not reused


# The first statement of a new SQLite connection parses the whole schema (~1.5 ms of CPU with ERPNext's
# tables), more than a whole cached request costs otherwise.
idle_pool = IdleConnectionPool("sqlite", per_key=4, total=16, reset=_put_aside, check=_no_open_transaction)


def close_idle_connections() -> None:
    """Close every kept connection of this process (before forking workers, or to release files)."""
    idle_pool.close_all()


_FOR_UPDATE = re.compile(r"\s+for\s+update(\s+(skip\s+locked|nowait))?\s*$", re.IGNORECASE)


def _locate(needle, haystack, start=1):
    if needle is None or haystack is None:
        return 0
    return str(haystack).find(str(needle), max(int(start or 1), 1) - 1) + 1


class SQLiteDatabase(Database):
    """SQLite with WAL so web workers, job workers and the scheduler can share one file."""

    db_type = "sqlite"
    returns_decimals = False  # the "decimal" converter reads DECIMAL columns as float
    reads_repeat_under_lock = True
    IntegrityError = sqlite3.IntegrityError
    OperationalError = sqlite3.OperationalError
    ProgrammingError = sqlite3.ProgrammingError

    def connect(self) -> None:
        path = self.get_db_path(self.conf)
        self._file_key = _file_key(path)
        conn = idle_pool.take(self._file_key) if self._file_key else None
        if conn is not None:
            self._conn = conn
            self._tables = None
            return
        # Writes open "BEGIN IMMEDIATE": a deferred transaction that read first and then writes after another
        # connection committed fails at once with "database is locked" (WAL snapshot), without waiting for
        # the busy timeout; taking the write lock up front makes concurrent writers queue instead.
        self._conn = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES, timeout=30, isolation_level="IMMEDIATE",
                                     check_same_thread=False)
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma busy_timeout=30000")
        self._conn.execute("pragma synchronous=normal")
        self._conn.create_function("locate", -1, _locate, deterministic=True)
        self._conn.create_function("concat", -1, lambda *a: "".join("" if x is None else str(x) for x in a),
                                   deterministic=True)
        self._conn.create_function("now", 0, lambda: frappe.utils.now())
        self._conn.create_function("timestamp", -1, lambda *a: " ".join(str(x) for x in a if x))
        self._tables = None
        if self._file_key is None:
            self._file_key = _file_key(path)  # the file was created by this connect

    def close(self) -> None:
        conn, key = self._conn, getattr(self, "_file_key", None)
        if conn is None:
            return
        self._conn = None
        self._cursor = None
        if key is not None and key == _file_key(key[0]):
            idle_pool.put(key, conn)  # rolled back and kept, or closed
        else:
            idle_pool.discard(conn)  # its file was replaced or removed meanwhile

    @staticmethod
    def get_db_path(conf) -> str:
        name = conf.get("db_name") or "site"
        base = frappe.local.site_path if getattr(frappe.local, "site_path", None) else "."
        return os.path.join(base, f"{name}.sqlite3")

    def _translate(self, query: str, values):
        query, locking = _FOR_UPDATE.subn("", query)
        if locking and not self._conn.in_transaction:
            # SQLite has no row locks: a "select … for update" takes the database's write lock instead,
            # so what it reads (a document being saved, its modified/docstatus) cannot change before
            # this transaction commits — the guarantee MariaDB's row lock gives Frappe's save
            self._conn.execute("begin immediate")
        if values is None or values == () or values == [] or values == {}:
            return query, None
        if isinstance(values, dict):
            def repl(m):
                tok = m.group(0)
                return "%" if tok == "%%" else f":{m.group(1)}"
            return _PLACEHOLDER.sub(repl, query), values
        if not isinstance(values, (list, tuple)):
            values = (values,)

        def repl_pos(m):
            tok = m.group(0)
            return "%" if tok == "%%" else "?"
        return _PLACEHOLDER.sub(repl_pos, query), tuple(values)

    def commit(self) -> None:
        self.before_commit.run()
        self._conn.commit()
        self.transaction_writes = 0
        self._end_of_transaction()
        self.before_rollback.reset()
        self.after_rollback.reset()
        self.after_commit.run()

    def savepoint(self, save_point: str) -> None:
        # SQLite savepoints outside a transaction would start one in autocommit mode; begin first
        if not self._conn.in_transaction:
            self._conn.execute("begin immediate")
        self._conn.execute(f"savepoint {save_point}")

    def get_tables(self, cached=True) -> list[str]:
        def read():
            return [r[0] for r in self._conn.execute("select name from sqlite_master where type='table'").fetchall()]

        return self._shared_table_list(read, cached)

    def get_db_table_columns(self, table: str) -> list[str]:
        return [r[1] for r in self._conn.execute(f'pragma table_info("{table}")').fetchall()]

    def physical_index_name(self, table: str, index_name: str) -> str:
        return index_name if index_name.startswith(table) else f"{table}_{index_name}"[:63]

    def has_index(self, table_name: str, index_name: str) -> bool:
        rows = self._conn.execute("select 1 from sqlite_master where type='index' and name=? and tbl_name=?",
                                  (index_name, table_name)).fetchall()
        return bool(rows)

    def is_table_missing(self, e) -> bool:
        return isinstance(e, sqlite3.OperationalError) and "no such table" in str(e)

    def is_missing_column(self, e) -> bool:
        return isinstance(e, sqlite3.OperationalError) and "no such column" in str(e)

    def is_duplicate_entry(self, e) -> bool:
        return isinstance(e, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(e)

    def is_primary_key_violation(self, e) -> bool:
        return self.is_duplicate_entry(e) and str(e).rstrip().endswith(".name")

    def is_deadlocked(self, e) -> bool:
        return isinstance(e, sqlite3.OperationalError) and "database is locked" in str(e)

    def get_unique_violation_column(self, e) -> str | None:
        m = re.search(r"UNIQUE constraint failed: ([^\s,]+)", str(e))
        return m.group(1).split(".")[-1] if m else None

"""PostgreSQL engine over psycopg 3; MariaDB-flavoured SQL is rewritten on the way in."""

from __future__ import annotations

import re

import psycopg
from psycopg import errors
from psycopg.pq import ExecStatus, TransactionStatus

from frappe.database.database import Database
from frappe.database.pool import IdleConnectionPool

_BACKTICK = re.compile(r"`([^`]*)`")
_IFNULL = re.compile(r"\bifnull\(", re.IGNORECASE)
_LOCATE = re.compile(r"\blocate\(", re.IGNORECASE)
_LIMIT_COMMA = re.compile(r"\blimit\s+(\d+)\s*,\s*(\d+)", re.IGNORECASE)


def _put_aside(conn) -> bool:
    if conn.closed or conn.broken:
        return False
    status = conn.info.transaction_status
    if status == TransactionStatus.INTRANS:
        conn.rollback()  # nothing of this request's transaction reaches the next one
    elif status != TransactionStatus.IDLE:
        return False  # a failed transaction, a command still running or a lost link: not worth trusting
    return conn.info.transaction_status == TransactionStatus.IDLE


def _still_idle(conn) -> bool:
    return not (conn.closed or conn.broken) and conn.info.transaction_status == TransactionStatus.IDLE


def _still_alive(conn) -> bool:
    # An empty query is one round trip that proves the server still serves this backend (restart,
    # idle timeout). Sent below psycopg's cursors on purpose: a cursor would open a transaction first.
    result = conn.pgconn.exec_(b"")
    return result.status == ExecStatus.EMPTY_QUERY and conn.info.transaction_status == TransactionStatus.IDLE


# A new psycopg connection costs a TCP handshake, authentication and a fresh backend process on the
# server; each request used to pay that.
idle_pool = IdleConnectionPool("postgres", per_key=4, total=16, reset=_put_aside, check=_still_idle,
                               probe=_still_alive)


def close_idle_connections() -> None:
    """Close every kept connection of this process (before forking workers, or on shutdown)."""
    idle_pool.close_all()


class PostgresDatabase(Database):
    """PostgreSQL: identifiers double-quoted, ``ifnull`` → ``coalesce``, ``limit a, b`` → offset."""

    db_type = "postgres"
    IntegrityError = psycopg.IntegrityError
    OperationalError = psycopg.OperationalError
    ProgrammingError = psycopg.ProgrammingError

    def connect(self) -> None:
        c = self.conf
        params = {"host": c.get("db_host") or "127.0.0.1", "port": int(c.get("db_port") or 5432),
                  "user": c.get("db_user") or "postgres", "password": c.get("db_password") or None,
                  "dbname": c.get("db_name")}
        self._idle_key = tuple(params.values())
        self._conn = idle_pool.take(self._idle_key)
        if self._conn is None:
            # No automatic server-side prepared statements: a connection now outlives its request, and a
            # statement prepared before another process altered its table (a Custom Field) would fail
            # with "cached plan must not change result type" on a "select *".
            self._conn = psycopg.connect(**params, autocommit=False, prepare_threshold=None)
        self._tables = None

    def close(self) -> None:
        self._release_to(idle_pool, getattr(self, "_idle_key", None))

    def _translate(self, query: str, values):
        query = _BACKTICK.sub(r'"\1"', query)
        query = _IFNULL.sub("coalesce(", query)
        query = _LOCATE.sub("strpos(", query) if "locate(" in query.lower() else query
        query = _LIMIT_COMMA.sub(r"limit \2 offset \1", query)
        if values is None or values == () or values == [] or values == {}:
            return query.replace("%%", "%") if "%%" in query else query, None
        if not isinstance(values, (list, tuple, dict)):
            values = (values,)
        return query, values

    def _raise_for(self, e, query):
        # PostgreSQL aborts the whole transaction on any error; keep going like MariaDB would for
        # callers that catch the error, by rolling back to a clean state only on DDL/introspection.
        pass

    def get_tables(self, cached=True) -> list[str]:
        def read():
            with self._conn.cursor() as cur:
                cur.execute("select table_name from information_schema.tables where table_schema='public'")
                return [r[0] for r in cur.fetchall()]

        return self._shared_table_list(read, cached)

    def get_db_table_columns(self, table: str) -> list[str]:
        with self._conn.cursor() as cur:
            cur.execute("select column_name from information_schema.columns where table_schema='public' "
                        "and table_name=%s order by ordinal_position", (table,))
            return [r[0] for r in cur.fetchall()]

    def physical_index_name(self, table: str, index_name: str) -> str:
        return index_name if index_name.startswith(table) else f"{table}_{index_name}"[:63]

    def has_index(self, table_name: str, index_name: str) -> bool:
        with self._conn.cursor() as cur:
            cur.execute("select 1 from pg_indexes where tablename=%s and indexname=%s", (table_name, index_name))
            return bool(cur.fetchall())

    def is_table_missing(self, e) -> bool:
        return isinstance(e, errors.UndefinedTable)

    def is_missing_column(self, e) -> bool:
        return isinstance(e, errors.UndefinedColumn)

    def is_duplicate_entry(self, e) -> bool:
        return isinstance(e, errors.UniqueViolation)

    def is_primary_key_violation(self, e) -> bool:
        return self.is_duplicate_entry(e) and "_pkey" in str(e)

    def is_deadlocked(self, e) -> bool:
        return isinstance(e, errors.DeadlockDetected)

    def get_unique_violation_column(self, e) -> str | None:
        m = re.search(r"Key \(([^)]+)\)", str(e))
        return m.group(1).split(",")[0].strip('" ') if m else None

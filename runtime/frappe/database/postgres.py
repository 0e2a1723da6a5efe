"""PostgreSQL engine over psycopg 3; MariaDB-flavoured SQL is rewritten on the way in."""

from __future__ import annotations

import re

import psycopg
from psycopg import errors

from frappe.database.database import Database

_BACKTICK = re.compile(r"`([^`]*)`")
_IFNULL = re.compile(r"\bifnull\(", re.IGNORECASE)
_LOCATE = re.compile(r"\blocate\(", re.IGNORECASE)
_LIMIT_COMMA = re.compile(r"\blimit\s+(\d+)\s*,\s*(\d+)", re.IGNORECASE)


class PostgresDatabase(Database):
    """PostgreSQL: identifiers double-quoted, ``ifnull`` → ``coalesce``, ``limit a, b`` → offset."""

    db_type = "postgres"
    IntegrityError = psycopg.IntegrityError
    OperationalError = psycopg.OperationalError
    ProgrammingError = psycopg.ProgrammingError

    def connect(self) -> None:
        c = self.conf
        self._conn = psycopg.connect(
            host=c.get("db_host") or "127.0.0.1",
            port=int(c.get("db_port") or 5432),
            user=c.get("db_user") or "postgres",
            password=c.get("db_password") or None,
            dbname=c.get("db_name"),
            autocommit=False,
        )
        self._tables = None

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

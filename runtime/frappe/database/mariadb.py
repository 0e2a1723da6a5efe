"""MariaDB engine (Frappe's default production database) over PyMySQL."""

from __future__ import annotations

import re

import pymysql
import pymysql.connections
from pymysql.constants import ER, FIELD_TYPE
from pymysql.converters import conversions
from pymysql.protocol import FieldDescriptorPacket, MysqlPacket

from frappe.database.database import Database
from frappe.database.pool import IdleConnectionPool

_CONVERSIONS = dict(conversions)
# Frappe reads DECIMAL columns as float, not Decimal
_CONVERSIONS[FIELD_TYPE.NEWDECIMAL] = float
_CONVERSIONS[FIELD_TYPE.DECIMAL] = float


# Column descriptors, parsed once per process. PyMySQL parses the descriptor packet of every column of every
# result in Python (~10-25 µs each): loading a Sales Order reads ~360 of them, a five-vendor REST submit
# ~500, a fifth of its CPU. A packet names its column completely (schema, table, name, alias, type, length,
# flags, character set), so equal bytes parse to an equal descriptor; an ALTER changes the bytes.
_DESCRIPTORS: dict = {}
_DESCRIPTORS_KEPT = 20_000  # more distinct columns than a site has; past it the cache starts over


class _Connection(pymysql.connections.Connection):
    """A PyMySQL connection that knows whether a transaction may be open: any statement may have opened
    one (autocommit is off); COMMIT and ROLLBACK end it. The server reports this itself, but PyMySQL
    keeps the flag only from OK packets, not after a SELECT, so it cannot be relied on here. It takes
    column descriptors from the process's cache of parsed ones."""

    transaction_open = False

    def _read_packet(self, packet_type=MysqlPacket):
        if packet_type is not FieldDescriptorPacket:
            return super()._read_packet(packet_type)
        key = (super()._read_packet(MysqlPacket).get_all_data(), self.encoding)
        field = _DESCRIPTORS.get(key)
        if field is None:
            if len(_DESCRIPTORS) >= _DESCRIPTORS_KEPT:
                _DESCRIPTORS.clear()
            field = _DESCRIPTORS[key] = FieldDescriptorPacket(*key)
        return field

    def query(self, sql, unbuffered=False):
        self.transaction_open = True
        return super().query(sql, unbuffered)

    # Without a statement since the last COMMIT / ROLLBACK there is nothing to end: no round trip (a webhook
    # commits its event, then the request's end commits again)
    def commit(self):
        if self.transaction_open:
            super().commit()
        self.transaction_open = False

    def rollback(self):
        if self.transaction_open:
            super().rollback()
        self.transaction_open = False


def _put_aside(conn) -> bool:
    # rolled back unless the request already ended its transaction: an open one holds metadata locks (a
    # DROP or ALTER elsewhere would wait on an idle connection) and pins this request's snapshot
    if not conn.open:
        return False
    if conn.transaction_open:
        conn.rollback()
    return True


def _still_open(conn) -> bool:
    return conn.open and not conn.transaction_open


def _still_alive(conn) -> bool:
    conn.ping(reconnect=False)  # the server may have closed it (restart, wait_timeout)
    return True


# pymysql.connect (TCP + handshake + authentication) was the largest CPU item of a cached request
idle_pool = IdleConnectionPool("mariadb", per_key=4, total=16, reset=_put_aside, check=_still_open,
                               probe=_still_alive)


def close_idle_connections() -> None:
    """Close every kept connection of this process (before forking workers, or on shutdown)."""
    idle_pool.close_all()


_LOCKING_READ = re.compile(r"\sfor\s+update(\s+(skip\s+locked|nowait))?\s*$", re.IGNORECASE)


class MariaDBDatabase(Database):
    """MariaDB through PyMySQL with utf8mb4 and manual transactions."""

    db_type = "mariadb"
    returns_decimals = False  # _CONVERSIONS reads DECIMAL as float
    reads_repeat_under_lock = True
    IntegrityError = pymysql.err.IntegrityError
    OperationalError = pymysql.err.OperationalError
    ProgrammingError = pymysql.err.ProgrammingError

    def connect(self) -> None:
        c = self.conf
        self._idle_key = (c.get("db_host") or "127.0.0.1", int(c.get("db_port") or 3306),
                          c.get("db_user") or c.get("db_name"), c.get("db_password") or "", c.get("db_name"),
                          bool(c.get("db_ssl")))
        conn = idle_pool.take(self._idle_key)
        if conn is not None:
            self._conn = conn
            self._tables = None
            self._holds_row_locks = False
            return
        self._conn = _Connection(
            host=c.get("db_host") or "127.0.0.1",
            port=int(c.get("db_port") or 3306),
            user=c.get("db_user") or c.get("db_name"),
            password=c.get("db_password") or "",
            database=c.get("db_name"),
            charset="utf8mb4",
            use_unicode=True,
            autocommit=False,
            conv=_CONVERSIONS,
            local_infile=False,
            # Frappe connects without TLS unless the site configures it; PyMySQL would otherwise build
            # an SSL context on every connect (~16 ms of CPU per request)
            ssl_disabled=not c.get("db_ssl"),
        )
        self._tables = None
        self._holds_row_locks = False

    def close(self) -> None:
        self._release_to(idle_pool, getattr(self, "_idle_key", None))

    def commit(self) -> None:
        self._holds_row_locks = False
        super().commit()

    def rollback(self, *, save_point=None, chain=False) -> None:
        if not save_point:
            self._holds_row_locks = False
        super().rollback(save_point=save_point, chain=chain)

    def _translate(self, query: str, values):
        if _LOCKING_READ.search(query):
            if not self.transaction_writes and not self._holds_row_locks:
                # InnoDB's repeatable-read snapshot dates from the transaction's first plain read (here
                # the request's session/auth lookups); a document loaded "for update" would then be
                # checked (update-after-submit, before-save copy) against that older snapshot. Nothing
                # is written or locked yet, so end it: plain reads after the lock see what it protects.
                self._conn.commit()
                self._transaction_ended()
            self._holds_row_locks = True
        if values is None or values == () or values == [] or values == {}:
            return query, None
        if not isinstance(values, (list, tuple, dict)):
            values = (values,)
        return query, values

    def savepoint(self, save_point: str) -> None:
        # a savepoint pins the transaction as a lock does: ending it early would drop the savepoint
        self._holds_row_locks = True
        super().savepoint(save_point)

    def get_tables(self, cached=True) -> list[str]:
        def read():
            with self._conn.cursor() as cur:
                cur.execute("select table_name from information_schema.tables where table_schema=database()")
                return [r[0] for r in cur.fetchall()]

        return self._shared_table_list(read, cached)

    def get_db_table_columns(self, table: str) -> list[str]:
        with self._conn.cursor() as cur:
            cur.execute("select column_name from information_schema.columns where table_schema=database() "
                        "and table_name=%s order by ordinal_position", (table,))
            return [r[0] for r in cur.fetchall()]

    def has_index(self, table_name: str, index_name: str) -> bool:
        with self._conn.cursor() as cur:
            cur.execute(f"show index from `{table_name}` where Key_name=%s", (index_name,))
            return bool(cur.fetchall())

    def _index_column(self, field: str) -> str:
        m = re.match(r"`?(\w+)`?\s*(\(\d+\))?", field.strip())
        return f"`{m.group(1)}`{m.group(2) or ''}"

    def escape(self, s, percent: bool = True) -> str:
        s = pymysql.converters.escape_string(str(s))
        if percent:
            s = s.replace("%", "%%")
        return f"'{s}'"

    def is_table_missing(self, e) -> bool:
        return isinstance(e, pymysql.err.ProgrammingError) and e.args and e.args[0] == ER.NO_SUCH_TABLE

    def is_missing_column(self, e) -> bool:
        return isinstance(e, pymysql.err.OperationalError) and e.args and e.args[0] == ER.BAD_FIELD_ERROR

    def is_duplicate_entry(self, e) -> bool:
        return isinstance(e, pymysql.err.IntegrityError) and e.args and e.args[0] == ER.DUP_ENTRY

    def is_primary_key_violation(self, e) -> bool:
        return self.is_duplicate_entry(e) and "PRIMARY" in str(e.args[1])

    def is_deadlocked(self, e) -> bool:
        return isinstance(e, pymysql.err.OperationalError) and e.args and e.args[0] == ER.LOCK_DEADLOCK

    def is_timedout(self, e) -> bool:
        return isinstance(e, pymysql.err.OperationalError) and e.args and e.args[0] == ER.LOCK_WAIT_TIMEOUT

    def get_unique_violation_column(self, e) -> str | None:
        m = re.search(r"for key '(?:[^.']+\.)?([^']+)'", str(e.args[1]) if len(e.args) > 1 else str(e))
        return m.group(1) if m else None

    def get_database_size(self):
        rows = self.sql("select sum(data_length + index_length) / 1024 / 1024 from information_schema.tables "
                        "where table_schema=database()")
        return rows[0][0]

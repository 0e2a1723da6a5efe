"""Engine-neutral part of ``frappe.db`` (Frappe v15's Database API).

SQL is written the MariaDB way (backtick identifiers, ``%s`` / ``%(name)s`` placeholders), as app
code written for Frappe does; each engine subclass translates what it must in ``_translate``.
"""

from __future__ import annotations

import datetime
import itertools
import math
import re
from contextlib import contextmanager
from decimal import Decimal

import frappe
from frappe import _

SINGLE_DOCTYPE_VALUE_TYPES = ("Int", "Check", "Float", "Currency", "Percent", "Date", "Datetime", "Time")
_PLACEHOLDER = re.compile(r"%%|%s|%\((\w+)\)s")
# the table an INSERT / REPLACE / UPDATE / DELETE writes (backticked, double-quoted or bare)
_WRITE_TARGET = re.compile(
    r"\s*\(?\s*(?:insert\s+(?:ignore\s+)?into|replace\s+into|update|delete\s+from)\s+"
    r"(?:`([^`]+)`|\"([^\"]+)\"|(\w+))", re.IGNORECASE)

_DATABASE_NUMBERS = itertools.count(1)
# statements that write no table (rolling back to a savepoint only undoes writes already noted)
_READS = ("select", "(selec", "( sele", "show", "desc", "explai", "savepo", "releas", "rollba")


class CallbackManager:
    """Functions queued to run at a transaction boundary (``frappe.db.after_commit.add(fn)``)."""

    def __init__(self):
        self._functions = []

    def add(self, func) -> None:
        self._functions.append(func)

    def run(self) -> None:
        while self._functions:
            func = self._functions.pop(0)
            func()

    def reset(self) -> None:
        self._functions.clear()

    def __len__(self):
        return len(self._functions)


class Database:
    """Frappe's DB API over one DB-API connection. Subclasses set ``db_type`` and connect."""

    db_type = ""
    VARCHAR_LEN = 140
    MAX_COLUMN_LENGTH = 64
    DEFAULT_COLUMNS = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx")
    CHILD_TABLE_COLUMNS = ("parent", "parenttype", "parentfield")

    # Errors of the driver that Frappe code classifies (set by subclasses)
    IntegrityError: type = Exception
    OperationalError: type = Exception
    ProgrammingError: type = Exception

    def __init__(self, conf):
        self.conf = conf
        self.db_name = conf.get("db_name")
        self._conn = None
        self._cursor = None
        self._tables = None
        self.transaction_writes = 0
        self.auto_commit_on_many_writes = False
        self.value_cache = {}
        self.before_commit = CallbackManager()
        self.after_commit = CallbackManager()
        self.before_rollback = CallbackManager()
        self.after_rollback = CallbackManager()
        self.last_query = None
        # site-cache hashes whose source rows this transaction wrote (frappe.cache_manager)
        self.pending_cache_invalidations = set()
        self._ddl_in_transaction = False
        # Where this transaction stands, for rows read earlier in it (a document loaded under its row lock
        # builds its before-save copy from them): the serial moves when a transaction ends; each write
        # gets a number, and the last one per table is kept ("*": a statement whose target is not known).
        self._number = next(_DATABASE_NUMBERS)
        self.transaction_serial = 0
        self._write_count = 0
        self._last_write_to = {}
        self.connect()

    # ---------------------------------------------------------- connection

    def connect(self) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def close(self) -> None:
        self._transaction_ended()
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._cursor = None

    def _release_to(self, pool, key) -> None:
        """Hand the connection to ``pool`` under ``key``: rolled back and kept for the next request, or closed."""
        self._transaction_ended()
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        self._cursor = None
        pool.put(key, conn)

    def _translate(self, query: str, values):
        """Rewrite MariaDB-flavoured SQL for this engine. Returns (query, values)."""
        return query, values

    # ---------------------------------------------------------- sql

    def sql(self, query, values=(), as_dict=0, as_list=0, debug=0, ignore_ddl=0, auto_commit=0,
            update=None, explain=False, run=True, pluck=False, as_iterator=False):
        """Run a query; rows as tuples, ``_dict`` (as_dict), lists (as_list) or one column (pluck)."""
        if not isinstance(query, str):
            # a PyPika query object
            query, values = str(query), values or ()
        query = query.strip()
        if not run:
            return query
        _refuse_non_finite(values)
        sql, params = self._translate(query, values)
        if debug:
            print(sql, params)
        self.last_query = sql
        cursor = self._conn.cursor()
        try:
            if params is None or params == () or params == {} or params == []:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
        except Exception as e:
            _refuse_out_of_range(e)
            self._raise_for(e, query)
            raise
        if self._is_write(query):
            self.transaction_writes += 1
            self._note_written(self._note_write(query), query)
        else:
            head = query[:6].lower()
            if head in ("create", "alter ", "drop t", "rename", "trunca"):
                self._forget_table_list()
                self._note_written(None, query)
            elif head.startswith(("commit", "begin", "start ")) or (head == "rollba"
                                                                     and "savepoint" not in query.lower()):
                self._transaction_ended()  # sent as SQL, it ends the transaction all the same (BEGIN commits)
            elif not head.startswith(_READS):
                self._note_written(None, query)  # not known to leave every table as it was
        if auto_commit:
            self.commit()
        if not cursor.description:
            return ()
        rows = cursor.fetchall()
        columns = [c[0] for c in cursor.description]
        if self.returns_decimals:
            rows = [self._convert_row(r) for r in rows]
        if pluck:
            return [r[0] for r in rows]
        if as_dict:
            out = [frappe._dict(zip(columns, r)) for r in rows]
            if update:
                for r in out:
                    r.update(update)
            return out
        if as_list:
            return [list(r) for r in rows]
        return rows if isinstance(rows, tuple) else tuple(rows)  # the drivers' rows are tuples already

    def _note_write(self, query: str) -> str | None:
        """A write to a table the site cache keeps rows of drops those hashes now and at commit/rollback.
        Returns the table written, if the statement names it."""
        match = _WRITE_TARGET.match(query)
        if not match:
            return None
        from frappe import cache_manager

        table = match.group(1) or match.group(2) or match.group(3)
        if self.value_cache and table.startswith("tab"):
            written = table[3:]
            for key in [k for k in self.value_cache if k[0] == written]:
                del self.value_cache[key]
        hashes = cache_manager.hashes_for_table(table)
        if "rgt" in query:
            # a tree changed (every nested-set move writes rgt): User Permissions include descendants
            hashes = (*hashes, "user_permission_rules")
        if hashes:
            hashes = set(hashes)
            if not hashes <= self.pending_cache_invalidations:
                self.pending_cache_invalidations.update(hashes)
                cache_manager.forget_hashes(hashes)
        return table

    def _note_written(self, table: str | None, query: str) -> None:
        self._write_count += 1
        if table is None or " join " in query.lower():
            table = "*"  # a statement that may write any table (or several: a multi-table UPDATE)
        self._last_write_to[table] = self._write_count

    def read_mark(self) -> tuple[int, int, int]:
        """This point of this connection's transaction (plain numbers: a document keeping it can still be
        copied or pickled); ``unwritten_since(mark, tables)`` tells later whether rows of ``tables`` read
        before it still stand as far as this transaction goes."""
        return self._number, self.transaction_serial, self._write_count

    def unwritten_since(self, mark: tuple[int, int, int], tables) -> bool:
        """Same connection and transaction as ``mark``, and nothing in it has written any of ``tables`` since."""
        number, serial, count = mark
        if number != self._number or serial != self.transaction_serial or self._last_write_to.get("*", 0) > count:
            return False
        return all(self._last_write_to.get(table, 0) <= count for table in tables)

    def _transaction_ended(self) -> None:
        self.transaction_serial += 1
        self._last_write_to.clear()

    def _end_of_transaction(self) -> None:
        from frappe import cache_manager

        self._transaction_ended()

        # the next transaction sees what other processes committed meanwhile: so must the caches
        cache_manager.transaction_ended()
        if self._ddl_in_transaction:
            # PostgreSQL and SQLite roll DDL back: the table list read meanwhile may be wrong now
            self._ddl_in_transaction = False
            self._forget_table_list()
            self._ddl_in_transaction = False
        if self.pending_cache_invalidations:
            hashes, self.pending_cache_invalidations = tuple(self.pending_cache_invalidations), set()
            cache_manager.forget_hashes(hashes)

    def _forget_table_list(self) -> None:
        from frappe import cache_manager

        self._tables = None
        self._ddl_in_transaction = True
        cache_manager.forget_table_list()

    def _shared_table_list(self, read, cached: bool) -> list[str]:
        """The table list, kept per connection and per process until DDL anywhere on the site moves
        its token (Frappe keeps it in Redis as ``db_tables``)."""
        if cached and self._tables is not None:
            return self._tables
        from frappe import cache_manager

        if not cached or self._ddl_in_transaction:
            self._tables = read()  # fresh, and uncommitted DDL is not kept
            return self._tables
        self._tables = list(cache_manager.cached_field(cache_manager.TABLE_LIST_KEY, "tables", read))
        return self._tables

    @staticmethod
    def _is_write(query: str) -> bool:
        head = query.lstrip("( \n\t").split(None, 1)[0].lower() if query.strip() else ""
        return head in ("insert", "update", "delete", "replace")

    # whether the driver hands DECIMAL columns over as Decimal (Frappe reads them as float); a driver told
    # to convert them itself spares the pass over every row (46k rows for an unpaged catalog answer)
    returns_decimals = True

    # Whether rows read after a row lock ("select … for update" on a document) read the same again later in
    # the transaction unless the transaction itself writes them: so with InnoDB's repeatable read (the
    # snapshot of the plain reads is taken after the lock; the locked row cannot change) and SQLite (the lock
    # is the database's write lock); not with PostgreSQL's read committed, where another transaction's
    # committed child rows show in the next read.
    reads_repeat_under_lock = False

    def _convert_row(self, row):
        return tuple(float(v) if isinstance(v, Decimal) else v for v in row)

    def _raise_for(self, e: Exception, query: str) -> None:
        """Map driver errors onto Frappe's exceptions where Frappe code relies on them."""
        column = _data_too_long_column(e)
        if column is not None:
            # a caller's value longer than its column (a text field on MariaDB/PostgreSQL): Frappe
            # lets the database error out as a 500; here it is the caller's 417
            frappe.throw(_("Value too long for {0}").format(column or _("a column")), frappe.CharacterLengthExceededError,
                         title=_("Value too big"))

    def sql_list(self, query, values=(), debug=False, **kwargs):
        return [r[0] for r in self.sql(query, values, debug=debug, **kwargs)]

    def sql_ddl(self, query, debug=False):
        self.sql(query, debug=debug)

    def multisql(self, sql_dict, values=(), **kwargs):
        return self.sql(sql_dict.get(self.db_type) or sql_dict.get("mariadb"), values, **kwargs)

    # ---------------------------------------------------------- transactions

    def begin(self, *, read_only=False):
        pass

    def commit(self) -> None:
        """Commit, running before/after-commit callbacks (after-commit ones outside the tx)."""
        self.before_commit.run()
        self._conn.commit()
        self.transaction_writes = 0
        self._end_of_transaction()
        self.before_rollback.reset()
        self.after_rollback.reset()
        self.after_commit.run()

    def rollback(self, *, save_point=None, chain=False) -> None:
        """Roll back the transaction, or only to ``save_point``."""
        if save_point:
            self.sql(f"rollback to savepoint {save_point}")
            return
        self.before_rollback.run()
        self._conn.rollback()
        self.transaction_writes = 0
        self.value_cache = {}  # rows seen in the undone transaction may not exist any more
        self._end_of_transaction()
        self.before_commit.reset()
        self.after_commit.reset()
        self.after_rollback.run()

    def savepoint(self, save_point: str) -> None:
        self.sql(f"savepoint {save_point}")

    def release_savepoint(self, save_point: str) -> None:
        self.sql(f"release savepoint {save_point}")

    @contextmanager
    def unbuffered_cursor(self):
        yield

    # ---------------------------------------------------------- escaping

    def escape(self, s, percent: bool = True) -> str:
        """Quote a string literal for inline SQL."""
        s = str(s).replace("\\", "\\\\").replace("'", "''")
        if percent:
            s = s.replace("%", "%%")
        return f"'{s}'"

    # ---------------------------------------------------------- document helpers

    def _is_single(self, doctype: str) -> bool:
        try:
            return bool(frappe.get_meta(doctype).issingle)
        except frappe.DoesNotExistError:
            return False

    def get_value(self, doctype, filters=None, fieldname="name", ignore=None, as_dict=False, debug=False,
                  order_by="KEEP_DEFAULT_ORDERING", cache=False, for_update=False, *, run=True,
                  pluck=False, distinct=False, skip_locked=False, wait=True):
        """One value (or a tuple / _dict of values) of the first matching row; None if none.

        ``cache=True`` (Frappe's): a row found earlier in this request by the same call is answered
        again without a query — until a write to the doctype's table or a rollback (Frappe keeps it
        for the whole request); link validation uses it, so a document's rows linking the same Item,
        Warehouse or UOM cost one lookup."""
        if cache and run and not for_update and not pluck and not debug:
            key = _value_cache_key(doctype, filters, fieldname, as_dict, order_by)
            if key is not None:
                if key in self.value_cache:
                    found = self.value_cache[key]
                    return frappe._dict(found) if isinstance(found, dict) else found
                found = self.get_value(doctype, filters, fieldname, ignore, as_dict, debug, order_by,
                                       run=run, distinct=distinct)
                if found is not None:  # a miss is asked again: the row may be inserted meanwhile
                    self.value_cache[key] = frappe._dict(found) if isinstance(found, dict) else found
                return found
        if filters is None:
            filters = doctype if self._is_single(doctype) else None
        result = self.get_values(doctype, filters, fieldname, ignore, as_dict, debug, order_by, cache=cache,
                                 for_update=for_update, run=run, pluck=pluck, distinct=distinct, limit=1)
        if not run:
            return result
        if not result:
            return None
        row = result[0]
        if as_dict or pluck:
            return row
        if isinstance(fieldname, str) and fieldname != "*" and "," not in fieldname:
            return row[0]
        return row

    def get_values(self, doctype, filters=None, fieldname="name", ignore=None, as_dict=False, debug=False,
                   order_by="KEEP_DEFAULT_ORDERING", update=None, cache=False, for_update=False, *,
                   run=True, pluck=False, distinct=False, limit=None, skip_locked=False, wait=True):
        """Rows of ``fieldname`` for documents matching ``filters``."""
        if isinstance(filters, list) and filters and all(isinstance(f, str) for f in filters) \
                and not (len(filters) in (3, 4) and filters[1] in _OPERATORS):
            filters = {"name": ("in", filters)}
        if self._is_single(doctype) and (filters is None or filters == doctype):
            return self._get_single_values(doctype, fieldname, as_dict, pluck)
        if doctype == "DocType":
            # there is no tabDocType: the definitions are read from the apps' JSON files
            from frappe.model.meta import get_doctype_rows

            rows = get_doctype_rows(filters, fieldname, limit=limit)
            if as_dict:
                return rows
            if pluck:
                return [list(r.values())[0] for r in rows]
            return tuple(tuple(r.values()) for r in rows)
        if isinstance(filters, (str, int)) and filters is not None:
            filters = {"name": filters}
        if filters is None and isinstance(fieldname, str) and fieldname == "name" and not as_dict:
            pass
        fields = fieldname
        if isinstance(fields, str):
            fields = [f.strip() for f in fields.split(",")] if fields != "*" else ["*"]
        if order_by == "KEEP_DEFAULT_ORDERING":
            order_by = None
        # an unknown doctype fails here without a message (on Frappe it is the database's "table
        # doesn't exist"); only list queries report "DocType X not found"
        frappe.get_meta(doctype)
        try:
            rows = frappe.get_all(doctype, filters=filters, fields=fields, order_by=order_by,
                                  limit_page_length=limit or 0, as_list=not as_dict, distinct=distinct,
                                  for_update=for_update, debug=debug, run=run, update=update,
                                  pluck=fields[0] if pluck else None)
        except Exception as e:
            if ignore and self.is_missing_column(e):
                return []
            raise
        if not run or as_dict or pluck:
            return rows
        # Frappe's get_values answers a tuple of tuples, like frappe.db.sql
        return tuple(tuple(r) for r in rows)

    def _stored_single(self, doctype) -> frappe._dict:
        """A Single's row as Frappe 15 keeps it in tabSingles: text values as stored, every valid
        column present (null when unset; Frappe also stores the nulls) and ``name`` the doctype."""
        meta = frappe.get_meta(doctype)
        stored = dict(self.sql("select `field`, `value` from `tabSingles` where `doctype`=%s", (doctype,)))
        out = frappe._dict()
        for column in ["name", *meta.get_valid_columns()]:
            value = stored.pop(column, None)
            out[column] = None if value is None else str(value)
        out.name = doctype
        out.update({k: None if v is None else str(v) for k, v in stored.items()})
        # in field order, as MariaDB reads tabSingles along its (doctype, field) key
        return frappe._dict(sorted(out.items()))

    def get_values_from_single(self, fields, filters, doctype, as_dict=False, debug=False, update=None, *,
                               run=True, pluck=False, distinct=False):
        """Values of a Single, the way Frappe 15 reads them for ``frappe.client.get_value``: the text
        stored in tabSingles, uncast. With dict filters the whole row is checked against them (and
        returned whole with ``as_dict``, whatever fields were asked for); a mismatch gives []."""
        if fields == "*" or isinstance(filters, dict):
            values = self._stored_single(doctype)
            if isinstance(filters, dict):
                for key, value in filters.items():
                    if values.get(key) != value:
                        return []
            if as_dict:
                return [values] if values else []
            if isinstance(fields, (list, tuple)):
                return [[values.get(f) for f in fields]]
            return [list(values.values())]
        fields = [fields] if isinstance(fields, str) else list(fields)
        if not fields:
            return []
        placeholders = ", ".join(["%s"] * len(fields))
        rows = self.sql(f"select {'distinct ' if distinct else ''}`field`, `value` from `tabSingles` "
                        f"where `doctype`=%s and `field` in ({placeholders})", (doctype, *fields), debug=debug)
        if pluck:
            return [r[0] for r in rows]
        if not rows:
            return []
        found = frappe._dict((f, None if v is None else str(v)) for f, v in rows)
        if update:
            found.update(update)
        if as_dict:
            return [found]
        return [[found.get(f) for f in fields]]

    def _get_single_values(self, doctype, fieldname, as_dict, pluck):
        fields = [fieldname] if isinstance(fieldname, str) else list(fieldname)
        values = self.get_singles_dict(doctype)
        if fields == ["*"]:
            return [values]
        row = [values.get(f) for f in fields]
        if pluck:
            return [row[0]]
        if as_dict:
            return [frappe._dict(zip(fields, row))]
        return [tuple(row)]

    def get_singles_dict(self, doctype, debug=False, *, for_update=False, cast=True):
        """Every stored value of a Single doctype, cast to its field types."""
        rows = self.sql("select `field`, `value` from `tabSingles` where `doctype`=%s", (doctype,))
        out = frappe._dict(rows)
        if cast:
            meta = frappe.get_meta(doctype)
            for field, value in list(out.items()):
                df = meta.get_field(field)
                if df:
                    out[field] = _cast(df.fieldtype, value)
        return out

    def get_single_value(self, doctype, fieldname, cache=True):
        """A Single's field, typed; the field's default when nothing is stored."""
        meta = frappe.get_meta(doctype)
        df = meta.get_field(fieldname)
        if not df and fieldname not in ("name", "modified"):
            frappe.throw(_("Field {0} does not exist on {1}").format(fieldname, doctype),
                         frappe.DoesNotExistError)
        if cache:
            value = self._cached_singles(doctype).get(fieldname)
        else:
            rows = self.sql("select `value` from `tabSingles` where `doctype`=%s and `field`=%s",
                            (doctype, fieldname))
            value = rows[0][0] if rows else None
        if df:
            if value is None and df.get("default") is not None:
                value = df.default
            return _cast(df.fieldtype, value)
        return value

    def _cached_singles(self, doctype) -> dict:
        """{field: stored text} of a Single, kept in the site cache (hash ``singles``) until a write to
        ``tabSingles``; Frappe caches Singles the same way."""
        from frappe.cache_manager import cached_field

        def read():
            return dict(self.sql("select `field`, `value` from `tabSingles` where `doctype`=%s", (doctype,)))

        return cached_field("singles", doctype, read)

    def set_single_value(self, doctype, fieldname, value=None, *args, **kwargs):
        return self.set_value(doctype, doctype, fieldname, value, *args, **kwargs)

    def get_singles_value(self, *args, **kwargs):
        return self.get_single_value(*args, **kwargs)

    def set_value(self, dt, dn, field, val=None, modified=None, modified_by=None, update_modified=True,
                  debug=False, for_update=True):
        """Write columns directly (no controller, no validation), like Frappe."""
        from frappe.utils import now_datetime

        to_update = field if isinstance(field, dict) else {field: val}
        to_update = dict(to_update)
        if update_modified:
            to_update["modified"] = modified or now_datetime()
            to_update["modified_by"] = modified_by or frappe.session.user
        if self._is_single(dt):
            for f, v in to_update.items():
                self.sql("delete from `tabSingles` where `doctype`=%s and `field`=%s", (dt, f))
                if v is not None:
                    self.sql("insert into `tabSingles` (`doctype`, `field`, `value`) values (%s, %s, %s)",
                             (dt, f, _single_value(v)))
        else:
            from frappe.model.db_query import build_where

            if isinstance(dn, (str, int)) and dn is not None:
                filters = {"name": dn}
            else:
                filters = dn
            values = []
            where = build_where(dt, filters, values)
            assignments = ", ".join(f"`{f}`=%s" for f in to_update)
            self.sql(f"update `tab{dt}` set {assignments} {where}",
                     tuple(to_update.values()) + tuple(values), debug=debug)
        frappe.clear_document_cache(dt, dn if isinstance(dn, str) else None)

    def exists(self, dt, dn=None, cache=False):
        """The name of a matching document, or None. ``dt`` may be a dict with a 'doctype' key."""
        if isinstance(dt, dict):
            dt = dict(dt)
            doctype = dt.pop("doctype")
            return self.get_value(doctype, dt, "name")
        if dn is None:
            return None
        if isinstance(dn, (str, int)):
            if self._is_single(dt):
                return dt if dn == dt else None
            return self.get_value(dt, {"name": dn}, "name", order_by=None)
        return self.get_value(dt, dn, "name", order_by=None)

    def count(self, dt, filters=None, debug=False, cache=False, distinct: bool = True):
        """Number of rows matching ``filters``."""
        from frappe.model.db_query import build_where

        values = []
        where = build_where(dt, filters, values)
        return int(self.sql(f"select count(*) from `tab{dt}` {where}", tuple(values), debug=debug)[0][0])

    def delete(self, doctype: str, filters=None, debug=False, **kwargs):
        """Delete rows matching ``filters`` (all rows when None) without any controller."""
        from frappe.model.db_query import build_where

        filters = filters or kwargs.get("conditions")
        if self._is_single(doctype):
            return self.sql("delete from `tabSingles` where `doctype`=%s", (doctype,))
        values = []
        where = build_where(doctype, filters, values)
        return self.sql(f"delete from `tab{doctype}` {where}", tuple(values), debug=debug)

    def get_all(self, *args, **kwargs):
        return frappe.get_all(*args, **kwargs)

    def get_list(self, *args, **kwargs):
        return frappe.get_list(*args, **kwargs)

    def get_creation_count(self, doctype, minutes):
        from frappe.utils import add_to_date, now_datetime

        since = add_to_date(now_datetime(), minutes=-minutes)
        return self.count(doctype, {"creation": (">", since)})

    # ---------------------------------------------------------- defaults

    def get_default(self, key, parent="__default"):
        rows = self.get_defaults(key, parent)
        if isinstance(rows, list):
            return rows[0] if rows else None
        return rows

    def get_defaults(self, key=None, parent="__default"):
        if key:
            values = self._cached_defaults(parent).get(key) or []
            return values[0] if len(values) == 1 else (list(values) or None)
        rows = self.sql("select `defkey`, `defvalue` from `tabDefaultValue` where `parent`=%s", (parent,))
        return frappe._dict(rows)

    def _cached_defaults(self, parent) -> dict:
        """{defkey: [defvalue, … by creation]} of one parent, kept in the site cache (hash ``defaults``)
        until a write to ``tabDefaultValue``, as Frappe keeps defaults in Redis."""
        from frappe.cache_manager import cached_field

        def read():
            out = {}
            for defkey, defvalue in self.sql("select `defkey`, `defvalue` from `tabDefaultValue` where `parent`=%s"
                                             " order by `creation`", (parent,)):
                out.setdefault(defkey, []).append(defvalue)
            return out

        return cached_field("defaults", parent, read)

    def set_default(self, key, val, parent="__default", parenttype=None):
        self.sql("delete from `tabDefaultValue` where `parent`=%s and `defkey`=%s", (parent, key))
        if val is not None:
            self.add_default(key, val, parent, parenttype)

    def add_default(self, key, val, parent="__default", parenttype=None):
        from frappe.utils import now_datetime

        self.sql("insert into `tabDefaultValue` (`name`, `parent`, `parenttype`, `parentfield`, `defkey`, "
                 "`defvalue`, `creation`, `modified`, `owner`, `modified_by`, `docstatus`, `idx`) "
                 "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0)",
                 (frappe.generate_hash(length=10), parent, parenttype, "system_defaults", key, val,
                  now_datetime(), now_datetime(), "Administrator", "Administrator"))

    # ---------------------------------------------------------- schema introspection

    def table_exists(self, doctype: str, cached: bool = True) -> bool:
        return f"tab{doctype}" in self.get_tables(cached=cached)

    def has_table(self, doctype: str) -> bool:
        return self.table_exists(doctype, cached=False)

    def get_tables(self, cached=True) -> list[str]:  # pragma: no cover - subclasses
        raise NotImplementedError

    def get_table_columns(self, doctype: str) -> list[str]:
        columns = self.get_db_table_columns(f"tab{doctype}")
        if not columns:
            raise self.TableMissingError(f"Table tab{doctype} is missing")
        return columns

    def get_db_table_columns(self, table: str) -> list[str]:  # pragma: no cover - subclasses
        raise NotImplementedError

    def has_column(self, doctype: str, column: str) -> bool:
        return column in self.get_table_columns(doctype)

    def has_index(self, table_name: str, index_name: str) -> bool:  # pragma: no cover - subclasses
        raise NotImplementedError

    def physical_index_name(self, table: str, index_name: str) -> str:
        """Index names are per table on MariaDB; engines with schema-wide names get the table prefixed."""
        return index_name

    def add_index(self, doctype: str, fields: list, index_name: str | None = None):
        table = f"tab{doctype}"
        index_name = self.physical_index_name(table, index_name or self.get_index_name(fields))
        if not self.has_index(table, index_name):
            cols = ", ".join(self._index_column(f) for f in fields)
            self.sql_ddl(f"create index `{index_name}` on `{table}` ({cols})")

    # bound values per statement: under SQLite's oldest limit of 999 host parameters
    _MAX_BOUND_VALUES = 900

    def bulk_insert(self, doctype, fields, values, ignore_duplicates=False, *, chunk_size=10_000):
        """Insert many rows of ``doctype`` (``values``: one sequence per row, in ``fields`` order) with
        multi-row INSERTs in the current transaction, as Frappe's does; each statement carries at most
        ``chunk_size`` rows and stays under the engines' bound-value limits."""
        fields, rows = list(fields), [tuple(row) for row in values]
        if not rows:
            return
        per_statement = max(1, min(chunk_size, self._MAX_BOUND_VALUES // len(fields)))
        head = f"insert into `tab{doctype}` ({', '.join(f'`{f}`' for f in fields)}) values "
        if ignore_duplicates:
            head = {"mariadb": "insert ignore", "sqlite": "insert or ignore"}.get(self.db_type, "insert") + head[6:]
        tail = " on conflict do nothing" if ignore_duplicates and self.db_type == "postgres" else ""
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            self.sql(head + ", ".join([row_sql] * len(chunk)) + tail, [v for row in chunk for v in row])

    def add_unique(self, doctype, fields, constraint_name=None):
        if isinstance(fields, str):
            fields = [fields]
        table = f"tab{doctype}"
        constraint_name = self.physical_index_name(table, constraint_name or "unique_" + "_".join(fields))
        if not self.has_index(table, constraint_name):
            cols = ", ".join(f"`{f}`" for f in fields)
            self.sql_ddl(f"create unique index `{constraint_name}` on `{table}` ({cols})")

    def _index_column(self, field: str) -> str:
        # "field(10)" prefix lengths are a MariaDB feature; other engines index the whole column
        name = field.split("(")[0].strip("` ")
        return f"`{name}`"

    @staticmethod
    def get_index_name(fields):
        return "_".join(f.split("(")[0].strip("` ") for f in fields) + "_index"

    class TableMissingError(Exception):
        pass

    # ---------------------------------------------------------- error classification

    def is_table_missing(self, e) -> bool:
        return False

    def is_missing_column(self, e) -> bool:
        return False

    def is_duplicate_entry(self, e) -> bool:
        return False

    def is_unique_key_violation(self, e) -> bool:
        return self.is_duplicate_entry(e)

    def is_primary_key_violation(self, e) -> bool:
        return False

    def is_deadlocked(self, e) -> bool:
        return False

    def is_timedout(self, e) -> bool:
        return False

    # ---------------------------------------------------------- misc

    def get_database_size(self):
        return 0

    def now(self):
        from frappe.utils import now

        return now()

    def estimate_count(self, doctype: str):
        return self.count(doctype)

    def clear_table(self, doctype):
        self.sql(f"delete from `tab{doctype}`")

    def get_column_type(self, doctype, column):
        from frappe.database.schema import column_type

        df = frappe.get_meta(doctype).get_field(column)
        return column_type(self.db_type, df.fieldtype, df.length) if df else None


_OPERATORS = {"=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between",
              "timespan", "descendants of", "ancestors of", "not descendants of", "not ancestors of",
              "descendants of (inclusive)", "previous", "next"}


def _value_cache_key(doctype, filters, fieldname, as_dict, order_by):
    """A hashable key for get_value(cache=True), or None when the call cannot be cached."""
    if isinstance(filters, dict):
        if not all(isinstance(v, (str, int, float)) for v in filters.values()):
            return None
        filters = tuple(sorted(filters.items()))
    elif not isinstance(filters, (str, int)):
        return None
    if isinstance(fieldname, (list, tuple)):
        fieldname = tuple(fieldname)
    elif not isinstance(fieldname, str):
        return None
    return (doctype, filters, fieldname, bool(as_dict), order_by)


def _cast(fieldtype: str, value):
    """Cast a value read from tabSingles (always text) to the field's Python type."""
    from frappe.utils import cint, flt, getdate, get_datetime, get_time

    if fieldtype in ("Int", "Check"):
        return cint(value)
    if fieldtype in ("Float", "Currency", "Percent"):
        return flt(value)
    if value in (None, ""):
        return value
    if fieldtype == "Date":
        return getdate(value)
    if fieldtype == "Datetime":
        return get_datetime(value)
    if fieldtype == "Time":
        return get_time(value)
    return value


def _single_value(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        # MariaDB writes a whole double into tabSingles' text column without ".0" (what Frappe
        # reads back raw, e.g. frappe.client.get_value on a Single); SQLite would keep "0.0"
        return int(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        return str(v)
    return v


def _refuse_non_finite(values) -> None:
    """NaN/infinity never reach a database: MariaDB and PostgreSQL reject them with an SQL error and
    SQLite would store NULL. A caller's non-finite number is a ValidationError (417), not a 500."""
    if not values:
        return
    items = values.values() if isinstance(values, dict) else values if isinstance(values, (list, tuple)) else ()
    for value in items:
        if isinstance(value, float) and not math.isfinite(value):
            frappe.throw(_("Numbers must be finite, not {0}").format(value), title=_("Invalid Number"))


def _refuse_out_of_range(e: Exception) -> None:
    """A number too big for its column (SQLite: OverflowError from the driver; MariaDB error 1264;
    PostgreSQL SQLSTATE 22003) is the caller's 417, not the 500 Frappe lets out."""
    args = getattr(e, "args", ()) or ()
    if (isinstance(e, OverflowError) or (args and args[0] == 1264)
            or getattr(e, "sqlstate", None) == "22003"):
        frappe.throw(_("Value too big for its column"), frappe.CharacterLengthExceededError,
                     title=_("Value too big"))


def _data_too_long_column(e: Exception) -> str | None:
    """The column named by a driver's "value too long" error ("" when unnamed), else None:
    MariaDB error 1406, PostgreSQL SQLSTATE 22001."""
    args = getattr(e, "args", ()) or ()
    if args and args[0] == 1406:
        match = re.search(r"column '([^']+)'", str(args[1]) if len(args) > 1 else "")
        return match.group(1) if match else ""
    if getattr(e, "sqlstate", None) == "22001":
        return ""
    return None

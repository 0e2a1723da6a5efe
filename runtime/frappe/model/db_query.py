"""``frappe.get_list`` / ``get_all``: filters, fields, ordering, paging and permission conditions."""

from __future__ import annotations

import datetime
import re

import frappe
from frappe import _
from frappe.model import child_table_fields, default_fields, optional_fields
from frappe.utils import cint, cstr, get_datetime, getdate

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUALIFIED = re.compile(r"^`?tab([^`.]+)`?\.`?([A-Za-z_][A-Za-z0-9_]*|\*)`?$")
_CHILD_DOTTED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")
_ALIAS = re.compile(r"^(.*?)\s+as\s+`?([A-Za-z_][A-Za-z0-9_ ]*)`?$", re.IGNORECASE)
_FUNC = re.compile(r"^(count|sum|avg|min|max|ifnull|coalesce|distinct|lower|upper|length|date|abs|round)\s*\((.*)\)$",
                   re.IGNORECASE)
_ORDER = re.compile(r"^\s*(`?tab[^`]+`?\.)?`?([A-Za-z_][A-Za-z0-9_]*)`?(\s+(asc|desc))?\s*$", re.IGNORECASE)
_BLACKLIST = re.compile(r"(;|--|/\*|\bselect\b|\bunion\b|\bsleep\b|\binto\b|\bdrop\b|\bdelete\b|\bupdate\b|\binsert\b)",
                        re.IGNORECASE)


class DatabaseQuery:
    """Builds and runs one SELECT for a doctype, as Frappe's DatabaseQuery does."""

    def __init__(self, doctype, user=None):
        self.doctype = doctype
        self.tables = [f"`tab{doctype}`"]
        self.joins = {}
        self.user = user or frappe.session.user
        self.values = []

    def execute(self, fields=None, filters=None, or_filters=None, docstatus=None, group_by=None,
                order_by="KEEP_DEFAULT_ORDERING", limit_start=False, limit_page_length=None, as_list=False,
                with_childnames=False, debug=False, ignore_permissions=False, user=None,
                with_comment_count=False, join="left join", distinct=False, start=None, page_length=None,
                limit=None, ignore_ifnull=False, save_user_settings=False, save_user_settings_fields=False,
                update=None, user_settings=None, reference_doctype=None, run=True, strict=True, pluck=None,
                ignore_ddl=False, *, parent_doctype=None, for_update=False, **kwargs):
        """Rows (dicts, or lists with as_list, or one column with pluck) the caller may see."""
        if user:
            self.user = user
        try:
            self.meta = frappe.get_meta(self.doctype)
        except frappe.DoesNotExistError:
            # Frappe loads the meta from the DocType record, whose absence it reports this way
            frappe.throw(_("{0} {1} not found").format(_("DocType"), self.doctype),
                         frappe.DoesNotExistError(doctype="DocType"))
        self.parent_doctype = parent_doctype
        self.apply_permissions = not ignore_permissions
        self.ptype = "read"
        self._permitted = {}
        if not ignore_permissions:
            self.check_read_permission(parent_doctype)
        if self.meta.issingle:
            # a Single has no table to list (Frappe answers with the database's "table doesn't exist", a 500)
            frappe.throw(_("{0} is a single DocType: it has no list").format(_(self.doctype)), frappe.DataError)
        # fields and filters may come in either order, as Frappe accepts them
        if isinstance(fields, dict) or (fields and isinstance(fields, list) and isinstance(fields[0], (list, tuple))):
            filters, fields = fields, filters
        elif fields and isinstance(filters, list) and len(filters) > 1 and isinstance(filters[0], str):
            filters, fields = fields, filters
        if isinstance(fields, str):
            fields = _parse_maybe_json(fields)
            if isinstance(fields, str):
                fields = [f.strip() for f in fields.split(",")] if fields else None
        if pluck:
            fields = [f"`tab{self.doctype}`.`{pluck}`" if _IDENT.match(pluck) else pluck]
        if fields and not (isinstance(fields, (list, tuple, set, frozenset)) and all(isinstance(f, str) for f in fields)):
            # JSON that is not a list of names (fields=0.5, [1], {"a": 1}…): Frappe 500s iterating it
            frappe.throw(_("fields must be a list of field names"), frappe.DataError)
        fields = list(fields or ["name"]) if fields else [f"`tab{self.doctype}`.`name`"]
        filters = _parse_maybe_json(filters)
        or_filters = _parse_maybe_json(or_filters)
        if docstatus:
            filters = _merge_filters(filters, {"docstatus": ("in", docstatus)})
        if start is not None:
            limit_start = start
        if page_length is not None:
            limit_page_length = page_length
        if limit is not None:
            limit_page_length = limit

        select_fields = self.build_select_fields(fields, as_list=as_list)
        if not select_fields:
            # every field asked for is one the user may not read
            return []
        select = ", ".join(select_fields)
        conditions = []
        if filters:
            conditions.extend(self.build_conditions(filters))
        if or_filters:
            ors = self.build_conditions(or_filters)
            if ors:
                conditions.append("(" + " or ".join(ors) + ")")
        if not ignore_permissions:
            match = self.build_match_conditions()
            if match:
                conditions.append(match)

        sql = f"select {'distinct ' if distinct else ''}{select} from {self.tables[0]}"
        for table, on in self.joins.items():
            sql += f" {join} {table} on ({on})"
        if conditions:
            sql += " where " + " and ".join(conditions)
        if group_by:
            sql += f" group by {self.build_group_by(group_by)}"
        if order_by == "KEEP_DEFAULT_ORDERING":
            order_by = f"`tab{self.doctype}`.`{self.meta.sort_field or 'modified'}` {self.meta.sort_order or 'desc'}"
        if order_by:
            sql += " order by " + self.build_order_by(order_by)
        page = cint(limit_page_length)
        for label, value in (("limit_start", limit_start), ("limit_page_length", page)):
            # Frappe writes a negative number into LIMIT/OFFSET: an SQL syntax error (500 with the
            # SQL) on MariaDB, silently ignored by SQLite; refused the same way on every engine here
            if cint(value) < 0:
                frappe.throw(_("{0} must not be negative").format(label), frappe.DataError)
        if page:
            sql += f" limit {page}"
            if cint(limit_start):
                sql += f" offset {cint(limit_start)}"
        elif cint(limit_start):
            sql += f" limit 18446744073709551615 offset {cint(limit_start)}" if frappe.db.db_type == "mariadb" \
                else f" limit -1 offset {cint(limit_start)}" if frappe.db.db_type == "sqlite" \
                else f" offset {cint(limit_start)}"
        if for_update:
            sql += " for update"
        if not run:
            return sql
        result = frappe.db.sql(sql, tuple(self.values), as_dict=not as_list, debug=debug, update=update)
        if pluck:
            return [r[0] if as_list else list(r.values())[0] for r in result]
        if as_list:
            return [list(r) for r in result]
        return result

    # ------------------------------------------------------------ fields

    def build_select_fields(self, fields, as_list=False) -> list[str]:
        """SELECT expressions for ``fields``, with Frappe's field-level read rules applied.

        A field naming a column the user may not read is left out silently (``NULL`` in its place for
        ``as_list``, so positions hold), and ``*`` becomes the readable columns, as in Frappe. A field
        naming a table that is neither this doctype, one of its child tables nor a linked doctype
        cannot be queried: DataError (Frappe joins it as a child table and fails in SQL).
        """
        out = []
        for field in fields:
            self._refs = []
            joins_before = set(self.joins)
            sql = self.build_field(field)
            foreign = [ref for ref in self._refs if ref[2] == "foreign"]
            keep = True
            if self.apply_permissions:
                sql, keep = self._apply_fieldlevel_read_permissions(sql, self._refs)
            if keep and foreign:
                # named as <DocType>.<column>: the answer never repeats SQL
                doctype, column, _kind = foreign[0]
                frappe.throw(_("Field not permitted in query: {0}").format(escape_html(f"{doctype}.{column}")),
                             frappe.DataError)
            if not keep:
                for table in set(self.joins) - joins_before:
                    del self.joins[table]
                if as_list:
                    out.append("NULL")
                continue
            out.append(sql)
        if as_list and not any(sql != "NULL" for sql in out):
            return []
        return out

    def _ref(self, doctype, column, kind="self"):
        refs = getattr(self, "_refs", None)
        if refs is not None:
            refs.append((doctype, column, kind))

    def build_field(self, field) -> str:
        field = str(field).strip()
        if field in ("*", f"`tab{self.doctype}`.*", f"tab{self.doctype}.*"):
            self._ref(self.doctype, "*")
            return f"`tab{self.doctype}`.*"
        m = _ALIAS.match(field)
        if m:
            inner, alias = m.group(1).strip(), m.group(2)
            self.__dict__.setdefault("_aliases", set()).add(alias)
            return f"{self.build_field(inner)} as `{alias}`"
        if _IDENT.match(field):
            self._check_column(self.meta, field)
            self._ref(self.doctype, field)
            return f"`tab{self.doctype}`.`{field}`"
        m = _QUALIFIED.match(field)
        if m:
            doctype, column = m.group(1), m.group(2)
            kind = "self"
            if doctype != self.doctype:
                if not self._is_child_of_self(doctype):
                    # only this doctype's own child tables can be joined by parent
                    self._ref(doctype, column, "foreign")
                    return "NULL"
                self.add_child_join(doctype)
                kind = "child"
            if column != "*":
                self._check_column(frappe.get_meta(doctype), column)
                self._ref(doctype, column, kind)
                return f"`tab{doctype}`.`{column}`"
            self._ref(doctype, "*", kind)
            return f"`tab{doctype}`.*"
        m = _CHILD_DOTTED.match(field)
        if m:
            df = self.meta.get_field(m.group(1))
            if df and df.fieldtype in ("Table", "Table MultiSelect"):
                self.add_child_join(df.options, parentfield=df.fieldname)
                self._check_column(frappe.get_meta(df.options), m.group(2))
                self._ref(df.options, m.group(2), "child")
                return f"`tab{df.options}`.`{m.group(2)}` as `{m.group(1)}.{m.group(2)}`"
            if df and df.fieldtype == "Link":
                alias = f"`tab{df.options}`"
                self.joins.setdefault(alias, f"{alias}.`name` = `tab{self.doctype}`.`{df.fieldname}`")
                self._check_column(frappe.get_meta(df.options), m.group(2))
                self._ref(df.options, m.group(2), "link")
                return f"{alias}.`{m.group(2)}` as `{m.group(1)}.{m.group(2)}`"
        m = _FUNC.match(field)
        if m:
            return self._build_function(field, m.group(1), m.group(2))
        self._check_sql(field)
        frappe.throw(_("Field not permitted in query: {0}").format(escape_html(field)), frappe.DataError)

    def _build_function(self, field, name, inner) -> str:
        """``count(x)``, ``sum(x)``, ``ifnull(x, 0)``… with each argument checked: a column of this
        query (or ``*`` / ``distinct col`` where SQL allows them), or a plain number or quoted text.
        Anything else, and the wrong number of arguments, is a DataError before any SQL runs."""
        self._check_sql(inner)
        lowered = name.lower()
        inner = inner.strip()
        args = _split_args(inner) if inner else []
        low, high = _FUNC_ARITY[lowered]
        if args is None or not (low <= len(args) <= high):
            frappe.throw(_("Field not permitted in query: {0}").format(escape_html(field)), frappe.DataError)
        built = []
        for position, arg in enumerate(args):
            words = arg.split(None, 1)
            if arg == "*" and lowered == "count":
                built.append("*")
            elif len(words) == 2 and words[0].lower() == "distinct" and position == 0 and len(args) == 1 \
                    and lowered in ("count", "sum", "avg", "min", "max"):
                built.append(f"distinct {self._build_function_column(field, words[1])}")
            elif _NUMBER.match(arg) or (_TEXT.match(arg) and lowered in ("ifnull", "coalesce")):
                built.append(arg)
            else:
                built.append(self._build_function_column(field, arg))
        return f"{lowered}({', '.join(built)})"

    def _build_function_column(self, field, arg) -> str:
        arg = arg.strip()
        if _IDENT.match(arg) or _QUALIFIED.match(arg):
            sql = self.build_field(arg)
            if not sql.endswith(".*"):
                return sql
        frappe.throw(_("Field not permitted in query: {0}").format(escape_html(field)), frappe.DataError)

    def _is_child_of_self(self, doctype) -> bool:
        return any(df.options == doctype for df in self.meta.get_table_fields())

    # ------------------------------------------------------------ field-level read permissions

    def _permitted_columns(self, doctype, kind) -> set[str]:
        key = (doctype, kind)
        if key not in self._permitted:
            from frappe.model import get_permitted_fields
            from frappe.permissions import has_permission

            if kind == "self":
                columns = get_permitted_fields(self.doctype, parenttype=self.parent_doctype, user=self.user,
                                               permission_type=self.ptype, ignore_virtual=True)
            elif kind == "child":
                columns = get_permitted_fields(doctype, parenttype=self.doctype, user=self.user, ignore_virtual=True)
            elif kind == "link":
                # as Frappe: reading through a Link needs the right to list the linked doctype
                frappe.has_permission(doctype, "read", user=self.user, throw=True)
                columns = get_permitted_fields(doctype, user=self.user, ignore_virtual=True)
            elif has_permission(doctype, "read", user=self.user, print_logs=False):
                columns = get_permitted_fields(doctype, user=self.user, ignore_virtual=True)
            else:
                columns = []
            self._permitted[key] = set(columns)
        return self._permitted[key]

    def _apply_fieldlevel_read_permissions(self, sql, refs) -> tuple[str, bool]:
        """(sql, keep): whether a field reads only columns the user may see; ``*`` narrowed."""
        for doctype, column, kind in refs:
            permitted = self._permitted_columns(doctype, kind)
            if column == "*":
                meta = frappe.get_meta(doctype)
                readable = [c for c in meta.get_db_columns() if c in permitted or c == "name"]
                if len(readable) < len(meta.get_db_columns()):
                    sql = ", ".join(f"`tab{doctype}`.`{c}`" for c in readable)
                continue
            if column not in permitted and column not in optional_fields:
                return sql, False
        return sql, True

    def _check_column(self, meta, column):
        if column in meta.get_db_columns() or column in optional_fields or column == "name":
            return
        if meta.istable and column in child_table_fields:
            return
        frappe.throw(_("Field not permitted in query: {0}").format(column), frappe.DataError)

    def _check_sql(self, fragment):
        if _BLACKLIST.search(cstr(fragment)):
            frappe.throw(_("Use of sub-query or function is restricted"), frappe.DataError)

    def add_child_join(self, child_doctype, parentfield=None):
        table = f"`tab{child_doctype}`"
        if table in self.joins:
            return
        on = f"{table}.`parent` = `tab{self.doctype}`.`name` and {table}.`parenttype` = {frappe.db.escape(self.doctype)}"
        if parentfield:
            on += f" and {table}.`parentfield` = {frappe.db.escape(parentfield)}"
        self.joins[table] = on

    def build_order_by(self, order_by: str) -> str:
        """``order by`` from columns of this query (``field``, ```tabDocType`.`field```, a select alias)
        or a checked function of them, each with an optional direction. Anything else is a DataError
        before any SQL runs (Frappe passes most text through and answers SQL errors with a 500)."""
        out = []
        for part in _split_top_level(str(order_by)):
            part = part.strip()
            if not part:
                continue
            m = _ORDER.match(part)
            if m:
                direction = f" {m.group(4).lower()}" if m.group(4) else ""
                out.append(self._order_column(part, m.group(1), m.group(2)) + direction)
                continue
            m = _ORDER_FUNCTION.match(part)
            if m and m.group(2).lower() in _FUNC_ARITY:
                direction = f" {m.group(4).lower()}" if m.group(4) else ""
                out.append(self._build_function(part, m.group(2), m.group(3)) + direction)
                continue
            self._refuse_order_part(part)
        return ", ".join(out)

    def build_group_by(self, group_by: str) -> str:
        """``group by`` from columns of this query only."""
        out = []
        for part in _split_top_level(str(group_by)):
            part = part.strip()
            if not part:
                continue
            m = _ORDER.match(part)
            if not m or m.group(4):
                self._refuse_order_part(part)
            out.append(self._order_column(part, m.group(1), m.group(2)))
        return ", ".join(out)

    def _order_column(self, part, prefix, column) -> str:
        if not prefix:
            if column in getattr(self, "_aliases", ()) and column not in self.meta.get_db_columns():
                return f"`{column}`"
            doctype = self.doctype
        else:
            doctype = prefix.strip("`.").removeprefix("tab").rstrip("`")
            if doctype != self.doctype and f"`tab{doctype}`" not in self.joins:
                # a table this query does not read (named without its SQL quoting)
                self._refuse_order_part(f"{doctype}.{column}")
        try:
            self._check_column(frappe.get_meta(doctype), column)
        except frappe.DoesNotExistError:
            self._refuse_order_part(f"{doctype}.{column}")
        return f"`tab{doctype}`.`{column}`"

    def _refuse_order_part(self, part):
        self._check_sql(part)
        frappe.throw(_("Field not permitted in query: {0}").format(escape_html(part)), frappe.DataError)

    # ------------------------------------------------------------ filters

    def build_conditions(self, filters) -> list[str]:
        conditions = []
        for f in _normalise_filters(self.doctype, filters):
            conditions.append(self.prepare_filter_condition(f))
        return conditions

    def prepare_filter_condition(self, f) -> str:
        doctype, fieldname, operator, value = f
        if not isinstance(fieldname, str) or not _IDENT.match(fieldname):
            frappe.throw(_("Field not permitted in query: {0}").format(escape_html(str(fieldname))), frappe.DataError)
        if operator is not None and not isinstance(operator, str):
            frappe.throw(_("Invalid filter: {0}").format(escape_html(str(operator))), frappe.DataError)
        operator = (operator or "=").lower().strip()
        if doctype != self.doctype:
            if not isinstance(doctype, str) or not _doctype_exists(doctype):
                frappe.throw(_("Field not permitted in query: {0}").format(escape_html(f"{doctype}.{fieldname}")),
                             frappe.DataError)
            if self._is_child_of_self(doctype):
                if self.apply_permissions:
                    frappe.has_permission(doctype, "read", parent_doctype=self.doctype, user=self.user, throw=True)
                self.add_child_join(doctype)
            else:
                # a filter on a linked doctype: join on the first link field pointing there
                link = next((df for df in self.meta.get_link_fields() if df.options == doctype), None)
                if link is None:
                    # a table this query cannot reach (Frappe joins it as a child table and fails in SQL)
                    frappe.throw(_("Field not permitted in query: {0}").format(escape_html(f"{doctype}.{fieldname}")),
                                 frappe.DataError)
                if self.apply_permissions:
                    frappe.has_permission(doctype, "read", user=self.user, throw=True)
                alias = f"`tab{doctype}`"
                self.joins.setdefault(alias, f"{alias}.`name` = `tab{self.doctype}`.`{link.fieldname}`")
        meta = frappe.get_meta(doctype)
        self._check_column(meta, fieldname)
        if getattr(self, "apply_permissions", False):
            self._check_filter_readable(doctype, fieldname)
        column = f"`tab{doctype}`.`{fieldname}`"
        df = meta.get_field(fieldname)
        fieldtype = df.fieldtype if df else ("Datetime" if fieldname in ("creation", "modified") else
                                             "Int" if fieldname in ("docstatus", "idx") else "Data")
        return _condition(column, fieldtype, operator, value, self.values, doctype, meta)

    def _check_filter_readable(self, doctype, fieldname) -> None:
        """A filter may only name a column the caller could read in ``fields``. Frappe 15 filters on
        any column, so a user who may not see ``api_key`` could still guess it letter by letter with
        ``like`` filters; refused here (a deliberate difference, runtime/README.md)."""
        if fieldname in optional_fields:
            return
        kind = "self" if doctype == self.doctype else "child" if self._is_child_of_self(doctype) else "link"
        if fieldname not in self._permitted_columns(doctype, kind):
            frappe.throw(_("You are not allowed to filter on {0}").format(
                escape_html(f"{_(doctype)}.{fieldname}")), frappe.PermissionError)

    # ------------------------------------------------------------ permissions

    def check_read_permission(self, parent_doctype=None):
        from frappe.permissions import check_list_permission

        check_list_permission(self.doctype, self.user, parent_doctype)
        # a user who may only select a doctype sees fewer of its fields than one who may read it
        self.ptype = "select" if frappe.only_has_select_perm(self.doctype, user=self.user) else "read"

    def build_match_conditions(self) -> str:
        from frappe.permissions import get_match_conditions

        return get_match_conditions(self.doctype, self.user, self.values)


# how many arguments each function accepted in ``fields`` takes (SQL rejects anything else)
_FUNC_ARITY = {"count": (1, 1), "sum": (1, 1), "avg": (1, 1), "min": (1, 1), "max": (1, 1), "distinct": (1, 1),
               "lower": (1, 1), "upper": (1, 1), "length": (1, 1), "date": (1, 1), "abs": (1, 1),
               "round": (1, 2), "ifnull": (2, 2), "coalesce": (2, 8)}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_TEXT = re.compile(r"^'[^'\\]*'$")


_ORDER_FUNCTION = re.compile(r"^((\w+)\s*\((.*)\))(?:\s+(asc|desc))?$", re.IGNORECASE | re.DOTALL)


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _doctype_exists(doctype: str) -> bool:
    try:
        frappe.get_meta(doctype)
    except frappe.DoesNotExistError:
        return False
    return True


def _split_args(inner: str) -> list[str] | None:
    """Top-level comma-separated arguments; None when one is nested (a function in a function)."""
    if "(" in inner or ")" in inner:
        return None
    parts = [p.strip() for p in inner.split(",")]
    return None if any(not p for p in parts) else parts


def escape_html(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _condition(column, fieldtype, operator, value, values, doctype=None, meta=None) -> str:
    """One SQL condition with placeholders; values appended to ``values``."""
    numeric = fieldtype in ("Int", "Check", "Float", "Currency", "Percent", "Long Int")
    fallback = "0" if numeric else "''"
    if operator in ("in", "not in"):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        elif not isinstance(value, (list, tuple, set)):
            value = [] if value is None else [value]
        value = list(value)
        if not value:
            return "1=0" if operator == "in" else "1=1"
        values.extend(_typed(fieldtype, v) for v in value)
        placeholders = ", ".join(["%s"] * len(value))
        if operator == "in" and "" not in value and None not in value:
            return f"{column} in ({placeholders})"
        return f"ifnull({column}, {fallback}) {operator} ({placeholders})"
    if operator == "is":
        v = cstr(value).lower()
        if v == "set":
            return f"ifnull({column}, {fallback}) != {fallback}" if not numeric else f"{column} is not null"
        if v == "not set":
            return f"ifnull({column}, {fallback}) = {fallback}" if not numeric else f"{column} is null"
        frappe.throw(_("Invalid filter value for 'is': {0}").format(value))
    if operator == "between":
        lo, hi = (list(value) + [None, None])[:2] if isinstance(value, (list, tuple)) else (value, value)
        if fieldtype == "Datetime" and lo and hi and len(cstr(hi)) <= 10:
            hi = f"{cstr(hi)[:10]} 23:59:59.999999"
        values.extend([_typed(fieldtype, lo), _typed(fieldtype, hi)])
        return f"{column} between %s and %s"
    if operator in ("like", "not like"):
        values.append(cstr(value))
        return f"ifnull({column}, '') {operator} %s" if operator == "not like" else f"{column} like %s"
    if operator in ("descendants of", "not descendants of", "ancestors of", "not ancestors of",
                    "descendants of (inclusive)"):
        return _tree_condition(column, operator, value, values, meta)
    if operator in ("=", "!=", ">", "<", ">=", "<=", "<>"):
        if operator == "<>":
            operator = "!="
        if value is None:
            return f"{column} is null" if operator == "=" else f"{column} is not null"
        values.append(_typed(fieldtype, value))
        if operator == "!=":
            return f"ifnull({column}, {fallback}) != %s"
        return f"{column} {operator} %s"
    frappe.throw(_("Invalid filter: {0}").format(operator))


def _tree_condition(column, operator, value, values, meta):
    link_doctype = meta.name if column.endswith("`name`") else None
    if not link_doctype:
        fieldname = column.rsplit("`.`", 1)[-1].strip("`")
        df = meta.get_field(fieldname)
        link_doctype = df.options if df else meta.name
    bounds = frappe.db.get_value(link_doctype, value, ["lft", "rgt"])
    if not bounds:
        return "1=0" if not operator.startswith("not") else "1=1"
    lft, rgt = bounds
    if operator.startswith("descendants"):
        inclusive = "inclusive" in operator
        rows = frappe.db.sql(f"select `name` from `tab{link_doctype}` where `lft` {'>=' if inclusive else '>'} %s "
                             f"and `rgt` {'<=' if inclusive else '<'} %s", (lft, rgt))
    elif operator == "not descendants of":
        rows = frappe.db.sql(f"select `name` from `tab{link_doctype}` where `lft` > %s and `rgt` < %s", (lft, rgt))
    else:
        rows = frappe.db.sql(f"select `name` from `tab{link_doctype}` where `lft` < %s and `rgt` > %s", (lft, rgt))
    names = [r[0] for r in rows]
    op = "not in" if operator.startswith("not") else "in"
    return _condition(column, "Data", op, names, values)


_SCALARS = (str, int, float, bool, datetime.date, datetime.datetime, datetime.time, datetime.timedelta)


def _typed(fieldtype, value):
    if value is None:
        return None
    if not isinstance(value, _SCALARS) and type(value).__name__ != "Decimal":
        # a list or object where one value belongs: the caller's error, not the database's
        frappe.throw(_("Invalid filter value: {0}").format(escape_html(str(value)[:100])), frappe.DataError)
    if fieldtype == "Date" and isinstance(value, str) and value:
        try:
            return getdate(value)
        except Exception:
            return value
    if fieldtype == "Datetime" and isinstance(value, str) and value:
        try:
            return get_datetime(value)
        except Exception:
            return value
    if isinstance(value, bool):
        return int(value)
    return value


def _parse_maybe_json(value):
    if isinstance(value, str):
        value = value.strip()
        if value.startswith(("[", "{")):
            from frappe.utils.caller_input import loads

            # malformed or over-deep JSON in an argument is the caller's error (4xx)
            return loads(value)
    return value


def _merge_filters(filters, extra: dict):
    if not filters:
        return extra
    if isinstance(filters, dict):
        return {**filters, **extra}
    return list(filters) + [[k, *(v if isinstance(v, (list, tuple)) else ("=", v))] for k, v in extra.items()]


def _normalise_filters(doctype, filters) -> list[tuple]:
    """Filters in every accepted shape → [(doctype, fieldname, operator, value)]."""
    out = []
    if filters is None:
        return out
    if isinstance(filters, (str, int)):
        return [(doctype, "name", "=", filters)]
    if isinstance(filters, dict):
        for key, value in filters.items():
            if isinstance(value, (list, tuple)) and len(value) >= 1 and isinstance(value[0], str) and \
                    value[0].lower() in _OPS:
                out.append((doctype, key, value[0], value[1] if len(value) > 1 else None))
            elif isinstance(value, (list, tuple)) and len(value) >= 1 and value[0] in ("=", "!="):
                out.append((doctype, key, value[0], value[1] if len(value) > 1 else None))
            else:
                out.append((doctype, key, "=", value))
        return out
    if isinstance(filters, (list, tuple)):
        if filters and isinstance(filters[0], str) and len(filters) in (3, 4) and \
                (len(filters) == 3 and str(filters[1]).lower() in _OPS or len(filters) == 4):
            filters = [filters]
        for f in filters:
            if isinstance(f, dict):
                out.extend(_normalise_filters(doctype, f))
            elif isinstance(f, (list, tuple)):
                if len(f) == 3:
                    out.append((doctype, f[0], f[1], f[2]))
                elif len(f) >= 4:
                    out.append((f[0], f[1], f[2], f[3]))
                elif len(f) == 2:
                    out.append((doctype, f[0], "=", f[1]))
                else:
                    frappe.throw(_("Filter must have 4 values (doctype, fieldname, operator, value): {0}")
                                 .format(str(f)))
            else:
                frappe.throw(_("Filter must be a tuple or list (in a list)"))
        return out
    frappe.throw(_("Invalid filters: {0}").format(filters))


_OPS = {"=", "!=", ">", "<", ">=", "<=", "<>", "like", "not like", "in", "not in", "is", "between",
        "timespan", "descendants of", "ancestors of", "not descendants of", "not ancestors of",
        "descendants of (inclusive)", "previous", "next"}


def build_where(doctype, filters, values: list) -> str:
    """``where …`` for ``frappe.db`` helpers (no permissions); empty when no filters."""
    if filters is None or filters == {} or filters == []:
        return ""
    q = DatabaseQuery(doctype)
    q.meta = frappe.get_meta(doctype)
    conditions = q.build_conditions(filters)
    values.extend(q.values)
    if q.joins:
        raise frappe.DataError("Filters on other doctypes are not supported here")
    # frappe.db helpers address the table without joins; drop the table qualifier
    sql = " and ".join(conditions).replace(f"`tab{doctype}`.", "")
    return f"where {sql}" if sql else ""


def get_list(doctype, *args, **kwargs):
    return DatabaseQuery(doctype).execute(*args, **kwargs)


def get_date_range(operator: str, value: str):
    today = datetime.date.today()
    return today, today

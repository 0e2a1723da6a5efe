"""``frappe.get_list`` / ``get_all``: filters, fields, ordering, paging and permission conditions."""

from __future__ import annotations

import datetime
import json
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
        if not ignore_permissions:
            self.check_read_permission(parent_doctype)
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

        select = ", ".join(self.build_field(f) for f in fields)
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
            self._check_sql(group_by)
            sql += f" group by {group_by}"
        if order_by == "KEEP_DEFAULT_ORDERING":
            order_by = f"`tab{self.doctype}`.`{self.meta.sort_field or 'modified'}` {self.meta.sort_order or 'desc'}"
        if order_by:
            sql += " order by " + self.build_order_by(order_by)
        page = cint(limit_page_length)
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

    def build_field(self, field) -> str:
        field = str(field).strip()
        if field in ("*", f"`tab{self.doctype}`.*", f"tab{self.doctype}.*"):
            return f"`tab{self.doctype}`.*"
        m = _ALIAS.match(field)
        if m:
            inner, alias = m.group(1).strip(), m.group(2)
            return f"{self.build_field(inner)} as `{alias}`"
        if _IDENT.match(field):
            self._check_column(self.meta, field)
            return f"`tab{self.doctype}`.`{field}`"
        m = _QUALIFIED.match(field)
        if m:
            doctype, column = m.group(1), m.group(2)
            if doctype != self.doctype:
                self.add_child_join(doctype)
            if column != "*":
                self._check_column(frappe.get_meta(doctype), column)
                return f"`tab{doctype}`.`{column}`"
            return f"`tab{doctype}`.*"
        m = _CHILD_DOTTED.match(field)
        if m:
            df = self.meta.get_field(m.group(1))
            if df and df.fieldtype in ("Table", "Table MultiSelect"):
                self.add_child_join(df.options, parentfield=df.fieldname)
                self._check_column(frappe.get_meta(df.options), m.group(2))
                return f"`tab{df.options}`.`{m.group(2)}` as `{m.group(1)}.{m.group(2)}`"
            if df and df.fieldtype == "Link":
                alias = f"`tab{df.options}`"
                self.joins.setdefault(alias, f"{alias}.`name` = `tab{self.doctype}`.`{df.fieldname}`")
                self._check_column(frappe.get_meta(df.options), m.group(2))
                return f"{alias}.`{m.group(2)}` as `{m.group(1)}.{m.group(2)}`"
        m = _FUNC.match(field)
        if m:
            self._check_sql(m.group(2))
            inner = m.group(2).strip()
            if inner in ("*", "") or inner.lower().startswith("distinct"):
                return field
            parts = [p.strip() for p in inner.split(",")]
            built = [self.build_field(p) if (_IDENT.match(p) or _QUALIFIED.match(p)) else p for p in parts]
            return f"{m.group(1)}({', '.join(built)})"
        self._check_sql(field)
        frappe.throw(_("Field not permitted in query: {0}").format(field), frappe.DataError)

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
        out = []
        for part in str(order_by).split(","):
            part = part.strip()
            if not part:
                continue
            m = _ORDER.match(part)
            if m:
                prefix = m.group(1) or f"`tab{self.doctype}`."
                if not prefix.startswith("`"):
                    prefix = "`" + prefix.replace(".", "`.")
                direction = f" {m.group(4).lower()}" if m.group(4) else ""
                out.append(f"{prefix}`{m.group(2)}`{direction}")
            else:
                self._check_sql(part)
                out.append(part)
        return ", ".join(out)

    # ------------------------------------------------------------ filters

    def build_conditions(self, filters) -> list[str]:
        conditions = []
        for f in _normalise_filters(self.doctype, filters):
            conditions.append(self.prepare_filter_condition(f))
        return conditions

    def prepare_filter_condition(self, f) -> str:
        doctype, fieldname, operator, value = f
        operator = (operator or "=").lower().strip()
        if doctype != self.doctype:
            df_parent = None
            for df in self.meta.get_table_fields():
                if df.options == doctype:
                    df_parent = df
            if df_parent or frappe.get_meta(doctype).istable:
                self.add_child_join(doctype)
            else:
                # a filter on a linked doctype: join on the first link field pointing there
                for df in self.meta.get_link_fields():
                    if df.options == doctype:
                        alias = f"`tab{doctype}`"
                        self.joins.setdefault(alias, f"{alias}.`name` = `tab{self.doctype}`.`{df.fieldname}`")
                        break
        meta = frappe.get_meta(doctype)
        if not _IDENT.match(fieldname):
            frappe.throw(_("Field not permitted in query: {0}").format(fieldname), frappe.DataError)
        self._check_column(meta, fieldname)
        column = f"`tab{doctype}`.`{fieldname}`"
        df = meta.get_field(fieldname)
        fieldtype = df.fieldtype if df else ("Datetime" if fieldname in ("creation", "modified") else
                                             "Int" if fieldname in ("docstatus", "idx") else "Data")
        return _condition(column, fieldtype, operator, value, self.values, doctype, meta)

    # ------------------------------------------------------------ permissions

    def check_read_permission(self, parent_doctype=None):
        from frappe.permissions import check_list_permission

        check_list_permission(self.doctype, self.user, parent_doctype)

    def build_match_conditions(self) -> str:
        from frappe.permissions import get_match_conditions

        return get_match_conditions(self.doctype, self.user, self.values)


def _condition(column, fieldtype, operator, value, values, doctype=None, meta=None) -> str:
    """One SQL condition with placeholders; values appended to ``values``."""
    numeric = fieldtype in ("Int", "Check", "Float", "Currency", "Percent", "Long Int")
    fallback = "0" if numeric else "''"
    if operator in ("in", "not in"):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        value = list(value or [])
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


def _typed(fieldtype, value):
    if value is None:
        return None
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
            return json.loads(value)
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

"""Tables from DocType meta: Frappe's table and column conventions on each engine."""

from __future__ import annotations

import frappe
from frappe.model import (CHILD_TABLE_COLUMNS, NON_CHILD_COLUMNS, data_fieldtypes, no_value_fields,
                          table_fields)

_TYPES = {
    # fieldtype: (mariadb, sqlite, postgres); None length means "use varchar(length)"
    "Data": ("varchar", "varchar", "varchar"),
    "Link": ("varchar", "varchar", "varchar"),
    "Dynamic Link": ("varchar", "varchar", "varchar"),
    "Select": ("varchar", "varchar", "varchar"),
    "Autocomplete": ("varchar", "varchar", "varchar"),
    "Barcode": ("longtext", "text", "text"),
    "Color": ("varchar", "varchar", "varchar"),
    "Phone": ("varchar", "varchar", "varchar"),
    "Read Only": ("varchar", "varchar", "varchar"),
    "Attach": ("text", "text", "text"),
    "Attach Image": ("text", "text", "text"),
    "Int": ("int(11)", "int", "bigint"),
    "Long Int": ("bigint(20)", "bigint", "bigint"),
    "Check": ("int(1)", "int", "smallint"),
    "Currency": ("decimal(21,9)", "decimal(21,9)", "decimal(21,9)"),
    "Float": ("decimal(21,9)", "decimal(21,9)", "decimal(21,9)"),
    "Percent": ("decimal(21,9)", "decimal(21,9)", "decimal(21,9)"),
    "Rating": ("decimal(3,2)", "decimal(3,2)", "decimal(3,2)"),
    "Date": ("date", "date", "date"),
    "Datetime": ("datetime(6)", "datetime(6)", "timestamp(6)"),
    "Time": ("time(6)", "time(6)", "time(6)"),
    "Duration": ("decimal(21,9)", "decimal(21,9)", "decimal(21,9)"),
    "Text": ("text", "text", "text"),
    "Small Text": ("text", "text", "text"),
    "Password": ("text", "text", "text"),
    "Long Text": ("longtext", "longtext", "text"),
    "Code": ("longtext", "longtext", "text"),
    "Text Editor": ("longtext", "longtext", "text"),
    "Markdown Editor": ("longtext", "longtext", "text"),
    "HTML Editor": ("longtext", "longtext", "text"),
    "Signature": ("longtext", "longtext", "text"),
    "Geolocation": ("longtext", "longtext", "text"),
    "JSON": ("json", "text", "text"),
    "Icon": ("varchar", "varchar", "varchar"),
}
_ENGINE_INDEX = {"mariadb": 0, "sqlite": 1, "postgres": 2}


def column_type(db_type: str, fieldtype: str, length=None) -> str | None:
    """SQL column type for a fieldtype on an engine (None for fields without a column)."""
    spec = _TYPES.get(fieldtype)
    if not spec:
        return None
    t = spec[_ENGINE_INDEX[db_type]]
    if t == "varchar":
        t = f"varchar({int(length or frappe.db.VARCHAR_LEN)})"
    if db_type == "sqlite" and (t.startswith("varchar") or t in ("text", "longtext")):
        # MariaDB's utf8mb4_unicode_ci compares case-insensitively; keep that on SQLite
        t += " collate nocase"
    return t


def _default_sql(db_type, df) -> str:
    default = df.get("default")
    if df.fieldtype in ("Check", "Int"):
        try:
            return f" not null default {int(default or 0)}"
        except (TypeError, ValueError):
            return " not null default 0"
    if df.fieldtype in ("Currency", "Float", "Percent"):
        try:
            return f" not null default {float(default or 0)}"
        except (TypeError, ValueError):
            return " not null default 0"
    return ""


def _standard_columns(db_type: str, istable: bool) -> list[str]:
    vc = column_type(db_type, "Data", 140)
    dt = column_type(db_type, "Datetime")
    text = column_type(db_type, "Text")
    pk = f"`name` {vc} not null primary key"
    cols = [pk, f"`creation` {dt}", f"`modified` {dt}", f"`modified_by` {vc}", f"`owner` {vc}",
            f"`docstatus` {'smallint' if db_type == 'postgres' else 'int(1)' if db_type == 'mariadb' else 'int'} not null default 0",
            f"`idx` {'bigint' if db_type == 'postgres' else 'int(8)' if db_type == 'mariadb' else 'int'} not null default 0"]
    if istable:
        cols += [f"`parent` {vc}", f"`parentfield` {vc}", f"`parenttype` {vc}"]
    else:
        cols += [f"`{c}` {text}" for c in NON_CHILD_COLUMNS]
    return cols


def field_columns(meta) -> list[tuple[str, str, object]]:
    """(fieldname, column type, docfield) for every field that has a column."""
    out = []
    for df in meta.fields:
        if df.fieldtype in no_value_fields or df.fieldtype in table_fields or df.get("is_virtual"):
            continue
        t = column_type(frappe.db.db_type, df.fieldtype, df.get("length"))
        if t:
            out.append((df.fieldname, t, df))
    return out


def sync_table(meta) -> None:
    """Create the doctype's table, or add missing columns and indexes (Frappe's updatedb)."""
    if meta.issingle or meta.get("is_virtual"):
        return
    db = frappe.db
    table = f"tab{meta.name}"
    standard = set(frappe.db.DEFAULT_COLUMNS) | set(CHILD_TABLE_COLUMNS if meta.istable else NON_CHILD_COLUMNS)
    columns = [(f, t, df) for f, t, df in field_columns(meta) if f not in standard]
    if not db.table_exists(meta.name, cached=False):
        defs = _standard_columns(db.db_type, meta.istable)
        defs += [f"`{f}` {t}{_default_sql(db.db_type, df)}" for f, t, df in columns]
        suffix = ""
        if db.db_type == "mariadb":
            suffix = " engine=InnoDB row_format=dynamic character set=utf8mb4 collate=utf8mb4_unicode_ci"
        db.sql_ddl(f"create table `{table}` ({', '.join(defs)}){suffix}")
    else:
        existing = set(db.get_db_table_columns(table))
        for f, t, df in columns:
            if f not in existing:
                db.sql_ddl(f"alter table `{table}` add column `{f}` {t}{_default_sql(db.db_type, df)}")
    _sync_indexes(meta, columns)


def _sync_indexes(meta, columns) -> None:
    db = frappe.db
    if meta.istable:
        db.add_index(meta.name, ["parent"], "parent")
    else:
        db.add_index(meta.name, ["modified"], "modified")
    for f, t, df in columns:
        if df.get("unique"):
            db.add_unique(meta.name, [f], f)
        elif df.get("search_index") and not t.startswith(("text", "longtext")):
            db.add_index(meta.name, [f], f"{f}_index")


def create_core_tables() -> None:
    """Tables Frappe keeps outside of DocTypes: Singles, Series, __Auth, DefaultValue, Sessions."""
    db = frappe.db
    vc = column_type(db.db_type, "Data", 140)
    text = column_type(db.db_type, "Long Text")
    dt = column_type(db.db_type, "Datetime")
    suffix = " engine=InnoDB character set=utf8mb4 collate=utf8mb4_unicode_ci" if db.db_type == "mariadb" else ""
    integer = "int" if db.db_type != "postgres" else "integer"
    tables = {
        "tabSingles": f"`doctype` {vc}, `field` {vc}, `value` {text}",
        "tabSeries": f"`name` {column_type(db.db_type, 'Data', 100)} not null primary key, "
                     f"`current` {integer} not null default 0",
        "__Auth": f"`doctype` {vc} not null, `name` {column_type(db.db_type, 'Data', 255)} not null, "
                  f"`fieldname` {vc} not null, `password` {column_type(db.db_type, 'Text')} not null, "
                  f"`encrypted` {integer} not null default 0, primary key (`doctype`, `name`, `fieldname`)",
        "tabDefaultValue": f"`name` {vc} not null primary key, `creation` {dt}, `modified` {dt}, "
                           f"`modified_by` {vc}, `owner` {vc}, `docstatus` {integer} not null default 0, "
                           f"`idx` {integer} not null default 0, `parent` {vc}, `parentfield` {vc}, "
                           f"`parenttype` {vc}, `defkey` {vc}, `defvalue` {text}",
        "tabSessions": f"`user` {vc}, `sid` {vc}, `sessiondata` {text}, `ipaddress` {vc}, "
                       f"`lastupdate` {dt}, `status` {vc}",
        "tabPatch Log": f"`name` {vc} not null primary key, `creation` {dt}, `modified` {dt}, "
                        f"`modified_by` {vc}, `owner` {vc}, `docstatus` {integer} not null default 0, "
                        f"`idx` {integer} not null default 0, `patch` {text}, `skipped` {integer} default 0",
    }
    existing = set(db.get_tables(cached=False))
    for table, cols in tables.items():
        if table not in existing:
            db.sql_ddl(f"create table `{table}` ({cols}){suffix}")
    if not db.has_index("tabSingles", "singles_doctype_field"):
        db.sql_ddl("create index `singles_doctype_field` on `tabSingles` (`doctype`, `field`)")
    if not db.has_index("tabSessions", "sessions_sid"):
        db.sql_ddl("create index `sessions_sid` on `tabSessions` (`sid`)")
    if not db.has_index("tabDefaultValue", "defaultvalue_parent_defkey"):
        db.sql_ddl("create index `defaultvalue_parent_defkey` on `tabDefaultValue` (`parent`, `defkey`)")

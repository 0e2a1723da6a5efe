"""DocType metadata read from the apps' DocType JSON files, merged with Custom Field records.

Frappe keeps meta in the ``tabDocType`` tables; the runtime reads the same JSON files directly
(they are the source of truth on a bench too) and caches them per process.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

import frappe
from frappe import _
from frappe.model import (child_table_fields, data_fieldtypes, default_fields, float_like_fields,
                          no_value_fields, table_fields)

_meta_cache: dict = {}
# field types whose values are checked against a length on save (Int / Long Int against their column's range)
_LENGTH_CHECKED = ("Int", "Long Int", "Data", "Link", "Dynamic Link", "Select", "Read Only", "Phone", "Color")

DOCFIELD_DEFAULTS = {
    "reqd": 0, "read_only": 0, "hidden": 0, "unique": 0, "search_index": 0, "permlevel": 0,
    "allow_on_submit": 0, "no_copy": 0, "set_only_once": 0, "in_list_view": 0, "in_standard_filter": 0,
    "ignore_user_permissions": 0, "is_virtual": 0, "fetch_if_empty": 0, "non_negative": 0,
}
PERM_KEYS = ("select", "read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export",
             "import", "share", "print", "email")


@lru_cache(maxsize=None)
def _doctype_index(apps: tuple) -> dict:
    """doctype name → (app, module, json path) for every doctype folder of ``apps``."""
    index = {}
    for app in apps:
        for module in frappe.get_module_list(app):
            folder = frappe.get_app_path(app, frappe.scrub(module), "doctype")
            if not os.path.isdir(folder):
                continue
            for entry in sorted(os.listdir(folder)):
                path = os.path.join(folder, entry, f"{entry}.json")
                if os.path.exists(path):
                    with open(path, encoding="utf-8") as f:
                        name = json.load(f).get("name")
                    if name:
                        index[name] = (app, module, path)
    return index


def get_doctype_index() -> dict:
    apps = frappe.get_installed_apps()
    if frappe.local.flags.get("in_install_app_name"):
        extra = frappe.local.flags.in_install_app_name
        if extra not in apps:
            apps = apps + [extra]
    return _doctype_index(tuple(apps))


def doctype_json_path(doctype: str):
    entry = get_doctype_index().get(doctype)
    return entry[2] if entry else None


def get_meta(doctype, cached: bool = True) -> "Meta":
    """Meta of ``doctype`` (a name, or a Document whose doctype is used)."""
    if not isinstance(doctype, str):
        doctype = doctype.doctype
    key = (getattr(frappe.local, "site", None), doctype)
    if cached and key in _meta_cache:
        return _meta_cache[key]
    meta = Meta(doctype)
    _meta_cache[key] = meta
    return meta


def clear_meta_cache(doctype: str | None = None) -> None:
    if doctype is None:
        _meta_cache.clear()
        _doctype_index.cache_clear()
        return
    for key in [k for k in _meta_cache if k[1] == doctype]:
        _meta_cache.pop(key, None)


def load_doctype_from_file(doctype: str) -> dict:
    path = doctype_json_path(doctype)
    if not path:
        raise frappe.DoesNotExistError(_("DocType {0} not found").format(doctype), doctype="DocType")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Meta(frappe._dict):
    """Frappe's Meta: the DocType definition with lookups by fieldname and type."""

    def __init__(self, doctype: str):
        super().__init__()
        data = load_doctype_from_file(doctype)
        entry = get_doctype_index().get(doctype)
        self.update({k: v for k, v in data.items() if k not in ("fields", "permissions")})
        self.app = entry[0]
        self.name = data["name"]
        self.module = data.get("module") or entry[1]
        for key in ("istable", "issingle", "is_submittable", "is_tree", "is_virtual", "custom",
                    "track_changes", "track_seen", "allow_rename", "allow_import", "in_create", "read_only"):
            self[key] = int(data.get(key) or 0)
        self.sort_field = data.get("sort_field") or "modified"
        self.sort_order = data.get("sort_order") or "DESC"
        self.fields = [self._docfield(df, i) for i, df in enumerate(data.get("fields") or [])]
        self.permissions = [frappe._dict({"role": p.get("role"), "permlevel": int(p.get("permlevel") or 0),
                                          "if_owner": int(p.get("if_owner") or 0),
                                          **{k: int(p.get(k) or 0) for k in PERM_KEYS}})
                            for p in data.get("permissions") or []]
        self._add_custom_fields()
        self._apply_property_setters()
        self._apply_custom_perms()
        self._build_maps()

    def _docfield(self, df: dict, idx: int):
        out = frappe._dict(DOCFIELD_DEFAULTS)
        out.update(df)
        out.parent = self.get("name")
        out.idx = idx + 1
        for key in DOCFIELD_DEFAULTS:
            out[key] = int(out.get(key) or 0)
        return out

    def _add_custom_fields(self) -> None:
        if self.name in ("Custom Field", "DocType") or not getattr(frappe.local, "db", None):
            return
        if not frappe.db.table_exists("Custom Field"):
            return
        rows = frappe.db.sql("select * from `tabCustom Field` where `dt`=%s order by `idx`, `creation`, `name`",
                             (self.name,), as_dict=True)
        pending = []
        for row in rows:
            df = self._docfield({k: row.get(k) for k in row if k not in default_fields and row.get(k) is not None},
                                len(self.fields))
            df.is_custom_field = 1
            df.pop("dt", None)
            self.fields = [f for f in self.fields if f.fieldname != df.fieldname]
            pending.append((row.get("insert_after"), df))
        # place each custom field after its insert_after field; a field placed after another custom
        # field waits for that one, whatever order the rows came in; the rest go at the end
        while pending:
            placed = False
            for entry in list(pending):
                insert_after, df = entry
                names = [f.fieldname for f in self.fields]
                if insert_after and insert_after in names:
                    self.fields.insert(names.index(insert_after) + 1, df)
                elif not insert_after or insert_after not in {d.fieldname for _a, d in pending}:
                    self.fields.append(df)
                else:
                    continue
                pending.remove(entry)
                placed = True
            if not placed:
                for _after, df in pending:
                    self.fields.append(df)
                break
        for i, f in enumerate(self.fields):
            f.idx = i + 1

    def _apply_property_setters(self) -> None:
        """Property Setter records override doctype and field properties (typed by property_type)."""
        if self.name in ("Property Setter", "Custom Field") or not getattr(frappe.local, "db", None) \
                or not frappe.db.table_exists("Property Setter"):
            return
        rows = frappe.db.sql("select `doctype_or_field`, `field_name`, `property`, `value`, `property_type` "
                             "from `tabProperty Setter` where `doc_type`=%s order by `creation`", (self.name,),
                             as_dict=True)
        for row in rows:
            value = row.value
            if row.property_type in ("Check", "Int") or row.property in DOCFIELD_DEFAULTS:
                value = int(value or 0)
            if row.doctype_or_field == "DocType":
                self[row.property] = value
            else:
                for df in self.fields:
                    if df.fieldname == row.field_name:
                        df[row.property] = value

    def _apply_custom_perms(self) -> None:
        """Custom DocPerm rows, when a doctype has any, replace its standard permissions."""
        if self.name in ("Custom DocPerm",) or not getattr(frappe.local, "db", None) \
                or not frappe.db.table_exists("Custom DocPerm"):
            return
        rows = frappe.db.sql("select * from `tabCustom DocPerm` where `parent`=%s order by `idx`, `creation`",
                             (self.name,), as_dict=True)
        if rows:
            self.permissions = [frappe._dict({"role": r.role, "permlevel": int(r.permlevel or 0),
                                              "if_owner": int(r.if_owner or 0),
                                              **{k: int(r.get(k) or 0) for k in PERM_KEYS}}) for r in rows]

    def _build_maps(self) -> None:
        self._fields = {df.fieldname: df for df in self.fields if df.get("fieldname")}
        self._table_fields = [df for df in self.fields if df.fieldtype in table_fields]
        self._valid_columns = None
        self._valid_column_fields = None
        self._db_columns = None
        # field lists asked for many times per save (a Sales Order submit: ~30 link scans of ~250 fields)
        self._link_fields = [df for df in self.fields if df.fieldtype == "Link" and df.options != "[Select]"]
        self._high_permlevel_fields = [df for df in self.fields if df.permlevel > 0]
        self._dynamic_link_fields = [df for df in self.fields if df.fieldtype == "Dynamic Link"]
        self._select_fields = [df for df in self.fields if df.fieldtype == "Select"]
        # what every save's validation walks (each row of a Sales Order has ~90 fields, 12 of them numeric)
        self._numeric_fields = [df for df in self.fields if df.fieldtype in ("Int", "Check")
                                or df.fieldtype in float_like_fields]
        self._length_checked_fields = [df for df in self.fields if df.fieldtype in _LENGTH_CHECKED]

    # ------------------------------------------------------------ lookups

    def get_field(self, fieldname: str):
        return self._fields.get(fieldname)

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self._fields

    def get_label(self, fieldname: str) -> str:
        df = self.get_field(fieldname)
        if df:
            return df.label or fieldname
        return {"name": "ID", "owner": "Created By", "modified_by": "Last Updated By",
                "creation": "Created On", "modified": "Last Updated On", "docstatus": "Document Status",
                "idx": "Index"}.get(fieldname, fieldname)

    def get_options(self, fieldname: str) -> str:
        df = self.get_field(fieldname)
        return df.options if df else ""

    def get_link_fields(self):
        return list(self._link_fields)

    def get_dynamic_link_fields(self):
        return list(self._dynamic_link_fields)

    def get_select_fields(self):
        return list(self._select_fields)

    def get_table_fields(self):
        return self._table_fields

    def get_table_field_doctype(self, fieldname: str):
        df = self.get_field(fieldname)
        return df.options if df and df.fieldtype in table_fields else None

    def get_password_fields(self):
        return [df for df in self.fields if df.fieldtype == "Password"]

    def get_fieldnames_with_value(self, with_field_meta=False, with_virtual_fields=False):
        return [df if with_field_meta else df.fieldname for df in self.fields
                if df.fieldtype not in no_value_fields and (with_virtual_fields or not df.get("is_virtual"))]

    def get_valid_columns(self) -> list[str]:
        """The fields a row of this doctype carries, in Frappe's order: the standard fields, the data
        fields in field order (virtual ones included), then parent/parentfield/parenttype on child tables."""
        if self._valid_columns is None:
            columns = list(default_fields[1:])
            columns += [df.fieldname for df in self.fields if df.fieldtype in data_fieldtypes]
            if self.istable:
                columns += list(child_table_fields)
            self._valid_columns = columns
        return self._valid_columns

    def get_valid_column_fields(self) -> list[tuple]:
        """``(fieldname, df or None, is_virtual)`` for each valid column: what every row's get_valid_dict
        walks (a Sales Order has ~270 columns; a save, its answer and its dispatches walk ~24 rows)."""
        if self._valid_column_fields is None:
            fields = []
            for fieldname in self.get_valid_columns():
                df = self.get_field(fieldname)
                fields.append((fieldname, df, bool(df and df.get("is_virtual"))))
            self._valid_column_fields = fields
        return self._valid_column_fields

    def get_db_columns(self) -> list[str]:
        """The valid columns that exist in the table (virtual fields have no column)."""
        if self._db_columns is None:
            virtual = {df.fieldname for df in self.fields if df.get("is_virtual")}
            self._db_columns = [c for c in self.get_valid_columns() if c not in virtual]
        return self._db_columns

    def get_permitted_fieldnames(self, parenttype=None, *, user=None, permission_type="read",
                                 with_virtual_fields=True) -> list[str]:
        """Fieldnames at the permlevels ``user`` may read (through the parent's rules for a child table)."""
        levels = self.get_permitted_levels(parenttype, user=user, permission_type=permission_type)
        return [df.fieldname for df in self.get_fieldnames_with_value(with_field_meta=True,
                                                                       with_virtual_fields=with_virtual_fields)
                if df.permlevel in levels]

    def get_permitted_levels(self, parenttype=None, *, user=None, permission_type="read") -> set[int]:
        """The permlevels of this doctype's fields ``user`` may read (through the parent's rules for a child table)."""
        user = user or frappe.session.user
        if user == "Administrator":
            return {df.permlevel for df in self.fields}
        meta = get_meta(parenttype) if (self.istable and parenttype) else self
        return set(meta.get_permlevel_access(permission_type, user=user))

    def get_naming_series_options(self) -> list[str]:
        """The lines of the naming_series field's options ([] without such a field)."""
        df = self.get_field("naming_series")
        return (df.options or "").split("\n") if df else []

    def get_search_fields(self):
        fields = [f.strip() for f in (self.get("search_fields") or "").split(",") if f.strip()]
        return ["name"] + fields

    def get_title_field(self) -> str:
        return self.get("title_field") or "name"

    def get_permissions(self, parenttype=None):
        return self.permissions

    def get_permlevel_access(self, permission_type="read", parenttype=None, *, user=None):
        roles = set(frappe.get_roles(user))
        return sorted({p.permlevel for p in self.permissions if p.role in roles and p.get(permission_type)})

    def get_high_permlevel_fields(self):
        return list(self._high_permlevel_fields)

    def is_nested_set(self) -> bool:
        return bool(self.is_tree)

    def get_nsm_parent_field(self) -> str:
        return self.get("nsm_parent_field") or f"parent_{frappe.scrub(self.name)}"

    @property
    def controller_module_path(self) -> str:
        return f"{self.app}.{frappe.scrub(self.module)}.doctype.{frappe.scrub(self.name)}.{frappe.scrub(self.name)}"


def get_doctype_rows(filters=None, fieldname="name", limit=None) -> list:
    """``frappe.db.get_value("DocType", ...)`` answered from the doctype definitions: rows (dicts of
    ``fieldname``) of the doctypes matching ``filters`` (a name, or equality / "in" conditions)."""
    if isinstance(filters, (str, int)):
        filters = {"name": filters}
    if isinstance(filters, (list, tuple)):
        filters = {f[-3]: (f[-2], f[-1]) for f in filters if isinstance(f, (list, tuple)) and len(f) >= 3}
    filters = dict(filters or {})
    fields = [f.strip() for f in fieldname.split(",")] if isinstance(fieldname, str) else list(fieldname)
    out = []
    for name in sorted(get_doctype_index()):
        meta = get_meta(name)
        if not all(_matches(meta.get(key) if key != "name" else name, cond) for key, cond in filters.items()):
            continue
        if fields == ["*"]:
            row = frappe._dict({k: v for k, v in meta.items() if not k.startswith("_") and not isinstance(v, list)})
        else:
            row = frappe._dict({f: (name if f == "name" else meta.get(f)) for f in fields})
        out.append(row)
        if limit and len(out) >= limit:
            break
    return out


def _matches(value, cond) -> bool:
    if isinstance(cond, (list, tuple)) and len(cond) == 2 and isinstance(cond[0], str):
        op, target = cond[0].lower(), cond[1]
        if op in ("=", "=="):
            return value == target
        if op == "!=":
            return value != target
        if op == "in":
            return value in (target if isinstance(target, (list, tuple, set)) else [target])
        if op == "not in":
            return value not in (target if isinstance(target, (list, tuple, set)) else [target])
        if op == "is":
            return bool(value) == (target == "set")
        return False
    return value == cond


def is_single(doctype: str) -> bool:
    return bool(get_meta(doctype).issingle)


def get_table_columns(doctype: str) -> list[str]:
    return frappe.db.get_table_columns(doctype)


def get_field_precision(df, doc=None, currency=None) -> int:
    """Decimal places for a numeric field: its ``precision``, else the site's ``currency_precision``
    (Currency; falling back to the number format's decimals) or ``float_precision`` (default 3)."""
    from frappe.utils import cint
    from frappe.utils.data import get_number_format_info

    if df.get("precision"):
        return cint(df.precision)
    if df.fieldtype == "Currency":
        precision = cint(frappe.db.get_default("currency_precision"))
        if not precision:
            number_format = frappe.db.get_default("number_format") or "#,###.##"
            precision = get_number_format_info(number_format)[2]
        return precision
    return cint(frappe.db.get_default("float_precision")) or 3

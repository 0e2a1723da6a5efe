"""The meta Desk loads for a form or list: the DocType definition plus its client code (``__js``…).

Frappe's ``FormMeta`` is the DocType document with the files next to its JSON attached: the form
script ``<doctype>.js`` followed by every ``doctype_js`` hook file (``__js``), the list script
``<doctype>_list.js`` plus ``doctype_list_js`` hooks (``__list_js``), ``<doctype>.css`` (``__css``),
the calendar/tree/map scripts, grid templates from ``templates/*.html``, the dashboard of
``<doctype>_dashboard.py`` and the (here always empty) Client Scripts as ``__custom_js``.
Each file is prefixed with ``/* Adding <bench path> */`` as Frappe does, so browser stack traces
name the file.
"""

from __future__ import annotations

import hashlib
import json
import os

import frappe
from frappe.model import table_fields

# DocType properties Frappe's DocType document always carries (the DocType doctype's defaults); a
# doctype's JSON overrides them. Only non-null values reach the client, as Frappe's as_dict(no_nulls).
DOCTYPE_PROPERTY_DEFAULTS = {
    "issingle": 0, "is_virtual": 0, "is_tree": 0, "istable": 0, "editable_grid": 0, "track_changes": 0,
    "sort_field": "modified", "sort_order": "DESC", "read_only": 0, "in_create": 0, "allow_copy": 0,
    "allow_rename": 0, "allow_import": 0, "hide_toolbar": 0, "track_seen": 0, "max_attachments": 0,
    "engine": "InnoDB", "is_submittable": 0, "show_name_in_global_search": 0, "custom": 0, "beta": 0,
    "has_web_view": 0, "allow_guest_to_view": 0, "email_append_to": 0, "show_title_field_in_link": 0,
    "translated_doctype": 0, "is_calendar_and_gantt": 0, "quick_entry": 0, "grid_page_length": 50,
    "rows_threshold_for_grid_search": 20, "track_views": 0, "queue_in_background": 0,
    "allow_events_in_timeline": 0, "allow_auto_repeat": 0, "make_attachments_public": 0,
    "force_re_route_to_default_view": 0, "show_preview_popup": 0, "protect_attached_files": 0,
    "index_web_pages_for_search": 1, "row_format": "Dynamic",
}
# JSON keys that are not DocType properties (field_order only orders the fields)
_NOT_PROPERTIES = {"fields", "permissions", "field_order", "actions", "links", "states", "doctype", "name", "app",
                   # set above from the definition (modified: also its files and customizations)
                   "creation", "modified", "modified_by", "owner"}
_CHILD_LISTS = ("actions", "links", "states")


def get_meta_bundle(doctype: str) -> list[dict]:
    """The doctype's form meta followed by the form meta of each of its child tables.

    The first doc's ``modified`` is the latest change of anything in the bundle (a child's custom
    field too): Desk sends it back as ``cached_timestamp`` and ``getdoctype`` compares only that one.
    """
    main = get_form_meta(doctype)
    bundle = [main]
    seen = {doctype}
    for df in main["fields"]:
        if df.get("fieldtype") in table_fields and df.get("options") and df["options"] not in seen:
            seen.add(df["options"])
            bundle.append(get_form_meta(df["options"]))
    main["modified"] = max(doc["modified"] for doc in bundle)
    return bundle


def get_bundle_timestamp(doctype: str) -> str:
    """The ``modified`` that ``get_meta_bundle(doctype)`` would give its first doc, without building the
    bundle (no client code read): what ``getdoctype`` compares ``cached_timestamp`` with."""
    meta = frappe.get_meta(doctype)
    names = [doctype] + list(dict.fromkeys(df.options for df in meta.fields
                                           if df.fieldtype in table_fields and df.options and df.options != doctype))
    return max(_form_meta_timestamp(frappe.get_meta(name)) for name in names)


def get_form_meta(doctype: str) -> dict:
    """One doctype's meta as Desk receives it (see the module docstring)."""
    meta = frappe.get_meta(doctype)
    out = {"doctype": "DocType", "name": meta.name}
    stamp = _definition_timestamp(meta)
    # a DocType record always has these; a JSON file without them was written by the standard user
    out["creation"] = _stamp_text(meta.get("creation")) or stamp
    out["modified"] = _form_meta_timestamp(meta, stamp)
    out["modified_by"] = meta.get("modified_by") or "Administrator"
    out["owner"] = meta.get("owner") or "Administrator"
    out["docstatus"] = 0
    out["idx"] = 0
    properties = dict(DOCTYPE_PROPERTY_DEFAULTS)
    properties.update({k: v for k, v in meta.items()
                       if k not in _NOT_PROPERTIES and not k.startswith("_") and _is_plain(v)})
    properties["module"] = meta.module
    properties["migration_hash"] = _migration_hash(meta)
    out.update({k: v for k, v in properties.items() if v is not None})
    out["fields"] = [_plain(df) for df in meta.fields]
    out["permissions"] = [_plain(p) for p in meta.permissions]
    tables = [df.fieldname for df in meta.fields if df.fieldtype in table_fields]
    if tables:
        out["_table_fields"] = [_plain(df) for df in meta.fields if df.fieldtype in table_fields]
    out["is_large_table"] = False
    for key in _CHILD_LISTS:
        out[key] = list(meta.get(key) or [])
    out.update(_client_code(meta))
    return out


STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
# the site's records that change a doctype's meta: (table, column naming the doctype)
CUSTOMIZATION_TABLES = (("Custom Field", "dt"), ("Property Setter", "doc_type"), ("Custom DocPerm", "parent"))


def _stamp_text(value) -> str | None:
    """A datetime (or its text) in one fixed format, so stamps compare as strings."""
    if not value:
        return None
    return frappe.utils.get_datetime(value).strftime(STAMP_FORMAT)


def _definition_timestamp(meta) -> str:
    """When the definition last changed: the latest modification time of its JSON file and of the
    client code delivered with it (``<doctype>.js``, ``_list.js``…, ``doctype_js`` hook files)."""
    from datetime import datetime

    from frappe.model.meta import doctype_json_path

    path = doctype_json_path(meta.name)
    paths = [path] if path else []
    folder = os.path.dirname(path) if path else None
    if folder:
        base = frappe.scrub(meta.name)
        paths += [os.path.join(folder, entry) for entry in os.listdir(folder)
                  if entry.startswith(base) and entry.endswith((".js", ".css", ".html"))]
        templates = os.path.join(folder, "templates")
        if os.path.isdir(templates):
            paths += [os.path.join(templates, entry) for entry in os.listdir(templates)]
    for hook in ("doctype_js", "doctype_list_js", "doctype_tree_js"):
        paths += [p for _app, p in _hook_files(hook, meta.name)]
    mtimes = [os.path.getmtime(p) for p in paths if os.path.isfile(p)]
    when = datetime.fromtimestamp(max(mtimes)) if mtimes else datetime(2000, 1, 1)
    return when.strftime(STAMP_FORMAT)


def _form_meta_timestamp(meta, definition_stamp: str | None = None) -> str:
    """The latest of the definition, its files and the site's customizations of it, so a cached copy
    is known stale."""
    return max(filter(None, (_stamp_text(meta.get("modified")), definition_stamp or _definition_timestamp(meta),
                             _customization_timestamp(meta.name))))


def _customization_timestamp(doctype: str) -> str | None:
    """The latest ``modified`` of the Custom Fields, Property Setters and Custom DocPerms of
    ``doctype`` (what migrate and Customize Form add); None when it has none."""
    if not getattr(frappe.local, "db", None):
        return None
    latest = []
    for table, column in CUSTOMIZATION_TABLES:
        if frappe.db.table_exists(table):
            rows = frappe.db.sql(f"select max(`modified`) from `tab{table}` where `{column}`=%s", (doctype,))
            latest.append(_stamp_text(rows[0][0] if rows else None))
    latest = [v for v in latest if v]
    return max(latest) if latest else None


def get_metadata_version() -> str:
    """A digest of every customization record on the site (count and latest change per table): it
    changes when one is added, changed or removed, and Desk then drops its whole meta cache (a
    removed Custom Field leaves no newer ``modified`` behind)."""
    state = []
    for table, _column in CUSTOMIZATION_TABLES:
        if frappe.db.table_exists(table):
            count, latest = frappe.db.sql(f"select count(*), max(`modified`) from `tab{table}`")[0]
            state.append([table, int(count or 0), _stamp_text(latest)])
    state.append(sorted(frappe.get_installed_apps()))
    return hashlib.sha256(json.dumps(state).encode("utf-8")).hexdigest()[:16]


def _is_plain(value) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _plain(row) -> dict:
    return {k: v for k, v in dict(row).items() if not k.startswith("_") and v is not None}


def _migration_hash(meta) -> str:
    """A digest of the definition (Frappe stores one per DocType at migrate)."""
    text = json.dumps({"fields": [dict(df) for df in meta.fields], "name": meta.name}, sort_keys=True, default=str)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _doctype_folder(meta) -> str | None:
    from frappe.model.meta import doctype_json_path

    path = doctype_json_path(meta.name)
    return os.path.dirname(path) if path else None


def _bench_path(app: str, path: str) -> str:
    """``apps/<app>/<app>/…`` as a bench names the file (never the server's own folders)."""
    root = os.path.dirname(frappe.get_app_path(app))
    rel = os.path.relpath(path, root)
    return f"apps/{app}/{rel}" if not rel.startswith("..") else os.path.basename(path)


def _read_code(app: str, path: str) -> str | None:
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f"\n\n/* Adding {_bench_path(app, path)} */\n\n{f.read()}\n"


def _hook_files(hook: str, doctype: str) -> list[tuple[str, str]]:
    """(app, absolute path) of each ``doctype_js``-style hook file for ``doctype``, in app order."""
    out = []
    for app in frappe.get_installed_apps():
        from frappe import _load_app_hooks

        entries = (_load_app_hooks(app).get(hook) or {}).get(doctype) or []
        for rel in entries if isinstance(entries, list) else [entries]:
            out.append((app, frappe.get_app_path(app, rel)))
    return out


def _join(parts) -> str | None:
    parts = [p for p in parts if p]
    return "".join(parts) if parts else None


def _client_code(meta) -> dict:
    folder = _doctype_folder(meta)
    app = meta.get("app") or "frappe"
    base = frappe.scrub(meta.name)

    def own(suffix: str) -> str | None:
        return _read_code(app, os.path.join(folder, base + suffix)) if folder else None

    code = {
        "__js": _join([own(".js")] + [_read_code(a, p) for a, p in _hook_files("doctype_js", meta.name)]),
        "__list_js": _join([own("_list.js")] + [_read_code(a, p) for a, p in _hook_files("doctype_list_js", meta.name)]),
        "__calendar_js": own("_calendar.js"),
        "__map_js": own("_map.js"),
        "__tree_js": _join([own("_tree.js")] + [_read_code(a, p) for a, p in _hook_files("doctype_tree_js", meta.name)]),
        "__css": _css(folder, base),
        # Client Scripts live in the database on Frappe; the runtime has none, the marker stays
        "__custom_js": f"\n\n//# sourceURL={base}__custom_js",
        "__custom_list_js": f"\n\n//# sourceURL={base}__custom_list_js",
        "__assets_loaded": True,
        "__linked_with": None,
        "__messages": None,
        "__print_formats": [],
        "__workflow_docs": [],
        "__form_grid_templates": _grid_templates(folder),
        "__listview_template": _listview_template(folder, base),
        "__dashboard": _dashboard(meta, folder, base),
        "__kanban_column_fields": [],
        "__templates": None,
    }
    return code


def _css(folder, base) -> str | None:
    if not folder:
        return None
    path = os.path.join(folder, base + ".css")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def _grid_templates(folder) -> dict | None:
    """``templates/<fieldname>.html`` next to the JSON: the rows' templates of that Table field."""
    if not folder:
        return None
    templates_dir = os.path.join(folder, "templates")
    if not os.path.isdir(templates_dir):
        return None
    out = {}
    for entry in sorted(os.listdir(templates_dir)):
        if entry.endswith(".html"):
            with open(os.path.join(templates_dir, entry), encoding="utf-8") as f:
                out[entry[:-5]] = f.read()
    return out or None


def _listview_template(folder, base) -> str | None:
    if not folder:
        return None
    path = os.path.join(folder, base + "_list.html")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def _dashboard(meta, folder, base) -> dict:
    """Frappe's dashboard data: ``get_data()`` of ``<doctype>_dashboard.py`` over empty defaults."""
    data = {"transactions": [], "non_standard_fieldnames": {}, "internal_links": {}}
    if not folder or not os.path.isfile(os.path.join(folder, base + "_dashboard.py")):
        return data
    module_path = _module_name(meta, base) + "_dashboard"
    module = frappe.get_module(module_path)
    custom = module.get_data() if hasattr(module, "get_data") else {}
    data.update(custom or {})
    return data


def _module_name(meta, base) -> str:
    app = meta.get("app") or "frappe"
    return f"{app}.{frappe.scrub(meta.module)}.doctype.{base}.{base}"

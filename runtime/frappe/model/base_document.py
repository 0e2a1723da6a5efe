"""Field storage, type coercion, DB row I/O and framework validation shared by documents and rows."""

from __future__ import annotations

import datetime
import importlib
import json
import math
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils.data import cint, flt, get_datetime, getdate
from frappe.model import (child_table_fields, data_fieldtypes, default_fields, float_like_fields,
                          no_value_fields, table_fields)

_controller_cache: dict = {}


def get_controller(doctype: str):
    """The controller class for ``doctype``: override_doctype_class hook, module convention, or Document."""
    from frappe.model.document import Document

    site_key = (tuple(frappe.get_installed_apps()), doctype)
    if site_key in _controller_cache:
        return _controller_cache[site_key]
    from frappe.model.meta import get_doctype_index

    if doctype not in get_doctype_index():
        _import_missing_controller(doctype)
    overrides = frappe.get_hooks("override_doctype_class") or {}
    cls = None
    if overrides.get(doctype):
        cls = frappe.get_attr(overrides[doctype][-1])
    else:
        meta = frappe.get_meta(doctype)
        if not meta.custom:
            classname = doctype.replace(" ", "").replace("-", "")
            try:
                module = importlib.import_module(meta.controller_module_path)
                cls = getattr(module, classname, None)
            except ModuleNotFoundError as e:
                if meta.controller_module_path not in str(e) and frappe.scrub(doctype) not in str(e):
                    raise
    cls = cls or Document
    _controller_cache[site_key] = cls
    return cls


def _import_missing_controller(doctype: str):
    """A doctype without a definition: Frappe then looks for its controller in the Core module and
    fails importing it (an ImportError, HTTP 500), which is what the caller gets here too."""
    module_name = f"frappe.core.doctype.{frappe.scrub(doctype)}.{frappe.scrub(doctype)}"
    try:
        importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(f"Module import failed for {doctype}, the DocType you're trying to open might be "
                          f"deleted.\nError: {e}") from e
    raise ImportError(doctype)


class BaseDocument:
    """A row of a doctype: attribute access to fields, typed values, SQL insert/update."""

    _reserved_keywords = frozenset(("doctype", "meta", "flags", "parent_doc", "_table_fieldnames",
                                    "_valid_columns", "_doc_before_save", "_action", "dont_update_if_missing",
                                    "permitted_fieldnames", "_meta"))

    def __init__(self, d: dict):
        if d.get("doctype"):
            self.doctype = d["doctype"]
        self._table_fieldnames = {df.fieldname for df in self.meta.get_table_fields()}
        self.update(d)
        self.dont_update_if_missing = []
        if hasattr(self, "__setup__"):
            self.__setup__()

    @property
    def meta(self):
        meta = self.__dict__.get("_meta")
        if meta is None:
            meta = frappe.get_meta(self.doctype)
            self.__dict__["_meta"] = meta
        return meta

    def __getattr__(self, key):
        # Fields that were never set read as None, like Frappe documents.
        if key.startswith("__") or key in ("_meta",):
            raise AttributeError(key)
        if key in ("name", "owner", "creation", "modified", "modified_by", "parent", "parentfield",
                   "parenttype", "amended_from"):
            return None
        meta = self.__dict__.get("_meta")
        if meta is not None and meta.has_field(key):
            if key in self.__dict__.get("_table_fieldnames", ()):
                self.__dict__[key] = []
                return self.__dict__[key]
            return None
        raise AttributeError(f"{type(self).__name__} object has no attribute {key!r}")

    # ------------------------------------------------------------ dict-like access

    def update(self, d: dict):
        if "doctype" in d and d.get("doctype"):
            self.doctype = d["doctype"]
        if "name" in d:
            self.name = d["name"]
        for key, value in d.items():
            if key in ("doctype", "name"):
                continue
            self.set(key, value)
        return self

    def get(self, key, filters=None, limit=None, default=None):
        if isinstance(key, dict):
            return _filter(self.get_all_children(), key, limit=limit)
        if filters:
            if isinstance(filters, dict):
                return _filter(self.__dict__.get(key) or [], filters, limit=limit)
            default = filters
        value = self.__dict__.get(key, default)
        if value is None and key in self._table_fieldnames:
            value = []
            self.__dict__[key] = value
        if limit and isinstance(value, (list, tuple)) and len(value) > limit:
            value = value[:limit]
        return value

    def getone(self, key, filters=None):
        return self.get(key, filters=filters, limit=1)[0]

    def set(self, key, value, as_value=False):
        if key in self._reserved_keywords and key != "doctype":
            if key == "flags":
                return
        if isinstance(value, list) and not as_value and key in self._table_fieldnames:
            self.__dict__[key] = []
            self.extend(key, value)
        elif (not as_value and key in self._table_fieldnames and value is not None
              and not isinstance(value, (tuple, BaseDocument))):
            # Frappe keeps a string or an object given for a table as it is, and later walks it as rows
            # (each character a "row": a 500); a table takes a list of rows
            df = self.meta.get_field(key)
            frappe.throw(_("{0} must be a list of rows").format(_(df.label or key) if df else key),
                         frappe.ValidationError)
        else:
            self.__dict__[key] = value

    def delete_key(self, key):
        self.__dict__.pop(key, None)

    def append(self, key, value=None):
        """Add a child row to table field ``key`` (dict or Document) and return it."""
        if value is None:
            value = {}
        if key not in self._table_fieldnames:
            raise ValueError(f"Document for field {key} attached to child table of {self.name} must be a dict "
                             "or BaseDocument, not a table field")
        if isinstance(value, (dict, BaseDocument)):
            row = self._init_child(value, key)
            table = self.__dict__.setdefault(key, [])
            if table is None:
                table = self.__dict__[key] = []
            table.append(row)
            if not getattr(row, "idx", None) or row.idx is None:
                row.idx = len(table)
            row.parent_doc = self
            return row
        from frappe.utils.caller_input import bad_request

        # Frappe's ValueError and message, but a 417: a request body can put any JSON in a table
        raise bad_request(ValueError(f"Document attached to child table of {self.name} must be a dict or "
                                     f"BaseDocument, not {type(value)} ({value})"), 417, keep_class=True)

    def extend(self, key, value):
        for v in value:
            self.append(key, v)

    def remove(self, doc):
        table = self.get(doc.parentfield)
        if doc in table:
            table.remove(doc)
        for i, d in enumerate(table):
            d.idx = i + 1

    def _init_child(self, value, key):
        child_doctype = self.meta.get_table_field_doctype(key)
        if isinstance(value, BaseDocument):
            value.parent = self.name
            value.parenttype = self.doctype
            value.parentfield = key
            if not value.name:
                value.__dict__["__islocal"] = 1
            return value
        value = dict(value)
        value["doctype"] = child_doctype
        from frappe.model.document import get_controller as _gc  # noqa: F401

        row = get_controller(child_doctype)(value)
        row.parent = self.name
        row.parenttype = self.doctype
        row.parentfield = key
        if row.docstatus is None:
            row.docstatus = self.docstatus or 0
        for df in row.meta.fields:
            if df.fieldname not in row.__dict__:
                row.__dict__[df.fieldname] = None
        if not row.name:
            row.__dict__["__islocal"] = 1
        return row

    def get_all_children(self, parenttype=None) -> list:
        out = []
        for fieldname in self._table_fieldnames:
            out.extend(self.get(fieldname) or [])
        return out

    def get_valid_columns(self):
        return self.meta.get_valid_columns()

    def is_new(self) -> bool:
        # Frappe returns the flag itself: 1/True while new, False after db_insert, None on a loaded doc
        return self.get("__islocal")

    @property
    def docstatus(self):
        return self.__dict__.get("docstatus")

    @docstatus.setter
    def docstatus(self, value):
        self.__dict__["docstatus"] = value

    # ------------------------------------------------------------ serialisation

    def get_valid_dict(self, sanitize=True, convert_dates_to_str=False, ignore_nulls=False,
                       ignore_virtual=False) -> frappe._dict:
        """The row's field values, coerced to their field types, in the meta's column order.

        Virtual fields are computed (a property of the controller, or the expression in ``options``)
        and, as in Frappe, kept even when null with ``ignore_nulls``; ``ignore_virtual`` leaves them out
        (what the DB writes use). A virtual field the user may not read is left out too.
        """
        d = frappe._dict()
        permitted = None
        values = self.__dict__
        for fieldname, df, is_virtual in self.meta.get_valid_column_fields():
            value = values.get(fieldname)
            if is_virtual:
                if ignore_virtual:
                    continue
                if permitted is None:  # the permlevels the user may read
                    permitted = self.meta.get_permitted_levels(parenttype=values.get("parenttype"))
                if df.permlevel not in permitted:
                    continue
                value = self._get_virtual_value(df, value)
            if df:
                value = _coerce(df.fieldtype, value, df)
            elif fieldname == "docstatus":
                value = int(value or 0)
            elif fieldname == "idx" and value is None:
                value = 0
            if convert_dates_to_str and isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
                value = str(value)
            if ignore_nulls and value is None and not is_virtual:
                continue
            d[fieldname] = value
        return d

    def _get_virtual_value(self, df, value):
        """A virtual field's value: the controller's property of that name, else its ``options``
        expression evaluated with ``doc`` bound to this row, else whatever was set on the row."""
        prop = getattr(type(self), df.fieldname, None)
        if isinstance(prop, property):
            return getattr(self, df.fieldname)
        if df.get("options"):
            return frappe.safe_eval(df.options, None, {"doc": self})
        return value

    def as_dict(self, no_nulls=False, no_default_fields=False, convert_dates_to_str=False,
                no_child_table_fields=False, no_private_properties=False):
        """The document as a plain dict in Frappe's key order: fields, ``doctype``, child tables (rows as
        dicts), then the truthy private flags (``__islocal``, ``__unsaved``, …)."""
        doc = self.get_valid_dict(convert_dates_to_str=convert_dates_to_str, ignore_nulls=no_nulls)
        doc["doctype"] = self.doctype
        # Frappe 15 walks a set of the table fieldnames here, so its order depends on the process's
        # string hash seed; the runtime uses the doctype's field order (see runtime/README.md).
        for df in self.meta.get_table_fields():
            children = self.get(df.fieldname) or []
            doc[df.fieldname] = [d.as_dict(convert_dates_to_str=convert_dates_to_str, no_nulls=no_nulls,
                                           no_default_fields=no_default_fields,
                                           no_child_table_fields=no_child_table_fields,
                                           no_private_properties=no_private_properties) for d in children]
        if no_default_fields:
            for k in default_fields:
                doc.pop(k, None)
        if no_child_table_fields:
            for k in child_table_fields:
                doc.pop(k, None)
        if not no_private_properties:
            for key in ("_user_tags", "__islocal", "__onload", "_liked_by", "__run_link_triggers", "__unsaved"):
                value = self.__dict__.get(key)
                if value:
                    doc[key] = value
        return doc

    def as_json(self):
        return frappe.as_json(self.as_dict())

    def get_formatted(self, fieldname, *args, **kwargs):
        return self.get(fieldname)

    def __repr__(self):
        return f"<{self.doctype}: {self.name or 'unsaved'}>"

    def __str__(self):
        return self.__repr__()

    # ------------------------------------------------------------ DB I/O

    def db_insert(self, ignore_if_duplicate=False):
        """INSERT this row; a duplicate name → DuplicateEntryError, a unique index → UniqueValidationError."""
        if not self.name:
            # rows appended after naming (e.g. in validate) are named and stamped here, as in Frappe
            from frappe.model.naming import set_new_name

            set_new_name(self)
        if not self.creation:
            from frappe.utils import now_datetime

            self.creation = self.modified = now_datetime()
            self.owner = self.modified_by = frappe.session.user
        d = self.get_valid_dict(ignore_virtual=True)
        self._refuse_non_finite(d)
        columns = list(d.keys())
        values = [_db_value(d[c]) for c in columns]
        sql = "insert into `tab{}` ({}) values ({})".format(
            self.doctype, ", ".join(f"`{c}`" for c in columns), ", ".join(["%s"] * len(columns)))
        try:
            frappe.db.sql(sql, values)
        except Exception as e:
            if frappe.db.is_duplicate_entry(e):
                if frappe.db.is_primary_key_violation(e):
                    if ignore_if_duplicate:
                        return
                    if self.meta.autoname == "hash":
                        # a hash collision: pick another name and retry once
                        self.name = None
                        from frappe.model.naming import set_new_name

                        set_new_name(self)
                        return self.db_insert()
                    frappe.msgprint(_("{0} {1} already exists").format(_(self.doctype), frappe.bold(self.name)),
                                    title=_("Duplicate Name"), indicator="red")
                    raise frappe.DuplicateEntryError(self.doctype, self.name, e) from e
                self.show_unique_validation_message(e)
            raise
        self.set("__islocal", False)

    def db_update(self):
        """UPDATE this row's columns."""
        if self.get("__islocal") or not self.name:
            return self.db_insert()
        d = self.get_valid_dict(ignore_virtual=True)
        self._refuse_non_finite(d)
        name = d.pop("name")
        columns = list(d.keys())
        values = [_db_value(d[c]) for c in columns]
        try:
            frappe.db.sql("update `tab{}` set {} where `name`=%s".format(
                self.doctype, ", ".join(f"`{c}`=%s" for c in columns)), values + [name])
        except Exception as e:
            if frappe.db.is_duplicate_entry(e):
                self.show_unique_validation_message(e)
            raise

    def precision(self, fieldname, parentfield=None) -> int | None:
        """Decimal places of a Float/Currency/Percent field (of the child table ``parentfield`` when
        given): the field's own precision, else the site's currency or float precision."""
        from frappe.model.meta import get_field_precision

        meta = frappe.get_meta(self.meta.get_field(parentfield).options) if parentfield else self.meta
        df = meta.get_field(fieldname)
        if not df or df.fieldtype not in ("Currency", "Float", "Percent"):
            return None
        return get_field_precision(df, self)

    def round_floats_in(self, doc, fieldnames=None) -> None:
        """Round ``doc``'s Currency, Float and Percent fields (or ``fieldnames``) to their precision,
        as ERPNext does before computing totals. ``flt`` with a precision turns NaN and infinity
        into 0, so a caller's "NaN" never reaches a total."""
        if not fieldnames:
            fieldnames = [df.fieldname for df in doc.meta.fields if df.fieldtype in ("Currency", "Float", "Percent")]
        for fieldname in fieldnames:
            doc.set(fieldname, flt(doc.get(fieldname), doc.precision(fieldname)))

    def _refuse_non_finite(self, d) -> None:
        """NaN and infinity cannot be stored (MariaDB rejects them, SQLite would store NULL): the
        caller's value is refused with a ValidationError instead of a database error."""
        for fieldname, value in d.items():
            if isinstance(value, float) and not math.isfinite(value):
                label = self.meta.get_label(fieldname) if self.meta.get_field(fieldname) else fieldname
                prefix = _("Row #{0}:").format(self.idx) + " " if self.get("parentfield") else ""
                frappe.throw(prefix + _("{0} must be a finite number, not {1}").format(_(label), value),
                             title=_("Invalid Number"))

    def show_unique_validation_message(self, e):
        column = getattr(frappe.db, "get_unique_violation_column", lambda e: None)(e)
        if column:
            column = column.split(f"tab{self.doctype}_")[-1]
        df = self.meta.get_field(column) if column else None
        label = df.label if df else column or "Value"
        frappe.msgprint(_("{0} must be unique").format(_(label)), title=_("Message"), indicator="red")
        raise frappe.UniqueValidationError(self.doctype, self.name, e)

    # ------------------------------------------------------------ framework validation

    def _get_missing_mandatory_fields(self):
        """[(fieldname, message)] for reqd fields left empty, worded as Frappe words them."""
        missing = []
        for df in self.meta.fields:
            if not df.reqd or (df.fieldtype in no_value_fields and df.fieldtype not in table_fields):
                continue
            value = self.get(df.fieldname)
            if df.fieldtype in table_fields:
                if not value:
                    missing.append((df.fieldname, f"{_('Error')}: {_('Data missing in table')}: {_(df.label)}"))
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                if self.get("parentfield"):
                    msg = (f"{_('Error')}: {frappe.bold(_(self.doctype))} {_('Row')} #{self.idx}: "
                           f"{_('Value missing for')}: {_(df.label)}")
                else:
                    msg = _("Error: Value missing for {0}: {1}").format(_(self.doctype), _(df.label))
                missing.append((df.fieldname, msg))
        return missing

    def get_link_values(self):
        """``(field, value, target doctype)`` of each Link / Dynamic Link holding a value (links to DocType left out)."""
        for df in self.meta.get_link_fields() + self.meta.get_dynamic_link_fields():
            value = self.get(df.fieldname)
            doctype = df.options if df.fieldtype == "Link" else self.get(df.options)
            if value and doctype and doctype != "DocType":
                yield df, value, doctype

    def get_invalid_links(self, is_submittable=False, fetch=True):
        """[(fieldname, value, message)] of Link fields whose target does not exist, plus links to
        cancelled documents (``amended_from`` excepted); the message is Frappe's ("Label: value",
        "Row #n: Label: value" in a child row). With ``fetch``, the ``fetch_from`` fields of valid
        links are filled as well."""
        invalid, cancelled = [], []

        def message(df, value):
            label = _(df.label or df.fieldname)
            if self.get("parentfield"):
                return f"{_('Row')} #{self.idx}: {label}: {value}"
            return f"{label}: {value}"

        for df, value, doctype in self.get_link_values():
            try:
                target_meta = frappe.get_meta(doctype)
            except frappe.DoesNotExistError:
                continue
            if target_meta.issingle:
                continue
            fields = ["name"] + (["docstatus"] if target_meta.is_submittable else [])
            # cache=True as Frappe's link check: rows linking the same record cost one lookup per request
            row = frappe.db.get_value(doctype, {"name": value}, fields, as_dict=True, order_by=None, cache=True)
            if not row:
                invalid.append((df.fieldname, value, message(df, value)))
            else:
                if row.name != value and isinstance(value, str):
                    # keep the stored case of the target's name, as MariaDB's collation would
                    self.set(df.fieldname, row.name)
                if df.fieldname != "amended_from" and (is_submittable or self.meta.is_submittable) \
                        and target_meta.is_submittable and row.get("docstatus") == 2:
                    cancelled.append((df.fieldname, value, message(df, value)))
                if fetch:
                    self._fetch_from(df, doctype, value)
        return invalid, cancelled

    def _fetch_from(self, link_df, doctype, value):
        for df in self.meta.fields:
            fetch_from = df.get("fetch_from")
            if not fetch_from or not fetch_from.startswith(f"{link_df.fieldname}."):
                continue
            if df.get("fetch_if_empty") and self.get(df.fieldname) not in (None, ""):
                continue
            if not (self.is_new() or self.docstatus != 1 or df.allow_on_submit):
                # a submitted document keeps its fetched values (unless the field may change)
                continue
            source = fetch_from.split(".", 1)[1]
            try:
                self.set(df.fieldname, frappe.db.get_value(doctype, value, source))
            except Exception:
                continue

    def _validate_selects(self):
        if frappe.flags.in_import:
            return
        for df in self.meta.get_select_fields():
            if df.fieldname == "naming_series" or not self.get(df.fieldname) or not df.options:
                continue
            options = df.options.split("\n")
            if not any(options):
                continue
            value = self.get(df.fieldname)
            if isinstance(value, str):
                value = value.strip()
                self.set(df.fieldname, value)
            if value in options:
                continue
            # Frappe's wording, including the space left by an empty row prefix and the blank option
            prefix = _("Row #{0}:").format(self.idx) if self.get("parentfield") else ""
            label = _(self.meta.get_label(df.fieldname))
            comma_options = '", "'.join(_(o) for o in options)
            frappe.throw(_('{0} {1} cannot be "{2}". It should be one of "{3}"').format(
                prefix, label, value, comma_options), title=_("Message"))

    def _validate_length(self):
        for df in self.meta._length_checked_fields:
            if df.fieldtype in ("Int", "Long Int"):
                if not self.meta.issingle:
                    self._validate_int_range(df)
                continue
            value = self.get(df.fieldname)
            max_length = int(df.get("length") or frappe.db.VARCHAR_LEN)
            if isinstance(value, str) and len(value) > max_length:
                frappe.throw(_("{0}: '{1}' ({3}) will get truncated, as max characters allowed is {2}").format(
                    _(self.doctype), _(df.label), max_length, value), frappe.CharacterLengthExceededError,
                    title=_("Value too big"))

    def _validate_int_range(self, df):
        """Frappe 15 checks whole numbers against their column's size in ``_validate_length`` (a
        "Value too big" CharacterLengthExceededError); past it the database would refuse the row."""
        value = self.get(df.fieldname)
        if value is None or value == "":
            return
        big = df.fieldtype == "Long Int" or frappe.db.db_type == "postgres"  # bigint columns there
        max_value = 2**63 - 1 if big else 2**31 - 1
        if abs(cint(value)) <= max_value:
            return
        if self.get("parentfield"):
            reference = _("{0}, Row {1}").format(_(self.doctype), self.idx)
        else:
            reference = f"{_(self.doctype)} {self.name}"
        frappe.throw(_("{0}: '{1}' ({3}) will get truncated, as max characters allowed is {2}").format(
            reference, _(df.label), max_value, value), frappe.CharacterLengthExceededError,
            title=_("Value too big"))

    def _validate_non_negative(self):
        for df in self.meta.fields:
            if df.get("non_negative") and df.fieldtype in ("Int", "Float", "Currency", "Percent"):
                if (self.get(df.fieldname) or 0) < 0:
                    frappe.throw(_("{0} cannot be negative").format(_(df.label)), frappe.NonNegativeError)

    def _sanitize_content(self):
        pass

    def _fix_numeric_types(self):
        for df in self.meta._numeric_fields:
            self.__dict__[df.fieldname] = _coerce(df.fieldtype, self.get(df.fieldname), df)

    def get_db_value(self, key):
        return frappe.db.get_value(self.doctype, self.name, key)

    def is_child_table_same(self, fieldname):
        return True

    def in_format_data(self, fieldname):
        return True

    def get_parentfield_of_doctype(self, doctype):
        for df in self.meta.get_table_fields():
            if df.options == doctype:
                return df.fieldname
        return None


def _filter(data, filters, limit=None):
    out = []
    for d in data:
        ok = True
        for k, v in filters.items():
            dv = d.get(k)
            if isinstance(v, (list, tuple)) and len(v) == 2 and v[0] in ("=", "!=", "in", "not in", ">", "<"):
                op, target = v
                ok = {"=": dv == target, "!=": dv != target, "in": dv in target, "not in": dv not in target,
                      ">": dv is not None and dv > target, "<": dv is not None and dv < target}[op]
            elif v is True:
                ok = bool(dv)
            elif v is False:
                ok = not dv
            else:
                ok = dv == v
            if not ok:
                break
        if ok:
            out.append(d)
            if limit and len(out) >= limit:
                break
    return out


def _coerce(fieldtype, value, df=None):
    """Frappe's type coercion for a field value before it is stored."""
    if fieldtype in ("Int", "Check"):
        if value in (None, ""):
            return 0 if fieldtype == "Check" or (df is not None and not df.get("is_virtual")) else None
        return cint(value)
    if fieldtype in float_like_fields:
        if value in (None, ""):
            return 0.0
        return flt(value)
    if value == "" and fieldtype in ("Date", "Datetime", "Time", "Link", "Dynamic Link"):
        return None
    if fieldtype == "Date" and isinstance(value, str) and value:
        try:
            return getdate(value)
        except Exception:
            frappe.throw(_("{0} is not a valid date").format(value), frappe.InvalidDates)
    if fieldtype == "Datetime" and isinstance(value, str) and value:
        try:
            return get_datetime(value)
        except Exception:
            frappe.throw(_("{0} is not a valid datetime").format(value), frappe.InvalidDates)
    if fieldtype == "JSON" and isinstance(value, (dict, list)):
        return json.dumps(value)
    if fieldtype in data_fieldtypes and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and fieldtype in ("Data", "Link", "Select", "Small Text", "Text", "Long Text", "Dynamic Link"):
        return str(value)
    return value


def _db_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value

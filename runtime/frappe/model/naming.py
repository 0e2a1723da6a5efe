"""Document naming: autoname options, naming series counters in ``tabSeries`` (Frappe's rules)."""

from __future__ import annotations

import base64
import re
import time

import frappe
from frappe import _
from frappe.utils import cint, cstr, now_datetime, nowdate

NAMING_SERIES_PATTERN = re.compile(r"^[\w\- \/.#{}]+$", re.UNICODE)
BRACED_PARAMS_PATTERN = re.compile(r"(\{[\w | #]+\})")


class InvalidNamingSeriesError(frappe.ValidationError):
    pass


def set_new_name(doc) -> None:
    """Give a new document its name, in Frappe's order of precedence."""
    doc.run_method("before_naming")
    autoname = frappe.get_meta(doc.doctype).autoname or ""
    if autoname.lower() != "prompt" and not frappe.flags.in_import:
        # client-supplied names are discarded
        doc.name = None
    if autoname.lower() == "prompt":
        doc.name = doc.get("__newname") or doc.name
    elif autoname == "autoincrement":
        doc.name = _next_autoincrement(doc.doctype)
        return
    elif getattr(doc, "amended_from", None) and _set_amended_name(doc):
        return
    elif doc.meta.issingle:
        doc.name = doc.doctype
        return
    if not doc.name:
        doc.run_method("autoname")
        if not doc.name and autoname:
            set_name_from_naming_options(autoname, doc)
    if not doc.name:
        if autoname.lower() == "prompt":
            frappe.throw(_("Please set the document name"))
        doc.name = make_autoname("hash", doc.doctype)
    doc.name = validate_name(doc.doctype, doc.name)


def set_name_from_naming_options(autoname: str, doc) -> None:
    _autoname = (autoname or "").lower()
    if not autoname:
        return
    if _autoname.startswith("field:"):
        fieldname = autoname[6:].strip()
        doc.name = cstr(doc.get(fieldname)).strip()
        if not doc.name:
            label = doc.meta.get_label(fieldname)
            frappe.throw(_("{0} is required").format(label))
    elif _autoname.startswith("naming_series:"):
        set_name_by_naming_series(doc)
    elif _autoname.startswith("format:"):
        doc.name = _format_autoname(autoname, doc)
    elif _autoname == "hash":
        doc.name = make_autoname("hash", doc.doctype)
    elif _autoname == "autoincrement":
        doc.name = _next_autoincrement(doc.doctype)
    elif "#" in autoname:
        doc.name = make_autoname(autoname, doc=doc)


def set_name_by_naming_series(doc) -> None:
    """naming_series: use the doc's series, else the first option, and append '.#####'."""
    if not doc.get("naming_series"):
        doc.naming_series = get_default_naming_series(doc.doctype)
    if not doc.naming_series:
        frappe.throw(frappe._("Naming Series mandatory"))
    doc.name = make_autoname(doc.naming_series + ".#####", "", doc)


def get_default_naming_series(doctype: str) -> str | None:
    df = frappe.get_meta(doctype).get_field("naming_series")
    if not df or not df.options:
        return None
    options = [o for o in df.options.split("\n") if o.strip()]
    return df.get("default") or (options[0] if options else None)


def make_autoname(key="", doctype="", doc="", *, ignore_validate=False):
    """Expand a series key (``PRE-.YYYY.-.#####``) or ``hash`` into a name."""
    if key == "hash":
        return _generate_random_string(10)
    series = NamingSeries(key)
    return series.generate_next_name(doc, ignore_validate=ignore_validate)


def _generate_random_string(length=10) -> str:
    # Frappe's hash names: lower-case base32hex characters [0-9a-v]
    from secrets import token_bytes

    return base64.b32hexencode(token_bytes(10)).decode().lower()[:length]


class NamingSeries:
    """A naming series key: literal parts, date parts, {field} parts and one '#' counter."""

    def __init__(self, series: str):
        self.series = series
        # a series without a number part gets the default one
        if "#" not in self.series:
            self.series += ".#####"

    def validate(self):
        if "." not in self.series:
            frappe.throw(_("Invalid naming series {}: dot (.) missing").format(frappe.bold(self.series)),
                         InvalidNamingSeriesError)
        if not NAMING_SERIES_PATTERN.match(self.series):
            frappe.throw(_('Special Characters except "-", "#", ".", "/", "{{" and "}}" not allowed in naming series {0}')
                         .format(frappe.bold(self.series)), InvalidNamingSeriesError)

    def generate_next_name(self, doc, *, ignore_validate=False) -> str:
        if not ignore_validate:
            self.validate()
        parts = self.series.split(".")
        return parse_naming_series(parts, doc=doc)

    def get_prefix(self) -> str:
        prefix = None

        def fake_counter(_prefix, digits):
            nonlocal prefix
            prefix = _prefix
            return "#" * digits

        parse_naming_series(self.series.split("."), number_generator=fake_counter)
        if prefix is None:
            frappe.throw(_("Invalid Naming Series: {}").format(self.series))
        return prefix

    def get_current_value(self) -> int:
        prefix = self.get_prefix()
        rows = frappe.db.sql("select `current` from `tabSeries` where `name`=%s", (prefix,))
        return cint(rows[0][0]) if rows else 0

    def update_counter(self, new_count: int) -> None:
        """Set the counter of this series' prefix (creating the row if needed)."""
        prefix = self.get_prefix()
        if frappe.db.sql("select `name` from `tabSeries` where `name`=%s", (prefix,)):
            frappe.db.sql("update `tabSeries` set `current`=%s where `name`=%s", (cint(new_count), prefix))
        else:
            frappe.db.sql("insert into `tabSeries` (`name`, `current`) values (%s, %s)", (prefix, cint(new_count)))

    def get_preview(self, doc=None) -> list[str]:
        """The next three names of this series, computed without touching the counter."""
        self.validate()
        current = self.get_current_value()
        previews = []
        for offset in range(1, 4):
            def counter(_prefix, digits, value=current + offset):
                return ("%0" + str(digits) + "d") % value

            previews.append(parse_naming_series(self.series.split("."), doc=doc, number_generator=counter))
        return previews


def parse_naming_series(parts, doctype=None, doc=None, number_generator=None) -> str:
    """Join the expanded parts; the first run of '#' becomes the zero-padded counter."""
    if isinstance(parts, str):
        parts = parts.split(".")
    if number_generator is None:
        number_generator = getseries
    name = ""
    series_set = False
    today = now_datetime()
    for e in parts:
        if not e:
            continue
        part = ""
        if e.startswith("#"):
            if not series_set:
                digits = len(e)
                part = number_generator(name, digits)
                series_set = True
        elif e == "YY":
            part = today.strftime("%y")
        elif e == "MM":
            part = today.strftime("%m")
        elif e == "DD":
            part = today.strftime("%d")
        elif e == "YYYY":
            part = today.strftime("%Y")
        elif e == "WW":
            part = f"{today.isocalendar()[1]:02d}"
        elif e == "timestamp":
            part = str(today)
        elif doc and e.startswith("{") and e.endswith("}") and doc.get(e[1:-1].strip()) is not None:
            part = cstr(doc.get(e[1:-1].strip()))
        elif doc and doc.get(e) is not None and doc.meta.has_field(e):
            part = cstr(doc.get(e))
        else:
            method = None
            for fn in frappe.get_hooks("naming_series_variables", {}).get(e, []) if isinstance(
                    frappe.get_hooks("naming_series_variables", {}), dict) else []:
                method = fn
            part = frappe.get_attr(method)(e, doc) if method else e
        name += part
    return name


def getseries(key: str, digits: int) -> str:
    """Increment the counter row of ``key`` in tabSeries (row-locked) and return it padded."""
    current = frappe.db.sql("select `current` from `tabSeries` where `name`=%s for update", (key,))
    if current and current[0][0] is not None:
        frappe.db.sql("update `tabSeries` set `current` = `current` + 1 where `name`=%s", (key,))
        current = frappe.db.sql("select `current` from `tabSeries` where `name`=%s", (key,))[0][0]
    else:
        frappe.db.sql("insert into `tabSeries` (`name`, `current`) values (%s, 1)", (key,))
        current = 1
    return ("%0" + str(digits) + "d") % current


def revert_series_if_last(key: str, name: str, doc=None) -> None:
    """After deleting ``name``: if it held the series' last number, decrement the counter."""
    if ".#" in key:
        prefix, hashes = key.rsplit(".", 1)
        if "#" not in hashes:
            hash_pos = key.find("#")
            if hash_pos < 0:
                return
            prefix = key[:hash_pos]
        prefix = parse_naming_series(prefix.split("."), doc=doc)
    else:
        prefix = key
    if "." in prefix:
        prefix = parse_naming_series(prefix.split("."), doc=doc)
    count = cint(name.replace(prefix, "", 1)) if name.startswith(prefix) else 0
    current = frappe.db.sql("select `current` from `tabSeries` where `name`=%s for update", (prefix,))
    if current and current[0][0] == count and count > 0:
        frappe.db.sql("update `tabSeries` set `current` = `current` - 1 where `name`=%s", (prefix,))


def _format_autoname(autoname: str, doc) -> str:
    """``format:PRE-{MM}-{field}-{#####}``: braces expanded, the rest literal."""
    first_colon = autoname.find(":")
    autoname_value = autoname[first_colon + 1:]

    def get_param_value_for_match(match):
        param = match.group()
        return parse_naming_series([param[1:-1]], doc=doc)

    return BRACED_PARAMS_PATTERN.sub(get_param_value_for_match, autoname_value)


def _next_autoincrement(doctype: str):
    key = f"__autoincrement:{doctype}"
    return int(getseries(key, 1))


def _set_amended_name(doc):
    """``<original>-1``, ``-2``…, unless Document Naming Settings says amendments are named like new
    documents ("Default Naming", for all doctypes or for this one). Returns the name, or None."""
    rule = None
    try:
        rule = frappe.db.get_value("Amended Document Naming Settings", {"document_type": doc.doctype}, "action")
        if not rule:
            rule = frappe.db.get_single_value("Document Naming Settings", "default_amend_naming")
    except Exception:
        rule = None
    if rule == "Default Naming":
        return None
    am_id = 1
    am_prefix = doc.amended_from
    if frappe.db.get_value(doc.doctype, doc.amended_from, "amended_from"):
        am_id = cint(doc.amended_from.split("-")[-1]) + 1
        am_prefix = "-".join(doc.amended_from.split("-")[:-1])
    doc.name = f"{am_prefix}-{am_id}"
    return doc.name


def validate_name(doctype: str, name, case: str | None = None):
    """Strip, forbid '<' '>' and a name equal to the doctype, as Frappe does."""
    if not name:
        frappe.throw(_("No Name Specified for {0}").format(doctype))
    if isinstance(name, int):
        return name
    if name.startswith("New " + doctype):
        frappe.throw(_("There were some errors setting the name, please contact the administrator"),
                     frappe.NameError)
    if case == "Title Case":
        name = name.title()
    if case == "UPPER CASE":
        name = name.upper()
    name = name.strip()
    if not frappe.get_meta(doctype).get("allow_rename") and name.lower() == doctype.lower() and \
            not frappe.get_meta(doctype).issingle:
        frappe.throw(_("Name of {0} cannot be {1}").format(doctype, name), frappe.NameError)
    if re.search(r"[<>]", name):
        frappe.throw(_("Name cannot contain special characters like {0}").format("< >"), frappe.NameError)
    return name


def append_number_if_name_exists(doctype, value, fieldname="name", separator="-", filters=None):
    if not filters:
        filters = {}
    filters.update({fieldname: value})
    exists = frappe.db.exists(doctype, filters)
    if exists:
        last = frappe.db.sql(f"select `{fieldname}` from `tab{doctype}` where `{fieldname}` like %s "
                             f"order by length(`{fieldname}`) desc, `{fieldname}` desc limit 1",
                             (f"{value}{separator}%",))
        count = 1
        if last:
            tail = cstr(last[0][0]).rsplit(separator, 1)[-1]
            count = cint(tail) + 1 if tail.isdigit() else 1
        value = f"{value}{separator}{count}"
    return value

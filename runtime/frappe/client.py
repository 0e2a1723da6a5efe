"""Generic whitelisted document calls (``/api/method/frappe.client.*``), as in Frappe v15.

``/api/resource`` list requests end up in ``get_list`` here as well.
"""

from __future__ import annotations

import frappe
from frappe import _

_DEFAULT_FIELDS = ("doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
_CHILD_FIELDS = ("parent", "parentfield", "parenttype")


def _sbool(value):
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("false", "0", ""):
            return False
        if lowered in ("true", "1"):
            return True
    return value


def _maybe_json(value):
    """Decode JSON sent as a string (query string or form body); leave anything else alone."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{"):
            from frappe.utils.caller_input import loads

            return loads(text)
    return value


def _decode(text):
    from frappe.utils.caller_input import decode

    return decode(text)


def _loads(text):
    """A JSON argument: malformed or over-deep JSON answers 4xx (Frappe: 500)."""
    from frappe.utils.caller_input import loads

    return loads(text)


def get_safe_filters(filters):
    """Filters sent as JSON are decoded; a bare number becomes its string form."""
    from frappe.utils.caller_input import decode

    try:
        filters = decode(filters)
        if isinstance(filters, (int, float)):
            filters = str(filters)
    except (TypeError, ValueError):
        pass
    return filters


def _is_table(doctype) -> bool:
    """Whether ``doctype`` is a child table (False for an unknown doctype, whose list fails later)."""
    try:
        return bool(frappe.get_meta(doctype).istable)
    except frappe.DoesNotExistError:
        return False


def check_parent_permission(parent, child_doctype) -> None:
    """Frappe's gate for child-table reads: ``parent`` must be a doctype with a Table field of
    ``child_doctype`` that the user may read. Every refusal is a bare PermissionError (the parent
    check alone explains itself in the messages), Administrator included."""
    from frappe.permissions import get_parentfields, has_permission

    if parent:
        # a made-up parent must not open the child table
        if not get_parentfields(parent, child_doctype):
            raise frappe.PermissionError
        if has_permission(parent):
            return
    raise frappe.PermissionError


@frappe.whitelist()
def get_list(
    doctype,
    fields=None,
    filters=None,
    group_by=None,
    order_by=None,
    limit_start=None,
    limit_page_length=20,
    parent=None,
    debug: bool = False,
    as_dict: bool = True,
    or_filters=None,
    expand=None,
):
    """Records of ``doctype`` the user may read, with the given fields, filters, order and page.

    Without ``order_by`` no ordering is applied at all (Frappe v15 behaviour for this endpoint).
    A child table is only listed through a ``parent`` doctype the user may read.
    """
    if _is_table(doctype):
        check_parent_permission(parent, doctype)
    fields = _maybe_json(fields)
    args = frappe._dict(
        doctype=doctype,
        parent_doctype=parent,
        fields=fields,
        filters=_maybe_json(filters),
        or_filters=_maybe_json(or_filters),
        group_by=group_by,
        order_by=order_by,
        limit_start=limit_start,
        limit_page_length=limit_page_length,
        debug=bool(_sbool(debug)),
        as_list=not _sbool(as_dict),
    )
    rows = frappe.get_list(**args)

    expand = _maybe_json(expand)
    if not expand:
        return rows
    if fields and fields[0] != "*":
        expand = [f for f in expand if f in fields]
    _attach_expanded_links(doctype, rows, expand)
    return rows


def _attach_expanded_links(doctype: str, rows: list, fieldnames: list) -> None:
    """Replace link values in list rows with the linked records' data."""
    meta = frappe.get_meta(doctype)
    for fieldname in fieldnames:
        df = meta.get_field(fieldname)
        if not df or df.fieldtype != "Link":
            continue
        for row in rows:
            if isinstance(row, dict) and row.get(fieldname):
                linked = frappe.get_doc(df.options, row[fieldname])
                linked.check_permission("read")
                row[fieldname] = linked.as_dict()


@frappe.whitelist()
def get_count(doctype, filters=None, debug=False, cache=False):
    """How many records of ``doctype`` the user may read that match ``filters``."""
    filters = get_safe_filters(filters)
    try:
        rows = frappe.get_list(
            doctype,
            filters=filters,
            fields=[f"count(`tab{doctype}`.`name`) as total_count"],
            order_by=None,
            limit_page_length=0,
            debug=bool(_sbool(debug)),
        )
        if rows and isinstance(rows[0], dict) and "total_count" in rows[0]:
            return int(rows[0]["total_count"] or 0)
    except frappe.PermissionError:
        raise
    except frappe.DoesNotExistError:
        raise
    except Exception:
        # an engine that cannot count in the query still gets the right number
        pass
    return len(frappe.get_list(doctype, filters=filters, fields=["name"], order_by=None, limit_page_length=0))


@frappe.whitelist()
def get(doctype, name=None, filters=None, parent=None):
    """One document as a dict (nulls included), by name, by filters, or the Single itself."""
    if _is_table(doctype):
        check_parent_permission(parent, doctype)
    if name:
        doc = frappe.get_doc(doctype, name)
    elif filters or filters == {}:
        doc = frappe.get_doc(doctype, frappe.parse_json(filters))
    else:
        doc = frappe.get_doc(doctype)
    doc.check_permission()
    if hasattr(doc, "apply_fieldlevel_read_permissions"):
        doc.apply_fieldlevel_read_permissions()
    return doc.as_dict()


@frappe.whitelist()
def get_value(doctype, fieldname, filters=None, as_dict=True, debug=False, parent=None):
    """Field value(s) of the first matching record the user may read."""
    if _is_table(doctype):
        check_parent_permission(parent, doctype)
    if not frappe.has_permission(doctype, parent_doctype=parent):
        frappe.throw(_("No permission for {0}").format(_(doctype)), frappe.PermissionError)

    filters = get_safe_filters(filters)
    if isinstance(filters, str):
        filters = {"name": filters}

    try:
        fields = frappe.parse_json(fieldname)
    except (TypeError, ValueError):
        fields = [fieldname]
    if isinstance(fields, str):
        fields = [fields]
    if not (isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields)):
        # JSON that is not a name or a list of names (Frappe fails on it with a 500)
        frappe.throw(_("fieldname must be a field name or a list of field names"), frappe.DataError)

    if not filters:
        filters = None

    as_dict = _sbool(as_dict)
    if frappe.get_meta(doctype).issingle:
        value = frappe.db.get_values_from_single(fields, filters, doctype, as_dict=as_dict, debug=debug)
    else:
        value = get_list(
            doctype,
            filters=filters,
            fields=fields,
            debug=debug,
            limit_page_length=1,
            parent=parent,
            as_dict=as_dict,
        )

    if as_dict:
        return value[0] if value else {}
    if not value:
        return None
    return value[0] if len(fields) > 1 else value[0][0]


@frappe.whitelist()
def get_single_value(doctype, field):
    """A field of a Single doctype."""
    if not frappe.has_permission(doctype):
        frappe.throw(_("No permission for {0}").format(_(doctype)), frappe.PermissionError)
    return frappe.db.get_single_value(doctype, field)


@frappe.whitelist(methods=["POST", "PUT"])
def set_value(doctype, name, fieldname, value=None):
    """Set one field (or a JSON dict of fields) through the document, so validations run."""
    if fieldname in _DEFAULT_FIELDS + _CHILD_FIELDS:
        frappe.throw(_("Cannot edit standard fields"))

    if not value:
        values = fieldname
        if isinstance(fieldname, str):
            try:
                values = _decode(fieldname)
            except ValueError:
                values = {fieldname: ""}
    else:
        values = {fieldname: value}

    if not frappe.get_meta(doctype).istable:
        doc = frappe.get_doc(doctype, name)
        doc.update(values)
    else:
        row = frappe.db.get_value(doctype, name, ["parenttype", "parent"], as_dict=True)
        doc = frappe.get_doc(row.parenttype, row.parent)
        child = doc.getone({"doctype": doctype, "name": name})
        child.update(values)

    doc.save()
    return doc.as_dict()


@frappe.whitelist(methods=["POST", "PUT"])
def insert(doc=None):
    """Insert a document given as a dict or JSON (a child row is appended to its parent)."""
    if isinstance(doc, str):
        doc = _loads(doc)
    return insert_doc(doc).as_dict()


@frappe.whitelist(methods=["POST", "PUT"])
def insert_many(docs=None):
    """Insert up to 200 documents; returns their names."""
    if isinstance(docs, str):
        docs = _loads(docs)
    if len(docs) > 200:
        frappe.throw(_("Only 200 inserts allowed in one request"))
    return [insert_doc(doc).name for doc in docs]


@frappe.whitelist(methods=["POST", "PUT"])
def save(doc):
    """Save an existing document given as a dict or JSON."""
    if isinstance(doc, str):
        doc = _loads(doc)
    doc = frappe.get_doc(doc)
    doc.save()
    return doc.as_dict()


@frappe.whitelist(methods=["POST", "PUT"])
def rename_doc(doctype, old_name, new_name, merge=False):
    """Rename a document."""
    return frappe.rename_doc(doctype, old_name, new_name, merge=merge)


@frappe.whitelist(methods=["POST", "PUT"])
def submit(doc):
    """Submit a document given as a dict or JSON."""
    if isinstance(doc, str):
        doc = _loads(doc)
    doc = frappe.get_doc(doc)
    doc.submit()
    return doc.as_dict()


@frappe.whitelist(methods=["POST", "PUT"])
def cancel(doctype, name):
    """Cancel a submitted document."""
    wrapper = frappe.get_doc(doctype, name)
    wrapper.cancel()
    return wrapper.as_dict()


@frappe.whitelist(methods=["DELETE", "POST"])
def delete(doctype, name):
    """Delete a document (a child row is removed through its parent)."""
    delete_doc(doctype, name)


@frappe.whitelist(methods=["POST", "PUT"])
def bulk_update(docs):
    """Update several documents; failures are reported, not raised."""
    docs = _loads(docs) if isinstance(docs, str) else docs
    failed_docs = []
    for doc in docs:
        doc.pop("flags", None)
        try:
            existing = frappe.get_doc(doc["doctype"], doc["docname"])
            existing.update(doc)
            existing.save()
        except Exception:
            failed_docs.append({"doc": doc, "exc": frappe.get_traceback()})
    return {"failed_docs": failed_docs}


@frappe.whitelist()
def has_permission(doctype: str, docname: str, perm_type: str = "read"):
    """Whether the user has ``perm_type`` on the document."""
    return {"has_permission": frappe.has_permission(doctype, perm_type.lower(), docname)}


@frappe.whitelist()
def get_password(doctype: str, name: str, fieldname: str):
    """A decrypted Password field (System Managers only). A user's API secret is never returned: it
    is shown once, by generate_keys."""
    frappe.only_for("System Manager")
    if doctype == "User" and fieldname == "api_secret":
        frappe.throw(_("The API secret is shown only when it is generated"), frappe.PermissionError)
    return frappe.get_doc(doctype, name).get_password(fieldname)


@frappe.whitelist(allow_guest=True)
def get_time_zone():
    """The system time zone."""
    try:
        zone = frappe.db.get_single_value("System Settings", "time_zone")
    except Exception:
        zone = None
    return {"time_zone": zone}


@frappe.whitelist()
def is_document_amended(doctype: str, docname: str):
    """Whether some document was amended from ``docname``."""
    if frappe.has_permission(doctype):
        try:
            return bool(frappe.db.exists(doctype, {"amended_from": docname}))
        except Exception:
            pass
    return False


def insert_doc(doc):
    """Insert ``doc``; for a child row, append it to the parent and return the saved parent."""
    doc = frappe._dict(doc)
    if frappe.is_table(doc.doctype):
        if not (doc.parenttype and doc.parent and doc.parentfield):
            frappe.throw(_("Parenttype, Parent and Parentfield are required to insert a child record"))
        parent = frappe.get_doc(doc.parenttype, doc.parent)
        parent.append(doc.parentfield, doc)
        parent.save()
        return parent
    return frappe.get_doc(doc).insert()


def delete_doc(doctype, name):
    """Delete a document; child rows go through the parent so its ``on_update`` runs."""
    if frappe.is_table(doctype):
        values = frappe.db.get_value(doctype, name, ["parenttype", "parent", "parentfield"])
        if not values:
            raise frappe.DoesNotExistError(doctype=doctype)
        parenttype, parent, parentfield = values
        parent = frappe.get_doc(parenttype, parent)
        if not parent.has_permission("write"):
            raise frappe.DoesNotExistError(doctype=doctype)
        for row in parent.get(parentfield):
            if row.name == name:
                parent.remove(row)
                parent.save()
                break
    else:
        frappe.delete_doc(doctype, name, ignore_missing=False)


@frappe.whitelist()
def validate_link(doctype: str, docname: str, fields=None):
    """Desk's check of a Link value: ``{"name": <the stored name, or None>}`` plus ``fields`` of the
    record when the user may read it (a record outside its User Permissions gives the name only, as
    Frappe does: the Link field accepts it and the save's own checks decide)."""
    if not isinstance(doctype, str) or not doctype:
        frappe.throw(_("DocType must be a string"), frappe.ValidationError)
    if not isinstance(docname, str):
        frappe.throw(_("Document Name must be a string"), frappe.ValidationError)
    import frappe.permissions
    from frappe.model.meta import get_doctype_index

    if doctype not in get_doctype_index():
        frappe.throw(_("DocType {0} not found").format(doctype), frappe.DoesNotExistError)
    if doctype != "DocType" and not (frappe.permissions.has_permission(doctype, "select", print_logs=False)
                                     or frappe.permissions.has_permission(doctype, "read", print_logs=False)):
        frappe.throw(_("You do not have Read or Select Permissions for {}").format(frappe.bold(doctype)),
                     frappe.PermissionError)
    values = frappe._dict()
    if frappe.get_meta(doctype).issingle:
        values.name = doctype if docname == doctype else None
    else:
        values.name = frappe.db.get_value(doctype, docname, "name")
    if not values.name:
        return values
    fields = frappe.parse_json(fields) if isinstance(fields, str) else fields
    if not fields:
        return values
    try:
        values.update(get_value(doctype, fields, values.name) or {})
    except frappe.PermissionError:
        frappe.clear_last_message()
    return values

"""Document sharing (Frappe's ``frappe.share``): DocShare rows give one user — or every signed-in user
(``everyone``) — read, write, submit or share rights on one document, on top of the role rights.

Only explicit DocShare rows grant anything. Guest is never shared with (not even through ``everyone``),
a user may share a document only when it holds the share right on it, and only the rights it holds
itself (Frappe 15 checks the share right alone; granting rights one lacks would widen access).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

# the rights a DocShare row carries, in the order the sharing dialog shows them
SHARE_RIGHTS = ("read", "write", "submit", "share")


@frappe.whitelist(methods=["POST"])
def add(doctype=None, name=None, user=None, read=1, write=0, submit=0, share=0, everyone=0, notify=0):
    """Share a document (the client-side entry point: no flags can be passed from a request)."""
    _require_document(doctype, name)
    return add_docshare(doctype, name, user=user, read=read, write=write, submit=submit, share=share,
                        everyone=everyone, notify=notify)


def add_docshare(doctype, name, user=None, read=1, write=0, submit=0, share=0, everyone=0, flags=None, notify=0):
    """Create or update the DocShare of ``doctype``/``name`` for ``user`` (or everyone); read is always
    given. ``flags={"ignore_share_permission": True}`` skips the sharer's rights check (server code only)."""
    if not user and not cint(everyone):
        user = frappe.session.user
    share_name = get_share_name(doctype, name, user, everyone)
    if share_name:
        doc = frappe.get_doc("DocShare", share_name)
    else:
        doc = frappe.new_doc("DocShare")
        doc.update({"user": user, "share_doctype": doctype, "share_name": name, "everyone": cint(everyone)})
    if flags:
        doc.flags.update(flags)
    # ``notify`` is kept for Frappe's signature: the runtime sends no share notifications
    doc.update({"read": 1, "write": cint(write), "submit": cint(submit), "share": cint(share)})
    # the rights check runs in DocShare.validate, for this path and a DocShare saved directly alike
    doc.save(ignore_permissions=True)
    return doc


def remove(doctype, name, user, flags=None):
    """Delete ``user``'s DocShare of the document (the remover needs the share right unless flagged)."""
    share_name = frappe.db.get_value("DocShare", {"user": user, "share_name": name, "share_doctype": doctype})
    if share_name:
        frappe.delete_doc("DocShare", share_name, flags=flags, ignore_permissions=True)


@frappe.whitelist(methods=["POST"])
def set_permission(doctype=None, name=None, user=None, permission_to=None, value=1, everyone=0):
    """Turn one right of a share on or off (the client-side entry point)."""
    _require_document(doctype, name)
    if not cint(everyone) and not (isinstance(user, str) and user):
        frappe.throw(_("User is mandatory for Share"), frappe.MandatoryError)
    return set_docshare_permission(doctype, name, user, permission_to, value=value, everyone=everyone)


def set_docshare_permission(doctype, name, user, permission_to, value=1, everyone=0, flags=None):
    """Set one right of ``user``'s share; taking read away takes every right, and a share left without
    rights is deleted (returns None then)."""
    if permission_to not in SHARE_RIGHTS:
        frappe.throw(_("Permission must be one of {0}").format(", ".join(SHARE_RIGHTS)), frappe.ValidationError)
    if not (flags or {}).get("ignore_share_permission"):
        check_share_permission(doctype, name)
    value = cint(value)
    share_name = get_share_name(doctype, name, user, everyone)
    if not share_name:
        if not value:
            return None
        return add_docshare(doctype, name, user, everyone=everyone, flags=flags, **{permission_to: 1})
    share = frappe.get_doc("DocShare", share_name)
    if flags:
        share.flags.update(flags)
    share.set(permission_to, value)
    if not value and permission_to == "read":
        share.read = share.write = share.submit = share.share = 0
    if not any(cint(share.get(right)) for right in SHARE_RIGHTS):
        share.flags.ignore_share_permission = True  # checked above
        share.delete(ignore_permissions=True)
        return None
    share.save(ignore_permissions=True)
    return share


@frappe.whitelist()
def get_users(doctype=None, name=None):
    """The shares of one document (who, which rights). Frappe 15 answers anyone; here the caller must
    be able to read the document, so the list does not reveal more than the document itself."""
    _require_document(doctype, name)
    if not frappe.has_permission(doctype, "read", doc=name):
        raise frappe.PermissionError
    return frappe.get_all("DocShare",
                          fields=["name", "user", "read", "write", "submit", "share", "everyone", "owner", "creation"],
                          filters={"share_doctype": doctype, "share_name": name}, order_by="creation asc")


def _require_document(doctype, name) -> None:
    """Caller input: a doctype and a document name, both non-empty text (else a 417, not a 500)."""
    if not isinstance(doctype, str) or not isinstance(name, str) or not doctype or not name:
        frappe.throw(_("doctype and name required!"), frappe.MandatoryError)


def get_shared(doctype, user=None, rights=None, *, filters=None, limit=None) -> list[str]:
    """Names of the ``doctype`` documents shared with ``user`` for every right in ``rights`` (default
    read): its own shares and, unless it is Guest, those shared with everyone."""
    user = user or frappe.session.user
    rights = [r for r in (rights or ["read"]) if r in SHARE_RIGHTS] or ["read"]
    conditions = [f"`{right}`=1" for right in rights] + ["`share_doctype`=%s"]
    values = [doctype]
    if user == "Guest":
        conditions.append("`user`=%s")
    else:
        conditions.append("(`user`=%s or `everyone`=1)")
    values.append(user)
    for fieldname, operator, value in _share_filters(filters):
        conditions.append(f"`{fieldname}` {operator} %s")
        values.append(value)
    sql = "select `share_name` from `tabDocShare` where " + " and ".join(conditions)
    if limit:
        sql += f" limit {cint(limit)}"
    return [row[0] for row in frappe.db.sql(sql, tuple(values))]


def _share_filters(filters):
    """``[[fieldname, "=", value]]`` filters on DocShare's own columns (the only form get_shared takes)."""
    allowed = {"share_name", "user", "everyone"}
    for entry in filters or []:
        fieldname, operator, value = entry[-3], entry[-2], entry[-1]
        if fieldname not in allowed or operator not in ("=", "!="):
            frappe.throw(_("Filter {0} is not supported here").format(fieldname), frappe.ValidationError)
        yield fieldname, operator, value


def is_shared(doctype, name, right="read", user=None) -> bool:
    """Whether ``name`` of ``doctype`` is shared with ``user`` for ``right``."""
    return bool(get_shared(doctype, user, [right], filters=[["share_name", "=", name]], limit=1))


def get_shared_doctypes(user=None) -> list[str]:
    """Doctypes with at least one document shared with ``user`` (or with everyone)."""
    user = user or frappe.session.user
    if user == "Guest":
        return frappe.db.sql_list("select distinct `share_doctype` from `tabDocShare` where `user`=%s", (user,))
    return frappe.db.sql_list("select distinct `share_doctype` from `tabDocShare` where `user`=%s or `everyone`=1",
                              (user,))


def get_share_name(doctype, name, user, everyone):
    """The DocShare row of ``user`` (or the everyone row) for the document, if any."""
    if cint(everyone):
        return frappe.db.get_value("DocShare", {"everyone": 1, "share_name": name, "share_doctype": doctype})
    return frappe.db.get_value("DocShare", {"user": user, "share_name": name, "share_doctype": doctype})


def check_share_permission(doctype, name, rights=None):
    """Refuse (PermissionError) unless the session user may share the document and holds every right
    in ``rights`` on it itself."""
    if not frappe.has_permission(doctype, ptype="share", doc=name):
        frappe.throw(_("No permission to {0} {1} {2}").format("share", _(doctype), name), frappe.PermissionError)
    for right in rights or ():
        if right != "share" and not frappe.has_permission(doctype, ptype=right, doc=name):
            frappe.throw(_("You cannot share {0} {1} with the {2} right: you do not have it").format(
                _(doctype), name, _(right)), frappe.PermissionError)

"""Role permissions (DocPerm), if_owner, User Permissions and the permission hooks — Frappe's rules."""

from __future__ import annotations

import frappe
import frappe.share  # noqa: F401 - ``frappe.share.*`` is reachable wherever permissions are, as on Frappe
from frappe import _
from frappe.utils import cint

rights = ("select", "read", "write", "create", "delete", "submit", "cancel", "amend", "print", "email",
          "report", "import", "export", "share")
AUTOMATIC_ROLES = ("Administrator", "Guest", "All", "Desk User")


# ---------------------------------------------------------------- roles

def get_roles(user: str | None = None, with_standard: bool = True) -> list[str]:
    """Roles of ``user``: Has Role rows plus All, Guest (and Desk User for system users)."""
    user = user or frappe.session.user
    if user == "Guest" or not user:
        return ["Guest"]
    from frappe.cache_manager import cached_field

    def read():
        if user == "Administrator":
            roles = [r[0] for r in frappe.db.sql("select `name` from `tabRole`")]
            for r in AUTOMATIC_ROLES:
                if r not in roles:
                    roles.append(r)
            return roles
        # one statement: the Has Role rows and the user type (Desk User for System Users)
        rows = frappe.db.sql(
            "select `tabHas Role`.`role`, `tabUser`.`user_type` from `tabUser` left join `tabHas Role` "
            "on `tabHas Role`.`parent`=`tabUser`.`name` and `tabHas Role`.`parenttype`='User' "
            "and `tabHas Role`.`role` not in ('All', 'Guest') where `tabUser`.`name`=%s", (user,))
        roles = [role for role, _user_type in rows if role]
        roles += ["All", "Guest"]
        if rows and rows[0][1] == "System User":
            roles.append("Desk User")
        return roles

    # kept in the site cache (hash "roles") until tabUser / tabHas Role / tabRole is written
    roles = cached_field("roles", user, read)
    if not with_standard:
        roles = [r for r in roles if r not in AUTOMATIC_ROLES]
    return list(roles)


def clear_roles_cache(user=None):
    from frappe.cache_manager import forget_hashes

    forget_hashes(("roles",))
    frappe.local.role_permissions = {}


# ---------------------------------------------------------------- role permissions

def allow_everything() -> frappe._dict:
    return frappe._dict({p: 1 for p in rights})


def get_role_permissions(doctype_meta, user=None, is_owner=None) -> frappe._dict:
    """{right: 0/1} from the DocPerm rows at permlevel 0 of the user's roles, with the if_owner overlay."""
    if isinstance(doctype_meta, str):
        doctype_meta = frappe.get_meta(doctype_meta)
    user = user or frappe.session.user
    if user == "Administrator":
        return allow_everything()
    cache_key = (doctype_meta.name, user, bool(is_owner))
    cached = frappe.local.role_permissions.get(cache_key)
    if cached is not None:
        return cached
    roles = frozenset(get_roles(user))
    perms = _rights_of_roles(doctype_meta, roles, bool(is_owner))
    frappe.local.role_permissions[cache_key] = perms
    return perms


# (id of a Meta) → (that Meta, {(roles, is_owner): rights}): the rights follow from the Meta and the role
# set alone, so they are worked out once per process and Meta (a changed DocPerm builds a new Meta)
_rights_by_meta: dict[int, tuple] = {}
_RIGHTS_KEPT_FOR_METAS = 512  # Metas rebuilt over a process's life leave entries behind: bounded


def _rights_of_roles(meta, roles: frozenset, is_owner: bool) -> frappe._dict:
    entry = _rights_by_meta.get(id(meta))
    if entry is None or entry[0] is not meta:
        if len(_rights_by_meta) >= _RIGHTS_KEPT_FOR_METAS:
            _rights_by_meta.clear()
        entry = _rights_by_meta[id(meta)] = (meta, {})
    kept = entry[1].get((roles, is_owner))
    if kept is None:
        kept = entry[1][(roles, is_owner)] = _work_out_rights(meta, roles, is_owner)
    # each caller gets its own copy (some change what they get)
    perms = frappe._dict(kept)
    perms.if_owner = dict(kept.if_owner)
    return perms


def _work_out_rights(doctype_meta, roles: frozenset, is_owner: bool) -> frappe._dict:
    applicable = [p for p in doctype_meta.permissions if p.role in roles and cint(p.permlevel) == 0]
    perms = frappe._dict(if_owner={})
    has_if_owner = any(p.if_owner for p in applicable)
    perms.has_if_owner_enabled = has_if_owner
    for ptype in rights:
        value = any(p.get(ptype) for p in applicable)
        perms[ptype] = cint(value)
        without_owner = any(p.get(ptype) and not p.if_owner for p in applicable)
        if value and has_if_owner and not without_owner and ptype != "create":
            # a right granted only through if_owner rows applies to the owner alone
            perms.if_owner[ptype] = cint(is_owner)
            perms[ptype] = 1 if ptype in ("select", "read") else 0
    if not doctype_meta.is_submittable:
        perms.submit = perms.cancel = perms.amend = 0
    if not doctype_meta.allow_import:
        perms["import"] = 0
    return perms


def _push_log(message: str) -> None:
    frappe.flags.setdefault("has_permission_check_logs", []).append(message)


def has_permission(doctype, ptype="read", doc=None, user=None, print_logs=True, *, parent_doctype=None,
                   raise_exception=True, debug=False) -> bool:
    """Whether ``user`` has ``ptype`` on ``doctype`` (or on ``doc``), explaining a refusal in msgprint."""
    frappe.flags.has_permission_check_logs = []
    result = _has_permission(doctype, ptype, doc, user, parent_doctype)
    user = user or frappe.session.user
    if not result and print_logs and user == frappe.session.user:
        logs = frappe.flags.get("has_permission_check_logs") or []
        if logs:
            frappe.msgprint("<br>".join(logs))
    frappe.flags.pop("has_permission_check_logs", None)
    return bool(result)


def _has_permission(doctype, ptype, doc, user, parent_doctype) -> bool:
    user = user or frappe.session.user
    if doc is not None and not isinstance(doc, str) and not doctype:
        doctype = doc.doctype
    if doctype == "DocType":
        # no DocType records here (definitions are files): System Managers hold its rights, as on Frappe
        if user == "Administrator" or "System Manager" in get_roles(user):
            return True
        _push_log(_("User {0} does not have doctype access via role permission for document {1}").format(
            frappe.bold(user), frappe.bold(doctype)))
        return False
    if user == "Administrator":
        return True
    meta = frappe.get_meta(doctype)
    if meta.istable:
        return has_child_permission(doctype, ptype, doc, user, parent_doctype)
    if ptype == "submit" and not meta.is_submittable:
        _push_log(_("Document Type is not submittable"))
        return False
    if ptype == "import" and not meta.allow_import:
        _push_log(_("Document Type is not importable"))
        return False
    role_perms = get_role_permissions(meta, user=user)
    # a right given only to owners still lets the document-level check decide
    has_right = role_perms.get(ptype) or ptype in (role_perms.get("if_owner") or {})
    if not has_right and not (ptype == "read" and role_perms.get("select") and doc is None):
        _push_log(_("User {0} does not have doctype access via role permission for document {1}").format(
            frappe.bold(user), frappe.bold(doctype)))
        if doc is None:
            # as Frappe: one document shared for the right gives it on the doctype (lists, forms)
            return _granted_by_share(meta, ptype, None, user)
        if _granted_by_share(meta, ptype, doc, user):
            return True
        _push_log(_document_refusal(meta, doc, user, role_perms))
        return False
    if doc is None:
        return True
    if isinstance(doc, str):
        doc = frappe.get_doc(doctype, doc)
    allowed = bool(get_doc_permissions(doc, user=user, ptype=ptype).get(ptype))
    if not allowed:
        if _granted_by_share(meta, ptype, doc, user):
            return True
        _push_log(_document_refusal(meta, doc, user, role_perms))
    return allowed


# the rights a DocShare can give (email and print follow read), Frappe's list
SHAREABLE_RIGHTS = ("read", "write", "share", "submit", "email", "print")


def _granted_by_share(meta, ptype, doc, user) -> bool:
    """Whether a DocShare gives ``ptype`` on ``doc`` (on any document of the doctype when ``doc`` is
    None). Guest is never shared with; the doctype's has_permission hooks (tenant rules) still deny."""
    if ptype not in SHAREABLE_RIGHTS or user == "Guest" or not frappe.db.table_exists("DocShare"):
        return False
    from frappe.share import get_shared, is_shared

    right = "read" if ptype in ("email", "print") else ptype
    if doc is None:
        return bool(get_shared(meta.name, user, [right], limit=1))
    # looked up by name first: an unshared (or missing) document is not loaded
    if not is_shared(meta.name, doc if isinstance(doc, str) else doc.name, right, user=user):
        return False
    if isinstance(doc, str):
        doc = frappe.get_doc(meta.name, doc)
    return has_controller_permissions(doc, ptype, user=user) is not False


def _document_refusal(meta, doc, user, role_perms) -> str:
    """Frappe's refusal of one document: it is named when the user may read the doctype (through a
    role or a share), so the message reveals no more than the user could list."""
    message = _("User {0} does not have access to this document").format(frappe.bold(user))
    if role_perms.get("read") or _granted_by_share(meta, "read", None, user):
        message += f": {_(meta.name)} - {doc if isinstance(doc, str) else doc.name}"
    return message


def has_child_permission(child_doctype, ptype="read", child_doc=None, user=None, parent_doctype=None) -> bool:
    """A child table has no rights of its own (Frappe's rule): its rows are reached through a parent
    doctype that really holds a Table field of it, and the rights are that parent's — on the parent
    document itself when a row is given. Refusals explain themselves in the permission logs."""
    user = user or frappe.session.user
    if isinstance(child_doc, str):
        child_doc = frappe.db.get_value(child_doctype, child_doc, ["parent", "parenttype", "parentfield"],
                                        as_dict=True)
    if child_doc is not None:
        parent_doctype = child_doc.get("parenttype")
    if not parent_doctype:
        _push_log(_("Please specify a valid parent DocType for {0}").format(frappe.bold(child_doctype)))
        return False
    parentfields = get_parentfields(parent_doctype, child_doctype)
    if not parentfields:
        _push_log(_("{0} is not a valid parent DocType for {1}").format(frappe.bold(parent_doctype),
                                                                       frappe.bold(child_doctype)))
        return False
    parent = None
    if child_doc is not None:
        parentfield = child_doc.get("parentfield")
        if not parentfield:
            _push_log(_("Parentfield not specified in {0}: {1}").format(frappe.bold(child_doctype),
                                                                       frappe.bold(child_doc.get("name"))))
            return False
        if parentfield not in parentfields:
            _push_log(_("{0} is not a valid parentfield for {1}").format(frappe.bold(parentfield),
                                                                        frappe.bold(child_doctype)))
            return False
        parent_meta = frappe.get_meta(parent_doctype)
        permlevel = cint(parent_meta.get_field(parentfield).permlevel)
        if permlevel and permlevel not in parent_meta.get_permlevel_access(ptype, user=user):
            _push_log(_("Insufficient Permission Level for {0}").format(frappe.bold(parent_doctype)))
            return False
        # a row not attached to a saved parent yet leaves the decision to the parent doctype's rights
        parent = getattr(child_doc, "parent_doc", None) or child_doc.get("parent") or None
    return _has_permission(parent_doctype, ptype, parent, user, None)


def get_parentfields(parent_doctype, child_doctype) -> list[str]:
    """Fieldnames of ``parent_doctype``'s Table fields that hold ``child_doctype`` ([] when the
    parent is unknown, is itself a child table, or has no such field)."""
    if not parent_doctype or not isinstance(parent_doctype, str):
        return []
    try:
        parent_meta = frappe.get_meta(parent_doctype)
    except frappe.DoesNotExistError:
        return []
    if parent_meta.istable:
        return []
    return [df.fieldname for df in parent_meta.get_table_fields() if df.options == child_doctype]


def get_doc_permissions(doc, user=None, ptype=None) -> dict:
    """Rights on one document: controller hooks, role rights with if_owner, then User Permissions."""
    user = user or frappe.session.user
    meta = frappe.get_meta(doc.doctype)
    if meta.istable:
        return {"read": 1, "write": 1}
    if has_controller_permissions(doc, ptype, user=user) is False:
        _push_log(_("Not allowed via controller permission check"))
        return {ptype: 0}
    is_owner = (doc.get("owner") or "").lower() == user.lower()
    permissions = dict(get_role_permissions(meta, user=user, is_owner=is_owner))
    if permissions.get("has_if_owner_enabled"):
        permissions.update(permissions.get("if_owner") or {})
    if not has_user_permission(doc, user):
        if is_owner:
            permissions = dict(permissions.get("if_owner") or {})
            permissions["create"] = 0
        else:
            permissions = {}
    return permissions


def has_controller_permissions(doc, ptype, user=None):
    """``has_permission`` hooks (doctype and "*"), last app first; they can only deny."""
    hooks = frappe.get_hooks("has_permission") or {}
    methods = (hooks.get(doc.doctype) or []) + (hooks.get("*") or [])
    for method in reversed(methods):
        result = frappe.call(frappe.get_attr(method), doc=doc, ptype=ptype, user=user, debug=False)
        if result is not None:
            # True ends the hook chain without granting anything; False denies
            return None if result else False
    return None


def check_list_permission(doctype, user=None, parent_doctype=None) -> None:
    """Raise PermissionError (with Frappe's messages) unless the user may list ``doctype``."""
    user = user or frappe.session.user
    if user == "Administrator":
        return
    meta = frappe.get_meta(doctype)
    if meta.istable:
        # Frappe names the child doctype itself as the parent when the caller gives none, which no
        # doctype can be: listing a child table needs a valid parent and that parent's rights
        frappe.has_permission(doctype, "read", parent_doctype=parent_doctype or doctype, user=user, throw=True)
        return
    perms = get_role_permissions(meta, user=user)
    if perms.get("select") or perms.get("read") or (perms.get("if_owner") or {}).get("read"):
        return
    if _granted_by_share(meta, "read", None, user):
        # the list then holds the shared documents only (get_match_conditions)
        return
    frappe.msgprint(_("User {0} does not have doctype access via role permission for document {1}").format(
        frappe.bold(user), frappe.bold(doctype)))
    frappe.flags.error_message = _("No permission for {0}").format(_(doctype))
    raise frappe.PermissionError


# ---------------------------------------------------------------- user permissions

def get_user_permissions(user=None) -> dict:
    """{allow doctype: [{doc, applicable_for, is_default}]}, tree descendants included."""
    user = user or frappe.session.user
    if user in ("Administrator", "Guest") or not frappe.db.table_exists("User Permission"):
        return {}
    from frappe.cache_manager import cached_field

    # kept in the site cache (hash "user_permission_rules") until tabUser Permission is written
    return cached_field("user_permission_rules", user, lambda: _read_user_permissions(user))


def _read_user_permissions(user) -> dict:
    out = {}
    rows = frappe.db.sql("select `allow`, `for_value`, `applicable_for`, `apply_to_all_doctypes`, `is_default`, "
                         "`hide_descendants` from `tabUser Permission` where `user`=%s", (user,), as_dict=True)
    for row in rows:
        entries = out.setdefault(row.allow, [])
        applicable_for = None if cint(row.apply_to_all_doctypes) else row.applicable_for
        entries.append(frappe._dict(doc=row.for_value, applicable_for=applicable_for, is_default=row.is_default))
        meta = frappe.get_meta(row.allow)
        if meta.is_tree and not cint(row.hide_descendants):
            bounds = frappe.db.get_value(row.allow, row.for_value, ["lft", "rgt"])
            if bounds and bounds[0] is not None:
                for (name,) in frappe.db.sql(f"select `name` from `tab{row.allow}` where `lft` > %s and `rgt` < %s",
                                             bounds):
                    entries.append(frappe._dict(doc=name, applicable_for=applicable_for, is_default=0))
    return out


def get_allowed_docs_for_doctype(user_permissions: list, doctype: str) -> list[str]:
    return [p.doc for p in user_permissions if not p.applicable_for or p.applicable_for == doctype]


def has_user_permission(doc, user=None) -> bool:
    """False when the doc, or one of its Link values, is outside the user's User Permissions."""
    user_permissions = get_user_permissions(user)
    if not user_permissions or _manages_user_permissions(user or frappe.session.user):
        return True
    strict = cint(frappe.db.get_single_value("System Settings", "apply_strict_user_permissions"))
    doctype = doc.doctype
    if doctype in user_permissions:
        allowed = get_allowed_docs_for_doctype(user_permissions[doctype], doctype)
        if allowed and doc.name not in allowed:
            _push_log(_("Not allowed for {0}: {1}").format(_(doctype), doc.name))
            return False

    def check_links(d) -> bool:
        meta = frappe.get_meta(d.doctype)
        for df in meta.get_link_fields():
            if df.ignore_user_permissions or df.options not in user_permissions:
                continue
            value = d.get(df.fieldname)
            if not value and not strict:
                continue
            allowed = get_allowed_docs_for_doctype(user_permissions[df.options], doctype)
            if allowed and value not in allowed:
                _push_log(_("You are not allowed to access this {0} record because it is linked to {1} '{2}' in field {3}")
                          .format(_(d.doctype), _(df.options), value, _(df.label or df.fieldname)))
                return False
        return True

    if not check_links(doc):
        return False
    for d in doc.get_all_children():
        if not check_links(d):
            return False
    return True


def get_user_permission_default(df):
    """Default for a Link field from the user's User Permissions (is_default, or the only value)."""
    try:
        perms = get_user_permissions().get(df.options)
    except Exception:
        return None
    if not perms:
        return None
    defaults = [p.doc for p in perms if p.is_default]
    if defaults:
        return defaults[0]
    if len(perms) == 1:
        return perms[0].doc
    return None


def get_match_conditions(doctype, user=None, values: list | None = None) -> str:
    """SQL for get_list: if_owner, User Permission link restrictions, permission_query_conditions."""
    user = user or frappe.session.user
    if user == "Administrator":
        return ""
    meta = frappe.get_meta(doctype)
    conditions = []
    role_perms = get_role_permissions(meta, user=user)
    if not role_perms.get("read") and not role_perms.get("select") and (role_perms.get("if_owner") or {}).get("read") is not None:
        conditions.append(f"`tab{doctype}`.`owner` = {frappe.db.escape(user, percent=False)}")
    elif role_perms.get("has_if_owner_enabled") and "read" in (role_perms.get("if_owner") or {}):
        conditions.append(f"`tab{doctype}`.`owner` = {frappe.db.escape(user, percent=False)}")
    user_permissions = get_user_permissions(user)
    if user_permissions and not _manages_user_permissions(user):
        strict = cint(frappe.db.get_single_value("System Settings", "apply_strict_user_permissions"))
        match = []
        if doctype in user_permissions:
            allowed = get_allowed_docs_for_doctype(user_permissions[doctype], doctype)
            if allowed:
                match.append(f"`tab{doctype}`.`name` in ({', '.join(frappe.db.escape(v, percent=False) for v in allowed)})")
        for df in meta.get_link_fields():
            if df.ignore_user_permissions or df.options not in user_permissions:
                continue
            allowed = get_allowed_docs_for_doctype(user_permissions[df.options], doctype)
            if not allowed:
                continue
            column = f"`tab{doctype}`.`{df.fieldname}`"
            in_list = ", ".join(frappe.db.escape(v, percent=False) for v in allowed)
            if strict:
                match.append(f"{column} in ({in_list})")
            else:
                match.append(f"(ifnull({column}, '') = '' or {column} in ({in_list}))")
        if match:
            conditions.append("(" + " and ".join(match) + ")")
    conditions = _with_shared_documents(meta, user, role_perms, conditions)
    hooks = frappe.get_hooks("permission_query_conditions") or {}
    for method in (hooks.get(doctype) or []) + (hooks.get("*") or []):
        condition = frappe.call(frappe.get_attr(method), user=user, doctype=doctype)
        if condition:
            conditions.append(f"({condition})")
    return " and ".join(conditions)


def _with_shared_documents(meta, user, role_perms, conditions: list[str]) -> list[str]:
    """The role-based list conditions widened to the documents shared with the user, as Frappe
    does: only those when no role lets the user list the doctype, else those too. The
    permission_query_conditions hooks are added afterwards, so tenant rules still hold."""
    lists_by_role = role_perms.get("read") or role_perms.get("select") or \
        (role_perms.get("if_owner") or {}).get("read") is not None
    if lists_by_role and not conditions:
        return conditions
    if user == "Guest" or meta.istable or not frappe.db.table_exists("DocShare"):
        return conditions
    from frappe.share import get_shared

    shared = get_shared(meta.name, user, ["read"])
    if not shared:
        return conditions if lists_by_role else ["0=1"]
    in_shared = f"`tab{meta.name}`.`name` in ({', '.join(frappe.db.escape(n, percent=False) for n in shared)})"
    if not lists_by_role:
        return [in_shared]
    return [f"(({' and '.join(conditions)}) or {in_shared})"]


def _manages_user_permissions(user) -> bool:
    """Users who may write User Permissions are not restricted by them (Frappe's rule)."""
    return bool(get_role_permissions("User Permission", user=user).get("write"))


def add_user_permission(doctype, name, user, ignore_permissions=False, applicable_for=None, is_default=0,
                        hide_descendants=0, apply_to_all_doctypes=None):
    """Restrict ``user`` to ``name`` of ``doctype`` (creates a User Permission)."""
    if frappe.db.exists("User Permission", {"user": user, "allow": doctype, "for_value": name,
                                            "applicable_for": applicable_for}):
        return
    if not frappe.db.exists(doctype, name):
        frappe.throw(_("{0} {1} not found").format(_(doctype), name), frappe.DoesNotExistError)
    frappe.get_doc(dict(doctype="User Permission", user=user, allow=doctype, for_value=name,
                        is_default=is_default, applicable_for=applicable_for,
                        apply_to_all_doctypes=0 if applicable_for else 1,
                        hide_descendants=hide_descendants)).insert(ignore_permissions=ignore_permissions)


def remove_user_permission(doctype, name, user):
    for row in frappe.get_all("User Permission", filters={"user": user, "allow": doctype, "for_value": name}):
        frappe.delete_doc("User Permission", row.name, ignore_permissions=True)


def get_doctype_roles(doctype, access_type="read"):
    return [d.role for d in frappe.get_meta(doctype).permissions if d.get(access_type)]


def check_admin_or_system_manager(user=None):
    user = user or frappe.session.user
    if "System Manager" not in get_roles(user) and user != "Administrator":
        frappe.throw(_("Not permitted"), frappe.PermissionError)


# ---------------------------------------------------------------- custom permissions

def setup_custom_perms(parent) -> bool:
    """Copy a doctype's standard DocPerm rows into Custom DocPerm (once), so they can be edited."""
    if frappe.db.exists("Custom DocPerm", {"parent": parent}):
        return False
    for perm in frappe.get_meta(parent).permissions:
        row = frappe.get_doc({"doctype": "Custom DocPerm", "parent": parent, **perm})
        row.insert(ignore_permissions=True)
    frappe.clear_cache(doctype=parent)
    return True


def add_permission(doctype, role, permlevel=0, ptype=None):
    """Give ``role`` a permission row on ``doctype`` (read, or ``ptype``) through Custom DocPerm."""
    setup_custom_perms(doctype)
    if frappe.db.get_value("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": permlevel,
                                              "if_owner": 0}):
        if ptype:
            update_permission_property(doctype, role, permlevel, ptype, 1)
        return
    row = frappe.get_doc({"doctype": "Custom DocPerm", "parent": doctype, "role": role, "permlevel": permlevel,
                          "read": 1, ptype or "read": 1})
    row.insert(ignore_permissions=True)
    frappe.clear_cache(doctype=doctype)


def update_permission_property(doctype, role, permlevel, ptype, value=None, validate=True, if_owner=0):
    """Set one right (``ptype``) of ``role``'s Custom DocPerm row on ``doctype``."""
    setup_custom_perms(doctype)
    name = frappe.db.get_value("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": permlevel,
                                                  "if_owner": if_owner})
    if not name:
        add_permission(doctype, role, permlevel)
        name = frappe.db.get_value("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": permlevel})
    frappe.db.set_value("Custom DocPerm", name, ptype, value)
    frappe.clear_cache(doctype=doctype)


# ---------------------------------------------------------------- existence of records vs rights

def check_doctype_permission(doctype: str, ptype: str = "read") -> None:
    """Raise PermissionError (no traceback, only this check's messages) unless the user has
    ``ptype`` on ``doctype`` itself. Used where an answer must not reveal more than the rights."""
    saved = frappe.local.message_log
    frappe.local.message_log = []
    try:
        frappe.has_permission(doctype, ptype, throw=True)
    except frappe.PermissionError:
        frappe.flags.disable_traceback = True
        raise
    except Exception:
        frappe.local.message_log = saved
        raise
    frappe.local.message_log = saved


def handle_does_not_exist_error(fn):
    """Decorate an exception handler: a DoesNotExistError about a doctype the user may not read is
    answered as that PermissionError instead, so a missing record does not leak its existence."""
    import functools

    @functools.wraps(fn)
    def wrapper(e, *args, **kwargs):
        if isinstance(e, frappe.DoesNotExistError) and (doctype := getattr(e, "doctype", None)):
            try:
                check_doctype_permission(doctype)
            except frappe.PermissionError as permission_error:
                return fn(permission_error, *args, **kwargs)
            except Exception:
                pass
        return fn(e, *args, **kwargs)

    return wrapper

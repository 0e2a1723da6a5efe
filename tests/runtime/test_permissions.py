"""Roles, DocPerm, if_owner, User Permissions and the permission hooks."""

from __future__ import annotations

import pytest

import frappe
from frappe.permissions import add_user_permission


def make_user(email, *roles):
    for role in roles:
        if not frappe.db.exists("Role", role):
            frappe.get_doc({"doctype": "Role", "role_name": role}).insert(ignore_permissions=True)
    if not frappe.db.exists("User", email):
        user = frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0],
                               "send_welcome_email": 0})
        for role in roles:
            user.append("roles", {"role": role})
        user.insert(ignore_permissions=True)
    return email


def note_as_admin(**kwargs):
    frappe.set_user("Administrator")
    return frappe.get_doc({"doctype": "RT Note", "title": "n", **kwargs}).insert()


def test_roles_include_automatic_ones(site):
    make_user("perm1@example.com", "RT User")
    assert set(frappe.get_roles("perm1@example.com")) == {"RT User", "All", "Guest", "Desk User"}
    assert frappe.get_roles("Guest") == ["Guest"]
    assert "RT User" in frappe.get_roles("Administrator") or "System Manager" in frappe.get_roles("Administrator")


def test_role_rights_from_docperm(site):
    user = make_user("perm2@example.com", "RT Reader")
    doc = note_as_admin()
    frappe.set_user(user)
    assert frappe.has_permission("RT Note", "read")
    assert not frappe.has_permission("RT Note", "write")
    assert frappe.has_permission("RT Note", "read", doc)
    with pytest.raises(frappe.PermissionError):
        frappe.get_doc({"doctype": "RT Note", "title": "x"}).insert()
    with pytest.raises(frappe.PermissionError):
        frappe.has_permission("RT Note", "write", doc, throw=True)
    assert frappe.flags.error_message == f"No permission for RT Note {doc.name}"


def test_no_role_cannot_list_and_gets_frappes_message(site):
    user = make_user("perm3@example.com")
    frappe.set_user(user)
    frappe.local.message_log = []
    with pytest.raises(frappe.PermissionError):
        frappe.get_list("RT Note")
    assert frappe.local.message_log[-1]["message"] == (
        "User <strong>perm3@example.com</strong> does not have doctype access via role permission for document "
        "<strong>RT Note</strong>")
    assert frappe.flags.error_message == "No permission for RT Note"


def test_get_all_ignores_permissions_get_list_does_not(site):
    note_as_admin()
    frappe.set_user(make_user("perm4@example.com"))
    assert frappe.get_all("RT Note")
    with pytest.raises(frappe.PermissionError):
        frappe.get_list("RT Note")


def test_if_owner_restricts_to_own_documents(site):
    owner = make_user("owner@example.com", "RT Owner")
    other = note_as_admin()
    frappe.set_user(owner)
    mine = frappe.get_doc({"doctype": "RT Note", "title": "mine"}).insert()
    names = {r.name for r in frappe.get_list("RT Note", fields=["name"])}
    assert mine.name in names and other.name not in names
    assert frappe.has_permission("RT Note", "write", mine)
    assert not frappe.has_permission("RT Note", "read", frappe.get_doc("RT Note", other.name))


def test_user_permission_on_link_field_filters_lists_and_documents(site):
    for territory in ("North", "South"):
        if not frappe.db.exists("Territory", territory):
            frappe.get_doc({"doctype": "Territory", "territory_name": territory,
                            "parent_territory": frappe.db.get_value("Territory", {"is_group": 1}, "name")}).insert()
    user = make_user("north@example.com", "RT User")
    north = note_as_admin(territory="North")
    south = note_as_admin(territory="South")
    empty = note_as_admin()
    add_user_permission("Territory", "North", user, ignore_permissions=True)
    frappe.set_user(user)
    frappe.local.cache.clear()
    names = {r.name for r in frappe.get_list("RT Note", fields=["name"])}
    assert north.name in names and empty.name in names and south.name not in names
    assert frappe.has_permission("RT Note", "read", frappe.get_doc("RT Note", north.name))
    frappe.local.message_log = []
    assert not frappe.has_permission("RT Note", "read", frappe.get_doc("RT Note", south.name))
    # as in Frappe, the session user's refusal is explained (msgprint) even without throw
    assert [m["message"] for m in frappe.local.message_log] == [
        "You are not allowed to access this RT Note record because it is linked to Territory 'South' in field "
        "Territory<br>User <strong>north@example.com</strong> does not have access to this document: "
        f"RT Note - {south.name}"]
    frappe.local.message_log = []
    with pytest.raises(frappe.PermissionError):
        frappe.has_permission("RT Note", "read", frappe.get_doc("RT Note", south.name), throw=True)
    assert "linked to Territory 'South' in field Territory" in frappe.local.message_log[-1]["message"]
    assert frappe.flags.error_message == f"No permission for RT Note {south.name}"
    new = frappe.new_doc("RT Note")
    assert new.territory == "North"  # the only allowed value becomes the default


def test_permission_query_conditions_and_has_permission_hooks(site):
    public = frappe.get_doc({"doctype": "RT Hash", "label": "public"}).insert()
    secret = frappe.get_doc({"doctype": "RT Hash", "label": "secret"}).insert()
    user = make_user("hashes@example.com", "System Manager")
    frappe.set_user(user)
    names = {r.name for r in frappe.get_list("RT Hash", fields=["name"])}
    assert public.name in names and secret.name not in names
    assert frappe.has_permission("RT Hash", "read", frappe.get_doc("RT Hash", public.name))
    assert not frappe.has_permission("RT Hash", "read", frappe.get_doc("RT Hash", secret.name))
    assert len(frappe.get_all("RT Hash", filters={"name": ["in", [public.name, secret.name]]})) == 2


def test_only_for(site):
    frappe.set_user(make_user("only@example.com", "RT Reader"))
    frappe.only_for("RT Reader")
    with pytest.raises(frappe.PermissionError):
        frappe.only_for(["System Manager"])
    frappe.set_user("Administrator")
    frappe.only_for("Nobody Has This Role")


def test_higher_permlevel_fields_reset_on_write(site):
    frappe.set_user(make_user("perm5@example.com", "RT User"))
    doc = frappe.get_doc({"doctype": "RT Note", "title": "x", "approved_by": "me"}).insert()
    assert doc.approved_by is None


def test_submit_needs_submit_right(site):
    frappe.set_user(make_user("perm6@example.com", "RT Owner"))
    doc = frappe.get_doc({"doctype": "RT Note", "title": "x"}).insert()
    with pytest.raises(frappe.PermissionError):
        doc.submit()


def test_create_without_the_right_is_refused_on_the_doctype(site):
    user = make_user("perm_create@example.com", "RT Reader")
    frappe.set_user(user)
    frappe.local.message_log = [frappe._dict(message="earlier")]
    frappe.flags.disable_traceback = None
    with pytest.raises(frappe.PermissionError):
        frappe.get_doc({"doctype": "RT Note", "title": "x"}).insert()
    # only the role message, Frappe's doctype-level _error_message and no traceback in the answer
    assert [m["message"] for m in frappe.local.message_log] == [
        "User <strong>perm_create@example.com</strong> does not have doctype access via role permission for "
        "document <strong>RT Note</strong>"]
    assert frappe.flags.error_message == "No permission for RT Note"
    assert frappe.flags.disable_traceback


def test_refused_write_on_a_document(site):
    doc = note_as_admin()
    # no write right on the doctype at all: answered on the doctype, without a traceback
    frappe.set_user(make_user("perm_write@example.com", "RT Reader"))
    frappe.flags.disable_traceback = None
    mine = frappe.get_doc("RT Note", doc.name)
    mine.title = "changed"
    with pytest.raises(frappe.PermissionError):
        mine.save()
    assert frappe.flags.error_message == "No permission for RT Note"
    assert frappe.flags.disable_traceback
    # a write right that does not cover this document (if_owner, someone else's note)
    frappe.set_user(make_user("perm_owner@example.com", "RT Owner"))
    frappe.flags.disable_traceback = None
    frappe.local.message_log = []
    theirs = frappe.get_doc("RT Note", doc.name)
    theirs.title = "changed"
    with pytest.raises(frappe.PermissionError):
        theirs.save()
    assert frappe.flags.error_message == (
        f"You need the 'write' permission on <strong>RT Note</strong> {doc.name} to perform this action.")
    assert not frappe.flags.disable_traceback
    assert frappe.local.message_log


def test_desk_users_may_list_users_but_not_the_standard_ones(site):
    user = make_user("perm_users@example.com", "RT Reader")
    frappe.set_user(user)
    names = frappe.get_list("User", pluck="name", limit_page_length=0)
    assert user in names and "Administrator" not in names and "Guest" not in names
    assert not frappe.has_permission("User", "read", frappe.get_doc("User", "Administrator"))
    frappe.set_user("Administrator")
    assert "Guest" in frappe.get_list("User", pluck="name", limit_page_length=0)


def test_rights_kept_per_process_are_a_copy_and_follow_a_docperm_change(site):
    from frappe.permissions import get_role_permissions

    user = make_user("perm-kept@example.com", "RT Reader")
    frappe.set_user(user)
    first = get_role_permissions("RT Note", user=user)
    assert first.read and not first.write
    first.write = 1  # a caller that changes what it got changes nobody else's answer
    first.if_owner["write"] = 1
    frappe.local.role_permissions = {}  # as in the next request
    again = get_role_permissions("RT Note", user=user)
    assert not again.write and "write" not in again.if_owner

    frappe.set_user("Administrator")
    perm = frappe.get_doc({"doctype": "Custom DocPerm", "parent": "RT Note", "parenttype": "DocType",
                           "parentfield": "permissions", "role": "RT Reader", "permlevel": 0,
                           "read": 1, "write": 1}).insert(ignore_permissions=True)
    try:
        frappe.local.role_permissions = {}
        frappe.set_user(user)
        assert frappe.has_permission("RT Note", "write")
    finally:
        frappe.set_user("Administrator")
        frappe.delete_doc("Custom DocPerm", perm.name, ignore_permissions=True)
        frappe.clear_cache(doctype="RT Note")  # as the Role Permission Manager does after a removal (Frappe too)
    frappe.local.role_permissions = {}
    frappe.set_user(user)
    assert not frappe.has_permission("RT Note", "write")

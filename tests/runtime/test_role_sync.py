"""DocType sync creates the roles a doctype's permissions name, with desk access, as Frappe does
(security-desk.json facts: ``make_module_and_roles`` during ``sync_for``, before ``after_install``)."""

from __future__ import annotations

import frappe
from frappe.installer import make_roles_named_in_permissions, sync_app_doctypes


def test_roles_named_by_an_app_doctype_exist_with_desk_access_after_install(site):
    # RT Note (tests/apps/runtime_test_app) names these three; nothing else creates them
    for role in ("RT Owner", "RT Reader", "RT User"):
        assert frappe.db.get_value("Role", role, "desk_access") == 1, role


def test_the_automatic_roles_keep_the_desk_access_of_the_site_install(site):
    assert frappe.db.get_value("Role", "Guest", "desk_access") == 0
    assert frappe.db.get_value("Role", "All", "desk_access") == 0


def test_a_missing_role_is_created_again_by_the_next_sync(site):
    frappe.db.delete("Has Role", {"role": "RT Reader"})
    frappe.db.delete("Role", {"name": "RT Reader"})
    assert not frappe.db.exists("Role", "RT Reader")
    sync_app_doctypes("runtime_test_app")
    assert frappe.db.get_value("Role", "RT Reader", "desk_access") == 1


def test_an_existing_role_keeps_its_desk_access(site):
    frappe.db.set_value("Role", "RT User", "desk_access", 0)
    sync_app_doctypes("runtime_test_app")
    assert frappe.db.get_value("Role", "RT User", "desk_access") == 0


def test_only_missing_roles_are_created_and_reported(site):
    meta = frappe.get_meta("RT Note")
    assert make_roles_named_in_permissions([meta]) == []
    frappe.db.delete("Role", {"name": "RT Owner"})
    assert make_roles_named_in_permissions([meta, meta]) == ["RT Owner"]

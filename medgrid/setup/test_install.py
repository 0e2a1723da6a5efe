"""Roles after install (issue 16): vendors and partners must not get Desk access.

On a real bench the DocType sync creates "External Vendor" with desk access before the app's
``after_install`` runs (its doctypes name it in their permissions), so ``make_roles`` has to set the
intended desk access on existing roles and re-save their users.
"""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase

from medgrid.setup.install import PARTNER, ROLES, VENDOR, make_roles


def make_user(email: str, *roles: str) -> str:
    if not frappe.db.exists("User", email):
        user = frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0],
                               "send_welcome_email": 0, "roles": [{"role": role} for role in roles]})
        user.insert(ignore_permissions=True)
    return email


def desk_page_refuses(user: str) -> bool:
    """True when the Desk page (/app) refuses ``user`` as it refuses website users (only asked for
    users who must be refused: for a desk user the page would go on to build the boot and commit)."""
    from frappe.www import app as desk_page

    previous = frappe.session.user
    frappe.set_user(user)
    try:
        desk_page.get_context(frappe._dict())
    except frappe.PermissionError:
        return True
    finally:
        frappe.set_user(previous)
    return False


class TestRolesAfterInstall(FrappeTestCase):
    def test_every_app_role_has_its_intended_desk_access(self):
        for role, desk_access in ROLES.items():
            self.assertEqual(frappe.db.get_value("Role", role, "desk_access"), desk_access, role)

    def test_a_vendor_is_a_website_user_and_is_refused_the_desk(self):
        vendor = make_user("test-install-vendor@vendor.example", VENDOR)
        self.assertEqual(frappe.db.get_value("User", vendor, "user_type"), "Website User")
        self.assertTrue(desk_page_refuses(vendor))

    def test_a_partner_is_a_website_user(self):
        partner = make_user("test-install-partner@clinic.example", PARTNER)
        self.assertEqual(frappe.db.get_value("User", partner, "user_type"), "Website User")

    def test_make_roles_repairs_a_role_the_doctype_sync_created_with_desk_access(self):
        # what a real bench has before after_install: the sync made the role with desk access 1,
        # and a user given the role then became a System User
        frappe.db.set_value("Role", VENDOR, "desk_access", 1)
        vendor = make_user("test-install-early-vendor@vendor.example", VENDOR)
        frappe.db.set_value("User", vendor, "user_type", "System User")

        make_roles()

        self.assertEqual(frappe.db.get_value("Role", VENDOR, "desk_access"), 0)
        self.assertEqual(frappe.db.get_value("User", vendor, "user_type"), "Website User")
        self.assertTrue(desk_page_refuses(vendor))

    def test_a_user_with_another_desk_role_stays_a_system_user(self):
        frappe.db.set_value("Role", VENDOR, "desk_access", 1)
        both = make_user("test-install-vendor-admin@medgrid.example", VENDOR, "MedGrid Marketplace Admin")
        frappe.db.set_value("User", both, "user_type", "System User")

        make_roles()

        self.assertEqual(frappe.db.get_value("User", both, "user_type"), "System User")

"""The API Access page (``/portal/api-access``): the user's API key, when it was made and last used.

The secret is never rendered by the server: it exists only in the answer of
``medgrid.portal.api_access.generate_api_key`` that the page's script shows once. Admins pick any user
(``?user=``) and the same rules as the methods apply (``medgrid.portal.api_access.target_user``).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_datetime, get_url

from medgrid.pages import base_context, is_admin, require_login
from medgrid.portal.api_access import access_summary, target_user

MAX_USERS = 500


def get_context(context) -> None:
    require_login()
    base_context(context, "/portal/api-access", _("API Access"))
    admin = is_admin()
    requested = frappe.form_dict.get("user")
    user = target_user(requested if isinstance(requested, str) and requested else None)
    context.is_admin = admin
    context.own = user == frappe.session.user
    context.access = access_summary(user)
    context.site_url = get_url()
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"
    context.users = _manageable_users() if admin else []


def _manageable_users() -> list[str]:
    """Enabled users an admin may pick (the methods still check each one)."""
    return frappe.get_all("User", filters={"enabled": 1, "name": ["not in", ("Administrator", "Guest")]},
                          pluck="name", order_by="name asc", limit_page_length=MAX_USERS)

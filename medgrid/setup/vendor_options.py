"""What install and migrate derive from the vendor registry: the vendor Select options of MedGrid's own
doctypes, and the stored defaults of every vendor's Single settings.

The doctype JSONs list the built-in vendors (a field needs options before the app's hooks can be read);
a Property Setter replaces them with every registered vendor, so a vendor added by another app can be
routed, stored as a webhook event's vendor and named on a Vendor Profile.
"""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from medgrid.constants import DISPATCH, VENDOR_PROFILE, WEBHOOK_EVENT
from medgrid.setup.custom_fields import get_custom_fields
from medgrid.vendors import HOOK, get_vendors

VENDOR_SELECT_FIELDS = ((DISPATCH, "vendor"), (WEBHOOK_EVENT, "vendor"), (VENDOR_PROFILE, "vendor_key"))


def vendor_options() -> str:
    return "\n" + "\n".join(get_vendors())


def sync_vendor_options() -> None:
    """Set each vendor Select's options to the registry's keys (a no-op when they already are)."""
    options = vendor_options()
    for doctype, fieldname in VENDOR_SELECT_FIELDS:
        df = frappe.get_meta(doctype).get_field(fieldname)
        if df is None or (df.options or "") == options:
            continue
        frappe.make_property_setter({"doctype": doctype, "fieldname": fieldname, "property": "options",
                                     "value": options, "property_type": "Text"})


def touch_vendor_settings() -> None:
    """Store the defaults of every registered vendor's Single settings (vendors stay disabled until set up)."""
    for descriptor in get_vendors().values():
        doctype = descriptor.settings_doctype
        if not (descriptor.settings_is_single and doctype):
            continue
        if not frappe.db.sql("select 1 from `tabSingles` where `doctype`=%s limit 1", (doctype,)):
            doc = frappe.get_single(doctype)
            doc.flags.ignore_permissions = True
            doc.save()


def after_install_or_migrate() -> None:
    """``after_install`` / ``after_migrate`` hook (after the app's own setup)."""
    sync_vendor_options()
    touch_vendor_settings()
    frappe.db.commit()


def after_app_install(app_name: str) -> None:
    """``after_app_install`` hook: an app installed after MedGrid that registers vendors gets their Sales Order
    and Item fields, the vendor Select options and its settings' defaults at once (not only at the next
    migrate)."""
    if app_name == "medgrid" or not frappe.get_hooks(HOOK, app_name=app_name):
        return
    create_custom_fields(get_custom_fields(), update=True)
    after_install_or_migrate()

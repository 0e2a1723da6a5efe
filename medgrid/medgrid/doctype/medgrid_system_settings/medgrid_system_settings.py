"""Platform-wide MedGrid settings: the vendor environment (Production / Sandbox and each vendor's sandbox
host), the Shopify app keys, the dispatch retry policy and how far below the price list each role may price an
order line."""

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

# fieldname → the limit that applies while nothing is stored (a site that never saved the settings)
DISCOUNT_DEFAULTS = {"max_discount_partner": 0.0, "max_discount_sales_rep": 0.0, "max_discount_admin": 100.0}


class MedGridSystemSettings(Document):
    def validate(self):
        self.validate_environment()
        for fieldname, default in DISCOUNT_DEFAULTS.items():
            value = self.get(fieldname)
            if value in (None, ""):
                # stored explicitly, so "0" typed by an admin and "never set" stay distinguishable
                self.set(fieldname, default)
            elif not 0 <= flt(value) <= 100:
                frappe.throw(_("{0} must be between 0 and 100").format(_(self.meta.get_label(fieldname))))

    def validate_environment(self):
        from medgrid.connectors.environment import ENVIRONMENTS, SANDBOX, registry_sandbox_hosts
        from medgrid.vendors import vendor_keys

        if not self.environment:
            self.environment = ENVIRONMENTS[0]
        if self.environment not in ENVIRONMENTS:
            frappe.throw(_("Environment must be one of {0}").format(", ".join(ENVIRONMENTS)))
        try:
            hosts = json.loads(self.sandbox_hosts or "{}")
        except ValueError:
            frappe.throw(_("Sandbox hosts must be a JSON object: vendor key → base URL"))
        if not isinstance(hosts, dict):
            frappe.throw(_("Sandbox hosts must be a JSON object: vendor key → base URL"))
        known = vendor_keys()
        for vendor, url in hosts.items():
            if vendor not in known:
                frappe.throw(_("Sandbox hosts: unknown vendor {0} (one of {1})").format(vendor, ", ".join(known)))
            if not isinstance(url, str) or not url.strip().startswith(("http://", "https://")):
                frappe.throw(_("Sandbox hosts: the base URL of {0} must be an http(s) URL").format(vendor))
        hosts = {vendor: url.strip().rstrip("/") for vendor, url in hosts.items()}
        if self.environment == SANDBOX:
            # vendors with a local sandbox get its default address when none was typed
            hosts = {**registry_sandbox_hosts(), **hosts}
        self.sandbox_hosts = json.dumps(hosts, indent=1, sort_keys=True) if hosts else None

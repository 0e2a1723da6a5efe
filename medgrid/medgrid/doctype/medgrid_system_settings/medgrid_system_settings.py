"""Platform-wide MedGrid settings: the Shopify app keys, the dispatch retry policy and how far below the
price list each role may price an order line."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

# fieldname → the limit that applies while nothing is stored (a site that never saved the settings)
DISCOUNT_DEFAULTS = {"max_discount_partner": 0.0, "max_discount_sales_rep": 0.0, "max_discount_admin": 100.0}


class MedGridSystemSettings(Document):
    def validate(self):
        for fieldname, default in DISCOUNT_DEFAULTS.items():
            value = self.get(fieldname)
            if value in (None, ""):
                # stored explicitly, so "0" typed by an admin and "never set" stay distinguishable
                self.set(fieldname, default)
            elif not 0 <= flt(value) <= 100:
                frappe.throw(_("{0} must be between 0 and 100").format(_(self.meta.get_label(fieldname))))

"""One ShipStation account (key pair) of a vendor, or MedGrid's managed platform account."""

import frappe
from frappe import _
from frappe.model.document import Document

from medgrid.connectors.shipstation import key_fingerprint

CONNECTED = "Connected"


class ShipStationConnection(Document):
    def validate(self):
        """Fingerprint the key pair; a platform account belongs to no vendor and is the only active one."""
        self.set_key_fingerprint()
        self.validate_platform_connection()

    def set_key_fingerprint(self):
        """``key_fingerprint`` names the pair (rate-limit bucket, duplicate check) without revealing it."""
        api_key = self.get_password("api_key", raise_exception=False) if self.api_key else None
        api_secret = self.get_password("api_secret", raise_exception=False) if self.api_secret else None
        if api_key and api_secret:
            self.key_fingerprint = key_fingerprint(api_key, api_secret)

    def validate_platform_connection(self):
        if not self.is_platform:
            return
        if self.vendor_profile:
            frappe.throw(_("The platform connection is MedGrid's own: leave Vendor Profile empty"))
        if self.status != CONNECTED:
            return
        other = frappe.db.get_value("ShipStation Connection", {"is_platform": 1, "status": CONNECTED,
                                                               "name": ("!=", self.name or "")}, "name")
        if other:
            frappe.throw(_("Only one platform ShipStation connection may be active: disconnect {0} first")
                         .format(frappe.bold(other)), frappe.UniqueValidationError)

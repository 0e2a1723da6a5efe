"""Credentials and limits of the MedGrid-managed PerfectRx integration."""

from frappe.model.document import Document


class PerfectRxSettings(Document):
    pass

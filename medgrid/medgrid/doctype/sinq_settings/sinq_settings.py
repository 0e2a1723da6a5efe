"""Credentials of the MedGrid-managed SINQ Ops integration."""

from frappe.model.document import Document


class SINQSettings(Document):
    pass

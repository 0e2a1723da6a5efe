"""Credentials of the MedGrid-managed Centre Research integration."""

from frappe.model.document import Document


class CentreResearchSettings(Document):
    pass

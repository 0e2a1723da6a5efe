"""Territories of an Internal Sales Rep: the rep sees those orders plus the ones the rep created."""

from frappe.model.document import Document


class MedGridSalesRep(Document):
    pass

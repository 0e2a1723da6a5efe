"""A territory whose orders an Internal Sales Rep may see."""

from frappe.model.document import Document


class MedGridSalesRepTerritory(Document):
    pass

"""One ShipStation account (key pair) of a vendor, or MedGrid's managed platform account."""

from frappe.model.document import Document


class ShipStationConnection(Document):
    pass

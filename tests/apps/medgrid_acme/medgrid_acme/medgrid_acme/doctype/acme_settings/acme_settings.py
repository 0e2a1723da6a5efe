from frappe.model.document import Document


class AcmeSettings(Document):
    pass

from frappe.model.document import Document


class RTAuto(Document):
    def autoname(self):
        self.name = f"AUTO-{(self.label or 'x').upper()}"

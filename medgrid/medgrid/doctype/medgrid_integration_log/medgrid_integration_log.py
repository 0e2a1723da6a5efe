"""Every outbound vendor request and its response, with secrets and tokens redacted."""

from frappe.model.document import Document


class MedGridIntegrationLog(Document):
    pass

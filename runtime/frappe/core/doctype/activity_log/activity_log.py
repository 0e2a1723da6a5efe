"""Controller of Activity Log: logins, logouts and other user activity (Frappe v15 behaviour)."""

import frappe
from frappe.model.document import Document
from frappe.utils import get_fullname


class ActivityLog(Document):
	def before_insert(self):
		if not self.user:
			self.user = frappe.session.user
		self.full_name = get_fullname(self.user)

	def validate(self):
		self.set_status()
		self.set_ip_address()

	def set_status(self):
		"""A new entry about a specific document is "Linked"."""
		if self.is_new() and self.reference_doctype and self.reference_name:
			self.status = "Linked"

	def set_ip_address(self):
		if self.operation in ("Login", "Logout"):
			self.ip_address = getattr(frappe.local, "request_ip", None)


def add_authentication_log(subject, user, operation="Login", status="Success"):
	"""Record a login/logout attempt (the caller decides whether to commit)."""
	frappe.get_doc(
		{
			"doctype": "Activity Log",
			"user": user,
			"status": status,
			"subject": subject,
			"operation": operation,
		}
	).insert(ignore_permissions=True, ignore_links=True)

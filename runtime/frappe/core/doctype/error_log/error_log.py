"""Controller of Error Log (Frappe v15 behaviour)."""

import frappe
from frappe.model.document import Document
from frappe.utils import cint


class ErrorLog(Document):
	def validate(self):
		self.method = str(self.method)
		self.error = str(self.error)
		# a long title would not fit the column: keep it whole in the error text instead
		if len(self.method) > 140:
			self.error = f"{self.method}\n{self.error}"
			self.method = self.method[:140]

	def onload(self):
		if not cint(self.seen) and not frappe.flags.read_only:
			self.db_set("seen", 1, update_modified=0)
			frappe.db.commit()


def set_old_logs_as_seen():
	"""Mark every unseen Error Log as seen."""
	frappe.db.sql("update `tabError Log` set `seen`=1 where `seen`=0")


@frappe.whitelist()
def clear_error_logs():
	"""Delete all Error Logs (System Manager only)."""
	frappe.only_for("System Manager")
	frappe.db.sql("delete from `tabError Log`")

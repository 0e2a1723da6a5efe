"""Controller of DocShare: one document shared with one user (or every signed-in user) — Frappe 15's
record behind ``frappe.share``. Who may write these rows, and which rights they may give, is checked
here so that every path (frappe.share, the REST API, a Desk form) is held to the same rules."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from frappe.share import SHARE_RIGHTS, check_share_permission


class DocShare(Document):
	def validate(self):
		self.validate_target()
		self.validate_user()
		self.cascade_permissions_downwards()
		self.check_is_submittable()
		self.check_share_permission()
		self.get_doc().run_method("validate_share", self)

	def get_doc(self):
		"""The shared document (loaded once; a missing one raises DoesNotExistError)."""
		if getattr(self, "_shared_doc", None) is None:
			self._shared_doc = frappe.get_doc(self.share_doctype, self.share_name)
		return self._shared_doc

	def validate_target(self):
		from frappe.model.meta import get_doctype_index

		if not isinstance(self.share_doctype, str) or self.share_doctype not in get_doctype_index():
			frappe.throw(_("DocType {0} not found").format(self.share_doctype), frappe.DoesNotExistError)
		if frappe.get_meta(self.share_doctype).istable:
			# a row is reached through its parent: sharing it alone would mean nothing
			frappe.throw(_("Rows of a child table cannot be shared"), frappe.ValidationError)
		if not isinstance(self.share_name, str) or not self.share_name:
			frappe.throw(_("Document Name is required"), frappe.MandatoryError)
		self.get_doc()

	def validate_user(self):
		if cint(self.everyone):
			self.user = None
			return
		if not self.user:
			frappe.throw(_("User is mandatory for Share"), frappe.MandatoryError)
		if self.user == "Guest":
			# Guest is anyone on the internet: nothing is ever shared with it
			frappe.throw(_("Documents cannot be shared with Guest"), frappe.ValidationError)
		if not frappe.db.exists("User", self.user):
			frappe.throw(_("User {0} does not exist").format(self.user), frappe.LinkValidationError)

	def cascade_permissions_downwards(self):
		"""Every right includes read; submit includes write."""
		if cint(self.share) or cint(self.write) or cint(self.submit):
			self.read = 1
		if cint(self.submit):
			self.write = 1

	def check_is_submittable(self):
		if cint(self.submit) and not frappe.get_meta(self.share_doctype).is_submittable:
			frappe.throw(_("Cannot share {0} with submit permission as the doctype {1} is not submittable").format(
				frappe.bold(self.share_name), frappe.bold(self.share_doctype)))

	def check_share_permission(self):
		"""The session user must hold the share right on the document, and every right it gives."""
		if self.flags.ignore_share_permission:
			return
		check_share_permission(self.share_doctype, self.share_name,
							   [right for right in SHARE_RIGHTS if cint(self.get(right))])

	def on_trash(self):
		if not self.flags.ignore_share_permission:
			check_share_permission(self.share_doctype, self.share_name)


def on_doctype_update():
	"""The two lookups sharing makes: a user's shares of a doctype, a document's shares."""
	frappe.db.add_index("DocShare", ["user", "share_doctype"])
	frappe.db.add_index("DocShare", ["share_doctype", "share_name"])

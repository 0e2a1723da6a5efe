"""Contact: a person linked (Dynamic Link) to customers, companies, ...

In ERPNext v15 Contact lives in Frappe's contacts module; this runtime ships it with the
ERPNext subset and keeps Frappe's helper names (get_default_contact, get_contact_details).
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, cstr

from erpnext.contacts.naming import deduplicate_links, next_free_name, set_link_titles


class Contact(Document):
	def autoname(self):
		"""Name is the full name, plus "-<first linked record>" when linked (numbered when taken)."""
		base = self.get_full_name() or cstr(self.email_id).strip()
		if not base:
			frappe.throw(_("Please set First Name or Email"))
		if self.links:
			base = base + "-" + cstr(self.links[0].link_name).strip()
		self.name = next_free_name("Contact", base)

	def validate(self):
		"""Derive full name and the primary e-mail/phone from the child tables."""
		self.full_name = self.get_full_name()
		self.set_primary_email()
		self.set_primary_phone("phone", "is_primary_phone")
		self.set_primary_phone("mobile_no", "is_primary_mobile_no")
		if self.email_id and not self.user:
			self.user = frappe.db.get_value("User", {"email": self.email_id}, "name")
		deduplicate_links(self)
		set_link_titles(self)

	def get_full_name(self):
		return " ".join(cstr(p).strip() for p in (self.first_name, self.middle_name, self.last_name) if cstr(p).strip())

	def set_primary_email(self):
		"""email_id is the row marked primary in email_ids (empty when none is)."""
		if not self.email_ids:
			self.email_id = ""
			return
		primaries = [row for row in self.email_ids if cint(row.is_primary)]
		if len(primaries) > 1:
			frappe.throw(_("Only one {0} can be set as primary.").format(frappe.bold(_("Email ID"))))
		self.email_id = cstr(primaries[0].email_id).strip() if primaries else ""

	def set_primary_phone(self, fieldname, flag):
		"""phone / mobile_no follow the row flagged in phone_nos."""
		if not self.phone_nos:
			self.set(fieldname, "")
			return
		flagged = [row for row in self.phone_nos if cint(row.get(flag))]
		if len(flagged) > 1:
			frappe.throw(_("Only one {0} can be set as primary.").format(frappe.bold(self.meta.get_label(fieldname))))
		self.set(fieldname, cstr(flagged[0].phone).strip() if flagged else "")

	def add_email(self, email_id, is_primary=0, autosave=False):
		"""Append an e-mail address (Frappe's Contact.add_email)."""
		if not any(row.email_id == email_id for row in self.email_ids or []):
			self.append("email_ids", {"email_id": email_id, "is_primary": is_primary})
		if autosave:
			self.save(ignore_permissions=True)

	def add_phone(self, phone, is_primary_phone=0, is_primary_mobile_no=0, autosave=False):
		"""Append a phone number (Frappe's Contact.add_phone)."""
		if not any(row.phone == phone for row in self.phone_nos or []):
			self.append("phone_nos", {
				"phone": phone, "is_primary_phone": is_primary_phone, "is_primary_mobile_no": is_primary_mobile_no,
			})
		if autosave:
			self.save(ignore_permissions=True)

	def get_link_for(self, link_doctype):
		"""Name of the first linked record of `link_doctype`, if any."""
		for link in self.links or []:
			if link.link_doctype == link_doctype:
				return link.link_name
		return None


def get_default_contact(doctype, name):
	"""The primary contact of a record, else its first contact, else None."""
	if not name:
		return None
	rows = frappe.get_all(
		"Contact",
		filters=[["Dynamic Link", "link_doctype", "=", doctype], ["Dynamic Link", "link_name", "=", name]],
		fields=["name", "is_primary_contact"],
		order_by="creation asc",
	)
	for row in rows:
		if cint(row.is_primary_contact):
			return row.name
	return rows[0].name if rows else None


@frappe.whitelist()
def get_contact_details(contact):
	"""The contact_* values of a Contact the caller may read (as Frappe 15 checks)."""
	if contact and frappe.db.exists("Contact", contact):
		frappe.get_doc("Contact", contact).check_permission("read")
	return contact_details(contact)


def contact_details(contact):
	"""The contact_* values a transaction shows for a Contact (no permission check: internal use)."""
	c = frappe.db.get_value(
		"Contact", contact,
		["name", "salutation", "first_name", "last_name", "email_id", "phone", "mobile_no", "designation"],
		as_dict=True,
	) or frappe._dict()
	return {
		"contact_person": c.get("name"),
		"contact_display": " ".join(filter(None, [c.get("salutation"), c.get("first_name"), c.get("last_name")])),
		"contact_email": c.get("email_id"),
		"contact_mobile": c.get("mobile_no"),
		"contact_phone": c.get("phone"),
		"contact_designation": c.get("designation"),
	}

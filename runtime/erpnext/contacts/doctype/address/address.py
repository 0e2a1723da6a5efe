"""Address: a postal address linked (Dynamic Link) to customers, companies, ...

In ERPNext v15 Address lives in Frappe's contacts module; this runtime ships it with the
ERPNext subset. The helpers keep Frappe's names (get_default_address, get_address_display).
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, cstr

from erpnext.contacts.naming import deduplicate_links, next_free_name, set_link_titles


class Address(Document):
	def autoname(self):
		"""Name is "<address_title>-<address_type>" (numbered when taken)."""
		if not self.address_title and self.links:
			self.address_title = self.links[0].link_name
		if not self.address_title:
			frappe.throw(_("Address Title is mandatory."))
		base = cstr(self.address_title).strip() + "-" + cstr(_(self.address_type or "")).strip()
		self.name = next_free_name("Address", base)

	def validate(self):
		"""Keep one preferred billing/shipping address per linked record."""
		self.address_title = cstr(self.address_title).strip()
		deduplicate_links(self)
		set_link_titles(self)
		self.clear_other_preferred("is_primary_address")
		self.clear_other_preferred("is_shipping_address")

	def clear_other_preferred(self, fieldname):
		"""When this address is preferred, the linked records' other addresses stop being so."""
		if not cint(self.get(fieldname)):
			return
		for link in self.links or []:
			others = frappe.get_all(
				"Address",
				filters=[
					["Dynamic Link", "link_doctype", "=", link.link_doctype],
					["Dynamic Link", "link_name", "=", link.link_name],
					["Address", fieldname, "=", 1],
					["Address", "name", "!=", self.name or ""],
				],
				pluck="name",
			)
			for other in others:
				frappe.db.set_value("Address", other, fieldname, 0)

	def get_display(self):
		"""Formatted HTML of this address."""
		return render_address(self.as_dict())

	def has_link(self, doctype, name):
		"""True when this address is linked to (doctype, name)."""
		return any(l.link_doctype == doctype and l.link_name == name for l in self.links or [])


def get_default_address(doctype, name, sort_key="is_primary_address"):
	"""The preferred (`sort_key`) enabled address of a record, else its first one, else None."""
	if not name:
		return None
	rows = frappe.get_all(
		"Address",
		filters=[
			["Dynamic Link", "link_doctype", "=", doctype],
			["Dynamic Link", "link_name", "=", name],
			["Address", "disabled", "=", 0],
		],
		fields=["name", sort_key],
		order_by="creation asc",
	)
	for row in rows:
		if cint(row.get(sort_key)):
			return row.name
	return rows[0].name if rows else None


@frappe.whitelist()
def get_address_display(address_dict):
	"""The rendered address; a caller naming an Address must be allowed to read it (as Frappe 15)."""
	return render_address(address_dict, check_permissions=True)


def render_address(address_dict, check_permissions=False):
	"""Render an address (dict or name) as HTML lines separated by <br>.

	United States addresses (and every address on a US company's site, whose default template is
	the US one) read "line1 / line2 / City, ST 12345"; others list city, state, pincode and country.
	"""
	if not address_dict:
		return None
	if isinstance(address_dict, str):
		if check_permissions and frappe.db.exists("Address", address_dict):
			frappe.get_doc("Address", address_dict).check_permission("read")
		address_dict = frappe.db.get_value("Address", address_dict, "*", as_dict=True) or {}
	a = frappe._dict(address_dict)
	lines = [cstr(a.address_line1)]
	if a.address_line2:
		lines.append(cstr(a.address_line2))
	if _uses_us_template(a):
		city_line = cstr(a.city) + ", " + cstr(a.state or "")
		if a.pincode:
			city_line += " " + cstr(a.pincode)
		lines.append(city_line)
		text = "".join(line + "<br>\n" for line in lines)
		if a.country and a.country != "United States":
			text += cstr(a.country)
		return text
	lines.append(cstr(a.city))
	for field in ("state", "pincode"):
		if a.get(field):
			lines.append(cstr(a.get(field)))
	lines.append(cstr(a.country))
	if a.phone:
		lines.append(_("Phone") + ": " + cstr(a.phone))
	if a.fax:
		lines.append(_("Fax") + ": " + cstr(a.fax))
	if a.email_id:
		lines.append(_("Email") + ": " + cstr(a.email_id))
	return "".join(line + "<br>\n" for line in lines)


def _uses_us_template(address):
	if address.get("country") == "United States":
		return True
	from erpnext import get_default_company

	company = get_default_company()
	return bool(company) and frappe.db.get_value("Company", company, "country") == "United States"

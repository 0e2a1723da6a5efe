"""ERPNext subset for the MedGrid runtime.

A small, self-contained Frappe app that provides the ERPNext v15 doctypes MedGrid touches
(Company, Customer, Item, Item Price, Warehouse, Bin, Stock Entry, Sales Order, Address, ...)
with the same names, fields and lifecycle as ERPNext, written against Frappe's public API.
"""

import frappe

__version__ = "15.99.1-subset"


def _first_default(key):
	"""Return the first user/global default for `key`, or None when the defaults API is missing."""
	user = getattr(getattr(frappe, "session", None), "user", None)
	getters = []
	defaults = getattr(frappe, "defaults", None)
	if defaults is not None:
		getters.append(lambda: defaults.get_user_default(key, user=user))
		getters.append(lambda: defaults.get_global_default(key))
	getters.append(lambda: frappe.db.get_default(key))
	for getter in getters:
		try:
			value = getter()
		except Exception:
			# a partial defaults API must not break document validation
			continue
		if isinstance(value, (list, tuple)):
			value = value[0] if value else None
		if value:
			return value
	return None


def get_default_company(user=None):
	"""Return the default Company: the `company` user/global default, else the only Company.

	ERPNext reads the `company` default that its setup wizard writes; this runtime has no
	setup wizard, so a site with exactly one Company uses that one.
	"""
	company = _first_default("company")
	if company and frappe.db.exists("Company", company):
		return company
	names = frappe.get_all("Company", pluck="name", limit=2, order_by="creation asc")
	if len(names) == 1:
		return names[0]
	return company or None


def get_default_currency():
	"""Return the default currency of the default company (or None)."""
	company = get_default_company()
	if company:
		return frappe.db.get_value("Company", company, "default_currency")
	return None


def get_company_currency(company):
	"""Return a company's default currency."""
	return frappe.db.get_value("Company", company, "default_currency")

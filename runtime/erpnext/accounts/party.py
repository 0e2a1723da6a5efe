"""Party (customer) helpers with ERPNext's names: price list, addresses, disabled check."""

import frappe
from frappe import _
from frappe.utils import cint


class PartyFrozen(frappe.ValidationError):
	pass


class PartyDisabled(frappe.ValidationError):
	pass


def validate_party_frozen_disabled(party_type, party_name, disabled=None):
	"""Refuse a disabled party in a transaction (``disabled``: the flag, when the caller read it)."""
	if not party_name:
		return
	if disabled is None:
		disabled = frappe.db.get_value(party_type, party_name, "disabled")
	if cint(disabled):
		frappe.throw(_("{0} {1} is disabled").format(_(party_type), party_name), PartyDisabled)


def get_default_price_list(party):
	"""Price list of a customer: its own, else its customer group's (None when neither is set)."""
	if party.get("default_price_list"):
		return party.default_price_list
	if party.get("customer_group"):
		return frappe.db.get_value("Customer Group", party.customer_group, "default_price_list")
	return None


def get_party_shipping_address(doctype, name):
	"""The linked address flagged as shipping address, or None."""
	from erpnext.contacts.doctype.address.address import get_default_address

	address = get_default_address(doctype, name, sort_key="is_shipping_address")
	if address and cint(frappe.db.get_value("Address", address, "is_shipping_address")):
		return address
	return None

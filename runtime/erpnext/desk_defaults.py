"""Defaults a new selling document's form needs before its first save (the runtime Desk's stand-in for
what ERPNext's selling controller JS asks ``get_party_details`` and the boot's company currency for).

The values are the ones the Sales Order controller fills on save (``set_missing_values``); the form
shows them up front so its mandatory fields are set, as on a real bench.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from erpnext import get_company_currency, get_default_company
from erpnext.accounts.party import get_default_price_list

SELLING_DOCTYPES = ("Sales Order",)


@frappe.whitelist(methods=["GET", "POST"])
def get_transaction_defaults(doctype: str, customer: str | None = None, company: str | None = None) -> dict:
    """company, currency, selling price list and their conversion rates for a new ``doctype``.

    Only for a user who may create or edit that doctype, and the customer must be readable by them
    (the same checks a save makes): this is not a way to read Company or Selling Settings.
    """
    if doctype not in SELLING_DOCTYPES:
        frappe.throw(_("{0} is not a selling document type").format(frappe.bold(doctype)), frappe.ValidationError)
    from frappe.permissions import has_permission

    if not (has_permission(doctype, "create", print_logs=False) or has_permission(doctype, "write", print_logs=False)):
        frappe.throw(_("No permission for {0}").format(_(doctype)), frappe.PermissionError)
    if company is not None and not isinstance(company, str) or customer is not None and not isinstance(customer, str):
        frappe.throw(_("company and customer must be names"), frappe.ValidationError)

    company = company or get_default_company()
    if company and not frappe.db.exists("Company", company):
        frappe.throw(_("Company {0} not found").format(frappe.bold(company)), frappe.DoesNotExistError)
    company_currency = get_company_currency(company) if company else None
    out = frappe._dict(company=company, currency=company_currency, selling_price_list=None)

    if customer:
        if not frappe.db.exists("Customer", customer):
            frappe.throw(_("Customer {0} not found").format(frappe.bold(customer)), frappe.DoesNotExistError)
        frappe.has_permission("Customer", "read", customer, throw=True)
        party = frappe.get_doc("Customer", customer)
        out.customer_name = party.customer_name
        out.currency = party.get("default_currency") or company_currency
        out.selling_price_list = get_default_price_list(party)
    out.selling_price_list = out.selling_price_list or frappe.db.get_single_value("Selling Settings", "selling_price_list")
    out.price_list_currency = (frappe.db.get_value("Price List", out.selling_price_list, "currency")
                               if out.selling_price_list else None)
    # the company's own currency converts at 1, as ERPNext's set_price_list_currency
    out.conversion_rate = 1.0 if out.currency and out.currency == company_currency else None
    if out.price_list_currency and out.price_list_currency == company_currency:
        out.plc_conversion_rate = 1.0
    elif out.price_list_currency and out.price_list_currency == out.currency and flt(out.conversion_rate):
        out.plc_conversion_rate = flt(out.conversion_rate)
    else:
        out.plc_conversion_rate = None
    return out

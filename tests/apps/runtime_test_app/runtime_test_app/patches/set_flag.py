import frappe


def execute():
    frappe.db.set_default("rt_patch_ran", str(int(frappe.db.get_default("rt_patch_ran") or 0) + 1))

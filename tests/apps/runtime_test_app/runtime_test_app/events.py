"""Hook handlers that record what ran, for the runtime's lifecycle tests."""

import frappe


def _log(entry):
    frappe.flags.setdefault("rt_log", []).append(entry)


def log(doc, method, *args):
    _log(("hook", method))


def star(doc, method, *args):
    _log(("star", method, doc.doctype))


def hash_query(user, doctype=None):
    # users other than Administrator only see RT Hash rows labelled "public"
    if user == "Administrator":
        return ""
    return "`tabRT Hash`.`label` = 'public'"


def hash_permission(doc, ptype, user, debug=False):
    if user != "Administrator" and doc.label != "public":
        return False
    return None


def daily_job():
    frappe.db.set_default("rt_daily_job_ran", "1")


def five_minute_job():
    frappe.db.set_default("rt_five_minute_job_ran", "1")


def after_install():
    frappe.db.set_default("rt_after_install", "1")


def after_migrate():
    frappe.db.set_default("rt_after_migrate", str(int(frappe.db.get_default("rt_after_migrate") or 0) + 1))


def add(a, b=0):
    return int(a) + int(b)

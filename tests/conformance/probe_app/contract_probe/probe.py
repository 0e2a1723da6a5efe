"""Lifecycle probe (meta.json ``lifecycle_probe``).

Every Sales Order controller method and doc_event is logged with the document's docstatus, whether it
is new, whether it has a name, what the request's own transaction sees (``in_db_same_txn``) and what a
separate connection sees (``in_db_other_conn``, i.e. what is committed). Logging is off unless the
conformance harness switches it on (``ENABLED``); the controller subclass always delegates to ERPNext.
"""

from __future__ import annotations

import os
import sqlite3

import frappe

ENABLED = False
LOG: list[dict] = []

# controller methods logged by the override class (db_insert/db_update are logged but have no hook)
CONTROLLER_METHODS = (
    "before_insert",
    "before_naming",
    "autoname",
    "before_validate",
    "validate",
    "before_save",
    "db_insert",
    "after_insert",
    "on_update",
    "on_change",
    "before_submit",
    "on_submit",
    "before_update_after_submit",
    "db_update",
    "on_update_after_submit",
    "before_cancel",
    "on_cancel",
    "on_trash",
    "after_delete",
)


def reset(enabled: bool) -> None:
    global ENABLED
    ENABLED = enabled
    LOG.clear()


def _state_in_own_transaction(doc):
    if not doc.name:
        return None
    value = frappe.db.get_value(doc.doctype, doc.name, "docstatus")
    return "absent" if value is None else int(value)


def _sqlite_path():
    conf = frappe.local.conf or {}
    if (conf.get("db_type") or "sqlite") != "sqlite":
        return None
    site_path = getattr(frappe.local, "site_path", None)
    db_name = conf.get("db_name")
    if not site_path or not db_name:
        return None
    for candidate in (f"{db_name}.sqlite3", f"{db_name}.sqlite", f"{db_name}.db", db_name):
        path = os.path.join(site_path, candidate)
        if os.path.isfile(path):
            return path
    return None


def _state_committed(doc):
    """docstatus as seen from a separate connection (committed data only); None if unknown."""
    if not doc.name:
        return None
    path = _sqlite_path()
    if not path:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            row = conn.execute(
                f'SELECT docstatus FROM "tab{doc.doctype}" WHERE name = ?', (doc.name,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return "absent" if row is None else int(row[0])


def _entry(kind, event, doc):
    is_new = doc.is_new() if hasattr(doc, "is_new") else None
    return {
        "kind": kind,
        "event": event,
        "docstatus": int(doc.docstatus or 0),
        "is_new": None if is_new is None else bool(is_new),
        "name_set": bool(doc.name),
        "in_db_same_txn": _state_in_own_transaction(doc),
        "in_db_other_conn": _state_committed(doc),
    }


def doc_event(doc, method=None, *args, **kwargs):
    """doc_events handler registered for every Sales Order event."""
    if not ENABLED:
        return
    LOG.append(_entry("doc_events_hook", method, doc))
    if method == "on_submit":

        def before_commit():
            LOG.append({"kind": "before_commit_callback", "event": "registered_in_on_submit"})

        def after_commit():
            LOG.append({"kind": "after_commit_callback", "event": "registered_in_on_submit"})

        frappe.db.before_commit.add(before_commit)
        frappe.db.after_commit.add(after_commit)


def after_request(response=None, request=None):
    if not ENABLED:
        return
    LOG.append(
        {
            "kind": "after_request_hook",
            "event": "after_request",
            "status": getattr(response, "status_code", None),
        }
    )


def _make_logged(name):
    def method(self, *args, **kwargs):
        if ENABLED:
            LOG.append(_entry("controller", name, self))
        parent = getattr(super(ProbeSalesOrder, self), name, None)
        if parent is not None:
            return parent(*args, **kwargs)
        return None

    method.__name__ = name
    return method


from erpnext.selling.doctype.sales_order.sales_order import SalesOrder  # noqa: E402


class ProbeSalesOrder(SalesOrder):
    """ERPNext's Sales Order controller with every lifecycle method logged first."""


for _name in CONTROLLER_METHODS:
    setattr(ProbeSalesOrder, _name, _make_logged(_name))

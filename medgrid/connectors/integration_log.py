"""The audit trail of vendor calls: one ``MedGrid Integration Log`` row per attempt, secrets redacted,
written so that it survives a rollback of the caller's transaction (:func:`write_integration_log`)."""

from __future__ import annotations

import json

import frappe

from medgrid.connectors.redaction import redact, redact_url
from medgrid.constants import INTEGRATION_LOG as LOG_DOCTYPE

# Long Text holds far more, but a megabyte label or catalog page is noise in an audit row
MAX_LOGGED_CHARS = 64_000


def _pending_logs() -> dict:
    pending = getattr(frappe.local, "medgrid_unsettled_logs", None)
    if pending is None:
        pending = {}
        frappe.local.medgrid_unsettled_logs = pending
    return pending


def _settle_logs() -> None:
    """The transaction holding the logs committed: nothing left to protect."""
    _pending_logs().clear()
    frappe.local.medgrid_log_hooks_registered = False


def _restore_logs_before_commit() -> None:
    """Re-insert logs a savepoint rollback removed, so the commit keeps every attempt."""
    pending = _pending_logs()
    if not pending:
        return
    present = set(frappe.get_all(LOG_DOCTYPE, filters={"name": ["in", list(pending)]}, pluck="name"))
    for name, values in pending.items():
        if name not in present:
            _insert_log(values, name)


def _after_rollback() -> None:
    # Frappe runs rollback callbacks in order and a commit clears the ones still queued; queue the
    # re-insert last so committing the logs cannot swallow another app's rollback callback.
    frappe.db.after_rollback.add(_reinsert_logs_after_rollback)


def _reinsert_logs_after_rollback() -> None:
    pending = dict(_pending_logs())
    frappe.local.medgrid_log_hooks_registered = False
    _pending_logs().clear()
    if not pending:
        return
    try:
        for name, values in pending.items():
            _insert_log(values, name)
        # The caller's work is already rolled back: this commit holds the log rows only.
        frappe.db.commit()
    except Exception:
        frappe.logger("medgrid.connectors").exception("could not keep %s integration log rows", len(pending))


def _insert_log(values: dict, name: str | None = None):
    doc = frappe.get_doc({"doctype": LOG_DOCTYPE, **values})
    doc.insert(ignore_permissions=True, set_name=name)
    return doc


def write_integration_log(**values) -> str | None:
    """Insert one ``MedGrid Integration Log`` row that outlives a rollback of the caller's transaction.

    Why not a separate connection: on SQLite a second writer would wait on the caller's write lock, and
    Frappe has no autonomous-transaction API. Why not ``frappe.db.commit()`` here: that would commit the
    caller's half-done work. Instead the row is inserted in the current transaction (visible at once,
    committed with the caller's work) and remembered until the transaction ends:

    * a full ``frappe.db.rollback()`` runs ``after_rollback``: the rows are inserted again under the same
      names and committed on their own (the caller's work is already gone);
    * a rollback to a savepoint runs no callback, so ``before_commit`` re-inserts any row it removed;
    * ``after_commit`` forgets them.

    Only a process killed mid-transaction loses its rows. Logging never raises into the vendor call.
    """
    if not getattr(frappe.local, "db", None) or frappe.flags.read_only:
        frappe.logger("medgrid.connectors").info("integration log (no database): %s", values)
        return None
    try:
        doc = _insert_log(values)
    except Exception:
        frappe.logger("medgrid.connectors").exception("could not write an integration log row")
        return None
    if frappe.flags.medgrid_commit_integration_logs:
        # the caller's transaction holds nothing but these rows (a dispatch send): commit at once, so the
        # row is safe and SQLite's single write lock is not held across the vendor call and its retries
        frappe.db.commit()
        return doc.name
    _pending_logs()[doc.name] = values
    if not getattr(frappe.local, "medgrid_log_hooks_registered", False):
        frappe.local.medgrid_log_hooks_registered = True
        frappe.db.before_commit.add(_restore_logs_before_commit)
        frappe.db.after_commit.add(_settle_logs)
        frappe.db.after_rollback.add(_after_rollback)
    return doc.name


def truncate(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_LOGGED_CHARS:
        return text
    return text[:MAX_LOGGED_CHARS] + f"\n… [{len(text) - MAX_LOGGED_CHARS} more characters not logged]"


def json_text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def log_rejected_request(vendor: str, method: str, url: str, reason: str, reference=(None, None),
                         secrets=()) -> None:
    """Record a request MedGrid refused to send (e.g. a webhook ``resource_url`` on a foreign host)."""
    write_integration_log(vendor=vendor, status="Rejected", method=method.upper(),
                          url=truncate(redact_url(url, secrets)), reference_doctype=reference[0],
                          reference_name=reference[1], error=truncate(redact(reason, secrets)))

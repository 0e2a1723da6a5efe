"""Durable dispatch: Fulfillment Dispatch rows are written with the submit, then sent by jobs.

A dispatch is a database row before any job runs, so a crash loses nothing: ``sweep`` re-enqueues
every dispatch that is due (a retry whose time came, or a send whose worker died holding its lease).
A send first claims the row (status Sending, a lease and a random token) and commits, so two
workers never send the same dispatch at once; connectors are idempotent, so a send repeated after
a crash does not duplicate the order at the vendor. The lease is short and a heartbeat renews it
while the send runs, so a live send keeps its claim however long the vendor takes, and the claim of
a worker that was killed lapses within one lease (the every-minute sweep then re-sends it).
"""

from __future__ import annotations

import math
import random
import threading
from datetime import datetime, timedelta, timezone

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, now_datetime
from frappe.utils.background_jobs import get_job

from medgrid.connectors.base import VendorError, get_connector
from medgrid.connectors.rate_limit import RateLimitWait, one_waiter_per_account
from medgrid.constants import (
    CANCELLED,
    DISPATCH,
    FAILED,
    OPEN_DISPATCH_STATUSES,
    QUEUED,
    RETRYING,
    SALES_ORDER,
    SENDING,
    SENT,
    SYSTEM_SETTINGS,
)
from medgrid.fulfillment_router.tracking import dispatch_update_values, record_vendor_update
from medgrid.vendors import get_vendor
from medgrid.vendors.update import VendorUpdate

OPEN_STATUSES = OPEN_DISPATCH_STATUSES
SEND_JOB = "medgrid.fulfillment_router.dispatch.send_dispatch"
DEFAULT_LEASE_SECONDS = 20


def settings():
    values = frappe.db.get_values(
        SYSTEM_SETTINGS, SYSTEM_SETTINGS,
        ["dispatch_max_attempts", "dispatch_retry_base_seconds", "dispatch_retry_max_seconds",
         "dispatch_lease_seconds"], as_dict=True)
    s = values[0] if values else frappe._dict()
    return frappe._dict(max_attempts=cint(s.get("dispatch_max_attempts")) or 8,
                        base=cint(s.get("dispatch_retry_base_seconds")) or 30,
                        cap=cint(s.get("dispatch_retry_max_seconds")) or 3600,
                        lease=cint(s.get("dispatch_lease_seconds")) or DEFAULT_LEASE_SECONDS)


def create_dispatches(order, routes) -> list[str]:
    """Write one Fulfillment Dispatch per route inside the submit's transaction.

    The dispatches and their lines are written with one INSERT per table (``insert_new_documents``), the
    vendor's initial status already on each row; the order's own vendor status fields in one update.
    """
    now = now_datetime()
    docs, order_values = [], {}
    # a new dispatch's defaults, worked out once for all of the order's
    template = frappe.new_doc(DISPATCH, as_dict=True) if routes else None
    for route in routes:
        descriptor = get_vendor(route.vendor)
        dispatch = frappe.get_doc({**template, "doctype": DISPATCH})
        dispatch.update({
            "sales_order": order.name,
            "vendor": route.vendor,
            "vendor_label": get_connector(route.vendor).label,
            "vendor_profile": route.vendor_profile,
            "route_key": route.key,
            "connection_doctype": route.connection[0],
            "connection_name": route.connection[1],
            "status": QUEUED,
        })
        for line in route.lines:
            dispatch.append("lines", line)
        initial = descriptor.statuses.initial
        if initial:
            # what record_vendor_update writes for the placeholder status, written with the row itself
            update = VendorUpdate(status=initial)
            dispatch.update(dispatch_update_values(descriptor, update, now))
            if route.key == route.vendor:
                # the order's vendor fields belong to the managed route; a vendor's own account has its dispatch only
                order_values.update(update.order_fields(descriptor.order_fields, now))
                # the submit goes on with this document: keep it in step with the row
                if descriptor.order_fields.status:
                    order.set(descriptor.order_fields.status, initial)
        docs.append(dispatch)
    insert_new_documents(docs)
    if order_values:
        frappe.db.set_value(SALES_ORDER, order.name, order_values, update_modified=False)
    return [d.name for d in docs]


def insert_new_documents(docs) -> None:
    """Insert new documents of one doctype, and their child rows, with one multi-row INSERT per table.

    For documents without insert hooks (Fulfillment Dispatch has no controller methods, and no
    doc_events but the "*" write guard, which passes a new document without ``amended_from``; the
    router's tests hold that): each is named, stamped (owner, creation, modified) and given its
    child rows' parent fields as ``Document.insert`` does, and written in the caller's transaction.
    Links are not checked: the caller fills them from the documents it is saving.
    """
    from frappe.model.naming import set_new_name

    if not docs:
        return
    start, user = now_datetime(), frappe.session.user
    tables: dict[str, list] = {}
    for position, doc in enumerate(docs):
        # a microsecond apart, so "order by creation" lists them in the order given, as one insert each did
        now = start + timedelta(microseconds=position)
        doc.docstatus = 0
        doc.owner = doc.modified_by = user
        doc.creation = doc.modified = now
        if not doc.name:
            set_new_name(doc)
        tables.setdefault(doc.doctype, []).append(doc)
        for df in doc.meta.get_table_fields():
            for idx, row in enumerate(doc.get(df.fieldname) or [], start=1):
                row.update({"parent": doc.name, "parenttype": doc.doctype, "parentfield": df.fieldname, "idx": idx,
                            "docstatus": 0, "owner": user, "modified_by": user, "creation": now, "modified": now})
                if not row.name:
                    set_new_name(row)
                tables.setdefault(row.doctype, []).append(row)
    for doctype, rows in tables.items():
        rows = [row.get_valid_dict(ignore_virtual=True) for row in rows]
        columns = list(rows[0])
        frappe.db.bulk_insert(doctype, columns, [[_column_value(row.get(c)) for c in columns] for row in rows])
    for doc in docs:
        for row in [doc, *doc.get_all_children()]:
            row.set("__islocal", False)
            row.__dict__.pop("__islocal", None)


def _column_value(value):
    # what a single-row insert stores for these Python types
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return frappe.as_json(value)
    return value


def send_job_id(name: str) -> str:
    return f"medgrid-dispatch::{name}"


def enqueue_send(name: str, after_commit: bool = True, job_id: str | None = None, *, new_dispatch: bool = False) -> None:
    """Queue the send of one dispatch (once: the job id dedupes repeated enqueues).

    ``new_dispatch``: the dispatch was written in this transaction, so no job can have its id yet and
    the queue is not asked (one Redis round trip per dispatch less in the submit)."""
    frappe.enqueue(SEND_JOB, queue="short", job_id=job_id or send_job_id(name), deduplicate=not new_dispatch,
                   enqueue_after_commit=after_commit, dispatch=name)


def stalled_send_job_id(name: str, lease_seconds: int) -> str | None:
    """A recovery job id when the dispatch's send job died before it could claim the row.

    A live send job claims its dispatch as its first step, so a job that RQ has listed as started
    for longer than a lease while the row is still unclaimed lost its worker in between. RQ keeps
    listing such a job as started until its abandoned-job cleanup (many minutes), so deduplicating
    against its id would hold the dispatch back that long. The recovery id is fixed per stalled job,
    so repeated sweeps enqueue it once; the claim still lets only one send through.
    """
    job = get_job(send_job_id(name))
    if job is None or job.get_status() != "started" or not job.started_at:
        return None
    started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=timezone.utc)
    if (datetime.now(timezone.utc) - started).total_seconds() <= lease_seconds:
        return None
    return f"{send_job_id(name)}::stalled-{int(started.timestamp())}"


def _claim(name: str, lease_seconds: int) -> str | None:
    """Take the dispatch for this worker; returns the claim token, or None when not claimable now."""
    now = now_datetime()
    token = frappe.generate_hash(length=16)
    frappe.db.sql(
        """update `tabFulfillment Dispatch`
           set `status`='Sending', `claim_token`=%(token)s, `claimed_until`=%(until)s, `attempts`=`attempts`+1,
               `modified`=%(now)s
           where `name`=%(name)s and (
             (`status` in ('Queued', 'Retrying') and (`next_retry_at` is null or `next_retry_at` <= %(now)s))
             or (`status`='Sending' and `claimed_until` < %(now)s))""",
        {"token": token, "until": add_to_date(now, seconds=lease_seconds), "now": now, "name": name})
    claimed = frappe.db.get_value(DISPATCH, name, "claim_token") == token
    frappe.db.commit()
    return token if claimed else None


def send_dispatch(dispatch: str) -> str | None:
    """Background job: claim, send through the vendor's connector, record the outcome."""
    policy = settings()
    token = _claim(dispatch, policy.lease)
    if not token:
        return None
    doc = frappe.get_doc(DISPATCH, dispatch)
    order = frappe.get_doc(SALES_ORDER, doc.sales_order)
    connector = get_connector(doc.vendor)
    try:
        if order.docstatus != 1:
            raise VendorError(_("Sales Order {0} is not submitted").format(order.name), retryable=False)
        # the claim is committed and a send writes nothing but its integration logs until it returns
        frappe.flags.medgrid_commit_integration_logs = True
        heartbeat = LeaseHeartbeat(dispatch, token, policy.lease)
        try:
            with one_waiter_per_account():
                result = connector.send(doc, order)
        finally:
            heartbeat.stop()
            frappe.flags.medgrid_commit_integration_logs = False
    except RateLimitWait as e:
        frappe.db.rollback()
        return _defer(doc, e.retry_after)
    except VendorError as e:
        frappe.db.rollback()
        outcome = _record_failure(doc, str(e), e.retryable, e.retry_after, policy)
    except Exception as e:  # a bug or an unexpected answer: keep the dispatch retryable and log it
        frappe.db.rollback()
        frappe.log_error(title=f"MedGrid dispatch {dispatch} failed", reference_doctype=DISPATCH,
                         reference_name=dispatch)
        outcome = _record_failure(doc, f"{type(e).__name__}: {e}", True, None, policy)
    else:
        _record_success(doc, order, result)
        outcome = SENT
    _hand_on(doc.vendor)
    return outcome


class LeaseHeartbeat:
    """Renews a claimed dispatch's lease every third of it while the send runs.

    It runs in a thread with a database connection of its own (the job's connection is busy with the
    send), and renews only while the row still carries this claim's token. A killed worker takes the
    thread with it, so its claim lapses at most one lease later.
    """

    def __init__(self, dispatch: str, token: str, lease_seconds: int):
        self.dispatch, self.token, self.lease = dispatch, token, max(int(lease_seconds), 3)
        self.site, self.sites_path = frappe.local.site, frappe.local.sites_path
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"medgrid-lease-{dispatch}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.lease)

    def _run(self) -> None:
        # a new thread starts without Frappe's request context: give it its own site connection
        frappe.init(site=self.site, sites_path=self.sites_path)
        try:
            frappe.connect()
            while not self._stopped.wait(self.lease / 3):
                if not self._renew():
                    break
        except Exception:
            # the send goes on; its claim may lapse and the sweep re-send it (connectors are idempotent)
            frappe.logger("medgrid").exception("lease heartbeat of dispatch %s stopped", self.dispatch)
        finally:
            frappe.destroy()

    def _renew(self) -> bool:
        frappe.db.sql(
            """update `tabFulfillment Dispatch` set `claimed_until`=%(until)s
               where `name`=%(name)s and `status`='Sending' and `claim_token`=%(token)s""",
            {"until": add_to_date(now_datetime(), seconds=self.lease), "name": self.dispatch, "token": self.token})
        still_ours = frappe.db.get_value(DISPATCH, self.dispatch, "claim_token") == self.token
        frappe.db.commit()
        return still_ours


def _record_success(doc, order, result) -> None:
    values = {"status": SENT, "sent_at": now_datetime(), "last_error": None, "claim_token": None,
              "claimed_until": None, "next_retry_at": None,
              "vendor_order_id": result.vendor_order_id or doc.vendor_order_id,
              "vendor_reference": result.vendor_reference or doc.vendor_reference}
    frappe.db.set_value(DISPATCH, doc.name, values)
    if result.order_fields:
        # what the vendor answered is a vendor update like any other: order and dispatch alike
        record_vendor_update(order.name, doc.vendor, result.order_fields, dispatch=doc.name)
    frappe.db.commit()


def _record_failure(doc, message: str, retryable: bool, retry_after, policy) -> str:
    attempts = cint(frappe.db.get_value(DISPATCH, doc.name, "attempts"))
    if retryable and attempts < policy.max_attempts:
        delay = retry_after or backoff_seconds(attempts, policy.base, policy.cap)
        values = {"status": RETRYING, "next_retry_at": add_to_date(now_datetime(), seconds=delay)}
        outcome = RETRYING
    else:
        values = {"status": FAILED, "next_retry_at": None}
        outcome = FAILED
        _mark_vendor_failed(doc)
    values.update({"last_error": message[:10000], "claim_token": None, "claimed_until": None})
    frappe.db.set_value(DISPATCH, doc.name, values)
    frappe.db.commit()
    return outcome


def _defer(doc, seconds: float) -> str:
    """The vendor's rate limit has no slot for a while: back to Queued for the slot booked for this send; the
    next send to that vendor hands it on (:func:`_hand_on`), or the sweep enqueues it when due. Not an attempt:
    the vendor refused nothing (a burst of 500 ShipStation orders would otherwise spend every dispatch's
    attempts waiting its turn)."""
    attempts = cint(frappe.db.get_value(DISPATCH, doc.name, "attempts"))
    frappe.db.set_value(DISPATCH, doc.name, {
        "status": QUEUED, "next_retry_at": add_to_date(now_datetime(), seconds=max(1, math.ceil(seconds))),
        "attempts": max(0, attempts - 1), "claim_token": None, "claimed_until": None})
    frappe.db.commit()
    return QUEUED


def _hand_on(vendor: str) -> None:
    """After a send, queue the vendor's longest-deferred dispatch now rather than at the sweep: sends held
    back by a rate limit then follow each other as fast as the limit lets them (whoever finds the window
    spent again waits as the account's one waiter or is deferred again), instead of one sweep a minute."""
    name = frappe.db.sql(
        """select `name` from `tabFulfillment Dispatch` where `status`='Queued' and `vendor`=%(vendor)s
           and `next_retry_at` is not null order by `next_retry_at` limit 1""", {"vendor": vendor})
    if not name:
        return
    frappe.db.sql("""update `tabFulfillment Dispatch` set `next_retry_at`=null
                     where `name`=%(name)s and `status`='Queued'""", {"name": name[0][0]})
    enqueue_send(name[0][0])
    frappe.db.commit()


def _mark_vendor_failed(doc) -> None:
    descriptor = get_vendor(doc.vendor)
    field = descriptor.order_fields.status if descriptor else None
    if not field or FAILED not in descriptor.statuses.vocabulary:
        return
    # a status the vendor reported (e.g. Shipped) is the truth; only our own placeholder becomes Failed
    current = frappe.db.get_value(SALES_ORDER, doc.sales_order, field)
    if current in (None, "", descriptor.statuses.initial):
        record_vendor_update(doc.sales_order, doc.vendor, VendorUpdate(status=FAILED), dispatch=doc.name)


def backoff_seconds(attempts: int, base: int, cap: int) -> float:
    """Exponential backoff with full jitter: a random wait up to base·2^(attempts-1), capped."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return max(1.0, random.uniform(ceiling / 2, ceiling))


def sweep() -> int:
    """Scheduler job: re-enqueue due retries and sends abandoned by a dead worker."""
    now = now_datetime()
    lease = settings().lease
    due = frappe.db.sql(
        """select `name`, `status`, `attempts` from `tabFulfillment Dispatch`
           where (`status` in ('Queued', 'Retrying') and (`next_retry_at` is null or `next_retry_at` <= %(now)s))
              or (`status`='Sending' and `claimed_until` < %(now)s)
           order by `modified` limit 500""", {"now": now}, as_dict=True)
    for row in due:
        if row.status == SENDING:
            # The lease ran out: the job holding the claim died with its worker (or hangs). A worker
            # killed outright never tells RQ, which keeps listing that job as started for many
            # minutes, so deduplicating against its id would silently skip this recovery. The
            # recovery gets an id of its own per claim (repeated sweeps still enqueue it once);
            # the claim still lets only one send through.
            enqueue_send(row.name, after_commit=False,
                         job_id=f"{send_job_id(row.name)}::recover-{cint(row.attempts)}")
        else:
            enqueue_send(row.name, after_commit=False, job_id=stalled_send_job_id(row.name, lease))
    return len(due)


def retry(name: str) -> None:
    """Put a Failed (or Cancelled-by-error) dispatch back in the queue with fresh attempts."""
    frappe.db.set_value(DISPATCH, name, {"status": QUEUED, "attempts": 0, "next_retry_at": None,
                                                       "claim_token": None, "claimed_until": None})
    enqueue_send(name)


def cancel_for_order(order) -> None:
    """On Sales Order cancel: open dispatches stop; sent ones are cancelled at vendors that allow it."""
    rows = frappe.get_all(DISPATCH, filters={"sales_order": order.name},
                          fields=["name", "status", "vendor"])
    for row in rows:
        if row.status in (*OPEN_DISPATCH_STATUSES, FAILED):
            frappe.db.set_value(DISPATCH, row.name, {"status": CANCELLED, "next_retry_at": None})
        elif row.status == SENT:
            frappe.enqueue("medgrid.fulfillment_router.dispatch.cancel_at_vendor", queue="short",
                           enqueue_after_commit=True, dispatch=row.name)


def cancel_at_vendor(dispatch: str) -> None:
    """Background job: ask the vendor to cancel a sent dispatch, then mark it Cancelled."""
    doc = frappe.get_doc(DISPATCH, dispatch)
    order = frappe.get_doc(SALES_ORDER, doc.sales_order)
    connector = get_connector(doc.vendor)
    try:
        cancelled = connector.cancel(doc, order)
    except VendorError as e:
        frappe.db.set_value(DISPATCH, dispatch, "last_error", f"Cancel failed: {e}")
        return
    values = {"status": CANCELLED}
    if not cancelled:
        values["last_error"] = _("{0} offers no cancel through its API; cancel it with the vendor").format(
            connector.label)
    frappe.db.set_value(DISPATCH, dispatch, values)

"""The fulfilment router with fake connectors: routing, durable dispatch, retries, leases, tracking.

The fakes (``medgrid.tests.fake_connectors``) replace every vendor's connector through the
``medgrid_connectors`` hook; background jobs run from :class:`medgrid.tests.utils.JobQueue` when the
test commits, as a worker would run them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import frappe
from frappe.tests.utils import FrappeTestCase, patch_hooks
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from medgrid.setup.demo import make_demo_data
from medgrid.tests import fake_connectors as fakes
from medgrid.tests.utils import JobQueue

# the hook through which an app replaces a vendor's connector (the last app wins)
CONNECTOR_OVERRIDE_HOOK = "medgrid_connectors"
ALL_ITEMS = ["ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004", "ITEM-005"]


def make_order(items=ALL_ITEMS, qty=1, submit=True, **extra):
    values = {
        "doctype": "Sales Order", "customer": "Demo Clinic Partner", "company": "Skydell",
        "delivery_date": add_days(nowdate(), 7), "shipping_address_name": "Demo Clinic Partner-Shipping",
        "patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-02",
        "prescriber_npi": "1234567890", "prescriber_first_name": "Greg", "prescriber_last_name": "House",
        "items": [{"item_code": code, "qty": qty,
                   "warehouse": "Skydell Exoceuticals - SM" if code == "ITEM-005" else "Skydell Main - SM"}
                  for code in items],
    }
    values.update(extra)
    order = frappe.get_doc(values).insert()
    if submit:
        order.submit()
    return order


def dispatches(order):
    return {d.vendor: d for d in frappe.get_all("Fulfillment Dispatch", filters={"sales_order": order.name},
                                                fields=["*"])}


def _claimed_until(name):
    frappe.db.rollback()  # a fresh snapshot: the heartbeat writes from its own connection
    return frappe.db.get_value("Fulfillment Dispatch", name, "claimed_until")


class TestFulfillmentRouter(FrappeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_demo_data()  # the guide's catalog, stock and partner (kept when already there)
        cls.lease_seconds = frappe.db.get_single_value("MedGrid System Settings", "dispatch_lease_seconds")

    def setUp(self):
        fakes.reset()
        hooks = patch_hooks({CONNECTOR_OVERRIDE_HOOK: fakes.CONNECTOR_OVERRIDES})
        hooks.__enter__()
        self.addCleanup(hooks.__exit__, None, None, None)
        self.jobs = JobQueue().start()
        self.addCleanup(self.jobs.stop)
        self.addCleanup(frappe.db.rollback)

    @classmethod
    def tearDownClass(cls):
        # a test commits the short lease it needs; the site keeps its own setting
        frappe.db.rollback()
        frappe.db.set_single_value("MedGrid System Settings", "dispatch_lease_seconds", cls.lease_seconds)
        frappe.db.commit()
        super().tearDownClass()

    def test_order_is_named_like_the_guide(self):
        order = make_order(submit=False)
        assert order.name.startswith(f"SO-{nowdate()[:4]}-") and len(order.name) == len("SO-2026-00001")


    def test_submit_writes_one_dispatch_per_vendor_and_sends_only_after_commit(self):
        order = make_order()
        rows = dispatches(order)
        assert set(rows) == {"perfectrx", "shipstation", "sinq", "centre_research", "exoceuticals"}
        assert all(r.status == "Queued" for r in rows.values())
        assert fakes.SENT == []  # the submit never waits on a vendor
        assert frappe.db.get_value("Sales Order", order.name, "shipstation_status") == "Submitted"
        lines = frappe.get_all("Fulfillment Dispatch Line", filters={"parent": rows["sinq"].name},
                               fields=["item_code", "qty", "vendor_sku"])
        assert [(l.item_code, l.qty, l.vendor_sku) for l in lines] == [("ITEM-003", 1.0, "SINQ-ITEM-001")]
        self.jobs.commit()
        assert sorted(s[0] for s in fakes.SENT) == ["centre_research", "exoceuticals", "perfectrx", "shipstation", "sinq"]
        rows = dispatches(order)
        assert all(r.status == "Sent" and r.attempts == 1 for r in rows.values())
        assert rows["sinq"].vendor_order_id == f"sinq-{order.name}"
        values = frappe.db.get_value("Sales Order", order.name, ["sinq_status", "cr_status", "perfectrx_status",
                                                                 "shipstation_status"], as_dict=True)
        assert values == {"sinq_status": "Synced", "cr_status": "Pending", "perfectrx_status": "Received",
                          "shipstation_status": "Awaiting Shipment"}
        items = frappe.get_all("Sales Order Item", filters={"parent": order.name}, fields=["item_code", "fulfillment_vendor"])
        assert {i.item_code: i.fulfillment_vendor for i in items}["ITEM-001"] == "centre_research"


    def test_dispatches_and_lines_are_written_with_one_insert_per_table(self):
        from unittest import mock

        statements = []
        real_sql = frappe.db.sql

        def recording_sql(query, *args, **kwargs):
            statements.append(" ".join(str(query).split()).lower())
            return real_sql(query, *args, **kwargs)

        order = make_order(submit=False)
        with mock.patch.object(frappe.db, "sql", recording_sql):
            order.submit()
        inserts = [q for q in statements if q.startswith("insert into `tabfulfillment dispatch")]
        assert [q.split("(", 1)[0].strip() for q in inserts] == [
            "insert into `tabfulfillment dispatch`", "insert into `tabfulfillment dispatch line`"]
        # each line's vendor is stored by the submit's own save, not written again row by row
        assert not [q for q in statements if q.startswith("update `tabsales order item` set `fulfillment_vendor`")]

        rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": order.name}, fields=["*"],
                              order_by="creation asc")
        # routed in the order's line order (aggregate_shipments lists them by creation)
        assert [r.vendor for r in rows] == ["centre_research", "shipstation", "sinq", "perfectrx", "exoceuticals"]
        assert len({r.name for r in rows}) == 5 and len({r.creation for r in rows}) == 5
        for r in rows:
            assert (r.owner, r.modified_by, r.docstatus, r.status, r.attempts) == (
                "Administrator", "Administrator", 0, "Queued", 0)
            assert r.modified == r.creation
        # the vendor's placeholder status is on the row from the start, as record_vendor_update writes it
        by_vendor = {r.vendor: r for r in rows}
        assert by_vendor["shipstation"].vendor_status == "Submitted" and by_vendor["shipstation"].last_sync
        assert by_vendor["shipstation"].acknowledged_at is None
        stored = frappe.db.get_value("Sales Order", order.name, ["shipstation_status", "exoceuticals_status"], as_dict=True)
        assert stored == {"shipstation_status": order.shipstation_status, "exoceuticals_status": order.exoceuticals_status}
        assert stored.shipstation_status == "Submitted"

        lines = frappe.get_all("Fulfillment Dispatch Line", filters={"parent": ["in", [r.name for r in rows]]},
                               fields=["*"])
        assert len(lines) == 5
        order_lines = {row.name: row for row in order.items}
        for line in lines:
            assert (line.parenttype, line.parentfield, line.idx) == ("Fulfillment Dispatch", "lines", 1)
            assert line.creation == by_vendor[frappe.db.get_value("Fulfillment Dispatch", line.parent, "vendor")].creation
            assert order_lines[line.sales_order_item].item_code == line.item_code
        items = frappe.get_all("Sales Order Item", filters={"parent": order.name}, fields=["item_code", "fulfillment_vendor"])
        assert {i.item_code: i.fulfillment_vendor for i in items} == {
            "ITEM-001": "centre_research", "ITEM-002": "shipstation", "ITEM-003": "sinq", "ITEM-004": "perfectrx",
            "ITEM-005": "exoceuticals"}
        # the documents read back as Frappe wrote them
        doc = frappe.get_doc("Fulfillment Dispatch", by_vendor["sinq"].name)
        assert [(l.item_code, l.vendor_sku) for l in doc.lines] == [("ITEM-003", "SINQ-ITEM-001")]

    def test_dispatch_doctypes_have_no_insert_hooks_the_batched_insert_would_skip(self):
        # create_dispatches writes the rows itself (dispatch.insert_new_documents); a controller method or a
        # doc_event on these doctypes would need Document.insert back
        from medgrid.medgrid.doctype.fulfillment_dispatch.fulfillment_dispatch import FulfillmentDispatch
        from medgrid.medgrid.doctype.fulfillment_dispatch_line.fulfillment_dispatch_line import FulfillmentDispatchLine

        insert_methods = ("before_insert", "before_naming", "autoname", "before_validate", "validate", "before_save",
                          "after_insert", "on_update", "on_change", "db_insert")
        for controller in (FulfillmentDispatch, FulfillmentDispatchLine):
            assert not [m for m in insert_methods if m in vars(controller)], controller
        events = frappe.get_hooks("doc_events") or {}
        assert "Fulfillment Dispatch" not in events and "Fulfillment Dispatch Line" not in events
        # the "*" guard passes a new document without amended_from
        assert not frappe.get_meta("Fulfillment Dispatch").get_field("amended_from")

    def test_rollback_of_the_submit_sends_nothing(self):
        order = make_order(items=["ITEM-003"])
        frappe.db.rollback()
        assert fakes.SENT == [] and not frappe.db.exists("Fulfillment Dispatch", {"sales_order": order.name})


    def test_approved_but_unmapped_line_is_not_for_sale(self):
        from medgrid.catalog_admin.approval import NotApprovableError
        from medgrid.exceptions import InvalidOrderError, OrderNotRoutableError

        doc = frappe.get_doc({"doctype": "Item", "item_code": "UNMAPPED", "item_name": "Unmapped",
                              "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1,
                              "medgrid_approved": 1, "fulfillment_vendor": "sinq"}).insert()
        # a new one waits in the queue; a saved one is not approved without its mapping
        assert (doc.medgrid_approved, doc.medgrid_approval_status) == (0, "Pending")
        assert "sinq_sku is empty" in doc.medgrid_approval_reason
        doc.medgrid_approved = 1
        with self.assertRaisesRegex(NotApprovableError, "sinq_sku is empty") as exc:
            doc.save()
        assert exc.exception.http_status_code == 417
        # so only data approved before the rule (or written straight to the table) gets this far
        frappe.db.set_value("Item", "UNMAPPED", "medgrid_approved", 1)
        with self.assertRaisesRegex(InvalidOrderError, "Item UNMAPPED is not available for sale") as exc:
            make_order(items=["UNMAPPED"], submit=False)
        assert exc.exception.http_status_code == 400
        # the router itself never sends our item code in place of the vendor's SKU
        order = make_order(items=["ITEM-003"], submit=False)
        order.items[0].item_code = "UNMAPPED"
        with self.assertRaisesRegex(OrderNotRoutableError, "not mapped to SINQ.*sinq_sku is empty"):
            from medgrid.fulfillment_router.routing import plan_routes
            plan_routes(order)


    def test_rx_line_needs_patient_and_prescriber(self):
        from medgrid.exceptions import OrderNotRoutableError

        with self.assertRaisesRegex(OrderNotRoutableError, "Prescriber NPI"):
            make_order(items=["ITEM-004"], submit=False, prescriber_npi=None)
        make_order(items=["ITEM-003"], submit=False, prescriber_npi=None, patient_first_name=None)  # OTC only: fine

    def test_rx_details_are_checked_before_they_reach_the_pharmacy(self):
        from medgrid.exceptions import OrderNotRoutableError

        for npi in ("12345", "12345678901", "12345abcde", "１２３４５６７８９０"):
            with self.assertRaisesRegex(OrderNotRoutableError, "Prescriber NPI must be 10 digits") as exc:
                make_order(items=["ITEM-004"], submit=False, prescriber_npi=npi)
            assert exc.exception.http_status_code == 417
        with self.assertRaisesRegex(OrderNotRoutableError, "cannot be in the future"):
            make_order(items=["ITEM-004"], submit=False, patient_dob=add_days(nowdate(), 1))
        make_order(items=["ITEM-004"], submit=False, prescriber_npi=" 1234567893 ")


    def test_unapproved_item_is_refused_with_400(self):
        from medgrid.exceptions import InvalidOrderError

        frappe.db.set_value("Item", "ITEM-002", "medgrid_approved", 0)
        with self.assertRaisesRegex(InvalidOrderError, "not available for sale") as exc:
            make_order(items=["ITEM-002"], submit=False)
        assert exc.exception.http_status_code == 400


    def test_retryable_failure_waits_then_the_sweep_resends(self):
        from medgrid.fulfillment_router.dispatch import sweep

        fakes.BEHAVIOUR["sinq"] = ["retry"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert row.status == "Retrying" and row.attempts == 1 and "down (503)" in row.last_error
        assert row.next_retry_at > now_datetime()
        assert sweep() >= 0 and dispatches(order)["sinq"].status == "Retrying"  # not due yet
        frappe.db.set_value("Fulfillment Dispatch", row.name, "next_retry_at", add_to_date(now_datetime(), seconds=-1))
        self.jobs.commit()
        sweep()
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert row.status == "Sent" and row.attempts == 2 and row.last_error is None
        assert [s for s in fakes.SENT if s[1] == order.name] == [("sinq", order.name, [("ITEM-003", 1.0, "SINQ-ITEM-001")])]


    def test_a_spent_rate_limit_defers_the_send_to_its_slot_without_spending_an_attempt(self):
        from medgrid.fulfillment_router.dispatch import sweep

        fakes.BEHAVIOUR["sinq"] = ["wait"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert (row.status, row.attempts, row.last_error, row.claim_token) == ("Queued", 0, None, None)
        assert 25 <= (row.next_retry_at - now_datetime()).total_seconds() <= 31
        assert not [s for s in fakes.SENT if s[1] == order.name]
        assert sweep() >= 0 and dispatches(order)["sinq"].status == "Queued"  # not due yet
        frappe.db.set_value("Fulfillment Dispatch", row.name, "next_retry_at", add_to_date(now_datetime(), seconds=-1))
        self.jobs.commit()
        sweep()
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert row.status == "Sent" and row.attempts == 1

    def test_permanent_failure_is_failed_visible_and_retryable(self):
        from medgrid.fulfillment_router import retry_dispatches

        fakes.BEHAVIOUR["sinq"] = ["fail"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert row.status == "Failed" and row.last_error == "SINQ Ops refused the order"
        assert frappe.db.get_value("Sales Order", order.name, "sinq_status") == "Failed"
        assert retry_dispatches([row.name]) == {"retried": [row.name]}
        self.jobs.commit()
        assert dispatches(order)["sinq"].status == "Sent"


    def test_unexpected_error_is_logged_and_retried(self):
        fakes.BEHAVIOUR["sinq"] = ["crash"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        row = dispatches(order)["sinq"]
        assert row.status == "Retrying" and row.last_error.startswith("KeyError")
        assert frappe.db.exists("Error Log", {"reference_name": row.name})


    def test_worker_dying_mid_send_is_recovered_once(self):
        from medgrid.fulfillment_router.dispatch import _claim, sweep

        fakes.BEHAVIOUR["shipstation"] = ["retry"]
        order = make_order(items=["ITEM-002"])
        name = dispatches(order)["shipstation"].name
        self.jobs.commit()
        # the claim a dead worker left behind: Sending, with its lease still running
        frappe.db.set_value("Fulfillment Dispatch", name, {"status": "Sending", "claimed_until": add_to_date(now_datetime(), seconds=60)})
        self.jobs.commit()
        assert _claim(name, 300) is None  # nobody else may send while the lease runs
        frappe.db.set_value("Fulfillment Dispatch", name, "claimed_until", add_to_date(now_datetime(), seconds=-1))
        self.jobs.commit()
        sweep()
        self.jobs.commit()
        assert dispatches(order)["shipstation"].status == "Sent"
        assert len([s for s in fakes.SENT if s[1] == order.name]) == 1


    def test_a_send_job_whose_worker_died_before_claiming_is_recovered(self):
        """A worker host killed after taking a send job but before claiming the row leaves the job
        'started' in RQ for many minutes: the sweep must not wait for RQ to give up on it."""
        from unittest.mock import patch

        from medgrid.fulfillment_router import dispatch as dispatch_module

        class StartedJob:
            def __init__(self, seconds_ago):
                self.started_at = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)

            def get_status(self):
                return "started"

        fakes.BEHAVIOUR["shipstation"] = ["ok"]
        order = make_order(items=["ITEM-002"])
        name = dispatches(order)["shipstation"].name
        frappe.db.commit()
        self.jobs.pending.clear()  # the send job was taken by a worker that then died
        assert dispatches(order)["shipstation"].status == "Queued"
        lease = dispatch_module.settings().lease

        # within a lease the job may still be about to claim: the sweep only re-asks under the same id
        with patch.object(dispatch_module, "get_job", return_value=StartedJob(lease / 2)):
            assert dispatch_module.stalled_send_job_id(name, lease) is None
        stalled = StartedJob(lease + 30)
        with patch.object(dispatch_module, "get_job", return_value=stalled):
            recovery_id = dispatch_module.stalled_send_job_id(name, lease)
            assert recovery_id and recovery_id != dispatch_module.send_job_id(name)
            assert dispatch_module.stalled_send_job_id(name, lease) == recovery_id  # stable across sweeps
            dispatch_module.sweep()
            dispatch_module.sweep()
        # (other tests' rows left Queued on a re-used site are swept too: only this dispatch's jobs count)
        own = dispatch_module.send_job_id(name)
        mine = [job[0] for job in self.jobs.pending if job[0] == own or job[0].startswith(own + "::")]
        assert mine == [recovery_id]
        self.jobs.commit()
        assert dispatches(order)["shipstation"].status == "Sent"
        assert len([s for s in fakes.SENT if s[1] == order.name]) == 1

        # a job still waiting in the queue is not stalled, however long the backlog
        class QueuedJob(StartedJob):
            def get_status(self):
                return "queued"

        with patch.object(dispatch_module, "get_job", return_value=QueuedJob(3600)):
            assert dispatch_module.stalled_send_job_id(name, lease) is None

    def test_a_slow_send_keeps_its_short_lease_alive(self):
        """Issue 12 item 17: the lease is short and a heartbeat renews it while the vendor takes its time."""
        import time

        from medgrid.fulfillment_router.dispatch import DEFAULT_LEASE_SECONDS, _claim, send_dispatch

        assert DEFAULT_LEASE_SECONDS <= 30  # a killed worker's send is re-sent within about a minute
        frappe.db.set_single_value("MedGrid System Settings", "dispatch_lease_seconds", 3)
        fakes.BEHAVIOUR["sinq"] = ["retry"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()  # the first send runs (and is refused for a retry)
        name = dispatches(order)["sinq"].name
        frappe.db.set_value("Fulfillment Dispatch", name, "next_retry_at", add_to_date(now_datetime(), seconds=-1))
        self.jobs.commit()
        seen = {}

        def slow_vendor(dispatch, order):
            seen["first"] = _claimed_until(name)
            time.sleep(4.5)  # longer than the 3 s lease: without renewals the claim would have lapsed
            seen["later"] = _claimed_until(name)
            seen["claim_by_another_worker"] = _claim(name, 3)

        fakes.BEHAVIOUR["sinq"] = [slow_vendor]
        assert send_dispatch(name) == "Sent"
        assert seen["later"] > seen["first"] and seen["later"] > now_datetime() - timedelta(seconds=2)
        assert seen["claim_by_another_worker"] is None
        assert len([s for s in fakes.SENT if s[1] == order.name]) == 1


    def test_claim_is_exclusive(self):
        from medgrid.fulfillment_router.dispatch import _claim

        fakes.BEHAVIOUR["sinq"] = ["retry"]
        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        name = dispatches(order)["sinq"].name
        frappe.db.set_value("Fulfillment Dispatch", name, "next_retry_at", add_to_date(now_datetime(), seconds=-1))
        assert _claim(name, 300)
        assert _claim(name, 300) is None


    def test_cancel_stops_open_dispatches_and_cancels_sent_ones(self):
        fakes.BEHAVIOUR["sinq"] = ["retry"]
        order = make_order(items=["ITEM-003", "ITEM-001"])
        self.jobs.commit()
        order = frappe.get_doc("Sales Order", order.name)
        order.cancel()
        self.jobs.commit()
        rows = dispatches(order)
        assert rows["sinq"].status == "Cancelled"
        assert rows["centre_research"].status == "Cancelled"
        assert ("centre_research", order.name) in fakes.CANCELLED


    def test_aggregate_shipments(self):
        from medgrid.fulfillment_router import aggregate_shipments
        from medgrid.fulfillment_router.tracking import record_vendor_update

        order = make_order(items=["ITEM-001", "ITEM-002"])
        self.jobs.commit()
        record_vendor_update(order.name, "centre_research", {"cr_status": "Shipped", "cr_tracking_number": "1Z999",
                                                              "cr_carrier": "UPS",
                                                              "cr_tracking_url": "https://www.ups.com/track?tracknum=1Z999"})
        result = aggregate_shipments(order.name)
        assert result["sales_order"] == order.name
        by_vendor = {s["vendor"]: s for s in result["shipments"]}
        assert by_vendor["centre_research"] == {"vendor": "centre_research", "vendor_label": "Centre Research Peptides",
                                                "status": "Shipped", "tracking_number": "1Z999", "carrier": "UPS",
                                                "tracking_url": "https://www.ups.com/track?tracknum=1Z999"}
        assert by_vendor["shipstation"]["status"] == "Awaiting Shipment"
        assert frappe.db.get_value("Fulfillment Dispatch", {"sales_order": order.name, "vendor": "centre_research"},
                                   "tracking_number") == "1Z999"
        with self.assertRaises(frappe.DoesNotExistError):
            aggregate_shipments("SO-2026-99999")


    def test_acknowledged_and_shipped_times_are_stamped_once(self):
        from medgrid.fulfillment_router.tracking import record_vendor_update
        from medgrid.vendors.update import VendorUpdate

        order = make_order(items=["ITEM-002", "ITEM-003"])

        def times(vendor):
            return frappe.db.get_value("Fulfillment Dispatch", {"sales_order": order.name, "vendor": vendor},
                                       ["acknowledged_at", "shipped_at"])

        # ShipStation's "Submitted" is MedGrid's own placeholder, not the vendor's answer
        assert frappe.db.get_value("Sales Order", order.name, "shipstation_status") == "Submitted"
        assert times("shipstation") == (None, None)
        self.jobs.commit()  # the fake answers Awaiting Shipment
        acknowledged, shipped = times("shipstation")
        assert acknowledged is not None and shipped is None
        shipped_at, delivered_at = datetime(2026, 3, 4, 5, 6, 7), datetime(2026, 3, 9, 10, 0, 0)
        record_vendor_update(order.name, "shipstation", VendorUpdate(status="Shipped", occurred_at=shipped_at))
        record_vendor_update(order.name, "shipstation", VendorUpdate(status="Delivered", occurred_at=delivered_at))
        record_vendor_update(order.name, "shipstation", VendorUpdate(status="Shipped", explicit=True))  # a reship
        assert times("shipstation") == (acknowledged, shipped_at)
        # a vendor whose first word is Shipped has acknowledged then too (the vendor's time, or now)
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": order.name, "vendor": "sinq"},
                            "acknowledged_at", None)
        record_vendor_update(order.name, "sinq", VendorUpdate(status="Shipped", occurred_at=shipped_at))
        assert times("sinq") == (shipped_at, shipped_at)
        record_vendor_update(order.name, "sinq", VendorUpdate(status="Failed"))  # not a stage: nothing stamped
        assert times("sinq") == (shipped_at, shipped_at)


    def test_dispatch_vendor_conflicts_and_draft(self):
        from medgrid.exceptions import AlreadyDispatchedError, OrderNotRoutableError
        from medgrid.fulfillment_router import dispatch_vendor

        order = make_order(items=["ITEM-003"])
        self.jobs.commit()
        with self.assertRaises(AlreadyDispatchedError) as exc:
            dispatch_vendor(order.name, "sinq")
        assert exc.exception.http_status_code == 409
        draft = make_order(items=["ITEM-003"], submit=False)
        with self.assertRaises(OrderNotRoutableError) as exc:
            dispatch_vendor(draft.name, "sinq")
        assert exc.exception.http_status_code == 417


    def test_a_failure_never_overwrites_a_status_the_vendor_reported(self):
        from medgrid.fulfillment_router import dispatch as dispatch_module

        fakes.BEHAVIOUR["shipstation"] = ["retry"]
        order = make_order(items=["ITEM-002"])
        self.jobs.commit()
        row = dispatches(order)["shipstation"]
        frappe.db.set_value("Sales Order", order.name, "shipstation_status", "Shipped")  # the vendor's own event
        frappe.db.set_value("Fulfillment Dispatch", row.name, "attempts", 99)
        self.jobs.commit()
        policy = dispatch_module.settings()
        dispatch_module._record_failure(frappe.get_doc("Fulfillment Dispatch", row.name), "boom", False, None, policy)
        assert frappe.db.get_value("Sales Order", order.name, "shipstation_status") == "Shipped"
        assert dispatches(order)["shipstation"].status == "Failed"


    def test_patch_moves_the_old_default_lease_only(self):
        from medgrid.fulfillment_router.dispatch import DEFAULT_LEASE_SECONDS
        from medgrid.patches import short_dispatch_lease

        for stored, expected in ((300, DEFAULT_LEASE_SECONDS), (45, 45)):
            frappe.db.set_single_value("MedGrid System Settings", "dispatch_lease_seconds", stored)
            short_dispatch_lease.execute()
            assert frappe.db.get_single_value("MedGrid System Settings", "dispatch_lease_seconds") == expected

"""The scheduler: ``scheduler_events`` → Scheduled Job Type records, due-ness on a controlled clock,
enqueueing with deduplication, runs and their Scheduled Job Logs, and the on/off switches."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

import frappe
from frappe.utils import background_jobs as bj
from frappe.utils import scheduler

JOB_TYPE = "Scheduled Job Type"
DAILY = "runtime_test_app.events.daily_job"
FIVE_MINUTES = "runtime_test_app.events.five_minute_job"


def job_type(frequency, cron_format=None, last_execution=None, method="some_app.tasks.job"):
    """An unsaved Scheduled Job Type (enough for the timing rules)."""
    return frappe.get_doc(
        {
            "doctype": JOB_TYPE,
            "method": method,
            "frequency": frequency,
            "cron_format": cron_format,
            "last_execution": last_execution,
        }
    )


def rows():
    return {r.name: r for r in frappe.get_all(JOB_TYPE, fields=["name", "method", "frequency", "cron_format"])}


@pytest.fixture()
def cleanup_committed(site):
    """Undo what a test commits: job types it created and their logs, last runs and stopped flags,
    the defaults the test app's jobs set, and the scheduler switch."""
    created: list[str] = []
    before = {r.name: r for r in frappe.get_all(JOB_TYPE, fields=["name", "last_execution", "stopped"])}
    yield created
    frappe.db.rollback()
    for name in created:
        frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": name})
        if name not in before:
            frappe.db.delete(JOB_TYPE, {"name": name})
    for name, row in before.items():
        frappe.db.set_value(JOB_TYPE, name, {"last_execution": row.last_execution, "stopped": row.stopped},
                            update_modified=False)
    frappe.db.set_default("rt_daily_job_ran", None)
    frappe.db.set_default("rt_five_minute_job_ran", None)
    scheduler.disable_scheduler()
    frappe.db.commit()


# ---------------------------------------------------------------- sync_jobs


def test_sync_jobs_names_records_after_the_last_two_segments_with_title_cased_frequencies(site):
    scheduler.sync_jobs(
        {
            "daily_long": ["some_app.reports.tasks.nightly_rollup"],
            "hourly": ["other_app.sweeper.run"],
            "hourly_maintenance": ["other_app.cleanup.vacuum"],
            "all": ["pkg.live.tick"],
            "annual": ["pkg.books.close_year"],
            "cron": {"15 3 * * *": ["pkg.jobs.cleanup"], "*/10 * * * *": ["pkg.jobs.poll"]},
        }
    )

    found = rows()
    assert found["tasks.nightly_rollup"].frequency == "Daily Long"
    assert found["tasks.nightly_rollup"].method == "some_app.reports.tasks.nightly_rollup"
    assert found["sweeper.run"].frequency == "Hourly"
    assert found["cleanup.vacuum"].frequency == "Hourly Maintenance"
    assert found["live.tick"].frequency == "All"
    assert found["books.close_year"].frequency == "Annual"
    assert (found["jobs.cleanup"].frequency, found["jobs.cleanup"].cron_format) == ("Cron", "15 3 * * *")
    assert (found["jobs.poll"].frequency, found["jobs.poll"].cron_format) == ("Cron", "*/10 * * * *")
    # records of methods no longer hooked are removed
    assert "events.daily_job" not in found and "events.five_minute_job" not in found


def test_sync_jobs_is_idempotent_and_follows_a_changed_frequency(site):
    scheduler.sync_jobs({"daily": ["pkg.tasks.refresh"]})
    scheduler.sync_jobs({"daily": ["pkg.tasks.refresh"]})
    assert [r.frequency for r in rows().values()] == ["Daily"]

    scheduler.sync_jobs({"cron": {"0 6 * * 1": ["pkg.tasks.refresh"]}})
    found = rows()
    assert list(found) == ["tasks.refresh"]
    assert (found["tasks.refresh"].frequency, found["tasks.refresh"].cron_format) == ("Cron", "0 6 * * 1")


def test_sync_jobs_reads_the_installed_apps_hooks(site):
    scheduler.sync_jobs({})
    assert rows() == {}

    scheduler.sync_jobs()

    found = rows()
    assert found["events.daily_job"].frequency == "Daily" and found["events.daily_job"].method == DAILY
    assert (found["events.five_minute_job"].frequency, found["events.five_minute_job"].cron_format) == (
        "Cron",
        "*/5 * * * *",
    )


# ---------------------------------------------------------------- when a job is due


@pytest.mark.parametrize(
    "frequency, cron, last_run, just_before, due_at",
    [
        ("Hourly", None, "2026-03-10 10:30:00", "2026-03-10 10:59:59", "2026-03-10 11:00:00"),
        ("Hourly Long", None, "2026-03-10 10:30:00", "2026-03-10 10:59:59", "2026-03-10 11:00:00"),
        ("Daily", None, "2026-03-10 10:30:00", "2026-03-10 23:59:59", "2026-03-11 00:00:00"),
        ("Daily Maintenance", None, "2026-03-10 00:00:00", "2026-03-10 23:59:59", "2026-03-11 00:00:00"),
        # 2026-03-10 is a Tuesday; weekly jobs run at midnight starting Sunday
        ("Weekly", None, "2026-03-10 10:30:00", "2026-03-14 23:59:59", "2026-03-15 00:00:00"),
        ("Monthly", None, "2026-03-10 10:30:00", "2026-03-31 23:59:59", "2026-04-01 00:00:00"),
        ("Yearly", None, "2026-03-10 10:30:00", "2026-12-31 23:59:59", "2027-01-01 00:00:00"),
        ("Annual", None, "2026-03-10 10:30:00", "2026-12-31 23:59:59", "2027-01-01 00:00:00"),
        ("Cron", "*/5 * * * *", "2026-03-10 10:31:00", "2026-03-10 10:34:59", "2026-03-10 10:35:00"),
        ("Cron", "15 3 * * *", "2026-03-10 03:15:00", "2026-03-11 03:14:59", "2026-03-11 03:15:00"),
        # "All" follows scheduler_interval (default 240 s): every 4th minute
        ("All", None, "2026-03-10 10:31:00", "2026-03-10 10:31:59", "2026-03-10 10:32:00"),
    ],
)
def test_a_job_is_due_from_the_next_cron_time_after_its_last_run(site, frequency, cron, last_run, just_before, due_at):
    doc = job_type(frequency, cron, last_run)

    assert scheduler.get_next_execution(doc) == datetime.fromisoformat(due_at)
    assert not scheduler.is_event_due(doc, datetime.fromisoformat(just_before))
    assert scheduler.is_event_due(doc, datetime.fromisoformat(due_at))


def test_all_follows_the_configured_scheduler_interval(site):
    frappe.local.conf["scheduler_interval"] = 600
    doc = job_type("All", last_execution="2026-03-10 10:31:00")
    assert scheduler.get_next_execution(doc) == datetime(2026, 3, 10, 10, 40)


def test_a_job_that_never_ran_is_due_at_once(site):
    assert scheduler.is_event_due(job_type("Yearly"), datetime(2026, 3, 10))


@pytest.mark.parametrize(
    "frequency, queue",
    [("Daily", "default"), ("Hourly", "default"), ("Cron", "default"), ("All", "default"),
     ("Daily Long", "long"), ("Weekly Long", "long"), ("Hourly Maintenance", "long"), ("Daily Maintenance", "long")],
)
def test_long_and_maintenance_frequencies_use_the_long_queue(site, frequency, queue):
    assert scheduler.get_queue_name(job_type(frequency, "* * * * *" if frequency == "Cron" else None)) == queue


# ---------------------------------------------------------------- enqueueing


def test_a_due_job_is_enqueued_once_under_its_scheduled_job_id(site, monkeypatch):
    calls = []
    monkeypatch.setattr(bj, "enqueue", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr(bj, "is_job_enqueued", lambda job_id: False)
    doc = job_type("Daily Long", last_execution="2026-03-10 10:00:00", method="pkg.tasks.rollup")

    assert not scheduler.enqueue_job_type(doc, current_time=datetime(2026, 3, 10, 23, 0))
    assert calls == []

    assert scheduler.enqueue_job_type(doc, current_time=datetime(2026, 3, 11, 0, 0))
    assert calls == [
        (
            ("frappe.utils.scheduler.run_scheduled_job",),
            {"queue": "long", "job_type": "pkg.tasks.rollup", "job_id": "scheduled_job::pkg.tasks.rollup",
             "deduplicate": True},
        )
    ]


def test_a_job_already_in_the_queue_is_not_enqueued_again(site, monkeypatch):
    calls = []
    monkeypatch.setattr(bj, "enqueue", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(bj, "is_job_enqueued", lambda job_id: job_id == "scheduled_job::pkg.tasks.rollup")

    assert not scheduler.enqueue_job_type(job_type("Hourly", method="pkg.tasks.rollup"), force=True)
    assert calls == []


# ---------------------------------------------------------------- running


def test_a_run_writes_a_complete_log_and_the_last_execution(site, cleanup_committed):
    cleanup_committed.append("events.daily_job")
    doc = frappe.get_doc(JOB_TYPE, "events.daily_job")
    before = frappe.utils.now_datetime()

    scheduler.execute_job_type(doc)

    frappe.db.rollback()
    assert frappe.db.get_default("rt_daily_job_ran") == "1"
    logs = frappe.get_all("Scheduled Job Log", filters={"scheduled_job_type": "events.daily_job"}, fields=["status"])
    assert [log.status for log in logs] == ["Complete"]
    last = frappe.db.get_value(JOB_TYPE, "events.daily_job", "last_execution")
    assert last >= before.replace(microsecond=0)


def test_a_failed_run_is_rolled_back_and_logged_with_its_traceback(site, cleanup_committed):
    doc = frappe.get_doc({"doctype": JOB_TYPE, "method": "runtime_test_app.events.add", "frequency": "Daily"})
    doc.insert(ignore_permissions=True)
    cleanup_committed.append(doc.name)
    assert doc.name == "events.add"

    scheduler.execute_job_type(doc)  # add() needs an argument: TypeError

    frappe.db.rollback()
    logs = frappe.get_all("Scheduled Job Log", filters={"scheduled_job_type": "events.add"}, fields=["status", "details"])
    assert [log.status for log in logs] == ["Failed"]
    assert "TypeError" in logs[0].details


def test_frequency_all_writes_no_log(site, cleanup_committed):
    doc = frappe.get_doc({"doctype": JOB_TYPE, "method": "frappe.ping", "frequency": "All"})
    doc.insert(ignore_permissions=True)
    cleanup_committed.append(doc.name)

    scheduler.execute_job_type(doc)

    frappe.db.rollback()
    assert frappe.db.get_value(JOB_TYPE, doc.name, "last_execution") is not None
    assert frappe.get_all("Scheduled Job Log", filters={"scheduled_job_type": doc.name}) == []


# ---------------------------------------------------------------- switches and the tick


def test_scheduler_is_inactive_until_enabled_and_under_config_switches(site):
    scheduler.disable_scheduler()
    assert scheduler.is_scheduler_inactive(verbose=False)

    scheduler.enable_scheduler()
    assert not scheduler.is_scheduler_inactive(verbose=False)
    assert scheduler.get_scheduler_status() == {"status": "active"}

    for switch in ("maintenance_mode", "pause_scheduler", "disable_scheduler"):
        frappe.local.conf[switch] = 1
        assert scheduler.is_scheduler_inactive(verbose=False), switch
        frappe.local.conf[switch] = 0


def _tick(site, sites_path, current_time):
    """One scheduler tick for the site, in its own context (as the scheduler process does)."""
    out = {}
    runner = threading.Thread(
        target=lambda: out.setdefault("result", scheduler.enqueue_events_for_site(site, sites_path, current_time))
    )
    runner.start()
    runner.join()
    return out["result"]


def test_a_tick_enqueues_due_jobs_which_run_and_log(site, cleanup_committed):
    if frappe.local.conf.get("redis_queue"):
        pytest.skip("the test site is configured with redis_queue")
    cleanup_committed.extend(["events.daily_job", "events.five_minute_job"])
    # only the test app's two jobs take part (other installed apps may hook jobs of their own)
    for name in frappe.get_all(JOB_TYPE, filters={"name": ["not in", cleanup_committed]}, pluck="name"):
        frappe.db.set_value(JOB_TYPE, name, "stopped", 1, update_modified=False)
    tick_at = datetime(2030, 1, 1, 0, 2)
    frappe.db.set_value(JOB_TYPE, "events.daily_job", "last_execution", tick_at - timedelta(days=2))
    frappe.db.set_value(JOB_TYPE, "events.five_minute_job", "last_execution", tick_at - timedelta(minutes=1))
    scheduler.disable_scheduler()
    frappe.db.commit()

    assert _tick(site, frappe.local.sites_path, tick_at) is None  # scheduler disabled

    scheduler.enable_scheduler()
    frappe.db.commit()
    assert _tick(site, frappe.local.sites_path, tick_at) == [DAILY]  # the 5-minute job ran at 00:01
    assert bj.wait_for_in_process_jobs(30)

    frappe.db.rollback()
    assert frappe.db.get_default("rt_daily_job_ran") == "1"
    assert frappe.db.get_default("rt_five_minute_job_ran") is None
    logs = frappe.get_all("Scheduled Job Log", filters={"scheduled_job_type": "events.daily_job"}, fields=["status"])
    assert [log.status for log in logs] == ["Complete"]
    job = bj.get_job("scheduled_job::" + DAILY)
    assert job is not None and job.get_status() == "finished" and job.kwargs["user"] == "Administrator"

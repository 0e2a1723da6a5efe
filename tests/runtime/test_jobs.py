"""Background jobs (``frappe.enqueue``): the in-process worker, synchronous mode, and RQ with a real
worker process — commit semantics, job ids, deduplication, retries and error logging."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

import frappe
from frappe.utils import background_jobs as bj

REDIS_URL = os.environ.get("MEDGRID_TEST_REDIS", "redis://127.0.0.1:6379/0")
WAIT = 30  # seconds; generous for slow CI machines, the jobs themselves take milliseconds

_attempts: collections.Counter = collections.Counter()


# ---------------------------------------------------------------- job bodies
# Module-level functions, so an RQ worker process can import them by reference.


def record(key, value=None):
    """Store who ran the job, on which site, with which value."""
    frappe.db.set_default(key, json.dumps({"value": value, "user": frappe.session.user, "site": frappe.local.site}))
    return value


def read_default(key):
    return frappe.db.get_default(key)


def slow_record(key, seconds=0.5):
    time.sleep(seconds)
    return record(key)


def fail(key):
    frappe.db.set_default(key, "written before the failure")
    raise ValueError(f"job failed on purpose: {key}")


def retry_once(key):
    _attempts[key] += 1
    frappe.db.set_default(key, f"attempt {_attempts[key]}")
    if _attempts[key] == 1:
        raise frappe.RetryBackgroundJobError("try again")
    return _attempts[key]


# ---------------------------------------------------------------- helpers


def unique(prefix="job") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def read(key):
    """The committed value of a default, as another connection sees it now."""
    frappe.db.rollback()  # end our snapshot (MariaDB/PostgreSQL keep one per transaction)
    value = frappe.db.get_default(key)
    return json.loads(value) if value and value.startswith("{") else value


def jobs_for(key):
    return [j for j in bj.get_in_process_jobs() if (j.kwargs.get("kwargs") or {}).get("key") == key]


@pytest.fixture()
def in_process(site):
    """The session site with neither Redis queues nor synchronous mode: the in-process worker."""
    if frappe.local.conf.get("redis_queue"):
        pytest.skip("the test site is configured with redis_queue")
    frappe.local.conf.pop("run_jobs_synchronously", None)
    frappe.flags.run_jobs_synchronously = False
    yield site
    assert bj.wait_for_in_process_jobs(WAIT)


# ---------------------------------------------------------------- in-process worker


def test_in_process_job_runs_in_its_own_context_as_the_enqueuing_user(in_process):
    key = unique()
    frappe.set_user("jobs-user@example.com")

    job = frappe.enqueue(record, key=key, value=42)

    assert isinstance(job, bj.InProcessJob)
    assert job.id.startswith(f"{in_process}::") and job.origin == "default"
    assert job.wait(WAIT)
    assert job.get_status() == "finished" and job.return_value() == 42
    # committed by the job's own connection, visible to ours
    assert read(key) == {"value": 42, "user": "jobs-user@example.com", "site": in_process}


def test_job_enqueued_inside_a_transaction_is_queued_at_once(in_process):
    marker = unique("marker")
    frappe.db.set_default(marker, "not committed yet")

    job = frappe.enqueue(read_default, key=marker)

    # it runs while our transaction is still open, so it cannot see our write (as in Frappe)
    assert job.wait(WAIT) and job.is_finished
    assert job.return_value() is None


def test_enqueue_after_commit_hands_the_job_over_only_at_commit(in_process):
    key = unique()

    assert frappe.enqueue(record, key=key, value="after", enqueue_after_commit=True) is None
    assert bj.wait_for_in_process_jobs(WAIT)
    assert jobs_for(key) == [] and read(key) is None

    frappe.enqueue(record, key=key, value="after", enqueue_after_commit=True)
    frappe.db.commit()
    assert bj.wait_for_in_process_jobs(WAIT)
    assert [j.get_status() for j in jobs_for(key)] == ["finished"]
    assert read(key)["value"] == "after"


def test_enqueue_after_commit_is_dropped_on_rollback(in_process):
    key = unique()

    frappe.enqueue(record, key=key, enqueue_after_commit=True)
    frappe.db.rollback()
    frappe.db.commit()  # a later commit must not resurrect it

    assert bj.wait_for_in_process_jobs(WAIT)
    assert jobs_for(key) == [] and read(key) is None


def test_job_id_is_namespaced_and_deduplicated_while_queued_or_running(in_process):
    key = unique()
    job_id = unique("dedupe")

    first = frappe.enqueue(slow_record, key=key, seconds=0.5, job_id=job_id, deduplicate=True)

    assert first.id == f"{in_process}::{job_id}"
    assert bj.is_job_enqueued(job_id)
    assert frappe.enqueue(slow_record, key=key, job_id=job_id, deduplicate=True) is None
    assert first.wait(WAIT) and not bj.is_job_enqueued(job_id)

    # once finished, the same id can be queued again (the old job is deleted first)
    again = frappe.enqueue(record, key=key, job_id=job_id, deduplicate=True)
    assert again is not None and again is not first
    assert again.wait(WAIT) and bj.get_job(job_id) is again


def test_deduplicate_needs_a_job_id(in_process):
    with pytest.raises(frappe.ValidationError, match="job_id"):
        frappe.enqueue(record, key="x", deduplicate=True)


def test_failing_job_rolls_back_and_writes_an_error_log(in_process):
    key = unique()

    job = frappe.enqueue(fail, key=key)

    assert job.wait(WAIT) and job.is_failed
    assert "job failed on purpose" in job.exc_info
    assert read(key) is None  # its write was rolled back
    errors = frappe.get_all("Error Log", filters={"method": "fail"}, fields=["error"])
    assert any(f"job failed on purpose: {key}" in e.error for e in errors)


def test_retry_background_job_error_runs_the_job_again(in_process):
    key = unique()

    job = frappe.enqueue(retry_once, key=key)

    assert job.wait(WAIT) and job.is_finished
    assert job.return_value() == 2 and _attempts[key] == 2
    assert read(key) == "attempt 2"


def test_now_runs_inline_and_returns_the_result(in_process):
    key = unique()

    assert frappe.enqueue(record, key=key, value=7, now=True) == 7
    # same transaction, no commit needed to see it; nothing was queued
    assert json.loads(frappe.db.get_default(key))["value"] == 7
    assert jobs_for(key) == []


def test_is_async_false_in_tests_runs_inline_in_the_callers_context(in_process):
    key = unique()
    frappe.flags.in_test = True

    job = frappe.enqueue(record, key=key, value=3, is_async=False)

    assert job.is_finished and job.return_value() == 3
    assert read(key)["value"] == 3  # execute_job committed our connection


def test_unknown_queue_is_refused(in_process):
    with pytest.raises(frappe.ValidationError, match="Queue should be one of short, default, long"):
        frappe.enqueue(record, queue="urgent", key="x")


def test_queue_timeouts_and_custom_workers(in_process):
    assert bj.get_queues_timeout() == {"short": 300, "default": 300, "long": 1500}
    frappe.local.conf["workers"] = {"vendor_sync": {"timeout": 900}}
    assert bj.get_queues_timeout()["vendor_sync"] == 900
    assert bj.get_queue_list() == ["short", "default", "long", "vendor_sync"]
    assert bj.generate_qname("short") == f"{bj.get_bench_id()}:short"


def test_enqueue_doc_runs_a_document_method(in_process):
    note = frappe.get_doc({"doctype": "RT Note", "title": unique("note"), "status": "Open"}).insert()
    frappe.db.commit()
    try:
        job = frappe.enqueue_doc("RT Note", note.name, "db_set", fieldname="status", value="Closed")
        assert job.wait(WAIT) and job.is_finished
        frappe.db.rollback()
        assert frappe.db.get_value("RT Note", note.name, "status") == "Closed"
    finally:
        frappe.db.rollback()
        frappe.delete_doc("RT Note", note.name, force=True, ignore_permissions=True)
        frappe.db.commit()


def test_max_queued_jobs_raises_queue_overloaded(in_process):
    frappe.local.conf["max_queued_jobs"] = 1
    key = unique()
    blocker = frappe.enqueue(slow_record, queue="short", key=key, seconds=1)
    deadline = time.monotonic() + WAIT
    while blocker.is_queued and time.monotonic() < deadline:
        time.sleep(0.01)
    queued = frappe.enqueue(record, queue="short", key=key)  # waits behind the running blocker
    try:
        assert queued.is_queued
        with pytest.raises(frappe.QueueOverloaded):
            frappe.enqueue(record, queue="short", key=key)
    finally:
        blocker.wait(WAIT)
        queued.wait(WAIT)


# ---------------------------------------------------------------- synchronous mode


def test_synchronous_mode_runs_the_job_when_the_transaction_commits(in_process):
    key = unique()
    frappe.flags.run_jobs_synchronously = True

    job = frappe.enqueue(record, key=key, value="sync")
    assert job.get_status() == "queued"

    frappe.db.commit()

    assert job.is_finished  # done before commit() returned
    assert read(key)["value"] == "sync"


def test_synchronous_mode_drops_the_job_on_rollback(in_process):
    key = unique()
    frappe.local.conf["run_jobs_synchronously"] = 1

    job = frappe.enqueue(record, key=key)
    frappe.db.rollback()
    frappe.db.commit()

    assert job.get_status() == "queued" and read(key) is None


# ---------------------------------------------------------------- RQ with a real worker


@pytest.fixture()
def rq_site(site, tmp_path):
    """The session site on Redis queues under a bench id of its own, plus a sites folder for the
    worker process whose common config points at the same Redis."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")

    bench_id = unique("mgtest")
    sites_path = frappe.local.sites_path
    worker_sites = tmp_path / "sites"
    worker_sites.mkdir()
    os.symlink(os.path.join(sites_path, site), worker_sites / site)
    common = frappe.get_site_config(sites_path)
    common.update(redis_queue=REDIS_URL, bench_id=bench_id)
    (worker_sites / "common_site_config.json").write_text(json.dumps(common))

    frappe.local.conf.update(redis_queue=REDIS_URL, bench_id=bench_id)
    frappe.local.conf.pop("run_jobs_synchronously", None)
    yield frappe._dict(site=site, bench_id=bench_id, sites_path=str(worker_sites), connection=connection)

    # forget the jobs this bench id ran, then every key carrying the bench id
    from rq import Queue
    from rq.job import Job

    for qtype in bj.get_queues_timeout():
        queue = Queue(f"{bench_id}:{qtype}", connection=connection)
        job_ids = set(queue.job_ids)
        for registry in (queue.finished_job_registry, queue.failed_job_registry, queue.started_job_registry):
            job_ids.update(registry.get_job_ids())
        for job in Job.fetch_many(list(job_ids), connection=connection):
            if job is not None:
                job.delete()
    keys = list(connection.scan_iter(match=f"*{bench_id}*"))
    if keys:
        connection.delete(*keys)


def run_worker(rq_site, queue="short"):
    """Run ``medgrid-runtime worker --burst`` in a separate process until the queue is empty."""
    executable = os.path.join(os.path.dirname(sys.executable), "medgrid-runtime")
    command = [executable] if os.path.exists(executable) else [sys.executable, "-m", "medgrid_runtime.cli"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)))
    result = subprocess.run(
        [*command, "--sites-path", rq_site.sites_path, "worker", "--queue", queue, "--burst", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_rq_job_runs_in_a_worker_process(rq_site):
    from rq.job import Job

    key = unique()
    frappe.set_user("rq-user@example.com")

    job = frappe.enqueue(record, queue="short", key=key, value=5)

    assert isinstance(job, Job)
    assert job.origin == f"{rq_site.bench_id}:short"
    assert bj.decode_rq_job_id(job.id).startswith(f"{rq_site.site}::")
    assert job.kwargs["site"] == rq_site.site and job.kwargs["user"] == "rq-user@example.com"

    run_worker(rq_site)

    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == 5
    assert read(key) == {"value": 5, "user": "rq-user@example.com", "site": rq_site.site}


def test_rq_enqueue_after_commit_is_not_queued_before_commit_nor_after_rollback(rq_site):
    queue = bj.get_queue("short")
    key = unique()

    assert frappe.enqueue(record, queue="short", key=key, enqueue_after_commit=True) is None
    assert queue.count == 0
    frappe.db.rollback()
    assert queue.count == 0

    frappe.enqueue(record, queue="short", key=key, value="committed", enqueue_after_commit=True)
    frappe.db.commit()
    assert queue.count == 1

    run_worker(rq_site)
    assert read(key)["value"] == "committed"


def test_rq_jobs_enqueued_after_commit_go_in_one_round_trip(rq_site, monkeypatch):
    """A five-vendor submit queues five jobs at its commit: one Redis pipeline for all of them (RQ takes two
    round trips per job otherwise), on each queue they name, in order; a rollback drops a whole batch."""
    import redis.client

    short, default = bj.get_queue("short"), bj.get_queue("default")
    keys, dropped = [unique() for _ in range(4)], unique()
    frappe.enqueue(record, queue="short", key=dropped, enqueue_after_commit=True)
    frappe.db.rollback()
    for n, key in enumerate(keys):
        frappe.enqueue(record, queue="default" if n == 2 else "short", key=key, value=n, enqueue_after_commit=True)
    pool = short.connection.connection_pool
    round_trips, sent, single = [], redis.client.Pipeline.execute, redis.Redis.execute_command
    monkeypatch.setattr(redis.client.Pipeline, "execute", lambda pipe, *a, **k: (
        round_trips.append("pipeline") if pipe.connection_pool is pool else None) or sent(pipe, *a, **k))
    monkeypatch.setattr(redis.Redis, "execute_command", lambda conn, *a, **k: (
        round_trips.append(a[0]) if conn.connection_pool is pool else None) or single(conn, *a, **k))
    frappe.db.commit()
    monkeypatch.undo()
    assert round_trips == ["pipeline"]
    assert (short.count, default.count) == (3, 1)
    assert [j.kwargs["kwargs"]["key"] for j in short.jobs] == [keys[0], keys[1], keys[3]]

    run_worker(rq_site, "short")
    run_worker(rq_site, "default")
    assert [read(key)["value"] for key in keys] == [0, 1, 2, 3]
    assert read(dropped) is None


def test_rq_max_queued_jobs_counts_the_queue_only_when_set(rq_site, monkeypatch):
    frappe.enqueue(record, queue="short", key=unique())
    lengths = []
    monkeypatch.setattr(bj.Queue, "count", property(lambda q: lengths.append(q.name) or 1))
    frappe.enqueue(record, queue="short", key=unique())
    assert lengths == []  # no limit set: no LLEN round trip
    frappe.local.conf["max_queued_jobs"] = 1
    with pytest.raises(frappe.QueueOverloaded, match=r"Too many queued background jobs \(1\)"):
        frappe.enqueue(record, queue="short", key=unique())
    assert lengths == [f"{rq_site.bench_id}:short"]
    frappe.local.conf.pop("max_queued_jobs")


def test_rq_deduplicates_by_job_id(rq_site):
    key = unique()
    job_id = unique("dedupe")

    first = frappe.enqueue(record, queue="short", key=key, job_id=job_id, deduplicate=True)
    assert bj.is_job_enqueued(job_id)
    assert frappe.enqueue(record, queue="short", key=key, job_id=job_id, deduplicate=True) is None
    assert bj.get_queue("short").count == 1

    run_worker(rq_site)
    assert not bj.is_job_enqueued(job_id) and bj.get_job_status(job_id) == "finished"

    again = frappe.enqueue(record, queue="short", key=key, job_id=job_id, deduplicate=True)
    assert again is not None and again.id == first.id
    assert bj.get_job_status(job_id) == "queued"
    run_worker(rq_site)


def test_rq_failing_job_writes_an_error_log(rq_site):
    key = unique()

    job = frappe.enqueue(fail, queue="short", key=key)
    run_worker(rq_site)

    job.refresh()
    assert job.get_status() == "failed"
    frappe.db.rollback()
    assert frappe.db.get_default(key) is None
    errors = frappe.get_all("Error Log", filters={"method": "fail"}, fields=["error"])
    assert any(f"job failed on purpose: {key}" in e.error for e in errors)


def test_worker_command_needs_redis_queue(site, tmp_path):
    from click.testing import CliRunner

    from medgrid_runtime.cli import cli

    result = CliRunner().invoke(cli, ["--sites-path", str(tmp_path), "worker", "--burst"])
    assert result.exit_code != 0 and "redis_queue" in result.output


def test_rq_job_ids_survive_the_round_trip():
    for job_id in ("site.local::abc", "s::scheduled_job::app.module.fn", "a_b::ü x-1"):
        encoded = bj.encode_rq_job_id(job_id)
        from rq.job import JOB_ID_PATTERN

        assert JOB_ID_PATTERN.fullmatch(encoded)
        assert bj.decode_rq_job_id(encoded) == job_id


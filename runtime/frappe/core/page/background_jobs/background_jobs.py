"""Frappe's "Background Jobs" page data: this site's queued, started and failed jobs (System Manager).

``get_info`` answers Frappe's shape — a list of ``{job_name, status, queue, creation, color}`` with
``exc_info`` (the traceback, paths as a bench prints them) on failed jobs — for RQ queues when the
site has ``redis_queue`` and for the in-process worker otherwise. Only jobs enqueued for this site
are listed: a bench's queues are shared by its sites.
"""

from __future__ import annotations

from datetime import datetime, timezone

import frappe
from frappe import _

JOB_COLORS = {"queued": "orange", "deferred": "orange", "scheduled": "orange", "started": "blue",
              "failed": "red", "finished": "green", "stopped": "gray", "canceled": "gray"}
_STATUSES = ("all", "queued", "started", "failed", "finished")


@frappe.whitelist()
@frappe.read_only()
def get_info(view=None, queue_timeout=None, job_status=None) -> list[dict]:
    """This site's jobs, newest first; ``job_status`` narrows them (queued, started, failed, finished),
    ``queue_timeout`` to one queue type (short, default, long…)."""
    frappe.only_for("System Manager")
    job_status = job_status or "all"
    if job_status not in _STATUSES:
        frappe.throw(_("job_status must be one of {0}").format(", ".join(_STATUSES)), frappe.ValidationError)
    from frappe.utils.background_jobs import _uses_redis, get_queue_list

    queue_types = get_queue_list(queue_timeout) if queue_timeout else get_queue_list()
    jobs = _rq_jobs(queue_types) if _uses_redis() else _in_process_jobs(queue_types)
    if job_status != "all":
        jobs = [j for j in jobs if j["status"] == job_status]
    jobs.sort(key=lambda j: j["creation"] or "", reverse=True)
    return jobs


@frappe.whitelist(methods=["POST"])
def remove_failed_jobs():
    """Forget this site's failed jobs."""
    frappe.only_for("System Manager")
    from frappe.utils.background_jobs import _uses_redis, get_in_process_jobs, get_queue_list

    if _uses_redis():
        for queue in _rq_queues(get_queue_list()):
            registry = queue.failed_job_registry
            for job in _fetch(queue, registry.get_job_ids()):
                if _for_this_site(job):
                    registry.remove(job, delete_job=True)
        return
    for job in get_in_process_jobs():
        if job.is_failed and _for_this_site(job):
            job.delete()


@frappe.whitelist()
@frappe.read_only()
def get_scheduler_status():
    """``[label, indicator colour]`` of the site's scheduler."""
    frappe.only_for("System Manager")
    from frappe.utils.scheduler import is_scheduler_inactive

    if is_scheduler_inactive():
        return [_("Inactive"), "red"]
    return [_("Active"), "green"]


def _for_this_site(job) -> bool:
    return (getattr(job, "kwargs", None) or {}).get("site") == frappe.local.site


def _job_info(job, queue_type: str) -> dict:
    status = job.get_status()
    status = getattr(status, "value", status) or "queued"
    kwargs = job.kwargs or {}
    inner = kwargs.get("kwargs") or {}
    info = {
        "job_name": inner.get("job_type") or str(kwargs.get("job_name") or kwargs.get("method") or job.id),
        "status": status,
        "queue": queue_type,
        "creation": _format(getattr(job, "enqueued_at", None) or getattr(job, "created_at", None)),
        "color": JOB_COLORS.get(status, "gray"),
    }
    if getattr(job, "exc_info", None):
        info["exc_info"] = frappe.relative_traceback(str(job.exc_info))
    return info


def _format(when) -> str | None:
    if not when:
        return None
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        from frappe.utils import convert_utc_to_system_timezone

        try:
            when = convert_utc_to_system_timezone(when)
        except Exception:  # an unknown system zone: keep UTC rather than fail the page
            pass
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return str(when)


def _in_process_jobs(queue_types) -> list[dict]:
    from frappe.utils.background_jobs import get_in_process_jobs

    return [_job_info(job, job.origin) for job in get_in_process_jobs()
            if job.origin in queue_types and _for_this_site(job)]


def _rq_queues(queue_types):
    from frappe.utils.background_jobs import get_queue

    return [get_queue(qtype) for qtype in queue_types]


def _fetch(queue, job_ids):
    from rq.job import Job

    jobs = Job.fetch_many(list(job_ids), connection=queue.connection) if job_ids else []
    return [job for job in jobs if job is not None]


def _rq_jobs(queue_types) -> list[dict]:
    out = []
    for qtype, queue in zip(queue_types, _rq_queues(queue_types)):
        seen = set()
        groups = (queue.job_ids, queue.started_job_registry.get_job_ids(), queue.failed_job_registry.get_job_ids(),
                  queue.finished_job_registry.get_job_ids())
        for ids in groups:
            for job in _fetch(queue, [i for i in ids if i not in seen]):
                seen.add(job.id)
                if _for_this_site(job):
                    out.append(_job_info(job, qtype))
    return out

"""Background jobs inside app tests, the same on a real bench and on the runtime.

``frappe.enqueue`` is replaced for the duration of a test by :class:`JobQueue`: jobs are held (a job
enqueued after commit only once the transaction commits; a rollback drops it, as on a worker) and
run by :meth:`JobQueue.commit`, which commits and then works the queue the way a worker would — each
job followed by its own commit, or a rollback when it raises. So a test reads a settled state after
``jobs.commit()`` without relying on a runtime-only setting.
"""

from __future__ import annotations

from unittest.mock import patch

import frappe


class JobQueue:
    def __init__(self):
        self.pending: list[tuple[str | None, object, dict]] = []
        self.ran: list[str] = []
        self._patch = patch.object(frappe, "enqueue", self.enqueue)

    def start(self) -> JobQueue:
        self._patch.start()
        return self

    def stop(self) -> None:
        self._patch.stop()
        self.pending.clear()

    def enqueue(self, method, queue="default", timeout=None, event=None, is_async=True, job_name=None, now=False,
                enqueue_after_commit=False, *, on_success=None, on_failure=None, at_front=False, job_id=None,
                deduplicate=False, **kwargs):
        if now or not is_async:
            return frappe.call(method, **kwargs) if isinstance(method, str) else method(**kwargs)
        job = (job_id, method, kwargs)
        if enqueue_after_commit:
            frappe.db.after_commit.add(lambda: self._add(job, deduplicate))
        else:
            self._add(job, deduplicate)
        return None

    def _add(self, job, deduplicate):
        job_id = job[0]
        if deduplicate and job_id and any(pending[0] == job_id for pending in self.pending):
            return
        self.pending.append(job)

    def commit(self) -> None:
        """Commit, then run every queued job (and the jobs those enqueue) to the end."""
        frappe.db.commit()
        while self.pending:
            _job_id, method, kwargs = self.pending.pop(0)
            name = method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"
            try:
                frappe.get_attr(method)(**kwargs) if isinstance(method, str) else method(**kwargs)
                frappe.db.commit()
            except Exception:
                frappe.db.rollback()
                frappe.log_error(title=f"Job {name} failed")
                frappe.db.commit()
            self.ran.append(name)

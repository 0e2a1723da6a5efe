"""Background jobs: ``frappe.enqueue`` and the worker side (Frappe v15's ``frappe.utils.background_jobs``).

How a job runs is decided per call, in this order:

1. ``now=True`` — or ``is_async=False`` outside tests — calls the method right away through
   ``frappe.call`` and returns its result (Frappe prints a deprecation note for the second form).
2. ``is_async=False`` while ``frappe.flags.in_test`` — runs :func:`execute_job` at once in the
   caller's own context (no init/destroy; it commits the caller's transaction), as RQ's synchronous
   queue does in Frappe's tests. A failure is logged and recorded on the returned job, not raised.
3. **Synchronous-after-commit mode** (runtime only; not in Frappe): when ``frappe.flags.run_jobs_synchronously``
   or the site/common config key ``run_jobs_synchronously`` is truthy, each job runs when the
   caller's transaction commits, in its own site context (a fresh ``frappe.init``/``connect`` on a
   helper thread the caller waits for). A rollback drops it — also when ``enqueue_after_commit``
   is False, which is the one difference from real workers. Meant for tests and scripts that want
   jobs done before the next line runs.
4. ``redis_queue`` configured — RQ on Redis. Queue names are ``<bench_id>:<queue>`` (``bench_id``
   from config, else derived from the sites path); workers are ``medgrid-runtime worker``
   (:func:`start_worker`). Returns the ``rq.job.Job``.
5. Otherwise — the **in-process worker**: one daemon thread per queue in this process runs jobs in
   FIFO order, each in its own ``frappe.init``/``connect`` context exactly like
   :func:`execute_job` in an RQ worker. Returns an :class:`InProcessJob`. Timeouts are not
   enforced (a thread cannot be killed); jobs still queued when the process exits are waited for
   up to 60 s, then lost — keep the work itself in the database so a sweep can redo it.

In every mode a job enqueued inside a transaction without ``enqueue_after_commit`` is queued at
once (it may run before the caller commits, as in Frappe); with ``enqueue_after_commit=True`` it is
handed over from ``frappe.db.after_commit`` and never queued if the transaction rolls back.
"""

from __future__ import annotations

import atexit
import collections
import os
import socket
import sys
import threading
import time
import traceback
import warnings
from datetime import datetime, timezone
from typing import Any, Callable
from uuid import uuid4

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Callback, Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

import frappe
from frappe import _
from frappe.utils import get_bench_id

RQ_JOB_FAILURE_TTL = 7 * 24 * 60 * 60  # failed jobs are kept 7 days
RQ_FAILED_JOBS_LIMIT = 1000
RQ_RESULTS_TTL = 10 * 60  # results are kept 10 minutes

DEFAULT_TIMEOUT = 300
IN_PROCESS_EXIT_WAIT = 60  # seconds the process waits at exit for in-process jobs still queued

# Set by start_worker(): where the sites of this RQ worker live.
_worker_sites_path: str | None = None
# Per-thread: the sites path the in-process worker runs the current job against.
_thread_state = threading.local()

_redis_connections: dict[str, redis.Redis] = {}
_redis_lock = threading.Lock()


# ---------------------------------------------------------------------- configuration


def _conf() -> dict:
    """The current site's config, or the common config when no site is initialised."""
    conf = getattr(frappe.local, "conf", None)
    if conf is not None:
        return conf
    return frappe.get_site_config()


def get_queues_timeout() -> dict[str, int]:
    """Queue name → default timeout: short/default 300 s, long 1500 s, plus ``workers`` from config."""
    custom = _conf().get("workers") or {}
    return {
        "short": DEFAULT_TIMEOUT,
        "default": DEFAULT_TIMEOUT,
        "long": 1500,
        **{name: (cfg or {}).get("timeout", DEFAULT_TIMEOUT) for name, cfg in custom.items()},
    }


def generate_qname(qtype) -> str:
    """RQ queue name for a queue type: ``<bench_id>:<qtype>`` (a list is joined with commas)."""
    if isinstance(qtype, (list, tuple)):
        qtype = ",".join(qtype)
    return f"{get_bench_id()}:{qtype}"


def validate_queue(queue: str, default_queue_list=None) -> None:
    """Throw unless ``queue`` is one of the configured queues."""
    if not default_queue_list:
        default_queue_list = list(get_queues_timeout())
    if queue not in default_queue_list:
        frappe.throw(_("Queue should be one of {0}").format(", ".join(default_queue_list)))


def get_queue_list(queue_list=None, build_queue_name: bool = False) -> list[str]:
    """The configured queue types (or the validated ``queue_list``), optionally as RQ queue names."""
    default_queue_list = list(get_queues_timeout())
    if queue_list:
        if isinstance(queue_list, str):
            queue_list = [queue_list]
        for queue in queue_list:
            validate_queue(queue, default_queue_list)
    else:
        queue_list = default_queue_list
    return [generate_qname(q) for q in queue_list] if build_queue_name else list(queue_list)


def _cint(value) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _uses_redis() -> bool:
    return bool(_conf().get("redis_queue"))


def _runs_synchronously() -> bool:
    flags = getattr(frappe.local, "flags", None) or {}
    return bool(flags.get("run_jobs_synchronously") or _conf().get("run_jobs_synchronously"))


def _in_test() -> bool:
    flags = getattr(frappe.local, "flags", None) or {}
    return bool(flags.get("in_test"))


# ---------------------------------------------------------------------- job ids


def create_job_id(job_id: str | None = None) -> str:
    """Namespace a job id to the site: ``<site>::<job_id>`` (a random uuid when none is given)."""
    if not job_id:
        job_id = str(uuid4())
    return f"{frappe.local.site}::{job_id}"


def encode_rq_job_id(job_id: str) -> str:
    """The RQ id for a Frappe job id. RQ 2+ only accepts ``[A-Za-z0-9_-]`` (``:`` separates execution
    ids), so every other byte — and ``_`` itself — is written as ``_xx`` (hex): ``site.local::x``
    becomes ``site_2elocal_3a_3ax``. :func:`decode_rq_job_id` reverses it."""
    out = []
    for byte in job_id.encode():
        char = chr(byte)
        out.append(char if (char.isascii() and (char.isalnum() or char == "-")) else f"_{byte:02x}")
    return "".join(out)


def decode_rq_job_id(rq_job_id: str) -> str:
    """The Frappe job id (``<site>::<job_id>``) behind an RQ id made by :func:`encode_rq_job_id`."""
    raw = bytearray()
    i = 0
    while i < len(rq_job_id):
        if rq_job_id[i] == "_" and i + 3 <= len(rq_job_id):
            raw.append(int(rq_job_id[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.extend(rq_job_id[i].encode())
            i += 1
    return raw.decode()


def get_job(job_id: str):
    """The job enqueued with ``job_id`` for this site (RQ ``Job`` or :class:`InProcessJob`), or None."""
    full_id = create_job_id(job_id)
    if _uses_redis() and not _runs_synchronously():
        try:
            return Job.fetch(encode_rq_job_id(full_id), connection=get_redis_conn())
        except NoSuchJobError:
            return None
    return _registry.get(full_id)


def get_job_status(job_id: str):
    """Status (``rq.job.JobStatus``) of the job enqueued with ``job_id``, or None if unknown."""
    job = get_job(job_id)
    return job.get_status() if job else None


def is_job_enqueued(job_id: str) -> bool:
    """True while the job enqueued with ``job_id`` is queued or running."""
    return get_job_status(job_id) in (JobStatus.QUEUED, JobStatus.STARTED)


# ---------------------------------------------------------------------- enqueue


def enqueue(
    method: str | Callable,
    queue: str = "default",
    timeout: int | None = None,
    event=None,
    is_async: bool = True,
    job_name: str | None = None,
    now: bool = False,
    enqueue_after_commit: bool = False,
    *,
    on_success: Callable | None = None,
    on_failure: Callable | None = None,
    at_front: bool = False,
    job_id: str | None = None,
    deduplicate: bool = False,
    **kwargs,
):
    """Run ``method(**kwargs)`` in the background (see the module docstring for the modes).

    :param method: dotted path or callable.
    :param queue: ``short``, ``default``, ``long`` or a queue from config ``workers``.
    :param timeout: seconds (default: the queue's timeout).
    :param event: kept with the job, as in Frappe.
    :param is_async: False runs at once (inline in tests; via ``frappe.call`` otherwise).
    :param job_name: deprecated name of the job (defaults to the method).
    :param now: run at once through ``frappe.call`` and return the method's result.
    :param enqueue_after_commit: hand the job over only when the transaction commits; returns None.
    :param on_success: ``fn(job, connection, result)`` after success.
    :param on_failure: ``fn(job, connection, type, value, traceback)`` after failure.
    :param at_front: put the job at the head of its queue.
    :param job_id: id checked by :func:`is_job_enqueued`; stored as ``<site>::<job_id>``.
    :param deduplicate: with ``job_id``, do nothing (return None) while that job is queued or running.
    :return: the job (RQ ``Job`` or :class:`InProcessJob`), None when deferred or deduplicated, or the
        method's result with ``now=True``.
    """
    is_async = kwargs.pop("async", is_async)

    if deduplicate:
        if not job_id:
            frappe.throw(_("`job_id` paramater is required for deduplication."))
        existing = get_job(job_id)
        if existing and existing.get_status() in (JobStatus.QUEUED, JobStatus.STARTED):
            frappe.logger().debug(f"Not queueing job {existing.id} because it is in queue already")
            return None
        if existing:
            existing.delete()

    full_job_id = create_job_id(job_id)

    if job_name:
        warnings.warn("Using enqueue with `job_name` is deprecated, use `job_id` instead.", DeprecationWarning, stacklevel=2)
    if not is_async and not _in_test():
        warnings.warn(
            "Using enqueue with is_async=False outside of tests is not recommended, use now=True instead.",
            DeprecationWarning,
            stacklevel=2,
        )

    if now or (not is_async and not _in_test()):
        return frappe.call(method, **kwargs)

    validate_queue(queue)
    if not timeout:
        timeout = get_queues_timeout().get(queue) or DEFAULT_TIMEOUT

    queue_args = {
        "site": frappe.local.site,
        "user": frappe.session.user,
        "method": method,
        "event": event,
        "job_name": job_name or str(method),
        "is_async": is_async,
        "kwargs": kwargs,
    }
    sites_path = frappe.local.sites_path

    if not is_async:
        # Tests: run now in the caller's context, like RQ's synchronous queue.
        job = InProcessJob(full_job_id, queue, queue_args, on_success=on_success, on_failure=on_failure)
        _registry.add(job)
        _perform(job, sites_path=None)
        return job

    if _runs_synchronously():
        return _enqueue_synchronously(queue, queue_args, full_job_id, sites_path, on_success, on_failure, enqueue_after_commit)

    if _uses_redis():
        return _enqueue_to_rq(
            method, queue, timeout, queue_args, full_job_id, sites_path, on_success, on_failure, at_front, enqueue_after_commit, kwargs
        )

    return _enqueue_in_process(queue, queue_args, full_job_id, sites_path, on_success, on_failure, at_front, enqueue_after_commit)


def _after_commit_or_now(fn: Callable[[], Any], defer: bool):
    """Run ``fn`` now, or from ``frappe.db.after_commit`` when ``defer`` and a DB is connected."""
    db = getattr(frappe.local, "db", None)
    if defer and db is not None:
        db.after_commit.add(fn)
        return None
    return fn()


def _check_queue_size(count: Callable[[], int]) -> None:
    limit = _cint(_conf().get("max_queued_jobs"))
    if not limit:
        return  # the queue is counted (a round trip to Redis) only where a limit is set
    queued = count()
    if queued >= limit:
        raise frappe.QueueOverloaded(
            _("Too many queued background jobs ({0}). Please retry after some time.").format(queued)
        )


def _enqueue_to_rq(method, queue, timeout, queue_args, job_id, sites_path, on_success, on_failure, at_front, defer, kwargs):
    try:
        q = get_queue(queue)
        _check_queue_size(lambda: q.count)
    except RedisConnectionError:
        if frappe.flags.in_migrate:
            print(f"Redis queue is unreachable: Executing {method} synchronously")
            return frappe.call(method, **kwargs)
        raise

    def enqueue_call(pipeline=None):
        return q.enqueue_call(
            execute_job,
            on_success=Callback(func=on_success) if on_success else None,
            on_failure=Callback(func=on_failure or truncate_failed_registry),
            timeout=timeout,
            kwargs=queue_args,
            at_front=at_front,
            failure_ttl=_conf().get("rq_job_failure_ttl") or RQ_JOB_FAILURE_TTL,
            result_ttl=_conf().get("rq_results_ttl") or RQ_RESULTS_TTL,
            job_id=encode_rq_job_id(job_id),
            meta={"sites_path": sites_path, "job_id": job_id},
            pipeline=pipeline,
        )

    db = getattr(frappe.local, "db", None)
    if defer and db is not None:
        _jobs_for_commit(db, q.connection).append(enqueue_call)
        return None
    return enqueue_call()


def _jobs_for_commit(db, connection) -> list:
    """The RQ enqueues this transaction defers to its commit: sent together, in one Redis pipeline (RQ
    takes two round trips per job otherwise; a five-vendor order queues five). A rollback drops them
    with the transaction's other after-commit callbacks."""
    batches = vars(db).setdefault("_rq_jobs_for_commit", {})
    key = (db.transaction_serial, id(connection))
    if key not in batches:
        for ended in [k for k in batches if k[0] != db.transaction_serial]:
            del batches[ended]  # of an ended transaction: sent, or dropped by its rollback
        batch = batches[key] = []

        def send():
            pipe = connection.pipeline()
            for enqueue_call in batch:
                enqueue_call(pipe)
            pipe.execute()

        db.after_commit.add(send)
    return batches[key]


def _enqueue_in_process(queue, queue_args, job_id, sites_path, on_success, on_failure, at_front, defer):
    _check_queue_size(lambda: _pool.queued_count(queue))
    job = InProcessJob(job_id, queue, queue_args, on_success=on_success, on_failure=on_failure)

    def push():
        _registry.add(job)
        _pool.submit(job, sites_path, at_front=at_front)
        return job

    return _after_commit_or_now(push, defer)


def _enqueue_synchronously(queue, queue_args, job_id, sites_path, on_success, on_failure, defer):
    job = InProcessJob(job_id, queue, queue_args, on_success=on_success, on_failure=on_failure)

    def run():
        _registry.add(job)
        _run_isolated(job, sites_path)
        return job

    _after_commit_or_now(run, defer=True)
    return None if defer else job


def enqueue_doc(doctype, name=None, method=None, queue="default", timeout=300, now=False, **kwargs):
    """Run ``frappe.get_doc(doctype, name).<method>(**kwargs)`` in the background."""
    return enqueue(
        "frappe.utils.background_jobs.run_doc_method",
        doctype=doctype,
        name=name,
        doc_method=method,
        queue=queue,
        timeout=timeout,
        now=now,
        **kwargs,
    )


def run_doc_method(doctype, name, doc_method, **kwargs):
    """Job body of :func:`enqueue_doc`."""
    getattr(frappe.get_doc(doctype, name), doc_method)(**kwargs)


# ---------------------------------------------------------------------- executing a job


class _AfterJob:
    """Callables to run once the job is done (``frappe.local.job.after_job.add(fn)``)."""

    def __init__(self):
        self._functions: list[Callable] = []

    def add(self, func: Callable) -> None:
        self._functions.append(func)

    def run(self) -> None:
        while self._functions:
            self._functions.pop(0)()

    def reset(self) -> None:
        self._functions.clear()


def _job_sites_path() -> str | None:
    """Where the job's site lives: the in-process worker's path, the RQ worker's, the job's meta."""
    path = getattr(_thread_state, "sites_path", None) or _worker_sites_path
    if path:
        return path
    try:
        from rq import get_current_job

        current = get_current_job()
    except Exception:
        current = None
    if current is not None:
        return (current.meta or {}).get("sites_path")
    return None


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (frappe.RetryBackgroundJobError, frappe.QueryDeadlockError, frappe.QueryTimeoutError)):
        return True
    db = getattr(frappe.local, "db", None)
    if db is None:
        return False
    try:
        return bool(db.is_deadlocked(exc) or db.is_timedout(exc))
    except Exception:
        return False


def execute_job(site, method, event, job_name, kwargs, user=None, is_async=True, retry=0):
    """Run one job the way a worker does, and return the method's result.

    With ``is_async`` it opens its own site context (``frappe.init`` + ``connect``, then
    ``set_user(user)``) and destroys it at the end. It runs the ``before_job`` hooks, calls the
    method and commits. A deadlock, lock timeout or ``RetryBackgroundJobError`` rolls back and
    retries (up to 5 times, sleeping ``retry + 1`` s). Any other exception rolls back, writes an
    Error Log (titled with the method), commits that, prints the traceback and re-raises. The
    ``after_job`` hooks and ``frappe.local.job.after_job`` callbacks run last.
    """
    retval = None
    if is_async:
        try:
            frappe.init(site, sites_path=_job_sites_path())
            frappe.connect()
        except BaseException:
            frappe.destroy()
            raise
        if os.environ.get("CI"):
            frappe.flags.in_test = True
        if user:
            frappe.set_user(user)

    method_name = method if isinstance(method, str) else str(getattr(method, "__name__", method))
    frappe.local.job = frappe._dict(
        site=site, method=method_name, job_name=job_name, kwargs=kwargs, user=user, after_job=_AfterJob()
    )
    retry_job = False
    try:
        for before_job_task in frappe.get_hooks("before_job"):
            frappe.call(before_job_task, method=method_name, kwargs=kwargs, transaction_type="job")
        fn = frappe.get_attr(method) if isinstance(method, str) else method
        retval = fn(**kwargs)
    except Exception as e:
        frappe.db.rollback()
        if retry < 5 and _is_retryable(e):
            retry_job = True
        else:
            frappe.log_error(title=method_name)
            frappe.db.commit()
            print(frappe.get_traceback())
            raise
    else:
        frappe.db.commit()
    finally:
        try:
            if not retry_job:
                for after_job_task in frappe.get_hooks("after_job"):
                    frappe.call(after_job_task, method=method_name, kwargs=kwargs, result=retval)
                frappe.local.job.after_job.run()
        finally:
            if is_async:
                frappe.destroy()

    if retry_job:
        time.sleep(retry + 1)
        return execute_job(site, method, event, job_name, kwargs, user=user, is_async=is_async, retry=retry + 1)
    return retval


# ---------------------------------------------------------------------- in-process jobs


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class InProcessJob:
    """A job run by the in-process worker; mirrors the parts of ``rq.job.Job`` callers use
    (``id``, ``kwargs``, ``origin``, ``get_status()``, ``is_finished``, ``return_value()``,
    ``exc_info``, ``delete()``)."""

    func_name = "frappe.utils.background_jobs.execute_job"

    def __init__(self, job_id, queue, queue_args, *, on_success=None, on_failure=None):
        self.id = job_id
        self.origin = queue
        self.kwargs = queue_args
        self.args = ()
        self.meta: dict = {}
        self.on_success = on_success
        self.on_failure = on_failure
        self.enqueued_at = _utcnow()
        self.started_at = None
        self.ended_at = None
        self.result = None
        self.exc_info: str | None = None
        self._status = JobStatus.QUEUED
        self._done = threading.Event()

    @property
    def description(self) -> str:
        return f"{self.func_name}({self.kwargs.get('job_name')})"

    def get_status(self, refresh: bool = True):
        """The job's ``rq.job.JobStatus``."""
        return self._status

    def set_status(self, status) -> None:
        self._status = status

    @property
    def is_queued(self) -> bool:
        return self._status == JobStatus.QUEUED

    @property
    def is_started(self) -> bool:
        return self._status == JobStatus.STARTED

    @property
    def is_finished(self) -> bool:
        return self._status == JobStatus.FINISHED

    @property
    def is_failed(self) -> bool:
        return self._status == JobStatus.FAILED

    def return_value(self, refresh: bool = False):
        """The method's result once finished."""
        return self.result

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished or failed; False on timeout."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop a queued job from running."""
        if self._status == JobStatus.QUEUED:
            self._status = JobStatus.CANCELED
            self._done.set()

    def delete(self, **kwargs) -> None:
        """Forget the job (a queued one is cancelled first)."""
        self.cancel()
        _registry.remove(self.id)

    def __repr__(self):
        return f"<InProcessJob {self.id} {self._status.value}>"


class _JobRegistry:
    """Jobs by id, kept while queued/running and for a while after (results 10 min, failures 7 days)."""

    def __init__(self):
        self._jobs: dict[str, InProcessJob] = {}
        self._lock = threading.Lock()

    def add(self, job: InProcessJob) -> None:
        with self._lock:
            self._prune()
            self._jobs[job.id] = job

    def get(self, job_id: str):
        with self._lock:
            return self._jobs.get(job_id)

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def jobs(self) -> list[InProcessJob]:
        with self._lock:
            return list(self._jobs.values())

    def _prune(self) -> None:
        now = _utcnow()
        failed = []
        for job_id, job in list(self._jobs.items()):
            if job.ended_at is None:
                continue
            age = (now - job.ended_at).total_seconds()
            if job.is_failed:
                failed.append(job)
                if age > RQ_JOB_FAILURE_TTL:
                    self._jobs.pop(job_id, None)
            elif age > RQ_RESULTS_TTL:
                self._jobs.pop(job_id, None)
        if len(failed) > RQ_FAILED_JOBS_LIMIT:
            failed.sort(key=lambda j: j.ended_at)
            for job in failed[: len(failed) - RQ_FAILED_JOBS_LIMIT]:
                self._jobs.pop(job.id, None)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()


def _call_callback(callback, *args) -> None:
    if not callback:
        return
    try:
        fn = frappe.get_attr(callback) if isinstance(callback, str) else callback
        fn(*args)
    except Exception:
        traceback.print_exc()


def _perform(job: InProcessJob, sites_path: str | None) -> None:
    """Run an in-process job through execute_job and record the outcome on it (never raises)."""
    if job.get_status() == JobStatus.CANCELED:
        return
    job.set_status(JobStatus.STARTED)
    job.started_at = _utcnow()
    _thread_state.sites_path = sites_path
    try:
        job.result = execute_job(**job.kwargs)
    except Exception:
        job.exc_info = traceback.format_exc()
        job.ended_at = _utcnow()
        job.set_status(JobStatus.FAILED)
        _call_callback(job.on_failure, job, None, *sys.exc_info())
    else:
        job.ended_at = _utcnow()
        job.set_status(JobStatus.FINISHED)
        _call_callback(job.on_success, job, None, job.result)
    finally:
        _thread_state.sites_path = None
        job._done.set()


def _run_isolated(job: InProcessJob, sites_path: str) -> None:
    """Run a job in a fresh site context on a helper thread and wait for it (synchronous mode)."""
    runner = threading.Thread(target=_perform, args=(job, sites_path), name=f"job-{job.id}", daemon=True)
    runner.start()
    runner.join()


class _InProcessPool:
    """One daemon thread per queue type, each taking jobs from its own FIFO."""

    def __init__(self):
        self._init_state()

    def _init_state(self) -> None:
        self._cond = threading.Condition()
        self._queues: dict[str, collections.deque] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._pending = 0  # queued + running, over all queues

    def submit(self, job: InProcessJob, sites_path: str, at_front: bool = False) -> None:
        with self._cond:
            items = self._queues.setdefault(job.origin, collections.deque())
            if at_front:
                items.appendleft((job, sites_path))
            else:
                items.append((job, sites_path))
            self._pending += 1
            thread = self._threads.get(job.origin)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(
                    target=self._work, args=(job.origin,), name=f"medgrid-jobs-{job.origin}", daemon=True
                )
                self._threads[job.origin] = thread
                thread.start()
            self._cond.notify_all()

    def _work(self, queue: str) -> None:
        while True:
            with self._cond:
                while not self._queues.get(queue):
                    self._cond.wait()
                job, sites_path = self._queues[queue].popleft()
            try:
                _perform(job, sites_path)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def queued_count(self, queue: str) -> int:
        with self._cond:
            return len(self._queues.get(queue) or ())

    def queued_jobs(self, queue: str) -> list[InProcessJob]:
        with self._cond:
            return [job for job, _path in self._queues.get(queue) or ()]

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def pending(self) -> int:
        with self._cond:
            return self._pending

    def reset_after_fork(self) -> None:
        # Threads do not survive fork(); jobs queued before it belong to the parent.
        self._init_state()


_registry = _JobRegistry()
_pool = _InProcessPool()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.reset_after_fork)


def wait_for_in_process_jobs(timeout: float | None = None) -> bool:
    """Block until the in-process worker has no queued or running job (runtime only; for tests,
    scripts and shutdown). Returns False if ``timeout`` seconds passed first."""
    return _pool.wait(timeout)


def get_in_process_jobs() -> list[InProcessJob]:
    """Every in-process job still remembered by this process (runtime only)."""
    return _registry.jobs()


@atexit.register
def _drain_at_exit() -> None:
    if _pool.pending():
        _pool.wait(IN_PROCESS_EXIT_WAIT)


class InProcessQueue:
    """What :func:`get_queue` returns without Redis: a read-only view of one in-process queue."""

    def __init__(self, qtype: str):
        self.qtype = qtype
        self.name = generate_qname(qtype)

    @property
    def jobs(self) -> list[InProcessJob]:
        return _pool.queued_jobs(self.qtype)

    @property
    def job_ids(self) -> list[str]:
        return [job.id for job in self.jobs]

    @property
    def count(self) -> int:
        return _pool.queued_count(self.qtype)

    def is_empty(self) -> bool:
        return self.count == 0

    def __len__(self):
        return self.count


# ---------------------------------------------------------------------- RQ plumbing


def get_redis_conn(username=None, password=None) -> redis.Redis:
    """The Redis connection for queues (config ``redis_queue``); one per URL and process."""
    conf = getattr(frappe.local, "conf", None)
    if conf is None:
        raise Exception("You need to call frappe.init")
    url = conf.get("redis_queue")
    if not url:
        raise Exception("redis_queue missing in common_site_config.json")
    if username:
        return redis.Redis.from_url(url, username=username, password=password)
    conn = _redis_connections.get(url)
    if conn is None:
        with _redis_lock:
            conn = _redis_connections.get(url)
            if conn is None:
                conn = redis.Redis.from_url(url)
                _redis_connections[url] = conn
    return conn


def get_queue(qtype: str, is_async: bool = True):
    """The queue ``qtype``: an ``rq.Queue`` named ``<bench_id>:<qtype>`` with Redis, else an
    :class:`InProcessQueue` view."""
    validate_queue(qtype)
    if _uses_redis():
        return Queue(generate_qname(qtype), connection=get_redis_conn(), is_async=is_async)
    return InProcessQueue(qtype)


def get_queues(connection=None) -> list:
    """Every queue of this installation."""
    if _uses_redis():
        queues = Queue.all(connection=connection or get_redis_conn())
        return [q for q in queues if is_queue_accessible(q)]
    return [InProcessQueue(q) for q in get_queue_list()]


def is_queue_accessible(qobj) -> bool:
    """True when the queue belongs to this installation (its name carries our bench id)."""
    return qobj.name in [generate_qname(q) for q in get_queues_timeout()]


def get_workers(queue=None) -> list:
    """RQ workers listening on ``queue`` (or all of them)."""
    if queue is not None:
        return Worker.all(queue=queue)
    return Worker.all(connection=get_redis_conn())


def get_running_jobs_in_queue(queue) -> list:
    """Jobs the RQ workers of ``queue`` are running right now."""
    jobs = []
    for worker in get_workers(queue):
        current = worker.get_current_job()
        if current:
            jobs.append(current)
    return jobs


def get_jobs(site=None, queue=None, key="method") -> dict[str, list]:
    """Queued and running jobs per site: ``{site: [job.kwargs[key] or job.kwargs['kwargs'][key], …]}``."""
    jobs_per_site = collections.defaultdict(list)
    for qtype in get_queue_list(queue):
        q = get_queue(qtype)
        if isinstance(q, InProcessQueue):
            jobs = [j for j in _registry.jobs() if j.origin == qtype and j.get_status() in (JobStatus.QUEUED, JobStatus.STARTED)]
        else:
            jobs = q.jobs + get_running_jobs_in_queue(q)
        for job in jobs:
            job_kwargs = job.kwargs or {}
            job_site = job_kwargs.get("site")
            if not job_site or (site is not None and job_site != site):
                continue
            if key in job_kwargs:
                jobs_per_site[job_site].append(job_kwargs[key])
            elif key in (job_kwargs.get("kwargs") or {}):
                jobs_per_site[job_site].append(job_kwargs["kwargs"][key])
    return jobs_per_site


def truncate_failed_registry(job, connection, type, value, traceback):
    """Default RQ failure callback: keep at most ``rq_failed_jobs_limit`` (1000) failed jobs per queue."""
    limit = RQ_FAILED_JOBS_LIMIT
    try:
        site = (job.kwargs or {}).get("site")
        sites_path = _worker_sites_path or (job.meta or {}).get("sites_path")
        if site and sites_path:
            conf = frappe.get_site_config(sites_path, os.path.join(sites_path, site))
            limit = _cint(conf.get("rq_failed_jobs_limit")) or RQ_FAILED_JOBS_LIMIT
    except Exception:
        pass
    registry = Queue(job.origin, connection=connection).failed_job_registry
    extra = registry.get_job_ids()[limit - 1 :]
    for job_id in extra:
        try:
            registry.remove(job_id, delete_job=True)
        except Exception:
            pass


def get_worker_name(queue) -> str | None:
    """Worker name ``<uuid>.<host>.<pid>.<queue>`` when limited to queues (RQ's default otherwise)."""
    if not queue:
        return None
    return f"{uuid4().hex}.{socket.gethostname()}.{os.getpid()}.{queue}"


class PreloadingWorker(Worker):
    """RQ's worker, refreshing the preloaded Metas in the parent before it forks a job's work-horse."""

    def execute_job(self, job, queue):
        from frappe.utils import worker_preload

        worker_preload.refresh(_worker_sites_path or frappe.get_sites_path())
        return super().execute_job(job, queue)


def start_worker(
    queue: str | None = None,
    quiet: bool = False,
    rq_username: str | None = None,
    rq_password: str | None = None,
    burst: bool = False,
    strategy=None,
    *,
    sites_path: str | None = None,
):
    """Run an RQ worker on the configured queues (all, or the comma-separated ``queue``).

    Reads ``redis_queue`` from ``common_site_config.json`` under ``sites_path`` (default
    ``frappe.get_sites_path()``). ``burst`` exits once the queues are empty. Each job runs in a
    forked work-horse through :func:`execute_job`."""
    from rq.worker import DequeueStrategy

    global _worker_sites_path
    sites_path = os.path.abspath(sites_path or frappe.get_sites_path())
    _worker_sites_path = sites_path

    frappe.init("", sites_path=sites_path)
    try:
        redis_connection = get_redis_conn(username=rq_username, password=rq_password)
        queue_list = [q.strip() for q in queue.split(",")] if queue else None
        queues = get_queue_list(queue_list, build_queue_name=True)
        worker_name = get_worker_name(generate_qname(queue_list)) if queue_list else None
    finally:
        frappe.destroy()

    # build once here what every forked job needs (frappe.utils.worker_preload)
    from frappe.utils import worker_preload

    for done in worker_preload.preload(sites_path):
        if not quiet:
            print(f"preloaded {done['site']}: {done['modules']} modules, {done['metas']} Metas in {done['seconds']} s")
    worker = PreloadingWorker(queues, name=worker_name, connection=redis_connection)
    return worker.work(
        logging_level="WARNING" if quiet else "INFO",
        burst=burst,
        date_format="%Y-%m-%d %H:%M:%S",
        log_format="%(asctime)s,%(msecs)03d %(message)s",
        dequeue_strategy=DequeueStrategy(strategy) if strategy else DequeueStrategy.DEFAULT,
    )


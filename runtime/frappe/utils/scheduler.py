"""The scheduler: ``scheduler_events`` hooks → Scheduled Job Type records → background jobs.

Frappe v15 splits this between ``frappe.utils.scheduler`` (the process loop, the on/off switches)
and the Scheduled Job Type controller (when a job is due, enqueueing, running and logging it). The
runtime keeps the per-job-type logic here as functions taking the document, so the doctype's
controller can stay a thin shell that delegates to them:

* :func:`sync_jobs` — called by install and migrate — writes one Scheduled Job Type per hooked
  method: name = the last two segments of the dotted path, frequency = the hook key title-cased
  (``daily_long`` → "Daily Long"), cron entries → frequency "Cron" + ``cron_format``; records whose
  method left the hooks are deleted.
* :func:`start_scheduler` wakes every ``scheduler_tick_interval`` seconds (config, default 60) and,
  for every site whose scheduler is active, enqueues each non-stopped job type that is due (the
  next cron time after ``last_execution`` is not in the future) and not already queued (job id
  ``scheduled_job::<method>``, deduplicated). Queue ``long`` for "Long"/"Maintenance" frequencies,
  ``default`` otherwise. Jobs run as Administrator; every frequency but "All" writes a Scheduled
  Job Log.

The runtime does not skip dormant sites (Frappe checks Activity Log; there is none here).
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import datetime

import click
from croniter import croniter

import frappe

JOB_TYPE = "Scheduled Job Type"
JOB_LOG = "Scheduled Job Log"
RUN_SCHEDULED_JOB = "frappe.utils.scheduler.run_scheduled_job"

CRON_MAP = {
    "Yearly": "0 0 1 1 *",
    "Annual": "0 0 1 1 *",
    "Monthly": "0 0 1 * *",
    "Monthly Long": "0 0 1 * *",
    "Weekly": "0 0 * * 0",
    "Weekly Long": "0 0 * * 0",
    "Daily": "0 0 * * *",
    "Daily Long": "0 0 * * *",
    "Daily Maintenance": "0 0 * * *",
    "Hourly": "0 * * * *",
    "Hourly Long": "0 * * * *",
    "Hourly Maintenance": "0 * * * *",
}

# Before any run, a job counts as last run at this instant, so it is due at once.
NEVER_RUN = datetime(2000, 1, 1)


def _now() -> datetime:
    from frappe.utils import now_datetime

    return now_datetime()


def _to_datetime(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    from frappe.utils import get_datetime

    return get_datetime(value)


def cprint(*args, **kwargs) -> None:
    """Print only when attached to a terminal (scheduler notices stay out of logs and tests)."""
    try:
        os.get_terminal_size()
    except OSError:
        return
    print(*args, **kwargs)


# ---------------------------------------------------------------------- one job type


def get_cron_format(job_type) -> str:
    """The cron expression a job type follows (its own for "Cron", else from its frequency)."""
    if job_type.get("cron_format"):
        return job_type.cron_format
    if job_type.frequency == "All":
        interval = frappe.utils.cint(frappe.conf.get("scheduler_interval")) or 240
        return f"*/{max(interval // 60, 1)} * * * *"
    return CRON_MAP[job_type.frequency]


def get_next_execution(job_type) -> datetime:
    """The first cron time after the job type's ``last_execution`` (or after 2000-01-01)."""
    last = _to_datetime(job_type.get("last_execution")) or NEVER_RUN
    return croniter(get_cron_format(job_type), last).get_next(datetime)


def is_event_due(job_type, current_time: datetime | None = None) -> bool:
    """True when the next execution is at or before ``current_time`` (default: now)."""
    return get_next_execution(job_type) <= (current_time or _now())


def get_rq_job_id(job_type) -> str:
    """The job id that keeps a job type queued at most once: ``scheduled_job::<method>``."""
    return f"scheduled_job::{job_type.method}"


def get_queue_name(job_type) -> str:
    """``long`` for "… Long" and "… Maintenance" frequencies, ``default`` otherwise."""
    frequency = job_type.frequency or ""
    return "long" if ("Long" in frequency or "Maintenance" in frequency) else "default"


def is_job_in_queue(job_type) -> bool:
    """True while this job type's run is queued or running."""
    from frappe.utils.background_jobs import is_job_enqueued

    return is_job_enqueued(get_rq_job_id(job_type))


def enqueue_job_type(job_type, force: bool = False, current_time: datetime | None = None) -> bool:
    """Enqueue a run of the job type if it is due (or ``force``) and not already queued.

    Returns True when a job was enqueued. With ``frappe.flags.execute_job`` set, the run happens
    right here instead (Frappe's switch for tests)."""
    from frappe.utils.background_jobs import enqueue

    if not (force or is_event_due(job_type, current_time)):
        return False
    if frappe.flags.enqueued_jobs is not None and isinstance(frappe.flags.enqueued_jobs, list):
        frappe.flags.enqueued_jobs.append(job_type.method)
    if frappe.flags.execute_job:
        execute_job_type(job_type)
        return True
    if is_job_in_queue(job_type):
        frappe.logger("scheduler").error(
            f"Skipped queueing {job_type.method} because it was found in queue for {frappe.local.site}"
        )
        return False
    enqueue(
        RUN_SCHEDULED_JOB,
        queue=get_queue_name(job_type),
        job_type=job_type.method,
        job_id=get_rq_job_id(job_type),
        deduplicate=True,
    )
    return True


def _creates_log(job_type) -> bool:
    return bool(job_type.get("create_log")) or job_type.frequency != "All"


def _log_status(job_type, status: str, log) -> object:
    """Record a run's status: on the Scheduled Job Log row (not for "All"), and last_execution at Start."""
    frappe.logger("scheduler").info(f"Scheduled Job {status}: {job_type.method} for {frappe.local.site}")
    if status == "Start":
        job_type.db_set("last_execution", _now(), update_modified=False)
    if _creates_log(job_type):
        if log is None:
            log = frappe.get_doc({"doctype": JOB_LOG, "scheduled_job_type": job_type.name})
            log.insert(ignore_permissions=True)
        # "Start" is not one of the Select options; like Frappe, it is written straight to the row.
        log.db_set("status", status, update_modified=False)
        if status == "Failed":
            log.db_set("details", frappe.get_traceback(), update_modified=False)
    frappe.db.commit()
    return log


def execute_job_type(job_type) -> None:
    """Run the job type's method now: log Start, call, commit, log Complete — or roll back and log
    Failed with the traceback. Never raises."""
    log = None
    try:
        log = _log_status(job_type, "Start", log)
        server_script = job_type.get("server_script")
        if server_script:
            frappe.get_doc("Server Script", server_script).execute_scheduled_method()
        else:
            frappe.get_attr(job_type.method)()
        frappe.db.commit()
        _log_status(job_type, "Complete", log)
    except Exception:
        frappe.db.rollback()
        _log_status(job_type, "Failed", log)


def run_scheduled_job(job_type: str) -> None:
    """Job body enqueued by the scheduler: run the Scheduled Job Type whose method is ``job_type``."""
    try:
        name = frappe.db.get_value(JOB_TYPE, {"method": job_type}, "name")
        if not name:
            raise frappe.DoesNotExistError(f"{JOB_TYPE} for {job_type} not found")
        execute_job_type(frappe.get_doc(JOB_TYPE, name))
    except Exception:
        print(frappe.get_traceback())


# ---------------------------------------------------------------------- sync from hooks


def sync_jobs(hooks: dict | None = None) -> None:
    """Make Scheduled Job Type records match the ``scheduler_events`` hooks of the installed apps."""
    scheduler_events = hooks if hooks is not None else frappe.get_hooks("scheduler_events")
    all_events = insert_events(scheduler_events or {})
    clear_events(all_events)


def insert_events(scheduler_events: dict) -> list[str]:
    """Insert a record for every hooked method; returns the methods seen."""
    cron_jobs, event_jobs = [], []
    for event_type, events in scheduler_events.items():
        if isinstance(events, dict):
            cron_jobs += insert_cron_jobs(events)
        else:
            event_jobs += insert_event_jobs(events, event_type)
    return cron_jobs + event_jobs


def insert_cron_jobs(events: dict) -> list[str]:
    """Records with frequency "Cron" for ``{cron_format: [methods]}``."""
    methods = []
    for cron_format, cron_events in events.items():
        for event in _as_list(cron_events):
            methods.append(event)
            insert_single_event("Cron", event, cron_format)
    return methods


def insert_event_jobs(events, event_type: str) -> list[str]:
    """Records with frequency ``event_type`` title-cased (``hourly_long`` → "Hourly Long")."""
    frequency = event_type.replace("_", " ").title()
    methods = []
    for event in _as_list(events):
        methods.append(event)
        insert_single_event(frequency, event)
    return methods


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def get_job_type_name(method: str) -> str:
    """A job type's name: the last two segments of its dotted path."""
    return ".".join(method.split(".")[-2:])


def insert_single_event(frequency: str, event: str, cron_format: str | None = None) -> None:
    """Create the record for ``event`` unless an identical one exists; replace one that differs."""
    try:
        frappe.get_attr(event)
    except Exception as e:
        click.secho(f"{event} is not a valid method: {e}", fg="yellow")

    match = {"method": event, "frequency": frequency}
    if cron_format:
        match["cron_format"] = cron_format
    if frappe.db.exists(JOB_TYPE, match):
        return

    # The method is hooked with another frequency/cron, or another method has the same name tail:
    # replace the old record, as Frappe does.
    stale = set(frappe.get_all(JOB_TYPE, filters={"method": event}, pluck="name"))
    name = get_job_type_name(event)
    if frappe.db.exists(JOB_TYPE, name):
        stale.add(name)
    for old in stale:
        frappe.delete_doc(JOB_TYPE, old, ignore_permissions=True, force=True)
    doc = frappe.get_doc(
        {"doctype": JOB_TYPE, "method": event, "frequency": frequency, "cron_format": cron_format}
    )
    doc.insert(ignore_permissions=True)


def clear_events(all_events: list[str]) -> None:
    """Delete records whose method is no longer hooked (server-script jobs are kept)."""
    fields = ["name", "method"]
    has_server_script = frappe.db.has_column(JOB_TYPE, "server_script")
    if has_server_script:
        fields.append("server_script")
    for event in frappe.get_all(JOB_TYPE, fields=fields):
        if event.method in all_events or (has_server_script and event.get("server_script")):
            continue
        frappe.delete_doc(JOB_TYPE, event.name, ignore_permissions=True, force=True)


# ---------------------------------------------------------------------- on/off switches


def is_scheduler_inactive(verbose: bool = True) -> bool:
    """True under maintenance mode, ``pause_scheduler``, or when the scheduler is disabled."""
    if frappe.local.conf.maintenance_mode:
        if verbose:
            cprint(f"{frappe.local.site}: Maintenance mode is ON")
        return True
    if frappe.local.conf.pause_scheduler:
        if verbose:
            cprint(f"{frappe.local.site}: frappe.conf.pause_scheduler is SET")
        return True
    return is_scheduler_disabled(verbose=verbose)


def _enable_scheduler_value():
    try:
        return frappe.db.get_single_value("System Settings", "enable_scheduler")
    except Exception:
        # System Settings without the field (or not installed yet): read the stored value directly.
        rows = frappe.db.sql(
            "select `value` from `tabSingles` where `doctype`=%s and `field`=%s",
            ("System Settings", "enable_scheduler"),
        )
        return rows[0][0] if rows else 0


def is_scheduler_disabled(verbose: bool = True) -> bool:
    """True when config ``disable_scheduler`` is set or System Settings ``enable_scheduler`` is 0."""
    if frappe.conf.disable_scheduler:
        if verbose:
            cprint(f"{frappe.local.site}: frappe.conf.disable_scheduler is SET")
        return True
    disabled = not frappe.utils.cint(_enable_scheduler_value())
    if disabled and verbose:
        cprint(f"{frappe.local.site}: SystemSettings.enable_scheduler is UNSET")
    return disabled


def toggle_scheduler(enable: bool) -> None:
    """Set System Settings ``enable_scheduler`` (not committed)."""
    try:
        frappe.db.set_single_value("System Settings", "enable_scheduler", int(enable))
    except Exception:
        frappe.db.sql(
            "delete from `tabSingles` where `doctype`=%s and `field`=%s", ("System Settings", "enable_scheduler")
        )
        frappe.db.sql(
            "insert into `tabSingles` (`doctype`, `field`, `value`) values (%s, %s, %s)",
            ("System Settings", "enable_scheduler", str(int(enable))),
        )


def enable_scheduler() -> None:
    """Turn the site's scheduler on."""
    toggle_scheduler(True)


def disable_scheduler() -> None:
    """Turn the site's scheduler off."""
    toggle_scheduler(False)


@frappe.whitelist()
def activate_scheduler():
    """Enable and un-pause the scheduler (Administrator only; refused in maintenance mode)."""
    from frappe.installer import update_site_config

    frappe.only_for("Administrator")
    if frappe.local.conf.maintenance_mode:
        frappe.throw(frappe._("Scheduler can not be re-enabled when maintenance mode is active."))
    if is_scheduler_disabled():
        enable_scheduler()
    if frappe.conf.pause_scheduler:
        update_site_config("pause_scheduler", 0)


@frappe.whitelist()
def get_scheduler_status():
    """``{"status": "active"}`` or ``{"status": "inactive"}``."""
    return {"status": "inactive" if is_scheduler_inactive() else "active"}


# ---------------------------------------------------------------------- the process loop


def get_sites(sites_path: str | None = None) -> list[str]:
    """Site folders under ``sites_path`` (those holding a ``site_config.json``), sorted."""
    from frappe.utils import get_sites as _get_sites

    sites_path = sites_path or frappe.get_sites_path()
    return _get_sites(sites_path) if os.path.isdir(sites_path) else []


def _common_conf(sites_path: str) -> dict:
    path = os.path.join(sites_path, "common_site_config.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def start_scheduler(sites_path: str | None = None) -> None:
    """Loop forever: sleep ``scheduler_tick_interval`` seconds (default 60), then enqueue due jobs
    of every site."""
    sites_path = os.path.abspath(sites_path or frappe.get_sites_path())
    while True:
        tick = frappe.utils.cint(_common_conf(sites_path).get("scheduler_tick_interval")) or 60
        time.sleep(tick)
        enqueue_events_for_all_sites(sites_path)


def enqueue_events_for_all_sites(sites_path: str | None = None) -> None:
    """Enqueue due jobs of every site (in random order, so no site always goes first)."""
    sites_path = os.path.abspath(sites_path or frappe.get_sites_path())
    sites = get_sites(sites_path)
    random.shuffle(sites)
    for site in sites:
        try:
            enqueue_events_for_site(site, sites_path=sites_path)
        except Exception as e:
            print(e.__class__, f"Failed to enqueue events for site: {site}")


def enqueue_events_for_site(site: str, sites_path: str | None = None, current_time: datetime | None = None):
    """Open ``site``, and unless its scheduler is inactive, enqueue its due jobs.

    Returns the methods enqueued (None when inactive). Errors are logged, not raised."""
    try:
        frappe.init(site, sites_path=sites_path)
        frappe.connect()
        frappe.set_user("Administrator")
        if is_scheduler_inactive():
            return None
        enqueued = enqueue_events(site, current_time=current_time)
        frappe.logger("scheduler").debug(f"Queued events for site {site}")
        return enqueued
    except Exception:
        frappe.logger("scheduler").error(f"Exception in Enqueue Events for Site {site}\n{frappe.get_traceback()}")
        return None
    finally:
        frappe.destroy()


def enqueue_events(site: str, current_time: datetime | None = None) -> list[str]:
    """Enqueue every due, non-stopped job type of the connected site; returns their methods."""
    enqueued = []
    job_types = frappe.get_all(JOB_TYPE, filters={"stopped": 0}, pluck="name")
    random.shuffle(job_types)
    for name in job_types:
        job_type = frappe.get_doc(JOB_TYPE, name)
        try:
            if enqueue_job_type(job_type, current_time=current_time):
                enqueued.append(job_type.method)
        except Exception:
            frappe.log_error(title=f"Failed to enqueue scheduled job: {name}")
    return enqueued

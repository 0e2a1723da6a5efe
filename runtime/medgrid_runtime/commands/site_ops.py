"""bench's operator commands: ``list-apps``, ``version``, ``set-admin-password``,
``add-system-manager``, ``clear-cache``, ``destroy-all-sessions``, ``show-pending-jobs`` and
``doctor``, with bench's names, options and output (frappe/commands/site.py, utils.py, scheduler.py
and frappe/utils/doctor.py in Frappe 15). Bad input (unknown site or user, no terminal to prompt
on) ends with a one-line error and exit code 1, never a traceback.
"""

from __future__ import annotations

import contextlib
import getpass
import importlib
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from urllib.parse import urlsplit

import click

import frappe
from medgrid_runtime.cli import pass_context


# ---------------------------------------------------------------------- helpers shared by the commands


def require_sites(context) -> list[str]:
    if not context.sites:
        raise click.ClickException(frappe.SiteNotSpecifiedError().message)
    return context.sites


def check_site_exists(context, site: str) -> None:
    if not os.path.isfile(os.path.join(context.sites_path, site, "site_config.json")):
        raise click.ClickException(f"Site {site} does not exist")


@contextlib.contextmanager
def connected_site(context, site: str, connect: bool = True):
    """The site initialised (and connected) as Administrator; refuses an unknown site before
    anything could create files for it."""
    check_site_exists(context, site)
    frappe.init(site, sites_path=context.sites_path, force=True)
    try:
        if connect:
            try:
                frappe.connect()
            except Exception as e:
                raise click.ClickException(f"Cannot connect to the database of site {site}: {_one_line(e)}") from None
        yield
    finally:
        frappe.destroy()


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


_SECRET_KEY = re.compile(r"(token|secret|password|passwd|pwd|key|signature|hmac|authorization|cookie)", re.I)


def redact(value):
    """``value`` with the values of secret-looking keys replaced (job arguments are printed)."""
    if isinstance(value, dict):
        return {k: ("*****" if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def redis_address(url: str) -> str:
    """``host:port/db`` of a Redis URL, without the user name and password it may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}{parts.path or ''}"


# ---------------------------------------------------------------------- apps and versions


def _app_version(app: str) -> str:
    try:
        return str(importlib.import_module(app).__version__)
    except (ImportError, AttributeError):
        return "N/A"


def _app_branch(app: str) -> str:
    """The git branch the app's code is checked out on (as bench shows it), else N/A."""
    try:
        path = os.path.dirname(importlib.import_module(app).__file__)
        branch = subprocess.run(["git", "-C", path, "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except Exception:
        return "N/A"
    return branch if branch and branch != "HEAD" else "N/A"


@click.command("list-apps")
@click.option("--format", "-f", "format_", type=click.Choice(["text", "json"]), default="text")
@pass_context
def list_apps(context, format_="text"):
    """List the apps installed on the site: name, version and branch (bench's layout)."""
    summary = {}
    for site in require_sites(context):
        with connected_site(context, site):
            apps = frappe.get_installed_apps()
        summary[site] = apps
        if format_ == "text":
            rows = [(app, _app_version(app), _app_branch(app)) for app in apps]
            name_width = max(len(r[0]) for r in rows)
            version_width = max(len(r[1]) for r in rows)
            lines = "\n".join(f"{n:{name_width}} {v:{version_width}} {b}" for n, v, b in rows)
            title = click.style(site, fg="green") if len(context.sites) > 1 else ""
            click.echo(f"{title}\n{lines}\n")
    if format_ == "json":
        click.echo(json.dumps(summary, indent=1))


@click.command("version")
@click.option("--format", "-f", "format_", type=click.Choice(["plain", "json"]), default="plain")
def version(format_="plain"):
    """Show the version of every app this installation can run (``bench version``)."""
    apps = ["frappe", "erpnext", "medgrid"]
    versions = {}
    for app in apps:
        with contextlib.suppress(ImportError):
            __import__(app)
            versions[app] = _app_version(app)
    if format_ == "json":
        click.echo(json.dumps(versions, indent=1))
    else:
        for app, number in versions.items():
            click.echo(f"{app} {number}")


# ---------------------------------------------------------------------- users and sessions


def _ask_password(user: str, site: str) -> str:
    if not sys.stdin or not sys.stdin.isatty():
        raise click.ClickException(f"No password given for {user} and no terminal to ask on: pass it as an argument")
    password = ""
    while not password:
        password = getpass.getpass(f"{user}'s password for {site}: ")
    return password


@click.command("set-admin-password")
@click.argument("admin-password", required=False)
@click.option("--logout-all-sessions", is_flag=True, default=False, help="Log out from all sessions")
@pass_context
def set_admin_password(context, admin_password=None, logout_all_sessions=False):
    """Set the Administrator password of the site."""
    from frappe.utils.password import update_password

    for site in require_sites(context):
        check_site_exists(context, site)
        password = admin_password or _ask_password("Administrator", site)
        with connected_site(context, site):
            update_password(user="Administrator", pwd=password, logout_all_sessions=logout_all_sessions)
            frappe.db.commit()


@click.command("add-system-manager")
@click.argument("email")
@click.option("--first-name")
@click.option("--last-name")
@click.option("--password")
@click.option("--send-welcome-email", default=False, is_flag=True)
@pass_context
def add_system_manager(context, email, first_name=None, last_name=None, send_welcome_email=False, password=None):
    """Add a System User with every role (Frappe's add_system_manager) to the site."""
    from frappe.utils import validate_email_address
    from frappe.utils.password import update_password

    if not validate_email_address(email):
        raise click.ClickException(f"{email} is not a valid email address")
    for site in require_sites(context):
        with connected_site(context, site):
            if frappe.db.exists("User", email):
                raise click.ClickException(f"User {email} already exists on site {site}")
            user = frappe.get_doc({
                "doctype": "User", "email": email, "first_name": first_name or email.split("@")[0],
                "last_name": last_name, "enabled": 1, "user_type": "System User",
                "send_welcome_email": 1 if send_welcome_email else 0,
            })
            user.insert(ignore_permissions=True)
            roles = frappe.get_all("Role", filters={"name": ["not in", ["Administrator", "Guest", "All"]]},
                                   pluck="name")
            user.add_roles(*roles)
            if password:
                update_password(user=user.name, pwd=password)
            frappe.db.commit()


@click.command("destroy-all-sessions")
@click.option("--reason")
@pass_context
def destroy_all_sessions(context, reason=None):
    """Clear sessions of all users (logs them out)."""
    import frappe.sessions

    for site in require_sites(context):
        with connected_site(context, site):
            frappe.sessions.clear_all_sessions(reason)
            frappe.db.commit()


@click.command("clear-cache")
@pass_context
def clear_cache(context):
    """Clear cache, doctype cache and defaults (this process's and the shared Redis cache)."""
    from frappe.utils.backups import clear_site_cache

    for site in require_sites(context):
        with connected_site(context, site):
            clear_site_cache()


# ---------------------------------------------------------------------- jobs and health


def _job_method(job) -> str:
    kwargs = job.kwargs or {}
    method = kwargs.get("job_name") or kwargs.get("method") or job.description
    return method if isinstance(method, str) else getattr(method, "__name__", str(method))


def _jobs_by_queue(site: str | None) -> dict[str, list]:
    from frappe.utils.background_jobs import get_queue, get_queue_list

    jobs = defaultdict(list)
    for qtype in get_queue_list():
        for job in get_queue(qtype).jobs:
            if site is None or (job.kwargs or {}).get("site") == site:
                jobs[qtype].append(job)
    return jobs


def _uses_redis_queue() -> bool:
    return bool(frappe.local.conf.get("redis_queue"))


@click.command("show-pending-jobs")
@click.option("--site", "site_option", help="site name")
@pass_context
def show_pending_jobs(context, site_option=None):
    """Get diagnostic info about background jobs: the queued jobs of the site, per queue."""
    from frappe.utils.background_jobs import get_queue_list

    site = site_option or (require_sites(context)[0])
    with connected_site(context, site, connect=False):
        click.echo("-----Pending Jobs-----")
        if not _uses_redis_queue():
            click.echo("(no redis_queue: jobs run inside the web process that enqueued them, not visible here)")
            return
        try:
            jobs = _jobs_by_queue(site)
        except Exception as e:
            raise click.ClickException(f"Cannot read the queues at {redis_address(frappe.local.conf.redis_queue)}: "
                                       f"{_one_line(e)}") from None
        for qtype in get_queue_list():
            if jobs[qtype]:
                click.echo(f"-----Queue :{qtype}-----")
                for job in jobs[qtype]:
                    arguments = redact((job.kwargs or {}).get("kwargs") or "")
                    click.echo(f"{_job_method(job)} {json.dumps(arguments, default=str) if arguments else ''}".rstrip())


def _check_redis(url: str) -> str | None:
    """None when Redis at ``url`` answers, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as e:
        return _one_line(e)
    return None


@click.command("doctor")
@click.option("--site", "site_option", help="site name")
@pass_context
def doctor(context, site_option=None):
    """Get diagnostic info about the scheduler, workers, queues, Redis and the databases.

    The first part is bench's report; the checks after it exit with 1 when something is down.
    """
    from frappe.utils.background_jobs import generate_qname, get_queue_list, get_workers
    from frappe.utils.scheduler import is_scheduler_inactive

    site = site_option or (context.sites[0] if context.sites else None)
    sites = [site] if site else frappe.utils.get_sites(context.sites_path)
    if not sites:
        raise click.ClickException(f"No sites in {context.sites_path}")
    for name in sites:
        check_site_exists(context, name)

    problems = []
    common = frappe.get_site_config(context.sites_path)
    with connected_site(context, sites[0], connect=False):
        queue_url = frappe.local.conf.get("redis_queue")
        workers_online, jobs = 0, defaultdict(list)
        if queue_url and not _check_redis(queue_url):
            # only workers of this installation's queues (one Redis may serve several benches)
            own_queues = {generate_qname(q) for q in get_queue_list()}
            workers_online = sum(1 for w in get_workers() if own_queues & set(w.queue_names()))
            jobs = _jobs_by_queue(site)
        queues = get_queue_list()

    click.echo("-----Checking scheduler status-----")
    reachable = {}
    for name in sites:
        with connected_site(context, name, connect=False):
            conf = frappe.local.conf
            try:
                frappe.connect()
                frappe.db.sql("select 1")
                reachable[name] = (conf.db_type or "sqlite", None)
                if is_scheduler_inactive(verbose=False):
                    click.echo(f"Scheduler inactive for {name}")
            except Exception as e:
                reachable[name] = (conf.db_type or "sqlite", _one_line(e))
    click.echo(f"Workers online: {workers_online}")
    click.echo(f"-----{site} Jobs-----")
    for qtype in queues:
        if jobs[qtype]:
            counts = defaultdict(int)
            for job in jobs[qtype]:
                counts[_job_method(job)] += 1
            click.echo(f"Queue: {qtype}")
            click.echo(f"Number of Jobs: {len(jobs[qtype])}")
            click.echo("Methods:")
            for method, count in counts.items():
                click.echo(f"{method} : {count}")
            click.echo("------------")

    click.echo("-----Checking databases and Redis-----")
    for name, (engine, error) in reachable.items():
        click.echo(f"Database of {name} ({engine}): {'unreachable: ' + error if error else 'reachable'}")
        if error:
            problems.append(f"database of {name}")
    for key in ("redis_cache", "redis_queue"):
        url = common.get(key)
        if not url:
            what = "process memory" if key == "redis_cache" else "jobs run inside the web process"
            click.echo(f"{key}: not configured ({what})")
            continue
        error = _check_redis(url)
        click.echo(f"{key} {redis_address(url)}: {'unreachable: ' + error if error else 'reachable'}")
        if error:
            problems.append(key)
    if queue_url and not workers_online:
        click.echo("No worker is listening: start one with `medgrid-runtime worker`")
        problems.append("workers")
    if problems:
        click.echo(f"Problems: {', '.join(problems)}")
        sys.exit(1)


commands = [
    list_apps,
    version,
    set_admin_password,
    add_system_manager,
    destroy_all_sessions,
    clear_cache,
    show_pending_jobs,
    doctor,
]

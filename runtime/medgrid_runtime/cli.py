"""``medgrid-runtime``: bench's site, job and scheduler commands for the MedGrid runtime.

Usage mirrors ``bench``::

    medgrid-runtime [--sites-path PATH] new-site SITE [--db-type sqlite|mariadb|postgres] …
    medgrid-runtime --site SITE migrate
    medgrid-runtime --site SITE install-app APP [APP …]
    medgrid-runtime --site SITE execute dotted.path [--args "…"] [--kwargs "{…}"]
    medgrid-runtime --site SITE set-config KEY VALUE [--parse] [--global]
    medgrid-runtime --site SITE console
    medgrid-runtime --site SITE enable-scheduler | disable-scheduler
    medgrid-runtime --site SITE scheduler enable|disable|pause|resume|status
    medgrid-runtime worker [--queue short,default] [--burst]
    medgrid-runtime schedule            (also: ``scheduler`` with no state)

``--sites-path`` defaults to env ``MEDGRID_SITES_PATH``, else ``./sites``. ``--site all`` runs a
command on every site; without ``--site`` the name in ``<sites>/currentsite.txt`` is used.

Other modules add commands with :func:`register_command`, or by placing a module that defines
``commands = [...]`` in the ``medgrid_runtime.commands`` package. Command functions written with
:func:`pass_context` receive Frappe's command context (``context.sites``, ``context.sites_path``).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
import sys

import click

import frappe


# ---------------------------------------------------------------------- context helpers


def pass_context(f):
    """Decorator: call ``f(context, …)`` with the CLI context (``sites``, ``sites_path``, ``verbose``…)."""

    @functools.wraps(f)
    def wrapper(ctx, *args, **kwargs):
        return f(ctx.obj, *args, **kwargs)

    return click.pass_context(wrapper)


def get_site(context, raise_err: bool = True) -> str | None:
    """The single site of the context; without one, raise (or return None)."""
    try:
        return context.sites[0]
    except (IndexError, TypeError):
        if raise_err:
            raise click.ClickException(frappe.SiteNotSpecifiedError().message) from None
        return None


def _require_sites(context) -> list[str]:
    if not context.sites:
        raise click.ClickException(frappe.SiteNotSpecifiedError().message)
    return context.sites


def _resolve_sites(site: str | None, sites_path: str) -> list[str]:
    if site == "all":
        from frappe.utils import get_sites

        return get_sites(sites_path) if os.path.isdir(sites_path) else []
    if site:
        return [site]
    current = os.path.join(sites_path, "currentsite.txt")
    if os.path.exists(current):
        with open(current, encoding="utf-8") as f:
            name = f.read().strip()
        if name:
            return [name]
    return []


def _open_site(context, site: str, connect: bool = True) -> None:
    frappe.init(site, sites_path=context.sites_path)
    if connect:
        frappe.connect()


@click.group(name="medgrid-runtime", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="medgrid-runtime", message="%(version)s")  # bare, as `bench --version`
@click.option("--site", help="Site name, or 'all' for every site.")
@click.option(
    "--sites-path",
    envvar="MEDGRID_SITES_PATH",
    default="./sites",
    show_default=True,
    help="Folder holding the sites (env MEDGRID_SITES_PATH).",
)
@click.option("--verbose", is_flag=True, default=False)
@click.option("--force", is_flag=True, default=False)
@click.pass_context
def cli(ctx, site, sites_path, verbose, force):
    """MedGrid runtime: bench's site, job and scheduler commands."""
    sites_path = os.path.abspath(sites_path)
    ctx.obj = frappe._dict(
        sites=_resolve_sites(site, sites_path), sites_path=sites_path, verbose=verbose, force=force
    )
    # Code that asks frappe.get_sites_path() (and child processes) must see the same folder;
    # the previous value comes back when the command ends (matters when invoked in-process).
    previous = os.environ.get("MEDGRID_SITES_PATH")
    os.environ["MEDGRID_SITES_PATH"] = sites_path

    def restore():
        if previous is None:
            os.environ.pop("MEDGRID_SITES_PATH", None)
        else:
            os.environ["MEDGRID_SITES_PATH"] = previous

    ctx.call_on_close(restore)


def register_command(command: click.Command) -> click.Command:
    """Add a click command to ``medgrid-runtime`` (usable as a decorator after ``@click.command``)."""
    cli.add_command(command)
    return command


# ---------------------------------------------------------------------- sites


@click.command("new-site")
@click.argument("site")
@click.option("--db-type", type=click.Choice(["sqlite", "mariadb", "postgres"]), default="sqlite", show_default=True)
@click.option("--db-name", help="Database name (default: derived from the site).")
@click.option("--db-host", help="Database host.")
@click.option("--db-port", type=int, help="Database port.")
@click.option("--db-user", help="Database user for the site (default: the database name).")
@click.option("--db-password", help="Password of the site's database user.")
@click.option("--db-root-username", "--mariadb-root-username", "db_root_username", help="Root user to create the database.")
@click.option("--db-root-password", "--mariadb-root-password", "db_root_password", help="Root password.")
@click.option("--admin-password", help="Administrator password (prompted on a terminal, else 'admin').")
@click.option("--install-app", multiple=True, help="App to install after frappe (repeatable).")
@click.option("--force", is_flag=True, default=False, help="Replace an existing site of that name.")
@click.option("--set-default", is_flag=True, default=False, help="Write the site to currentsite.txt.")
@pass_context
def new_site(
    context,
    site,
    db_type,
    db_name,
    db_host,
    db_port,
    db_user,
    db_password,
    db_root_username,
    db_root_password,
    admin_password,
    install_app,
    force,
    set_default,
):
    """Create a site: its folder and config, its database, frappe and the given apps."""
    from frappe.installer import new_site as create_site

    if admin_password is None:
        if sys.stdin.isatty():
            admin_password = click.prompt("Set Administrator password", hide_input=True, confirmation_prompt=True)
        else:
            admin_password = "admin"
    try:
        create_site(
            site,
            sites_path=context.sites_path,
            db_type=db_type,
            db_name=db_name,
            db_host=db_host,
            db_port=db_port,
            db_user=db_user,
            db_password=db_password,
            db_root_username=db_root_username,
            db_root_password=db_root_password,
            admin_password=admin_password,
            install_apps=list(install_app) or None,
            force=force or context.force,
        )
    finally:
        frappe.destroy()
    if set_default:
        with open(os.path.join(context.sites_path, "currentsite.txt"), "w", encoding="utf-8") as f:
            f.write(site)
    click.echo(f"*** Site {site} created ***")


@click.command("migrate")
@pass_context
def migrate(context):
    """Bring the site's schema, fixtures and scheduled jobs up to date with the installed apps."""
    from frappe.migrate import migrate as run_migrate

    for site in _require_sites(context):
        click.echo(f"Migrating {site}")
        try:
            _open_site(context, site)
            run_migrate()
        finally:
            frappe.destroy()


@click.command("install-app")
@click.argument("apps", nargs=-1, required=True)
@pass_context
def install_app(context, apps):
    """Install one or more apps on the site."""
    from frappe.installer import install_app as install

    for site in _require_sites(context):
        try:
            _open_site(context, site)
            for app in apps:
                install(app)
            frappe.db.commit()
        finally:
            frappe.destroy()


@click.command("set-config")
@click.argument("key")
@click.argument("value")
@click.option("-g", "--global", "global_", is_flag=True, default=False, help="Write to common_site_config.json.")
@click.option("-p", "--parse", is_flag=True, default=False, help="Read VALUE as a Python literal.")
@pass_context
def set_config(context, key, value, global_=False, parse=False):
    """Set a key in the site's site_config.json (or the common config with --global)."""
    from frappe.installer import update_site_config

    if parse:
        import ast

        value = ast.literal_eval(value)
    if global_:
        path = os.path.join(context.sites_path, "common_site_config.json")
        update_site_config(key, value, site_config_path=path)
        return
    for site in _require_sites(context):
        try:
            _open_site(context, site, connect=False)
            update_site_config(key, value)
        finally:
            frappe.destroy()


# ---------------------------------------------------------------------- execute / console


def _parse_args(args: str | None):
    if not args:
        return ()
    try:
        parsed = eval(args, {"frappe": frappe})  # noqa: S307 - operator-supplied, as in bench
    except NameError:
        return [args]
    return parsed if isinstance(parsed, (list, tuple)) else (parsed,)


def _parse_kwargs(kwargs: str | None) -> dict:
    if not kwargs:
        return {}
    return eval(kwargs, {"frappe": frappe})  # noqa: S307 - operator-supplied, as in bench


@click.command("execute")
@click.argument("method")
@click.option("--args", help="Positional arguments as a Python literal.")
@click.option("--kwargs", help="Keyword arguments as a Python dict literal.")
@pass_context
def execute(context, method, args=None, kwargs=None):
    """Call a Python function on the site as Administrator, commit, and print a truthy result as JSON."""
    from frappe.utils.response import json_handler

    for site in _require_sites(context):
        ret = None
        try:
            _open_site(context, site)
            frappe.set_user("Administrator")
            call_args = _parse_args(args)
            call_kwargs = _parse_kwargs(kwargs)
            try:
                fn = frappe.get_attr(method)
            except Exception:
                # Not a plain dotted path (e.g. "frappe.get_doc('X', 'y').run"): evaluate it.
                scope = {"frappe": frappe, "args": call_args, "kwargs": call_kwargs}
                ret = eval(f"{method}(*args, **kwargs)", scope)  # noqa: S307 - operator-supplied
            else:
                ret = fn(*call_args, **call_kwargs)
            if getattr(frappe.local, "db", None):
                frappe.db.commit()
        finally:
            frappe.destroy()
        if ret:
            click.echo(json.dumps(ret, default=json_handler))


@click.command("console")
@pass_context
def console(context):
    """An interactive Python shell with the site initialised and connected (nothing is committed
    unless you call frappe.db.commit())."""
    import code

    site = get_site(context)
    _open_site(context, site)
    try:
        banner = f"MedGrid runtime console for {site} (frappe is imported; commit with frappe.db.commit())"
        code.interact(banner=banner, local={"frappe": frappe}, exitmsg="")
    finally:
        frappe.destroy()


# ---------------------------------------------------------------------- workers and scheduler


@click.command("worker")
@click.option("--queue", help="Queue(s) to consume, comma separated (default: all).")
@click.option("--quiet", is_flag=True, default=False, help="Log warnings only.")
@click.option("--burst", is_flag=True, default=False, help="Exit once the queues are empty.")
@click.option("--strategy", type=click.Choice(["default", "round_robin", "random"]), help="RQ dequeue strategy.")
@pass_context
def worker(context, queue, quiet=False, burst=False, strategy=None):
    """Run an RQ worker (needs ``redis_queue`` in common_site_config.json; without it jobs run
    inside the process that enqueues them)."""
    from frappe.utils.background_jobs import start_worker

    common = frappe.get_site_config(context.sites_path)
    if not common.get("redis_queue"):
        raise click.ClickException(
            "redis_queue is not set in common_site_config.json: jobs run in-process, no worker is needed"
        )
    start_worker(queue=queue, quiet=quiet, burst=burst, strategy=strategy, sites_path=context.sites_path)


@click.command("schedule")
@pass_context
def schedule(context):
    """Run the scheduler loop: every scheduler_tick_interval seconds, enqueue due jobs of all sites."""
    from frappe.utils.scheduler import start_scheduler

    start_scheduler(sites_path=context.sites_path)


@click.command("scheduler")
@click.argument("state", required=False, type=click.Choice(["pause", "resume", "disable", "enable", "status"]))
@click.option("--format", "-f", "format_", type=click.Choice(["text", "json"]), default="text")
@pass_context
def scheduler(context, state=None, format_="text"):
    """Without STATE, run the scheduler loop (as ``schedule``). With STATE, pause/resume/enable/disable
    the site's scheduler or show its status."""
    from frappe.installer import update_site_config
    from frappe.utils import scheduler as sched

    if not state:
        sched.start_scheduler(sites_path=context.sites_path)
        return

    for site in _require_sites(context):
        try:
            _open_site(context, site, connect=state in ("enable", "disable", "status"))
            if state == "pause":
                update_site_config("pause_scheduler", 1)
            elif state == "resume":
                update_site_config("pause_scheduler", 0)
            elif state == "enable":
                sched.enable_scheduler()
                frappe.db.commit()
            elif state == "disable":
                sched.disable_scheduler()
                frappe.db.commit()
            else:
                status = "disabled" if sched.is_scheduler_inactive(verbose=False) else "enabled"
                if format_ == "json":
                    click.echo(json.dumps({"status": status, "site": site}))
                else:
                    click.echo(f"Scheduler is {status} for site {site}")
        finally:
            frappe.destroy()
        if state != "status":
            click.echo(f"Scheduler {state}d for site {site}")


def _toggle_scheduler_command(name: str, enable: bool, done_word: str):
    @click.command(name)
    @pass_context
    def _command(context):
        from frappe.utils import scheduler as sched

        for site in _require_sites(context):
            try:
                _open_site(context, site)
                sched.toggle_scheduler(enable)
                frappe.db.commit()
            finally:
                frappe.destroy()
            click.echo(f"{done_word} for {site}")

    _command.help = f"{'Enable' if enable else 'Disable'} the scheduler of the site (System Settings)."
    return _command


enable_scheduler = _toggle_scheduler_command("enable-scheduler", True, "Enabled")
disable_scheduler = _toggle_scheduler_command("disable-scheduler", False, "Disabled")


commands = [
    new_site,
    migrate,
    install_app,
    set_config,
    execute,
    console,
    worker,
    schedule,
    scheduler,
    enable_scheduler,
    disable_scheduler,
]

for _command in commands:
    cli.add_command(_command)


def _load_plugin_commands() -> None:
    """Add the ``commands`` of every module in ``medgrid_runtime.commands``."""
    from medgrid_runtime import commands as package

    for info in pkgutil.iter_modules(package.__path__):
        module_name = f"{package.__name__}.{info.name}"
        try:
            module = importlib.import_module(module_name)
        except Exception as e:  # a broken plugin must not take the whole CLI down
            click.secho(f"medgrid-runtime: could not load {module_name}: {e}", fg="yellow", err=True)
            continue
        for command in getattr(module, "commands", ()) or ():
            cli.add_command(command)


_load_plugin_commands()


def main(args=None):
    """Console-script entry point (``medgrid-runtime``)."""
    return cli.main(args=args, prog_name="medgrid-runtime")


if __name__ == "__main__":
    main()

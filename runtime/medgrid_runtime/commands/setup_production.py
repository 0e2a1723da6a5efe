"""``medgrid-runtime setup production | supervisor | systemd | nginx``: bench's production files.

As ``bench setup …`` does, the files go to ``<bench>/config/`` (``<bench>`` is the folder that
holds ``sites/``; its name names the programs) and logs to ``<bench>/logs/``:

* ``config/supervisor.conf`` — the web program (gunicorn with ``medgrid_runtime.gunicorn_conf``),
  the scheduler and short/long RQ workers, grouped ``<bench>-web`` / ``<bench>-workers``;
* ``config/systemd/`` — the same processes as systemd units under ``<bench>.target``;
* ``config/nginx.conf`` — an http-block include: an upstream of the web hosts, one server per
  site that serves ``/assets/<app>/`` (each app's ``public/``) and ``/files/`` itself and proxies
  the rest.

``setup production USER`` writes nginx plus supervisor (or systemd) files, links them into
``/etc`` and reloads the services, as bench's does. Several machines: ``--roles`` picks what a
host runs (web, worker, schedule) and ``setup nginx --upstream HOST:PORT`` (repeated) lists the
web hosts behind the load balancer. Settings come from ``common_site_config.json`` under bench's
names (``webserver_port``, ``gunicorn_workers``, ``background_workers``, ``http_timeout``,
``gunicorn_max_requests``) and a site's ``nginx_port`` / ``domains``.
"""

from __future__ import annotations

import getpass
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys

import click

ROLES = ("web", "worker", "schedule")
# bench's two worker kinds: short jobs also take default, long workers take everything
WORKERS = (
    {"name": "short", "queues": "short,default", "stop_seconds": 360},
    {"name": "long", "queues": "long,default,short", "stop_seconds": 1560},
)
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9*_.-]+$")


# ---------------------------------------------------------------------------------- settings


def _read_json(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except ValueError as e:
        raise click.ClickException(f"{path} is not valid JSON: {e}") from None
    return value if isinstance(value, dict) else {}


def _positive_int(config: dict, key: str, default: int) -> int:
    value = config.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise click.ClickException(f"{key} in common_site_config.json must be a positive whole number, not {value!r}")
    return number


class Bench:
    """The folders, programs and settings the generated files name."""

    def __init__(self, sites_path: str):
        self.sites_path = os.path.abspath(sites_path)
        if not os.path.isdir(self.sites_path):
            raise click.ClickException(f"{self.sites_path} is not a sites folder")
        self.bench_path = os.path.dirname(self.sites_path)
        self.config_path = os.path.join(self.bench_path, "config")
        self.logs_path = os.path.join(self.bench_path, "logs")
        self.name = _program_name(os.path.basename(self.bench_path))
        self.common = _read_json(os.path.join(self.sites_path, "common_site_config.json"))
        bin_dir = os.path.dirname(sys.executable)  # the venv's bin (not resolved: keep the venv)
        self.gunicorn = os.path.join(bin_dir, "gunicorn")
        self.runtime = os.path.join(bin_dir, "medgrid-runtime")

    def settings(self) -> dict:
        c = self.common
        return {
            "webserver_port": _positive_int(c, "webserver_port", 8000),
            # bench's default: two per core plus one
            "gunicorn_workers": _positive_int(c, "gunicorn_workers", multiprocessing.cpu_count() * 2 + 1),
            "background_workers": _positive_int(c, "background_workers", 1),
            "http_timeout": _positive_int(c, "http_timeout", 120),
            "max_requests": _positive_int(c, "gunicorn_max_requests", 5000),
            "max_requests_jitter": _positive_int(c, "gunicorn_max_requests_jitter", 500),
        }

    def sites(self) -> list[str]:
        from frappe.utils import get_sites

        return sorted(get_sites(self.sites_path))

    def default_site(self) -> str | None:
        if self.common.get("default_site"):
            return self.common["default_site"]
        current = os.path.join(self.sites_path, "currentsite.txt")
        if os.path.exists(current):
            with open(current, encoding="utf-8") as f:
                return f.read().strip() or None
        return None


def _program_name(folder: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", folder).strip("-")
    return name or "medgrid-bench"


def _parse_roles(value: str) -> list[str]:
    roles = [r.strip() for r in (value or "").split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise click.BadParameter(f"choose from {', '.join(ROLES)} (comma separated), not {value!r}")
    return [r for r in ROLES if r in roles]


def _roles_option(f):
    return click.option("--roles", default=",".join(ROLES), show_default=True, callback=lambda c, p, v: _parse_roles(v),
                        help="What this host runs (several machines: web hosts, worker hosts, one scheduler).")(f)


def _bind_option(f):
    return click.option("--bind-address", default="127.0.0.1", show_default=True,
                        help="Address gunicorn listens on (a web host behind a load balancer on another "
                             "machine: its private address).")(f)


def _validate_user(user: str) -> str:
    if not user or not re.match(r"^[a-z_][a-z0-9_.-]*\$?$", user, re.IGNORECASE):
        raise click.BadParameter(f"{user!r} is not a user name")
    return user


# ---------------------------------------------------------------------------------- rendering


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def _render(template: str, **values) -> str:
    return _environment().get_template(template).render(**values)


def _write(path: str, text: str, yes: bool) -> None:
    if os.path.exists(path) and not yes:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
        click.confirm(f"{path} already exists and this will overwrite it. Do you want to continue?", abort=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _process_values(bench: Bench, user: str, roles: list[str], bind_address: str) -> dict:
    return {"bench_name": bench.name, "bench_path": bench.bench_path, "sites_path": bench.sites_path,
            "logs_path": bench.logs_path, "gunicorn": bench.gunicorn, "runtime": bench.runtime, "user": user,
            "roles": roles, "bind_address": bind_address, "workers": WORKERS, **bench.settings()}


def _warn_without_queue(bench: Bench, roles: list[str]) -> None:
    if "worker" in roles and not bench.common.get("redis_queue"):
        click.secho("Warning: redis_queue is not set in common_site_config.json; the workers will refuse to "
                    "start (set it to the shared Redis, e.g. redis://10.0.0.5:6379)", fg="yellow", err=True)


def render_supervisor(bench: Bench, user: str, roles: list[str], bind_address: str) -> str:
    values = _process_values(bench, user, roles, bind_address)
    programs = []
    if "schedule" in roles:
        programs.append(f"{bench.name}-schedule")
    if "worker" in roles:
        programs += [f"{bench.name}-{w['name']}-worker" for w in WORKERS]
    return _render("supervisor.conf.jinja", worker_programs=programs, **values)


def render_systemd(bench: Bench, user: str, roles: list[str], bind_address: str) -> dict[str, str]:
    """File name → text of every unit for the roles."""
    values = _process_values(bench, user, roles, bind_address)
    s = values
    units: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    if "web" in roles:
        command = (f"{bench.gunicorn} -c python:medgrid_runtime.gunicorn_conf -b {bind_address}:{s['webserver_port']} "
                   f"-w {s['gunicorn_workers']} --max-requests {s['max_requests']} "
                   f"--max-requests-jitter {s['max_requests_jitter']} -t {s['http_timeout']} --graceful-timeout 30 "
                   f"--preload frappe.app:application")
        name = f"{bench.name}-web.service"
        units[name] = _render("systemd/process.service.jinja", description="web (gunicorn)", group="web",
                              command=command, stop_seconds=40, log_name="web", **values)
        groups.setdefault("web", []).append(name)
    if "schedule" in roles:
        name = f"{bench.name}-schedule.service"
        units[name] = _render("systemd/process.service.jinja", description="scheduler", group="workers",
                              command=f"{bench.runtime} --sites-path {bench.sites_path} schedule", stop_seconds=30,
                              log_name="schedule", **values)
        groups.setdefault("workers", []).append(name)
    if "worker" in roles:
        for worker in WORKERS:
            template_name = f"{bench.name}-{worker['name']}-worker@.service"
            units[template_name] = _render(
                "systemd/process.service.jinja", description=f"{worker['name']} worker %i", group="workers",
                command=f"{bench.runtime} --sites-path {bench.sites_path} worker --queue {worker['queues']}",
                stop_seconds=worker["stop_seconds"], log_name="worker", **values)
            groups.setdefault("workers", []).extend(
                f"{bench.name}-{worker['name']}-worker@{n}.service" for n in range(1, s["background_workers"] + 1))
    for group, members in groups.items():
        units[f"{bench.name}-{group}.target"] = _render("systemd/group.target.jinja", group=group, units=members,
                                                        **values)
    units[f"{bench.name}.target"] = _render("systemd/bench.target.jinja",
                                            targets=[f"{bench.name}-{g}.target" for g in groups], **values)
    return units


def _installed_apps(bench: Bench, sites: list[str]) -> list[str]:
    """Apps installed on any site, in install order (frappe first)."""
    import frappe

    apps: list[str] = []
    for site in sites:
        try:
            frappe.init(site, sites_path=bench.sites_path, force=True)
            frappe.connect()
            site_apps = frappe.get_installed_apps()
        except Exception as e:
            raise click.ClickException(f"could not read the installed apps of {site}: {e}") from None
        finally:
            frappe.destroy()
        apps += [a for a in site_apps if a not in apps]
    return apps or ["frappe"]


def _app_public(app: str) -> str | None:
    from frappe.app import _app_public_dir

    path = _app_public_dir(app)
    return os.path.realpath(path) if path else None


def render_nginx(bench: Bench, upstreams: list[str], port: int | None) -> str:
    settings = bench.settings()
    site_names = bench.sites()
    if not site_names:
        raise click.ClickException(f"no sites in {bench.sites_path}: create one with new-site first")
    default = bench.default_site()
    if default not in site_names:
        default = site_names[0]
    sites = []
    for name in site_names:
        config = _read_json(os.path.join(bench.sites_path, name, "site_config.json"))
        domains = config.get("domains") or []
        server_names = [name] + [d["domain"] if isinstance(d, dict) else d for d in domains]
        bad = [n for n in server_names if not isinstance(n, str) or not _SERVER_NAME.match(n)]
        if bad:
            raise click.ClickException(f"{name}: domains must be host names, not {bad!r}")
        site_port = port or config.get("nginx_port") or 80
        sites.append({"name": name, "server_names": server_names, "port": int(site_port), "default": name == default,
                      "public_path": os.path.join(bench.sites_path, name, "public")})
    assets = [{"name": app, "public": public} for app in _installed_apps(bench, site_names)
              if (public := _app_public(app))]
    return _render("nginx.conf.jinja", bench_name=bench.name, logs_path=bench.logs_path, sites=sites,
                   upstreams=upstreams or [f"127.0.0.1:{settings['webserver_port']}"], assets=assets,
                   http_timeout=settings["http_timeout"], client_max_body_size="50m")


def _parse_upstreams(ctx, param, values) -> list[str]:
    for value in values:
        match = _HOST_PORT.match(value)
        if not match or not 0 < int(match.group(2)) < 65536:
            raise click.BadParameter(f"{value!r} is not HOST:PORT")
    return list(values)


# ---------------------------------------------------------------------------------- writers


def write_supervisor(bench: Bench, user: str, roles: list[str], bind_address: str, yes: bool) -> str:
    path = os.path.join(bench.config_path, "supervisor.conf")
    _write(path, render_supervisor(bench, user, roles, bind_address), yes)
    os.makedirs(bench.logs_path, exist_ok=True)
    return path


def write_systemd(bench: Bench, user: str, roles: list[str], bind_address: str, yes: bool) -> list[str]:
    folder = os.path.join(bench.config_path, "systemd")
    units = render_systemd(bench, user, roles, bind_address)
    paths = []
    for name, text in units.items():
        path = os.path.join(folder, name)
        _write(path, text, yes)
        paths.append(path)
    # units of roles this host no longer runs must not linger next to the new ones
    for stale in set(os.listdir(folder)) - set(units):
        if stale.startswith(bench.name) and stale.endswith((".service", ".target")):
            os.remove(os.path.join(folder, stale))
    os.makedirs(bench.logs_path, exist_ok=True)
    return paths


def write_nginx(bench: Bench, upstreams: list[str], port: int | None, yes: bool) -> str:
    path = os.path.join(bench.config_path, "nginx.conf")
    _write(path, render_nginx(bench, upstreams, port), yes)
    os.makedirs(bench.logs_path, exist_ok=True)
    return path


def _link(source: str, link: str) -> None:
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.islink(link) or os.path.exists(link):
        if os.path.realpath(link) == os.path.realpath(source):
            return
        os.remove(link)
    os.symlink(source, link)
    click.echo(f"Linked {link} -> {source}")


def _run(args: list[str]) -> None:
    click.echo("$ " + " ".join(args))
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise click.ClickException(f"{' '.join(args)} failed: {(result.stderr or result.stdout).strip()}")


# ---------------------------------------------------------------------------------- commands


@click.group("setup")
def setup():
    """Write production configuration (supervisor, systemd, nginx), as bench's ``setup``."""


@setup.command("supervisor")
@click.option("--user", default=None, help="User the processes run as (default: the current user).")
@click.option("--yes", is_flag=True, default=False, help="Overwrite an existing config/supervisor.conf.")
@_roles_option
@_bind_option
@click.pass_context
def setup_supervisor(ctx, user, yes, roles, bind_address):
    """Write config/supervisor.conf: web, scheduler and workers as supervisor programs."""
    bench = Bench(ctx.obj.sites_path)
    _warn_without_queue(bench, roles)
    path = write_supervisor(bench, _validate_user(user or getpass.getuser()), roles, bind_address, yes)
    click.echo(f"Wrote {path}")


@setup.command("systemd")
@click.option("--user", default=None, help="User the processes run as (default: the current user).")
@click.option("--yes", is_flag=True, default=False, help="Overwrite existing units in config/systemd.")
@_roles_option
@_bind_option
@click.pass_context
def setup_systemd(ctx, user, yes, roles, bind_address):
    """Write config/systemd/: the processes as units under <bench>.target."""
    bench = Bench(ctx.obj.sites_path)
    _warn_without_queue(bench, roles)
    for path in write_systemd(bench, _validate_user(user or getpass.getuser()), roles, bind_address, yes):
        click.echo(f"Wrote {path}")


@setup.command("nginx")
@click.option("--yes", is_flag=True, default=False, help="Overwrite an existing config/nginx.conf.")
@click.option("--upstream", "upstreams", multiple=True, callback=_parse_upstreams, metavar="HOST:PORT",
              help="A web host behind this nginx (repeat for several; default 127.0.0.1:webserver_port).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port every site listens on (default: the site's nginx_port, else 80).")
@click.pass_context
def setup_nginx(ctx, yes, upstreams, port):
    """Write config/nginx.conf: /assets and /files from disk, the rest proxied to the web hosts."""
    bench = Bench(ctx.obj.sites_path)
    click.echo(f"Wrote {write_nginx(bench, upstreams, port, yes)}")


@setup.command("production")
@click.argument("user")
@click.option("--yes", is_flag=True, default=False, help="Overwrite existing files without asking.")
@click.option("--process-manager", type=click.Choice(["supervisor", "systemd"]), default="supervisor",
              show_default=True)
@_roles_option
@_bind_option
@click.option("--upstream", "upstreams", multiple=True, callback=_parse_upstreams, metavar="HOST:PORT",
              help="A web host behind nginx (repeat for several).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port nginx listens on for every site.")
@click.option("--nginx/--no-nginx", "with_nginx", default=True, show_default=True,
              help="Also write and link the nginx site (off on hosts without the load balancer).")
@click.option("--etc-path", default="/etc", show_default=True, help="Where supervisor, systemd and nginx read configs.")
@click.option("--reload/--no-reload", "reload_services", default=True, show_default=True,
              help="Reload supervisor/systemd and nginx after linking.")
@click.pass_context
def setup_production(ctx, user, yes, process_manager, roles, bind_address, upstreams, port, with_nginx, etc_path,
                     reload_services):
    """Set the bench up for production as bench does: nginx and supervisor (or systemd) files,
    linked into /etc, services reloaded."""
    bench = Bench(ctx.obj.sites_path)
    user = _validate_user(user)
    _warn_without_queue(bench, roles)
    etc_path = os.path.abspath(etc_path)
    link_name = f"{bench.name}.conf"
    if process_manager == "supervisor":
        path = write_supervisor(bench, user, roles, bind_address, yes)
        click.echo(f"Wrote {path}")
        _link(path, os.path.join(etc_path, "supervisor", "conf.d", link_name))
    else:
        paths = write_systemd(bench, user, roles, bind_address, yes)
        for path in paths:
            click.echo(f"Wrote {path}")
            _link(path, os.path.join(etc_path, "systemd", "system", os.path.basename(path)))
    if with_nginx:
        path = write_nginx(bench, upstreams, port, yes)
        click.echo(f"Wrote {path}")
        _link(path, os.path.join(etc_path, "nginx", "conf.d", link_name))
    if reload_services:
        _reload(bench, process_manager, with_nginx)
    click.echo(f"Production set up for {bench.name} (roles: {', '.join(roles)}; {process_manager})")


def _reload(bench: Bench, process_manager: str, with_nginx: bool) -> None:
    if process_manager == "supervisor":
        if not shutil.which("supervisorctl"):
            raise click.ClickException("supervisorctl not found: apt install supervisor, then run this again")
        _run(["supervisorctl", "reread"])
        _run(["supervisorctl", "update"])
    else:
        if not shutil.which("systemctl"):
            raise click.ClickException("systemctl not found: use --process-manager supervisor")
        _run(["systemctl", "daemon-reload"])
        _run(["systemctl", "enable", "--now", f"{bench.name}.target"])
    if with_nginx:
        if not shutil.which("nginx"):
            raise click.ClickException("nginx not found: apt install nginx, then run this again")
        _run(["nginx", "-t"])
        if shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
            _run(["systemctl", "reload", "nginx"])
        else:
            _run(["nginx", "-s", "reload"])


commands = [setup]

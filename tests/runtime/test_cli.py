"""The ``medgrid-runtime`` command line: new-site, install-app, migrate, execute, set-config,
console and the scheduler switches, on a site of its own (engine from ``MEDGRID_TEST_DB``)."""

from __future__ import annotations

import contextvars
import json
import os
import secrets
import subprocess
import sys

import pytest
from click.testing import CliRunner

from medgrid_runtime.cli import cli

TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")
SITE = "cli.localhost"


def invoke(sites_path, *args, input=None):
    """Run the CLI in-process, in a fresh context (so it cannot touch the caller's frappe.local)."""
    runner = CliRunner()
    return contextvars.Context().run(runner.invoke, cli, ["--sites-path", sites_path, *args], input=input)


def ok(result):
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


@pytest.fixture(scope="module")
def cli_sites(tmp_path_factory):
    """A sites folder with one site made by ``new-site`` + ``install-app``."""
    sites_path = str(tmp_path_factory.mktemp("cli_sites"))
    args = ["new-site", SITE, "--admin-password", "secret", "--db-type", TEST_DB]
    if TEST_DB != "sqlite":
        args += ["--db-name", f"_mgcli_{secrets.token_hex(5)}"]
    ok(invoke(sites_path, *args))
    ok(invoke(sites_path, "--site", SITE, "install-app", "runtime_test_app"))
    yield sites_path

    import frappe
    from frappe.installer import drop_site_database

    conf = frappe.get_site_config(sites_path, os.path.join(sites_path, SITE))
    if conf.get("db_type") in ("mariadb", "postgres"):
        drop_site_database(conf)


def site_config(sites_path):
    with open(os.path.join(sites_path, SITE, "site_config.json")) as f:
        return json.load(f)


def execute(sites_path, method, *extra):
    out = ok(invoke(sites_path, "--site", SITE, "execute", method, *extra)).strip()
    return json.loads(out) if out else None


def test_new_site_writes_the_config_and_install_app_syncs_hooks(cli_sites):
    conf = site_config(cli_sites)
    assert conf["db_type"] == TEST_DB and conf.get("encryption_key")
    assert execute(cli_sites, "frappe.get_installed_apps") == ["frappe", "runtime_test_app"]
    # installing the app turned its scheduler_events into Scheduled Job Types
    job_types = execute(cli_sites, "frappe.get_all", "--args", "'Scheduled Job Type'", "--kwargs", "{'pluck': 'name'}")
    # (plus the frappe app's own scheduled backup)
    assert sorted(job_types) == ["backups.run_scheduled_backup", "events.daily_job", "events.five_minute_job"]


def test_execute_passes_args_and_kwargs_and_prints_json(cli_sites):
    assert execute(cli_sites, "runtime_test_app.events.add", "--args", "(2, 3)") == 5
    assert execute(cli_sites, "runtime_test_app.events.add", "--args", "[4]", "--kwargs", "{'b': 6}") == 10
    # a falsy result prints nothing
    assert execute(cli_sites, "runtime_test_app.events.add", "--args", "(0, 0)") is None


def test_execute_commits_and_runs_as_administrator(cli_sites):
    execute(cli_sites, "frappe.db.set_default", "--kwargs", "{'key': 'cli_probe', 'val': 'v1'}")
    assert execute(cli_sites, "frappe.db.get_default", "--args", "'cli_probe'") == "v1"
    # --args that is not a Python literal is passed as one string
    assert execute(cli_sites, "frappe.db.get_default", "--args", "cli_probe") == "v1"
    # a path get_attr cannot import is evaluated as an expression
    assert execute(cli_sites, "frappe.session.get", "--args", "'user'") == "Administrator"


def test_set_config_plain_parsed_and_global(cli_sites):
    ok(invoke(cli_sites, "--site", SITE, "set-config", "vendor_mode", "sandbox"))
    ok(invoke(cli_sites, "--site", SITE, "set-config", "limits", "{'per_minute': 40}", "--parse"))
    ok(invoke(cli_sites, "set-config", "scheduler_tick_interval", "5", "-p", "--global"))

    conf = site_config(cli_sites)
    assert conf["vendor_mode"] == "sandbox" and conf["limits"] == {"per_minute": 40}
    with open(os.path.join(cli_sites, "common_site_config.json")) as f:
        assert json.load(f)["scheduler_tick_interval"] == 5


def test_scheduler_switches(cli_sites):
    assert "Scheduler is disabled for site cli.localhost" in ok(invoke(cli_sites, "--site", SITE, "scheduler", "status"))

    assert "Enabled for cli.localhost" in ok(invoke(cli_sites, "--site", SITE, "enable-scheduler"))
    assert "Scheduler is enabled" in ok(invoke(cli_sites, "--site", SITE, "scheduler", "status"))
    assert execute(cli_sites, "frappe.db.get_single_value", "--args", "('System Settings', 'enable_scheduler')") == 1

    ok(invoke(cli_sites, "--site", SITE, "scheduler", "pause"))
    assert site_config(cli_sites)["pause_scheduler"] == 1
    assert "disabled" in ok(invoke(cli_sites, "--site", SITE, "scheduler", "status"))
    ok(invoke(cli_sites, "--site", SITE, "scheduler", "resume"))

    assert "Disabled for cli.localhost" in ok(invoke(cli_sites, "--site", SITE, "disable-scheduler"))
    # 0 is falsy: execute prints nothing
    assert execute(cli_sites, "frappe.db.get_single_value", "--args", "('System Settings', 'enable_scheduler')") is None


def test_migrate_runs_the_apps_after_migrate_hooks(cli_sites):
    before = int(execute(cli_sites, "frappe.db.get_default", "--args", "'rt_after_migrate'") or 0)
    ok(invoke(cli_sites, "--site", SITE, "migrate"))
    assert int(execute(cli_sites, "frappe.db.get_default", "--args", "'rt_after_migrate'")) == before + 1


def test_console_has_the_site_initialised(cli_sites):
    out = ok(invoke(cli_sites, "--site", SITE, "console", input="print('site=' + frappe.local.site)\n"))
    assert "site=cli.localhost" in out


def test_site_commands_need_a_site(cli_sites):
    result = invoke(cli_sites, "execute", "frappe.ping")
    assert result.exit_code == 1 and "Please specify --site sitename" in result.output


def test_site_all_and_currentsite(cli_sites):
    assert json.loads(ok(invoke(cli_sites, "--site", "all", "execute", "frappe.ping"))) == "pong"
    with open(os.path.join(cli_sites, "currentsite.txt"), "w") as f:
        f.write(SITE)
    try:
        assert json.loads(ok(invoke(cli_sites, "execute", "frappe.ping"))) == "pong"
    finally:
        os.remove(os.path.join(cli_sites, "currentsite.txt"))


def test_the_console_script_runs_as_a_process(cli_sites):
    executable = os.path.join(os.path.dirname(sys.executable), "medgrid-runtime")
    command = [executable] if os.path.exists(executable) else [sys.executable, "-m", "medgrid_runtime.cli"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)))
    env.pop("MEDGRID_SITES_PATH", None)

    result = subprocess.run(
        [*command, "--sites-path", cli_sites, "--site", SITE, "execute", "runtime_test_app.events.add", "--args", "(20, 22)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "42"


def test_sites_path_comes_from_the_environment(cli_sites, monkeypatch):
    monkeypatch.setenv("MEDGRID_SITES_PATH", cli_sites)
    result = contextvars.Context().run(CliRunner().invoke, cli, ["--site", SITE, "execute", "frappe.ping"])
    assert json.loads(ok(result)) == "pong"

"""``medgrid-runtime setup production | supervisor | systemd | nginx``: the files bench's commands of
the same names write, checked by what reads them (``nginx -t``, ``systemd-analyze verify`` when
installed; supervisor's INI through configparser) and by their content."""

from __future__ import annotations

import configparser
import contextvars
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from medgrid_runtime.cli import cli

SITE = "prod.localhost"
OTHER_SITE = "second.localhost"


def invoke(sites_path, *args, input=None):
    runner = CliRunner()
    return contextvars.Context().run(runner.invoke, cli, ["--sites-path", sites_path, *args], input=input)


def ok(result):
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """A bench folder ``prod-bench/`` with two SQLite sites (the files do not depend on the engine)."""
    root = tmp_path_factory.mktemp("setup_production") / "prod-bench"
    sites = root / "sites"
    sites.mkdir(parents=True)
    ok(invoke(str(sites), "new-site", SITE, "--admin-password", "x", "--install-app", "runtime_test_app"))
    ok(invoke(str(sites), "new-site", OTHER_SITE, "--admin-password", "x"))
    with open(sites / OTHER_SITE / "site_config.json") as f:
        config = json.load(f)
    config.update(nginx_port=8081, domains=["shop.example.com", {"domain": "www.shop.example.com"}])
    with open(sites / OTHER_SITE / "site_config.json", "w") as f:
        json.dump(config, f)
    # redis_queue only names the queue for the warning; no cache: reading the sites must not need a Redis
    common = {"default_site": SITE, "redis_queue": "redis://10.0.0.5:6379",
              "webserver_port": 8123, "gunicorn_workers": 3, "background_workers": 2, "http_timeout": 90}
    (sites / "common_site_config.json").write_text(json.dumps(common))
    return root


def read_supervisor(path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


def test_supervisor_has_bench_programs_with_the_bench_settings(bench):
    out = ok(invoke(str(bench / "sites"), "setup", "supervisor", "--user", "frappe", "--yes"))
    path = bench / "config" / "supervisor.conf"
    assert f"Wrote {path}" in out
    conf = read_supervisor(path)
    name = "prod-bench"
    assert [s for s in conf.sections()] == [
        f"program:{name}-web", f"program:{name}-schedule", f"program:{name}-short-worker",
        f"program:{name}-long-worker", f"group:{name}-web", f"group:{name}-workers"]
    web = conf[f"program:{name}-web"]
    bin_dir = os.path.dirname(sys.executable)
    assert web["command"].startswith(f"{bin_dir}/gunicorn -c python:medgrid_runtime.gunicorn_conf -b 127.0.0.1:8123 -w 3 ")
    assert " -t 90 " in web["command"] and web["command"].endswith("--preload frappe.app:application")
    assert web["user"] == "frappe" and web["directory"] == str(bench)
    assert web["environment"] == f'MEDGRID_SITES_PATH="{bench / "sites"}"'
    assert web["stdout_logfile"] == f"{bench}/logs/web.log"
    assert (bench / "logs").is_dir()
    schedule = conf[f"program:{name}-schedule"]
    assert schedule["command"] == f"{bin_dir}/medgrid-runtime --sites-path {bench / 'sites'} schedule"
    short = conf[f"program:{name}-short-worker"]
    assert short["command"].endswith("worker --queue short,default")
    assert short["numprocs"] == "2" and short["process_name"] == "%(program_name)s-%(process_num)d"
    assert conf[f"program:{name}-long-worker"]["command"].endswith("worker --queue long,default,short")
    assert conf[f"group:{name}-workers"]["programs"] == f"{name}-schedule,{name}-short-worker,{name}-long-worker"
    # every command names executables that exist
    for section in conf.sections():
        if section.startswith("program:"):
            assert os.access(conf[section]["command"].split()[0], os.X_OK)


def test_roles_split_the_processes_between_hosts(bench, tmp_path):
    ok(invoke(str(bench / "sites"), "setup", "supervisor", "--user", "frappe", "--yes", "--roles", "worker"))
    conf = read_supervisor(bench / "config" / "supervisor.conf")
    assert conf.sections() == ["program:prod-bench-short-worker", "program:prod-bench-long-worker",
                               "group:prod-bench-workers"]
    ok(invoke(str(bench / "sites"), "setup", "supervisor", "--user", "frappe", "--yes", "--roles", "web",
              "--bind-address", "10.0.0.21"))
    conf = read_supervisor(bench / "config" / "supervisor.conf")
    assert conf.sections() == ["program:prod-bench-web", "group:prod-bench-web"]
    assert " -b 10.0.0.21:8123 " in conf["program:prod-bench-web"]["command"]


def test_existing_files_are_kept_unless_confirmed(bench):
    sites = str(bench / "sites")
    ok(invoke(sites, "setup", "supervisor", "--user", "frappe", "--yes"))
    path = bench / "config" / "supervisor.conf"
    path.write_text("; hand-edited\n")
    refused = invoke(sites, "setup", "supervisor", "--user", "frappe", input="n\n")
    assert refused.exit_code == 1 and "already exists and this will overwrite it" in refused.output
    assert path.read_text() == "; hand-edited\n"
    ok(invoke(sites, "setup", "supervisor", "--user", "frappe", input="y\n"))
    assert "[program:prod-bench-web]" in path.read_text()


@pytest.mark.parametrize("args, message", [
    (["setup", "supervisor", "--roles", "web,db"], "choose from web, worker, schedule"),
    (["setup", "supervisor", "--roles", ""], "choose from web, worker, schedule"),
    (["setup", "supervisor", "--user", "bad user"], "is not a user name"),
    (["setup", "nginx", "--upstream", "10.0.0.1"], "is not HOST:PORT"),
    (["setup", "nginx", "--upstream", "10.0.0.1:99999"], "is not HOST:PORT"),
    (["setup", "nginx", "--upstream", "evil;include /etc/shadow:80"], "is not HOST:PORT"),
    (["setup", "production", "root;rm", "--yes", "--no-reload"], "is not a user name"),
])
def test_bad_options_are_refused_and_nothing_is_written(bench, tmp_path, args, message):
    config = bench / "config"
    before = {p: p.read_bytes() for p in config.rglob("*") if p.is_file()} if config.exists() else {}
    result = invoke(str(bench / "sites"), *args)
    assert result.exit_code == 2 and message in result.output
    after = {p: p.read_bytes() for p in config.rglob("*") if p.is_file()} if config.exists() else {}
    assert after == before


def test_a_bad_setting_in_common_site_config_is_named(tmp_path):
    sites = tmp_path / "b" / "sites"
    sites.mkdir(parents=True)
    (sites / "common_site_config.json").write_text(json.dumps({"gunicorn_workers": "many"}))
    result = invoke(str(sites), "setup", "supervisor", "--yes")
    assert result.exit_code == 1 and "gunicorn_workers in common_site_config.json must be a positive whole number" \
        in result.output
    assert not (tmp_path / "b" / "config" / "supervisor.conf").exists()


def test_systemd_units_under_one_target(bench):
    out = ok(invoke(str(bench / "sites"), "setup", "systemd", "--user", "frappe", "--yes"))
    folder = bench / "config" / "systemd"
    names = sorted(os.listdir(folder))
    assert names == ["prod-bench-long-worker@.service", "prod-bench-schedule.service",
                     "prod-bench-short-worker@.service", "prod-bench-web.service", "prod-bench-web.target",
                     "prod-bench-workers.target", "prod-bench.target"]
    assert out.count("Wrote ") == len(names)
    web = (folder / "prod-bench-web.service").read_text()
    assert re.search(r"^ExecStart=\S+/gunicorn -c python:medgrid_runtime.gunicorn_conf -b 127.0.0.1:8123 -w 3 ", web, re.M)
    assert "User=frappe" in web and f"Environment=MEDGRID_SITES_PATH={bench / 'sites'}" in web
    assert "PartOf=prod-bench-web.target" in web
    workers = (folder / "prod-bench-workers.target").read_text()
    assert ("Wants=prod-bench-schedule.service prod-bench-short-worker@1.service prod-bench-short-worker@2.service "
            "prod-bench-long-worker@1.service prod-bench-long-worker@2.service") in workers
    assert "Wants=prod-bench-web.target prod-bench-workers.target" in (folder / "prod-bench.target").read_text()

    # a worker-only host: the web units go
    ok(invoke(str(bench / "sites"), "setup", "systemd", "--user", "frappe", "--yes", "--roles", "worker"))
    assert sorted(os.listdir(folder)) == ["prod-bench-long-worker@.service", "prod-bench-short-worker@.service",
                                          "prod-bench-workers.target", "prod-bench.target"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_pass_systemd_analyze_verify(bench, tmp_path):
    ok(invoke(str(bench / "sites"), "setup", "systemd", "--user", "root", "--yes"))
    folder = bench / "config" / "systemd"
    units = []
    for name in os.listdir(folder):
        # a template is verified through an instance of it
        target = tmp_path / name.replace("@.service", "@1.service")
        shutil.copy(folder / name, target)
        units.append(str(target))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "bad unit file setting" not in result.stderr


def test_nginx_site_serves_assets_and_files_and_proxies_the_rest(bench):
    out = ok(invoke(str(bench / "sites"), "setup", "nginx", "--yes", "--upstream", "10.0.0.21:8000",
                    "--upstream", "web2.internal:8000"))
    path = bench / "config" / "nginx.conf"
    assert f"Wrote {path}" in out
    text = path.read_text()
    assert re.search(r"upstream prod-bench-web \{\s*server 10\.0\.0\.21:8000 max_fails=1 fail_timeout=10s;\s*"
                     r"server web2\.internal:8000 max_fails=1 fail_timeout=10s;\s*\}", text)
    servers = _server_blocks(text)
    assert [s["server_name"] for s in servers] == [SITE, f"{OTHER_SITE} shop.example.com www.shop.example.com"]
    assert servers[0]["listen"] == "80 default_server" and servers[1]["listen"] == "8081"
    for server, site in zip(servers, (SITE, OTHER_SITE)):
        body = server["body"]
        assert f"proxy_set_header X-Frappe-Site-Name {site};" in body
        assert f"root {bench}/sites/{site}/public;" in body
        # the whole sites folder (site_config.json) is never a document root
        assert f"root {bench}/sites;" not in body
    import frappe

    frappe_public = os.path.realpath(os.path.join(os.path.dirname(frappe.__file__), "public"))
    assert f"location /assets/frappe/ {{\n        alias {frappe_public}/;" in text
    # runtime_test_app is installed but has no public/ folder: nothing to serve
    assert "/assets/runtime_test_app/" not in text
    assert 'proxy_set_header X-Forwarded-For $remote_addr;' in text
    # access log without query strings or users
    log_format = re.search(r"log_format (\w+) (.*?);", text, re.S)
    assert "$request " not in log_format.group(2) and "$request_uri" not in log_format.group(2)
    assert "$uri" in log_format.group(2) and "$remote_user" not in log_format.group(2)
    assert f"access_log {bench}/logs/nginx-access.log {log_format.group(1)};" in text

    # one web host: the single upstream on webserver_port
    ok(invoke(str(bench / "sites"), "setup", "nginx", "--yes", "--port", "8443"))
    text = path.read_text()
    assert re.search(r"upstream prod-bench-web \{\s*server 127\.0\.0\.1:8123 fail_timeout=0;\s*\}", text)
    assert [s["listen"] for s in _server_blocks(text)] == ["8443 default_server", "8443"]


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (scripts/test.sh installs Debian's)")
def test_nginx_accepts_the_generated_site(bench, tmp_path):
    ok(invoke(str(bench / "sites"), "setup", "nginx", "--yes", "--upstream", "127.0.0.1:18000",
              "--upstream", "127.0.0.1:18001"))
    main = write_test_main_conf(tmp_path, bench / "config" / "nginx.conf")
    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", main, "-e", "stderr"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_refuses_a_domain_that_is_not_a_host_name(tmp_path):
    sites = tmp_path / "x-bench" / "sites"
    sites.mkdir(parents=True)
    ok(invoke(str(sites), "new-site", "x.localhost", "--admin-password", "x"))
    config_path = sites / "x.localhost" / "site_config.json"
    config = json.loads(config_path.read_text())
    config["domains"] = ["ok.example.com", "bad; include /etc/passwd"]
    config_path.write_text(json.dumps(config))
    result = invoke(str(sites), "setup", "nginx", "--yes")
    assert result.exit_code == 1 and "domains must be host names" in result.output
    assert not (tmp_path / "x-bench" / "config" / "nginx.conf").exists()


def test_nginx_without_sites_says_so(tmp_path):
    sites = tmp_path / "empty-bench" / "sites"
    sites.mkdir(parents=True)
    result = invoke(str(sites), "setup", "nginx", "--yes")
    assert result.exit_code == 1 and "no sites in" in result.output


def test_production_writes_links_and_reloads_nothing_when_told(bench, tmp_path):
    etc = tmp_path / "etc"
    out = ok(invoke(str(bench / "sites"), "setup", "production", "frappe", "--yes", "--etc-path", str(etc),
                    "--no-reload"))
    supervisor_link = etc / "supervisor" / "conf.d" / "prod-bench.conf"
    nginx_link = etc / "nginx" / "conf.d" / "prod-bench.conf"
    assert os.readlink(supervisor_link) == str(bench / "config" / "supervisor.conf")
    assert os.readlink(nginx_link) == str(bench / "config" / "nginx.conf")
    assert "Production set up for prod-bench (roles: web, worker, schedule; supervisor)" in out
    assert "$ " not in out  # --no-reload: no service command ran
    assert "user=frappe" in (bench / "config" / "supervisor.conf").read_text()

    # again: the links are already right
    again = ok(invoke(str(bench / "sites"), "setup", "production", "frappe", "--yes", "--etc-path", str(etc),
                      "--no-reload"))
    assert "Linked" not in again

    # systemd on a worker host without the load balancer
    ok(invoke(str(bench / "sites"), "setup", "production", "frappe", "--yes", "--etc-path", str(etc), "--no-reload",
              "--process-manager", "systemd", "--roles", "worker", "--no-nginx"))
    linked = sorted(os.listdir(etc / "systemd" / "system"))
    assert linked == ["prod-bench-long-worker@.service", "prod-bench-short-worker@.service",
                      "prod-bench-workers.target", "prod-bench.target"]
    for name in linked:
        assert os.readlink(etc / "systemd" / "system" / name) == str(bench / "config" / "systemd" / name)


def test_production_reload_needs_the_service_tools(bench, tmp_path, monkeypatch):
    """Without supervisorctl on PATH the reload step stops with a clear message (the files are written)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke(str(bench / "sites"), "setup", "production", "frappe", "--yes", "--etc-path", str(tmp_path / "etc"))
    assert result.exit_code == 1 and "supervisorctl not found" in result.output
    assert (bench / "config" / "supervisor.conf").exists()


def test_setup_warns_when_workers_have_no_queue(tmp_path):
    sites = tmp_path / "w-bench" / "sites"
    sites.mkdir(parents=True)
    result = invoke(str(sites), "setup", "supervisor", "--yes", "--roles", "worker")
    assert result.exit_code == 0
    assert "redis_queue is not set in common_site_config.json" in result.output


# ------------------------------------------------------------------------------------- helpers

def _server_blocks(text: str) -> list[dict]:
    blocks = []
    for match in re.finditer(r"^server \{\n(.*?)^\}", text, re.S | re.M):
        body = match.group(1)
        blocks.append({"listen": re.search(r"listen ([^;]+);", body).group(1),
                       "server_name": re.search(r"server_name ([^;]+);", body).group(1), "body": body})
    return blocks


def write_test_main_conf(prefix, site_conf) -> str:
    """A main nginx.conf that includes the generated site in its http block, with every path nginx
    writes inside ``prefix`` (nginx runs unprivileged there)."""
    prefix = str(prefix)
    path = os.path.join(prefix, "nginx-main.conf")
    with open(path, "w") as f:
        f.write(f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site_conf};
}}
""")
    return path

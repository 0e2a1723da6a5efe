"""bench's operator commands on ``medgrid-runtime`` (issue 18 item 1), on a site of their own (engine
from ``MEDGRID_TEST_DB``): ``--version``, ``version``, ``list-apps``, ``set-admin-password``,
``add-system-manager``, ``destroy-all-sessions``, ``clear-cache``, ``show-pending-jobs``, ``doctor``,
``backup`` and ``restore``.

Where bench has the command, the expected output is the shape Frappe 15 prints (frappe/commands/
site.py, utils.py, scheduler.py, frappe/utils/backups.py and doctor.py). Bad input ends with a
one-line ``Error: …`` and exit code 1, never a traceback, and changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import gzip
import importlib.metadata
import io
import json
import os
import re
import secrets
import shutil
import tarfile

import pytest
from click.testing import CliRunner
from werkzeug.test import Client

import frappe
from medgrid_runtime.cli import cli

TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")
SITE = f"ops-{secrets.token_hex(3)}.localhost"
ADMIN_PASSWORD = "Ops-Admin-Pass-1"
REDIS = "redis://127.0.0.1:6379"


def invoke(sites_path, *args, input=None):
    """Run the CLI in-process, in a fresh context (so it cannot touch the caller's frappe.local)."""
    return contextvars.Context().run(CliRunner().invoke, cli, ["--sites-path", sites_path, *args], input=input)


def ok(result):
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


def refused(result, message):
    """A clean refusal: exit code 1, one ``Error:`` line naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.fixture(scope="module")
def ops_sites(tmp_path_factory):
    sites_path = str(tmp_path_factory.mktemp("ops_sites"))
    args = ["new-site", SITE, "--admin-password", ADMIN_PASSWORD, "--db-type", TEST_DB]
    if TEST_DB != "sqlite":
        args += ["--db-name", f"_mgops_{secrets.token_hex(5)}"]
    ok(invoke(sites_path, *args))
    yield sites_path

    from frappe.installer import drop_site_database

    frappe.destroy()
    for name in os.listdir(sites_path):
        config = os.path.join(sites_path, name, "site_config.json")
        if os.path.isfile(config):
            drop_site_database(frappe.get_site_config(sites_path, os.path.join(sites_path, name)))


@contextlib.contextmanager
def on_site(sites_path, site=SITE):
    frappe.init(site, sites_path=sites_path, force=True)
    try:
        frappe.connect()
        frappe.set_user("Administrator")
        yield
    finally:
        frappe.destroy()


@contextlib.contextmanager
def common_config(sites_path, **values):
    """``common_site_config.json`` holds ``values`` for the duration (e.g. Redis URLs)."""
    path = os.path.join(sites_path, "common_site_config.json")
    with open(path, "w") as f:
        json.dump(values, f)
    try:
        yield
    finally:
        os.remove(path)


def redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379 (scripts/services.sh)")


# ---------------------------------------------------------------------- versions and apps


def test_version_flag_prints_the_bare_version_like_bench(ops_sites):
    result = invoke(ops_sites, "--version")
    assert ok(result) == importlib.metadata.version("medgrid-runtime") + "\n"


def test_version_command_lists_each_app_and_its_version(ops_sites):
    lines = ok(invoke(ops_sites, "version")).splitlines()
    assert lines[0] == f"frappe {frappe.__version__}"
    assert {line.split()[0] for line in lines} == {"frappe", "erpnext", "medgrid"}
    assert json.loads(ok(invoke(ops_sites, "version", "--format", "json")))["frappe"] == frappe.__version__


def test_list_apps_prints_bench_columns_and_json(ops_sites):
    out = ok(invoke(ops_sites, "--site", SITE, "list-apps"))
    # bench: an empty title line for one site, "<app> <version> <branch>" per app, then a blank line
    assert out.startswith("\n") and out.endswith("\n\n")
    rows = out.strip("\n").splitlines()
    assert [row.split()[:2] for row in rows] == [["frappe", frappe.__version__]]
    assert len(rows[0].split()) == 3
    assert json.loads(ok(invoke(ops_sites, "--site", SITE, "list-apps", "--format", "json"))) == {SITE: ["frappe"]}


def test_commands_refuse_an_unknown_site_without_creating_it(ops_sites):
    for command in (["list-apps"], ["set-admin-password", "x"], ["clear-cache"], ["destroy-all-sessions"],
                    ["add-system-manager", "a@example.com"], ["backup"], ["show-pending-jobs"], ["doctor"]):
        refused(invoke(ops_sites, "--site", "nope.localhost", *command), "Site nope.localhost does not exist")
    assert not os.path.exists(os.path.join(ops_sites, "nope.localhost"))
    refused(invoke(ops_sites, "list-apps"), "Please specify --site")


# ---------------------------------------------------------------------- users and sessions


def test_set_admin_password_changes_the_login(ops_sites):
    from frappe.utils.password import check_password

    ok(invoke(ops_sites, "--site", SITE, "set-admin-password", "Changed-Pass-2"))
    with on_site(ops_sites):
        assert check_password("Administrator", "Changed-Pass-2") == "Administrator"
        with pytest.raises(frappe.AuthenticationError):
            check_password("Administrator", ADMIN_PASSWORD)
    ok(invoke(ops_sites, "--site", SITE, "set-admin-password", ADMIN_PASSWORD))
    # no argument and no terminal to prompt on: refused, password unchanged
    refused(invoke(ops_sites, "--site", SITE, "set-admin-password"), "no terminal to ask on")
    with on_site(ops_sites):
        assert check_password("Administrator", ADMIN_PASSWORD) == "Administrator"


def test_add_system_manager_creates_a_system_user_with_every_role(ops_sites):
    from frappe.utils.password import check_password

    email = f"ops-{secrets.token_hex(3)}@example.com"
    assert ok(invoke(ops_sites, "--site", SITE, "add-system-manager", email, "--first-name", "Ops",
                     "--password", "Ops-Manager-Pass-3")) == ""
    with on_site(ops_sites):
        user = frappe.get_doc("User", email)
        assert (user.first_name, user.user_type, user.enabled) == ("Ops", "System User", 1)
        roles = {row.role for row in user.roles}
        assert "System Manager" in roles and not roles & {"Administrator", "Guest", "All"}
        assert roles == set(frappe.get_all("Role", filters={"name": ["not in", ["Administrator", "Guest", "All"]]},
                                           pluck="name"))
        assert check_password(email, "Ops-Manager-Pass-3") == email
    refused(invoke(ops_sites, "--site", SITE, "add-system-manager", email), f"User {email} already exists")
    refused(invoke(ops_sites, "--site", SITE, "add-system-manager", "not-an-email"), "not a valid email address")


def _http(sites_path, monkeypatch, method, path, cookie=None, json_body=None):
    from frappe.app import application

    monkeypatch.setenv("MEDGRID_SITES_PATH", sites_path)
    headers = [("Host", SITE)] + ([("Cookie", f"sid={cookie}")] if cookie else [])
    client = Client(application, use_cookies=False)
    response = client.open(path, method=method, headers=headers, json=json_body, base_url=f"http://{SITE}")
    try:
        return response.status_code, response.headers, response.get_data()
    finally:
        response.close()


def _login(sites_path, monkeypatch) -> str:
    status, headers, body = _http(sites_path, monkeypatch, "POST", "/api/method/login",
                                  json_body={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
    assert status == 200, body
    return re.search(r"sid=([^;]+)", " ".join(headers.getlist("Set-Cookie"))).group(1)


def _logged_user(sites_path, monkeypatch, sid):
    status, _headers, body = _http(sites_path, monkeypatch, "GET", "/api/method/frappe.auth.get_logged_user",
                                   cookie=sid)
    return json.loads(body).get("message") if status == 200 else None


def test_destroy_all_sessions_logs_everyone_out(ops_sites, monkeypatch):
    sids = [_login(ops_sites, monkeypatch) for _ in range(2)]
    assert [_logged_user(ops_sites, monkeypatch, sid) for sid in sids] == ["Administrator", "Administrator"]
    assert ok(invoke(ops_sites, "--site", SITE, "destroy-all-sessions", "--reason", "Credentials rotated")) == ""
    assert [_logged_user(ops_sites, monkeypatch, sid) for sid in sids] == [None, None]
    with on_site(ops_sites):
        assert frappe.db.sql("select count(*) from `tabSessions`")[0][0] == 0


def test_backups_download_only_for_system_managers_as_frappe_serves_them(ops_sites, monkeypatch):
    ok(invoke(ops_sites, "--site", SITE, "backup"))
    folder = os.path.join(ops_sites, SITE, "private", "backups")
    dump = sorted(n for n in os.listdir(folder) if n.endswith("-database.sql.gz"))[-1]
    plain_user = f"plain-{secrets.token_hex(3)}@example.com"
    with on_site(ops_sites):
        from frappe.utils.password import update_password

        frappe.get_doc({"doctype": "User", "email": plain_user, "first_name": "Plain"}).insert(ignore_permissions=True)
        update_password(plain_user, "Plain-User-Pass-4")
        frappe.db.commit()
    status, headers, body = _http(ops_sites, monkeypatch, "POST", "/api/method/login",
                                  json_body={"usr": plain_user, "pwd": "Plain-User-Pass-4"})
    assert status == 200, body
    plain_sid = re.search(r"sid=([^;]+)", " ".join(headers.getlist("Set-Cookie"))).group(1)
    admin_sid = _login(ops_sites, monkeypatch)
    traversal = [f"/private/backups/{dump}", f"/files/../private/backups/{dump}",
                 f"/files/%2e%2e/private/backups/{dump}", f"/backups/../site_config.json"]
    for cookie in (None, plain_sid, admin_sid):
        for path in traversal + ([f"/backups/{dump}"] if cookie != admin_sid else []):
            status, _headers, body = _http(ops_sites, monkeypatch, "GET", path, cookie=cookie)
            assert status in (403, 404) and b"encryption_key" not in body, (cookie, path, status)
    # Frappe's /backups download, for System Managers only
    status, _headers, body = _http(ops_sites, monkeypatch, "GET", f"/backups/{dump}", cookie=admin_sid)
    assert status == 200 and gzip.decompress(body).startswith(b"-- Backup generated by Frappe")
    # and the backup functions are not whitelisted: no caller can take or restore one over HTTP
    before = sorted(os.listdir(folder))
    for cookie in (None, plain_sid, admin_sid):
        for method in ("frappe.utils.backups.backup", "frappe.utils.backups.new_backup",
                       "frappe.utils.backups.run_scheduled_backup", "frappe.utils.backups.restore_backup"):
            status, _headers, _body = _http(ops_sites, monkeypatch, "POST", f"/api/method/{method}", cookie=cookie,
                                            json_body={"with_files": 1})
            assert status == 403, (cookie, method, status)
    assert sorted(os.listdir(folder)) == before


# ---------------------------------------------------------------------- cache, jobs, doctor


def _cache_probe(sites_path, value=None):
    """Write (``value``) or read the site's cached ``installed_apps`` (a key clear-cache must drop)."""
    with on_site(sites_path):
        if value is not None:
            frappe.cache.set_value("installed_apps", value)
        return frappe.cache.get_value("installed_apps", use_local_cache=False)


def test_clear_cache_drops_the_sites_cached_values(ops_sites):
    assert _cache_probe(ops_sites, ["probe-app"]) == ["probe-app"]
    assert ok(invoke(ops_sites, "--site", SITE, "clear-cache")) == ""
    assert _cache_probe(ops_sites) is None


@needs_redis
def test_clear_cache_drops_the_shared_redis_cache(ops_sites):
    with common_config(ops_sites, redis_cache=REDIS):
        assert _cache_probe(ops_sites, ["probe-app"]) == ["probe-app"]
        ok(invoke(ops_sites, "--site", SITE, "clear-cache"))
        assert _cache_probe(ops_sites) is None


def test_show_pending_jobs_without_redis_says_where_jobs_run(ops_sites):
    lines = ok(invoke(ops_sites, "--site", SITE, "show-pending-jobs")).splitlines()
    assert lines[0] == "-----Pending Jobs-----"
    assert "no redis_queue" in lines[1]


@pytest.fixture()
def queued_job(ops_sites):
    """One job waiting on the (worker-less) RQ ``long`` queue of this sites folder, with a secret argument."""
    from frappe.utils.background_jobs import get_queue

    with common_config(ops_sites, redis_queue=REDIS):
        with on_site(ops_sites):
            frappe.enqueue("frappe.utils.backups.run_scheduled_backup", queue="long", api_key="must-not-print",
                           note="visible")
            frappe.db.commit()
        yield
        with on_site(ops_sites):
            get_queue("long").empty()


@needs_redis
def test_show_pending_jobs_lists_queued_jobs_per_queue_with_secrets_masked(ops_sites, queued_job):
    out = ok(invoke(ops_sites, "--site", SITE, "show-pending-jobs"))
    lines = out.splitlines()
    assert lines[:2] == ["-----Pending Jobs-----", "-----Queue :long-----"]
    method, arguments = lines[2].split(" ", 1)
    assert method == "frappe.utils.backups.run_scheduled_backup"
    assert json.loads(arguments) == {"api_key": "*****", "note": "visible"}
    assert "must-not-print" not in out


def test_doctor_reports_scheduler_workers_databases_and_redis(ops_sites):
    result = invoke(ops_sites, "--site", SITE, "doctor")
    lines = ok(result).splitlines()
    engine = TEST_DB
    assert lines == [
        "-----Checking scheduler status-----",
        f"Scheduler inactive for {SITE}",  # a new site's scheduler is off until enable-scheduler
        "Workers online: 0",
        f"-----{SITE} Jobs-----",
        "-----Checking databases and Redis-----",
        f"Database of {SITE} ({engine}): reachable",
        "redis_cache: not configured (process memory)",
        "redis_queue: not configured (jobs run inside the web process)",
    ]
    ok(invoke(ops_sites, "--site", SITE, "enable-scheduler"))
    try:
        assert f"Scheduler inactive for {SITE}" not in ok(invoke(ops_sites, "--site", SITE, "doctor"))
    finally:
        ok(invoke(ops_sites, "--site", SITE, "disable-scheduler"))


@needs_redis
def test_doctor_counts_queued_jobs_and_fails_without_a_worker(ops_sites, queued_job):
    result = invoke(ops_sites, "--site", SITE, "doctor")
    assert result.exit_code == 1
    out = result.stdout
    assert "Workers online: 0" in out
    assert "Queue: long\nNumber of Jobs: 1\nMethods:\nfrappe.utils.backups.run_scheduled_backup : 1\n------------" in out
    assert "redis_queue 127.0.0.1:6379: reachable" in out
    assert "No worker is listening" in out and out.rstrip().endswith("Problems: workers")


def test_doctor_fails_on_unreachable_redis_without_showing_its_password(ops_sites):
    with common_config(ops_sites, redis_cache="redis://:cache-s3cret@127.0.0.1:1/0",
                       redis_queue="redis://:queue-s3cret@127.0.0.1:1/1"):
        result = invoke(ops_sites, "--site", SITE, "doctor")
    assert result.exit_code == 1
    assert "redis_cache 127.0.0.1:1/0: unreachable" in result.stdout
    assert "redis_queue 127.0.0.1:1/1: unreachable" in result.stdout
    assert "s3cret" not in result.output


# ---------------------------------------------------------------------- backup


SUMMARY_HEAD = re.compile(rf"^Backup Summary for {re.escape(SITE)} at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$")


def parse_summary(out: str) -> dict[str, str]:
    """bench's summary: ``<Kind> : <path> <size>``, kinds padded to one width, paths to another."""
    lines = out.splitlines()
    assert SUMMARY_HEAD.match(lines[0]), lines[0]
    rows = [line for line in lines[1:] if re.match(r"^(Config|Database|Public|Private)\s*: ", line)]
    assert len({row.index(":") for row in rows}) == 1  # kinds padded to one width
    assert len({row.rstrip().rindex(" ") for row in rows}) == 1  # paths padded to one width
    for row in rows:
        assert re.search(r" \d+\.\dK?i?B$|\d+\.\d[KMG]iB$", row), row
    return {m.group(1): m.group(2) for m in (re.match(r"^(\w+)\s*: (\S+)", row) for row in rows)}


def test_backup_prints_bench_summary_and_writes_to_private_backups(ops_sites):
    result = invoke(ops_sites, "--site", SITE, "backup")
    out = ok(result)
    paths = parse_summary(out)
    assert list(paths) == ["Config", "Database"]
    assert out.splitlines()[-1] == f"Backup for Site {SITE} has been successfully completed"
    slug = SITE.replace(".", "_")
    folder = os.path.join(ops_sites, SITE, "private", "backups")
    assert os.path.dirname(paths["Database"]) == folder
    assert re.fullmatch(rf"\d{{8}}_\d{{6}}-{slug}-database\.sql\.gz", os.path.basename(paths["Database"]))
    assert paths["Config"] == paths["Database"].replace("-database.sql.gz", "-site_config_backup.json")
    with gzip.open(paths["Database"], "rt") as f:
        head = f.read(400)
    assert head.startswith(f"-- Backup generated by Frappe {frappe.__version__}")
    assert f"-- Database engine: {TEST_DB}" in head
    # the config backup holds the encryption key and the dump the data: neither is world-readable
    assert oct(os.stat(paths["Config"]).st_mode & 0o077) == "0o0" and oct(os.stat(paths["Database"]).st_mode & 0o077) == "0o0"
    # progress goes to stderr, one line per step
    assert re.findall(r"^\[(\d)/2\]", result.stderr, re.M) == ["1", "2"]


def test_backup_with_files_compressed_to_a_given_folder(ops_sites, tmp_path):
    public = os.path.join(ops_sites, SITE, "public", "files", "sheet.txt")
    with open(public, "w") as f:
        f.write("public sheet")
    result = invoke(ops_sites, "--site", SITE, "backup", "--with-files", "--compress", "--backup-path", str(tmp_path))
    out = ok(result)
    paths = parse_summary(out)
    assert list(paths) == ["Config", "Database", "Public", "Private"]
    assert out.splitlines()[-1] == f"Backup for Site {SITE} has been successfully completed with files"
    assert {os.path.dirname(p) for p in paths.values()} == {str(tmp_path)}
    assert paths["Public"].endswith("-files.tgz") and paths["Private"].endswith("-private-files.tgz")
    with tarfile.open(paths["Public"], "r:gz") as tar:
        assert f"{SITE}/public/files/sheet.txt" in tar.getnames()
    assert len(re.findall(r"^\[\d/4\]", result.stderr, re.M)) == 4


# ---------------------------------------------------------------------- restore


def _latest_dump(sites_path) -> str:
    result = invoke(sites_path, "--site", SITE, "backup")
    return parse_summary(ok(result))["Database"]


def test_restore_into_the_existing_site_needs_force_and_brings_the_data_back(ops_sites):
    with on_site(ops_sites):
        frappe.db.set_default("ops_restore_probe", "before")
        frappe.db.commit()
    dump = _latest_dump(ops_sites)
    with on_site(ops_sites):
        frappe.db.set_default("ops_restore_probe", "after")
        frappe.db.commit()
    refused(invoke(ops_sites, "--site", SITE, "restore", dump), "add --force")
    with on_site(ops_sites):
        assert frappe.db.get_default("ops_restore_probe") == "after"
    result = invoke(ops_sites, "--site", SITE, "restore", dump, "--force")
    assert ok(result) == f"Site {SITE} has been restored\n"
    with on_site(ops_sites):
        assert frappe.db.get_default("ops_restore_probe") == "before"


def test_restore_refuses_a_missing_file_a_non_dump_and_a_dump_of_another_engine(ops_sites, tmp_path):
    new_site = "ops-restored.localhost"
    refused(invoke(ops_sites, "--site", new_site, "restore", str(tmp_path / "none.sql.gz")),
            f"Database backup {tmp_path / 'none.sql.gz'} not found")
    junk = tmp_path / "junk.sql.gz"
    junk.write_bytes(gzip.compress(b"hello, not SQL\n"))
    refused(invoke(ops_sites, "--site", new_site, "restore", str(junk)), "is not a database backup")
    assert not os.path.exists(os.path.join(ops_sites, new_site))

    other = "postgres" if TEST_DB != "postgres" else "mariadb"
    banner = "-- PostgreSQL database dump\n" if other == "postgres" else "-- MariaDB dump 10.19\n"
    foreign = tmp_path / "foreign.sql"
    foreign.write_text(banner + "CREATE TABLE x (a int);\n")
    refused(invoke(ops_sites, "--site", SITE, "restore", str(foreign), "--force"),
            f"is a {other} dump but site {SITE} runs on {TEST_DB}")
    with on_site(ops_sites):
        assert frappe.db.exists("User", "Administrator")  # untouched


def _tar_with(path, members):
    with tarfile.open(path, "w") as tar:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                data = b"payload"
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("members", [
    [("old.localhost/public/files/../../../../escaped.txt", "file")],
    [("old.localhost/public/files/link", "symlink")],
    [("old.localhost/private/files/wrong-archive.txt", "file")],
    [("/abs/public/files/x.txt", "file"), ("escaped.txt", "file")],
])
def test_restore_refuses_archives_that_would_write_elsewhere_and_removes_the_new_site(ops_sites, tmp_path, members):
    dump = _latest_dump(ops_sites)
    archive = tmp_path / "evil-files.tar"
    _tar_with(archive, members)
    new_site = f"ops-evil-{secrets.token_hex(2)}.localhost"
    args = ["restore", dump, "--with-public-files", str(archive)]
    if TEST_DB != "sqlite":
        args += ["--db-name", f"_mgevil_{secrets.token_hex(4)}"]
    result = invoke(ops_sites, "--site", new_site, *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not os.path.exists(os.path.join(ops_sites, new_site))
    assert not any(p.name == "escaped.txt" for p in tmp_path.parent.rglob("escaped.txt"))
    assert not os.path.exists(os.path.join(ops_sites, "escaped.txt"))


def test_restore_without_the_config_backup_warns_that_passwords_cannot_be_decrypted(ops_sites, tmp_path):
    dump = _latest_dump(ops_sites)
    lone = tmp_path / os.path.basename(dump)
    shutil.copy(dump, lone)  # the site_config backup stays behind
    new_site = f"ops-nokey-{secrets.token_hex(2)}.localhost"
    args = ["restore", str(lone), "--admin-password", "Restored-Admin-Pass-5"]
    if TEST_DB != "sqlite":
        args += ["--db-name", f"_mgnokey_{secrets.token_hex(4)}"]
    result = invoke(ops_sites, "--site", new_site, *args)
    assert ok(result) == f"Site {new_site} has been restored\n"
    assert "new encryption_key" in result.stderr
    with on_site(ops_sites, new_site):
        from frappe.utils.password import check_password

        assert check_password("Administrator", "Restored-Admin-Pass-5") == "Administrator"
    with open(os.path.join(ops_sites, SITE, "site_config.json")) as f:
        source_key = json.load(f)["encryption_key"]
    with open(os.path.join(ops_sites, new_site, "site_config.json")) as f:
        assert json.load(f)["encryption_key"] != source_key


def test_a_dump_that_does_not_load_leaves_the_site_as_it_was(ops_sites, tmp_path):
    # loads into a side file (SQLite) or side database (MariaDB, PostgreSQL) first, so nothing is lost
    broken = tmp_path / "20260101_000000-other_site-database.sql.gz"
    broken.write_bytes(gzip.compress(f"-- Database engine: {TEST_DB}\n".encode() + (
        b"BEGIN TRANSACTION;\n" if TEST_DB == "sqlite" else b"") + b"CREATE TABLE t (a int);\n"
        b"INSERT INTO t VALUES(1);\nINSERT INTO t VALUES(\n"))
    (tmp_path / "20260101_000000-other_site-site_config_backup.json").write_text(
        json.dumps({"encryption_key": "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMTI="}))
    with open(os.path.join(ops_sites, SITE, "site_config.json")) as f:
        config_before = f.read()
    refused(invoke(ops_sites, "--site", SITE, "restore", str(broken), "--force"), f"site {SITE} was left as it was")
    with open(os.path.join(ops_sites, SITE, "site_config.json")) as f:
        assert f.read() == config_before  # the key still matches the data
    with on_site(ops_sites):
        assert frappe.db.exists("User", "Administrator") and "t" not in frappe.db.get_tables(cached=False)


@pytest.mark.skipif(TEST_DB != "postgres", reason="only PostgreSQL refuses to drop a database that has connections")
def test_a_restore_over_a_site_still_in_use_stops_and_changes_nothing(ops_sites):
    dump = _latest_dump(ops_sites)
    with on_site(ops_sites):
        frappe.db.set_default("ops_in_use_probe", "kept")
        frappe.db.commit()
        # this connection is a web process that was not stopped
        refused(invoke(ops_sites, "--site", SITE, "restore", dump, "--force"), "stop the site's web, worker")
        assert frappe.db.get_default("ops_in_use_probe") == "kept"


@needs_redis
def test_doctor_counts_a_running_worker_and_passes(ops_sites):
    import subprocess
    import sys
    import time

    with common_config(ops_sites, redis_queue=REDIS):
        worker = subprocess.Popen([sys.executable, "-c", "from medgrid_runtime.cli import main; main()",
                                   "--sites-path", ops_sites, "worker"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:  # wait for the worker to register itself (not a timing assertion)
                result = invoke(ops_sites, "--site", SITE, "doctor")
                if "Workers online: 1" in result.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()  # RQ's warm shutdown may wait for its blocking dequeue
                worker.wait()
    assert "Workers online: 1" in result.stdout
    assert result.exit_code == 0 and "Problems" not in result.stdout

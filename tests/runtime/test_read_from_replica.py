"""``read_from_replica``: functions marked ``@frappe.read_only()`` (the list view's
``frappe.desk.reportview.get`` among them) read through the site's replica connection.

The "replica" is the same MariaDB / PostgreSQL database reached as a second, SELECT-only user
(``different_credentials_for_replica``), so the routing shows in what the connection is: whose
session it is and that it cannot write.
"""

from __future__ import annotations

import json
import os
import secrets

import pytest

from tests.conftest import TEST_DB, create_test_site, drop_test_site

SITE = "replica.localhost"


def _admin_connection(conf):
    if conf["db_type"] == "mariadb":
        import pymysql

        return pymysql.connect(host=conf.get("db_host") or "127.0.0.1", port=int(conf.get("db_port") or 3306),
                               user="root", password="", autocommit=True)
    import psycopg

    return psycopg.connect(host=conf.get("db_host") or "127.0.0.1", port=int(conf.get("db_port") or 5432),
                           user="postgres", dbname=conf["db_name"], autocommit=True)


def _create_reader(conf, user: str, password: str) -> None:
    """A user that may only SELECT from the site's database (what a replica account usually is)."""
    conn = _admin_connection(conf)
    try:
        with conn.cursor() as cur:
            if conf["db_type"] == "mariadb":
                for host in ("localhost", "127.0.0.1", "%"):
                    cur.execute(f"create user if not exists '{user}'@'{host.replace('%', '%%')}' identified by %s",
                                (password,))
                    cur.execute(f"grant select on `{conf['db_name']}`.* to '{user}'@'{host}'")
            else:
                cur.execute(f"create user \"{user}\" with password '{password}'")
                cur.execute(f'grant usage on schema public to "{user}"')
                cur.execute(f'grant select on all tables in schema public to "{user}"')
    finally:
        conn.close()


def _drop_reader(conf, user: str) -> None:
    conn = _admin_connection(conf)
    try:
        with conn.cursor() as cur:
            if conf["db_type"] == "mariadb":
                for host in ("localhost", "127.0.0.1", "%"):
                    cur.execute(f"drop user if exists '{user}'@'{host.replace('%', '%%')}'")
            else:
                cur.execute(f'drop owned by "{user}"')
                cur.execute(f'drop user if exists "{user}"')
    finally:
        conn.close()


@pytest.fixture(scope="module")
def replica_site(sites_path):
    conf = create_test_site(sites_path, SITE, apps=())
    reader = f"_mgro_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    if TEST_DB != "sqlite":
        _create_reader(conf, reader, password)
    yield {"conf": conf, "reader": reader, "password": password}
    if TEST_DB != "sqlite":
        _drop_reader(conf, reader)
    drop_test_site(conf)


@pytest.fixture()
def on_site(replica_site, sites_path):
    """Initialise and connect the replica test site with extra site config for this test."""
    import frappe

    def open_site(**config):
        frappe.init(SITE, sites_path=sites_path, force=True)
        frappe.local.conf.update(config)
        frappe.connect()
        return frappe

    yield open_site
    frappe.destroy()


def _replica_config(replica_site, **overrides):
    conf = replica_site["conf"]
    config = {"read_from_replica": 1, "replica_host": conf.get("db_host") or "127.0.0.1",
              "replica_db_port": conf.get("db_port"), "different_credentials_for_replica": 1,
              "replica_db_user": replica_site["reader"], "replica_db_password": replica_site["password"]}
    config.update(overrides)
    return config


def _session_user(frappe) -> str:
    query = "select current_user()" if frappe.db.db_type == "mariadb" else "select current_user"
    return str(frappe.db.sql(query)[0][0]).split("@")[0]


needs_server = pytest.mark.skipif(TEST_DB == "sqlite", reason="a replica is a database server (MariaDB/PostgreSQL)")


@needs_server
def test_read_only_functions_read_through_the_replica_and_come_back(replica_site, on_site):
    frappe = on_site(**_replica_config(replica_site))
    primary = frappe.local.db  # frappe.db is a proxy: compare the connections themselves
    site_user = replica_site["conf"]["db_user"]
    assert _session_user(frappe) == site_user

    seen = {}

    @frappe.read_only()
    def report():
        seen["db"] = frappe.local.db
        seen["user"] = _session_user(frappe)
        seen["admins"] = frappe.db.get_value("User", "Administrator", "name")

        @frappe.read_only()
        def nested():  # stays on the connection the outer call opened
            return frappe.local.db

        seen["nested_db"] = nested()
        return "done"

    assert report() == "done"
    assert seen["user"] == replica_site["reader"]
    assert seen["db"] is not primary and seen["nested_db"] is seen["db"]
    assert seen["admins"] == "Administrator"
    # back on the primary, replica closed and forgotten
    assert frappe.local.db is primary
    assert _session_user(frappe) == site_user
    assert getattr(frappe.local, "replica_db", None) is None and getattr(frappe.local, "primary_db", None) is None


@needs_server
def test_the_replica_connection_cannot_write(replica_site, on_site):
    frappe = on_site(**_replica_config(replica_site))

    @frappe.read_only()
    def sneaky_write():
        frappe.db.sql("update `tabUser` set `last_ip`='10.9.9.9' where `name`='Administrator'")

    with pytest.raises(Exception) as info:
        sneaky_write()
    assert "denied" in str(info.value).lower()
    assert frappe.db.get_value("User", "Administrator", "last_ip") != "10.9.9.9"
    # the primary still writes
    frappe.db.sql("update `tabUser` set `last_ip`='10.1.1.1' where `name`='Administrator'")
    assert frappe.db.get_value("User", "Administrator", "last_ip") == "10.1.1.1"
    frappe.db.rollback()


@needs_server
def test_without_read_from_replica_everything_stays_on_the_primary(replica_site, on_site):
    frappe = on_site(**_replica_config(replica_site, read_from_replica=0))
    primary = frappe.local.db

    @frappe.read_only()
    def report():
        return frappe.local.db, _session_user(frappe)

    db, user = report()
    assert db is primary and user == replica_site["conf"]["db_user"]


@needs_server
def test_the_list_view_over_http_is_served_by_the_replica(replica_site, sites_path):
    """``frappe.desk.reportview.get`` (``@frappe.read_only()`` as in Frappe) over the WSGI app: with a
    working replica it answers from it; pointed at a replica account that does not exist it fails, so the
    answer really came through the replica connection."""
    from werkzeug.test import Client

    import frappe.app
    from frappe.installer import update_site_config

    site_config_path = os.path.join(sites_path, SITE, "site_config.json")
    with open(site_config_path) as f:
        original = f.read()
    client = Client(frappe.app.application)
    headers = {"X-Frappe-Site-Name": SITE}
    params = {"doctype": "User", "fields": json.dumps(["name"]), "filters": json.dumps({"name": "Administrator"})}
    login = client.post("/api/method/login", data={"usr": "Administrator", "pwd": "admin"}, headers=headers)
    assert login.status_code == 200, login.get_data(as_text=True)
    try:
        for key, value in _replica_config(replica_site).items():
            update_site_config(key, value, site_config_path=site_config_path)
        response = client.get("/api/method/frappe.desk.reportview.get", query_string=params, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["message"]["values"] == [["Administrator"]]

        # (PostgreSQL on loopback may trust any password: name an account that does not exist)
        update_site_config("replica_db_user", "_mg_no_such_reader", site_config_path=site_config_path)
        refused = client.get("/api/method/frappe.desk.reportview.get", query_string=params, headers=headers)
        assert refused.status_code >= 500
        # a method that is not read-only does not touch the replica
        plain = client.get("/api/method/frappe.auth.get_logged_user", headers=headers)
        assert plain.status_code == 200 and plain.get_json()["message"] == "Administrator"
    finally:
        with open(site_config_path, "w") as f:
            f.write(original)


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite only")
def test_sqlite_has_no_replica_and_reads_stay_on_the_file(replica_site, on_site):
    frappe = on_site(read_from_replica=1, replica_host="127.0.0.1")
    primary = frappe.local.db

    @frappe.read_only()
    def report():
        return frappe.local.db, frappe.db.get_value("User", "Administrator", "name")

    db, name = report()
    assert db is primary and name == "Administrator"
    assert frappe.connect_replica() is False

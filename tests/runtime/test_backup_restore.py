"""Backups that restore (issue 18 item 2), on the engine named by ``MEDGRID_TEST_DB``.

A MedGrid site with submitted orders, dispatches, a webhook event, vendor credentials (encrypted
Password fields) and public/private files is backed up with ``medgrid-runtime backup --with-files``,
dropped (database and folder), and restored into a site of another name with ``restore``. Then:
every table holds exactly the same rows, every Password field decrypts to what was stored, the
files are back byte for byte, a scheduled job runs and a new order can be placed.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import shutil

import pytest
from click.testing import CliRunner

import frappe
from medgrid_runtime.cli import cli

TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")
SOURCE = "backup-source.localhost"
TARGET = "backup-target.localhost"
PUBLIC_FILE = ("catalog/price-sheet.pdf", b"%PDF-1.4 public price sheet \x00\x01\x02")
PRIVATE_FILE = ("labels/SO-label.pdf", b"%PDF-1.4 private shipping label \xff\xfe")


def invoke(sites_path, *args):
    """Run the CLI in-process, in a fresh context (so it cannot touch the caller's frappe.local)."""
    runner = CliRunner()
    return contextvars.Context().run(runner.invoke, cli, ["--sites-path", sites_path, *args])


def ok(result):
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.stdout


def snapshot() -> dict[str, list[str]]:
    """Every row of every table of the connected site, as sorted reprs per table."""
    tables = {}
    for table in sorted(frappe.db.get_tables(cached=False)):
        rows = frappe.db.sql(f"select * from `{table}`", as_list=True)
        tables[table] = sorted(repr(tuple(row)) for row in rows)
    return tables


def decrypted_passwords() -> dict[tuple, str]:
    from frappe.utils.password import get_decrypted_password

    rows = frappe.db.sql("select `doctype`, `name`, `fieldname` from `__Auth` where `encrypted` = 1")
    return {(dt, name, field): get_decrypted_password(dt, name, field) for dt, name, field in rows}


def build_source_data() -> dict:
    """Orders, dispatches, a webhook event, vendor credentials: what a running marketplace holds."""
    from tests.medgrid import factories as f

    first = f.sales_order([("CT-SS-SYRINGE", 2), ("CT-SINQ-D3", 1)])
    second = f.sales_order([("CT-PRX-ZINC", 3)])
    f.dispatch(first, "shipstation", item_codes=["CT-SS-SYRINGE"])
    f.dispatch(first, "sinq", item_codes=["CT-SINQ-D3"])
    f.dispatch(second, "perfectrx")
    f.perfectrx_settings()
    f.sinq_settings(sinq_webhook_secret="sinq-webhook-secret-QRS")
    f.centre_research_settings()
    f.exoceuticals_settings()
    profile = f.vendor_profile("Backup Vendor", "shipstation")
    f.shipstation_connection(vendor_profile_name=profile.name, api_key="ss-key-backup", api_secret="ss-secret-backup")
    f.shopify_connection("backup-store.myshopify.com", vendor_profile_name=profile.name,
                         access_token="shpat_backup_SECRET")
    frappe.get_doc({
        "doctype": "MedGrid Webhook Event", "vendor": "shipstation", "event_type": "SHIP_NOTIFY",
        "dedupe_key": f"shipstation:backup:{secrets.token_hex(4)}", "status": "Processed",
        "sales_order": first.name, "payload": '{"orders": [{"orderNumber": "%s"}]}' % first.name,
        "headers": '{"Content-Type": "application/json"}',
    }).insert(ignore_permissions=True)
    frappe.db.commit()
    return {"orders": [first.name, second.name]}


def write_site_files(sites_path, site) -> None:
    for folder, (relative, content) in (("public", PUBLIC_FILE), ("private", PRIVATE_FILE)):
        path = os.path.join(sites_path, site, folder, "files", relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Build the source site, back it up, drop it, restore it as TARGET; returns what each side held."""
    from frappe.installer import drop_site_database, new_site

    sites_path = str(tmp_path_factory.mktemp("backup_sites"))
    backup_folder = str(tmp_path_factory.mktemp("backup_files"))
    db_name = None if TEST_DB == "sqlite" else f"_mgbak_{secrets.token_hex(5)}"
    new_site(SOURCE, sites_path=sites_path, db_type=TEST_DB, db_name=db_name, admin_password="admin",
             install_apps=["erpnext", "medgrid"], force=True)
    source_conf = frappe.get_site_config(sites_path, os.path.join(sites_path, SOURCE))

    frappe.init(SOURCE, sites_path=sites_path, force=True)
    try:
        frappe.connect()
        frappe.set_user("Administrator")
        data = build_source_data()
        before = snapshot()
        passwords = decrypted_passwords()
    finally:
        frappe.destroy()
    write_site_files(sites_path, SOURCE)

    backup_out = ok(invoke(sites_path, "--site", SOURCE, "backup", "--with-files", "--backup-path", backup_folder))
    paths = dict(re.findall(r"^(Database|Public|Private|Config)\s*: (\S+) ", backup_out, re.M))

    # the site is gone: database and folder
    drop_site_database(source_conf)
    shutil.rmtree(os.path.join(sites_path, SOURCE))

    target_db = None if TEST_DB == "sqlite" else f"_mgres_{secrets.token_hex(5)}"
    restore = invoke(sites_path, "--site", TARGET, "restore", paths["Database"], "--db-name", target_db or "site",
                     "--with-public-files", paths["Public"], "--with-private-files", paths["Private"])
    ok(restore)
    yield {"sites_path": sites_path, "before": before, "passwords": passwords, "data": data,
           "backup_out": backup_out, "paths": paths, "restore": restore}

    frappe.destroy()
    drop_site_database(frappe.get_site_config(sites_path, os.path.join(sites_path, TARGET)))


@pytest.fixture()
def target(round_trip):
    frappe.init(TARGET, sites_path=round_trip["sites_path"], force=True)
    frappe.connect()
    frappe.set_user("Administrator")
    try:
        yield round_trip
    finally:
        frappe.destroy()


def test_backup_writes_bench_named_files_and_restore_reports_each_step(round_trip):
    slug = SOURCE.replace(".", "_")
    names = {kind: os.path.basename(path) for kind, path in round_trip["paths"].items()}
    assert re.fullmatch(rf"\d{{8}}_\d{{6}}-{slug}-database\.sql\.gz", names["Database"])
    prefix = names["Database"][: -len("-database.sql.gz")]
    assert names == {"Database": f"{prefix}-database.sql.gz", "Config": f"{prefix}-site_config_backup.json",
                     "Public": f"{prefix}-files.tar", "Private": f"{prefix}-private-files.tar"}
    assert round_trip["backup_out"].rstrip().endswith(f"Backup for Site {SOURCE} has been successfully completed with files")
    restore = round_trip["restore"]
    assert restore.stdout.strip() == f"Site {TARGET} has been restored with files"
    steps = re.findall(r"^\[(\d)/(\d)\] ", restore.stderr, re.M)
    assert [int(n) for n, _ in steps] == [1, 2, 3, 4, 5, 6] and {total for _, total in steps} == {"6"}
    assert "encryption_key taken from" in restore.stderr


def test_every_table_holds_the_same_rows_after_the_restore(target):
    after = snapshot()
    before = target["before"]
    assert sorted(after) == sorted(before)
    differing = [table for table in before if before[table] != after[table]]
    assert differing == []
    # and the data the test built is really in there
    assert len(before["tabSales Order"]) >= 2 and len(before["tabFulfillment Dispatch"]) >= 3
    assert len(before["tabMedGrid Webhook Event"]) >= 1


def test_every_password_field_decrypts_with_the_restored_site_key(target):
    expected = target["passwords"]
    assert {(doctype, field) for doctype, _name, field in expected} == {
        ("PerfectRx Settings", "client_secret"), ("SINQ Settings", "sinq_api_key"),
        ("SINQ Settings", "sinq_webhook_secret"), ("Centre Research Settings", "centre_research_api_key"),
        ("Exoceuticals Settings", "access_token"), ("ShipStation Connection", "api_key"),
        ("ShipStation Connection", "api_secret"), ("Shopify Connection", "access_token"),
    }
    assert decrypted_passwords() == expected
    assert frappe.get_doc("ShipStation Connection", {"api_key": ["is", "set"]}).get_password("api_secret") \
        == "ss-secret-backup"
    assert frappe.get_single("SINQ Settings").get_password("sinq_webhook_secret") == "sinq-webhook-secret-QRS"


def test_public_and_private_files_come_back_byte_for_byte(target):
    sites_path = target["sites_path"]
    for folder, (relative, content) in (("public", PUBLIC_FILE), ("private", PRIVATE_FILE)):
        with open(os.path.join(sites_path, TARGET, folder, "files", relative), "rb") as f:
            assert f.read() == content


def test_the_scheduler_runs_a_job_on_the_restored_site(target):
    from frappe.installer import update_site_config
    from frappe.utils.backups import list_backup_sets
    from frappe.utils.scheduler import run_scheduled_job

    update_site_config("enable_scheduled_backup", 1)
    run_scheduled_job("frappe.utils.backups.run_scheduled_backup")
    logs = frappe.get_all("Scheduled Job Log", filters={"scheduled_job_type": "backups.run_scheduled_backup"},
                          pluck="status")
    assert logs == ["Complete"]
    sets = list_backup_sets(frappe.get_site_path("private", "backups"), TARGET)
    assert len(sets) == 1 and len(sets[0][1]) == 4  # database, config, public and private files


def test_a_new_order_works_on_the_restored_site(target):
    from tests.medgrid import factories as f

    order = f.sales_order([("CT-SS-GLOVES", 2)])
    frappe.db.commit()
    assert order.docstatus == 1 and order.name not in target["data"]["orders"]
    assert frappe.db.get_value("Sales Order", order.name, "grand_total") == pytest.approx(24.5)


def test_the_catalog_search_index_comes_back_and_follows_new_items(target):
    """The search index (SQLite: an FTS5 virtual table) is restored with its rows and keeps working."""
    from medgrid.catalog import search_index

    assert search_index.is_available()
    with search_index.disabled():
        scanned = {r["item_code"] for r in frappe.get_all("Item", filters={"item_code": ["like", "%GLOVES%"]},
                                                          fields=["item_code"])}
    sql, values = search_index.candidates("GLOVES") or (None, None)
    if sql:  # SQLite and MariaDB name candidates; PostgreSQL's trigram indexes serve the LIKE itself
        assert scanned <= {row[0] for row in frappe.db.sql(sql, values)}
    item = frappe.get_doc({"doctype": "Item", "item_code": "RESTORED-ZQXW-1", "item_name": "Restored zqxw probe", "medgrid_approved": 0,
                           "item_group": frappe.db.get_value("Item", {}, "item_group"),
                           "stock_uom": frappe.db.get_value("Item", {}, "stock_uom")}).insert()
    frappe.db.commit()
    sql, values = search_index.candidates("zqxw") or (None, None)
    if sql:
        assert item.name in {row[0] for row in frappe.db.sql(sql, values)}

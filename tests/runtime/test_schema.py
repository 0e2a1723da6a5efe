"""Sites, migrate, DocType JSON → tables, custom fields, fixtures-free install order."""

from __future__ import annotations

import json
import os

import pytest

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields


def test_tables_follow_frappes_conventions(site):
    columns = frappe.db.get_table_columns("Sales Order")
    for column in ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx",
                   "_user_tags", "_comments", "_assign", "_liked_by", "customer", "naming_series"):
        assert column in columns
    child = frappe.db.get_table_columns("Sales Order Item")
    assert {"parent", "parentfield", "parenttype"} <= set(child) and "_comments" not in child
    assert not frappe.db.table_exists("System Settings")  # Singles live in tabSingles
    assert frappe.db.table_exists("Singles") and frappe.db.table_exists("Series")


def test_unique_and_search_index_create_indexes(site):
    table = "tabRT Note"
    assert frappe.db.has_index(table, frappe.db.physical_index_name(table, "code"))
    assert frappe.db.has_index(table, frappe.db.physical_index_name(table, "tag_index"))
    assert frappe.db.has_index(table, frappe.db.physical_index_name(table, "modified"))


def test_site_config_has_encryption_key(site):
    key = frappe.conf.encryption_key
    assert key and len(key) == 44
    with open(frappe.get_site_path("site_config.json")) as f:
        assert json.load(f)["encryption_key"] == key


def test_after_install_hook_ran(site):
    assert frappe.db.get_default("rt_after_install") == "1"


def test_create_custom_fields_is_idempotent_and_alters_the_table(site):
    fields = {"Sales Order": [
        {"fieldname": "rt_vendor_status", "fieldtype": "Select", "label": "RT Vendor Status",
         "options": "\nPending\nShipped", "insert_after": "customer", "allow_on_submit": 1},
        {"fieldname": "rt_synced_on", "fieldtype": "Datetime", "label": "RT Synced On", "insert_after": "rt_vendor_status"},
    ], ("Item", "Customer"): [{"fieldname": "rt_ref", "fieldtype": "Data", "label": "RT Ref", "search_index": 1}]}
    create_custom_fields(fields)
    create_custom_fields(fields)
    assert frappe.db.count("Custom Field", {"dt": "Sales Order", "fieldname": ["like", "rt_%"]}) == 2
    assert frappe.db.exists("Custom Field", "Sales Order-rt_vendor_status")
    assert frappe.db.has_column("Sales Order", "rt_vendor_status")
    assert frappe.db.has_column("Customer", "rt_ref")
    meta = frappe.get_meta("Sales Order")
    df = meta.get_field("rt_vendor_status")
    assert df.fieldtype == "Select" and df.allow_on_submit == 1 and df.is_custom_field
    names = [f.fieldname for f in meta.fields]
    assert names.index("rt_vendor_status") == names.index("customer") + 1
    assert names.index("rt_synced_on") == names.index("rt_vendor_status") + 1
    fields["Sales Order"][0]["options"] = "\nPending\nShipped\nDelivered"
    create_custom_fields(fields)
    assert "Delivered" in frappe.get_meta("Sales Order").get_field("rt_vendor_status").options
    frappe.db.commit()


def test_migrate_adds_new_columns_runs_patches_and_hooks(site, tmp_path):
    from frappe.migrate import migrate

    before = int(frappe.db.get_default("rt_after_migrate") or 0)
    frappe.db.sql_ddl("alter table `tabRT Tag` drop column `tag_name`") if frappe.db.db_type != "sqlite" else None
    migrate()
    assert frappe.db.has_column("RT Tag", "tag_name")
    assert int(frappe.db.get_default("rt_after_migrate")) == before + 1
    # the patch was marked done at install (Frappe's set_as_patched), so it never ran
    assert frappe.db.get_default("rt_patch_ran") is None
    assert frappe.db.exists("Scheduled Job Type", "events.daily_job")

"""``migrate``: hooks, patches, doctype sync, jobs and fixtures, in Frappe's order."""

from __future__ import annotations

import os

import frappe
from frappe.utils import now_datetime


def get_app_patches(app: str, section: str | None = None) -> list[str]:
    """Patch lines of an app's patches.txt (optionally one of [pre_model_sync] / [post_model_sync])."""
    path = frappe.get_app_path(app, "patches.txt")
    if not os.path.exists(path):
        return []
    patches, current = [], "pre_model_sync"
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1]
                continue
            if section is None or section == current:
                patches.append(line)
    return patches


def patch_done(patch: str) -> bool:
    return bool(frappe.db.sql("select 1 from `tabPatch Log` where `patch`=%s", (patch,)))


def mark_patch_done(patch: str, skipped: int = 0) -> None:
    if patch_done(patch):
        return
    now = now_datetime()
    frappe.db.sql("insert into `tabPatch Log` (`name`, `creation`, `modified`, `modified_by`, `owner`, `patch`, "
                  "`skipped`) values (%s, %s, %s, 'Administrator', 'Administrator', %s, %s)",
                  (frappe.generate_hash(length=10), now, now, patch, skipped))


def run_patches(section: str) -> None:
    for app in frappe.get_installed_apps():
        for patch in get_app_patches(app, section):
            if patch_done(patch):
                continue
            if patch.startswith("execute:"):
                exec(patch.split("execute:", 1)[1], {"frappe": frappe})
            else:
                frappe.get_attr(patch.split()[0] + ".execute")()
            mark_patch_done(patch)
            frappe.db.commit()


def migrate(verbose: bool = False, skip_failing: bool = False, skip_search_index: bool = False) -> None:
    """Bring the connected site's schema and records up to date with its installed apps."""
    from frappe.database.schema import create_core_tables
    from frappe.installer import _as_list, sync_app_doctypes, sync_fixtures
    from frappe.utils.scheduler import sync_jobs

    frappe.flags.in_migrate = True
    try:
        frappe.clear_cache()
        create_core_tables()
        for app in frappe.get_installed_apps():
            for fn in _as_list(frappe._load_app_hooks(app).get("before_migrate")):
                frappe.get_attr(fn)()
        run_patches("pre_model_sync")
        for app in frappe.get_installed_apps():
            if verbose:
                print(f"Updating DocTypes for {app}")
            sync_app_doctypes(app)
        run_patches("post_model_sync")
        sync_jobs()
        sync_fixtures()
        for app in frappe.get_installed_apps():
            for fn in _as_list(frappe._load_app_hooks(app).get("after_migrate")):
                frappe.get_attr(fn)()
        frappe.db.commit()
        frappe.clear_cache()
    finally:
        frappe.flags.in_migrate = False


class SiteMigration:
    """Frappe's migrate entry point as an object (``SiteMigration().run(site)``)."""

    def __init__(self, skip_failing: bool = False, skip_search_index: bool = False):
        self.skip_failing = skip_failing

    def run(self, site: str):
        migrate(skip_failing=self.skip_failing)

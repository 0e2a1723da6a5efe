"""Scheduled backups (issue 18 item 1): the frappe app's hourly job takes a backup set when
``enable_scheduled_backup`` is on and the newest set is older than ``backup_frequency``, and keeps
the newest ``backup_limit`` sets (System Settings-like keys, read from the site config)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

import frappe
from frappe.installer import update_site_config
from frappe.utils import now_datetime
from frappe.utils.backups import BackupError, list_backup_sets, run_scheduled_backup

KEYS = ("enable_scheduled_backup", "backup_frequency", "backup_limit", "backup_with_files", "backup_path")


@pytest.fixture()
def backup_site(site, tmp_path):
    """The session site with its backups going to ``tmp_path``; the keys are removed afterwards."""
    update_site_config("backup_path", str(tmp_path))
    try:
        yield str(tmp_path)
    finally:
        for key in KEYS:
            update_site_config(key, "None")


def fake_set(folder: str, hours_ago: float) -> str:
    """An (empty) backup set as old as ``hours_ago``, named like the real ones; returns its timestamp."""
    stamp = (now_datetime() - timedelta(hours=hours_ago)).strftime("%Y%m%d_%H%M%S")
    slug = frappe.local.site.replace(".", "_")
    for suffix in ("database.sql.gz", "site_config_backup.json", "files.tar", "private-files.tar"):
        open(os.path.join(folder, f"{stamp}-{slug}-{suffix}"), "w").close()
    return stamp


def stamps(folder: str) -> list[str]:
    return [stamp for stamp, _files in list_backup_sets(folder, frappe.local.site)]


def test_the_frappe_app_schedules_the_backup_job_hourly(site):
    job = frappe.get_doc("Scheduled Job Type", "backups.run_scheduled_backup")
    assert (job.method, job.frequency) == ("frappe.utils.backups.run_scheduled_backup", "Hourly Long")


def test_nothing_is_taken_while_scheduled_backups_are_off(backup_site):
    assert run_scheduled_backup() is None
    assert os.listdir(backup_site) == []


def test_a_set_is_taken_once_per_frequency(backup_site):
    update_site_config("enable_scheduled_backup", 1)
    path = run_scheduled_backup()
    assert path and os.path.dirname(path) == backup_site and os.path.isfile(path)
    [(stamp, files)] = list_backup_sets(backup_site, frappe.local.site)
    assert sorted(f.rsplit("-", 1)[-1] for f in files) == ["database.sql.gz", "files.tar", "files.tar",
                                                           "site_config_backup.json"]
    # the next hourly run finds a fresh set: nothing new
    assert run_scheduled_backup() is None
    assert stamps(backup_site) == [stamp]


def test_without_files_only_the_database_and_config_are_kept(backup_site):
    update_site_config("enable_scheduled_backup", 1)
    update_site_config("backup_with_files", 0)
    run_scheduled_backup()
    [(_stamp, files)] = list_backup_sets(backup_site, frappe.local.site)
    assert sorted(os.path.basename(f).split("-", 2)[-1] for f in files) == ["database.sql.gz",
                                                                             "site_config_backup.json"]


def test_only_the_newest_backup_limit_sets_are_kept(backup_site):
    update_site_config("enable_scheduled_backup", 1)
    update_site_config("backup_limit", 2)
    oldest, _older, newer = fake_set(backup_site, 96), fake_set(backup_site, 72), fake_set(backup_site, 48)
    run_scheduled_backup()
    kept = stamps(backup_site)
    assert len(kept) == 2 and kept[0] == newer and kept[1] > newer
    assert oldest not in kept
    assert len(os.listdir(backup_site)) == 8  # whole sets go, never parts of one


@pytest.mark.parametrize("frequency, hours_ago, due", [
    ("Every 6 Hours", 7, True), ("Every 6 Hours", 4, False), ("Daily", 25, True), ("Daily", 20, False),
    ("Weekly", 24 * 8, True), ("Weekly", 24 * 6, False),
])
def test_the_frequency_decides_when_the_next_set_is_due(backup_site, frequency, hours_ago, due):
    update_site_config("enable_scheduled_backup", 1)
    update_site_config("backup_frequency", frequency)
    update_site_config("backup_with_files", 0)
    fake_set(backup_site, hours_ago)
    assert bool(run_scheduled_backup()) is due
    assert len(stamps(backup_site)) == (2 if due else 1)


def test_an_unknown_frequency_is_refused_and_nothing_is_taken(backup_site):
    update_site_config("enable_scheduled_backup", 1)
    update_site_config("backup_frequency", "Hourly-ish")
    with pytest.raises(BackupError, match="backup_frequency must be one of"):
        run_scheduled_backup()
    assert os.listdir(backup_site) == []


def test_a_failed_backup_leaves_no_half_set_behind(backup_site, monkeypatch):
    from frappe.utils.backups import BackupGenerator, new_backup

    def disk_full(self, step=3, steps=4):
        raise OSError("No space left on device")

    monkeypatch.setattr(BackupGenerator, "backup_files", disk_full)
    with pytest.raises(OSError, match="No space left"):
        new_backup(force=True)
    assert os.listdir(backup_site) == []

"""The site config is read on every request (as on Frappe) but the files only when they changed."""

from __future__ import annotations

import json
import os

import frappe


def write(path, config):
    with open(path, "w", encoding="utf-8") as f:  # in place, as an editor or a script would
        json.dump(config, f)


def test_a_changed_config_file_is_read_again_even_within_one_clock_tick(tmp_path):
    sites = tmp_path / "sites"
    site = sites / "one.localhost"
    site.mkdir(parents=True)
    write(sites / "common_site_config.json", {"shared": "a"})
    write(site / "site_config.json", {"db_type": "sqlite", "flag": 0})
    assert frappe.get_site_config(str(sites), str(site)) == {"shared": "a", "db_type": "sqlite", "flag": 0}
    # same size, same inode, written at once: still seen
    write(site / "site_config.json", {"db_type": "sqlite", "flag": 1})
    assert frappe.get_site_config(str(sites), str(site))["flag"] == 1
    # an old file (not touched for a while) is answered from what was read …
    old = os.stat(site / "site_config.json").st_mtime_ns - 60_000_000_000
    os.utime(site / "site_config.json", ns=(old, old))
    first = frappe.get_site_config(str(sites), str(site))
    second = frappe.get_site_config(str(sites), str(site))
    assert first == second and first is not second
    first["nested"] = {"x": 1}  # callers own what they get
    assert "nested" not in frappe.get_site_config(str(sites), str(site))
    # … until it changes
    write(site / "site_config.json", {"db_type": "sqlite", "flag": 2, "more": True})
    assert frappe.get_site_config(str(sites), str(site))["flag"] == 2
    os.remove(sites / "common_site_config.json")
    assert "shared" not in frappe.get_site_config(str(sites), str(site))


def test_kwargs_are_filtered_by_the_signature_of_each_function():
    def takes_a(a=None):
        return a

    def takes_any(**kwargs):
        return kwargs

    class Unhashable:
        __hash__ = None

        def __call__(self, b=None):
            return b

    assert frappe.get_newargs(takes_a, {"a": 1, "b": 2, "flags": 3}) == {"a": 1}
    assert frappe.get_newargs(takes_a, {"a": 5}) == {"a": 5}  # read once, answered again
    assert frappe.get_newargs(takes_any, {"a": 1, "ignore_permissions": True}) == {"a": 1}
    assert frappe.get_newargs(Unhashable(), {"a": 1, "b": 2}) == {"b": 2}

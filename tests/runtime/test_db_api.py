"""``frappe.db`` and ``frappe.get_list/get_all`` against the real engine of the run."""

from __future__ import annotations

import datetime
import os

import pytest

import frappe


@pytest.fixture()
def notes(site):
    names = []
    for i, (title, status, amount) in enumerate([("alpha", "Open", 10), ("beta", "Closed", 20),
                                                 ("gamma", "Open", 30), ("Delta", "Open", None)]):
        doc = frappe.get_doc({"doctype": "RT Note", "title": title, "status": status, "amount": amount,
                              "tag": f"t{i}", "note_date": f"2026-01-0{i + 1}"}).insert()
        names.append(doc.name)
    return names


def test_get_value_shapes(notes):
    name = notes[0]
    assert frappe.db.get_value("RT Note", name, "title") == "alpha"
    assert frappe.db.get_value("RT Note", name, ["title", "status"]) == ("alpha", "Open")
    row = frappe.db.get_value("RT Note", name, ["title", "amount"], as_dict=True)
    assert row == {"title": "alpha", "amount": 10.0} and row.title == "alpha"
    assert frappe.db.get_value("RT Note", {"title": "beta"}, "status") == "Closed"
    assert frappe.db.get_value("RT Note", "missing", "title") is None
    assert frappe.db.get_value("RT Note", {"title": "beta"}) == notes[1]


def test_get_values_and_pluck(notes):
    rows = frappe.db.get_values("RT Note", {"status": "Open"}, ["title"], order_by="amount asc")
    assert isinstance(rows, tuple) and [r[0] for r in rows] == ["Delta", "alpha", "gamma"]
    assert sorted(frappe.get_all("RT Note", filters={"status": "Open"}, pluck="title"), key=str.lower) == \
        ["alpha", "Delta", "gamma"]


@pytest.mark.parametrize("filters, expected", [
    ({"status": "Open"}, {"alpha", "gamma", "Delta"}),
    ({"status": ["!=", "Open"]}, {"beta"}),
    ({"amount": [">", 15]}, {"beta", "gamma"}),
    ({"amount": [">=", 20]}, {"beta", "gamma"}),
    ({"amount": ["<", 15]}, {"alpha", "Delta"}),
    ({"amount": ["<=", 10]}, {"alpha", "Delta"}),
    ({"title": ["like", "%lt%"]}, {"Delta"}),
    ({"title": ["not like", "%a"]}, set()),
    ({"title": ["in", ["alpha", "beta"]]}, {"alpha", "beta"}),
    ({"title": ["in", "alpha, beta"]}, {"alpha", "beta"}),
    ({"title": ["not in", ["alpha", "beta"]]}, {"gamma", "Delta"}),
    ({"note_date": ["between", ["2026-01-02", "2026-01-03"]]}, {"beta", "gamma"}),
    ({"code": ["is", "not set"]}, {"alpha", "beta", "gamma", "Delta"}),
    ({"tag": ["is", "set"]}, {"alpha", "beta", "gamma", "Delta"}),
    ([["RT Note", "status", "=", "Closed"]], {"beta"}),
    ([["status", "=", "Closed"]], {"beta"}),
])
def test_filter_operators(notes, filters, expected):
    rows = frappe.get_all("RT Note", filters=filters, fields=["title"])
    assert {r.title for r in rows} & {"alpha", "beta", "gamma", "Delta"} == expected


def test_or_filters_are_one_group(notes):
    rows = frappe.get_all("RT Note", filters={"status": "Open"},
                          or_filters=[["title", "=", "alpha"], ["title", "=", "beta"]], fields=["title"])
    assert {r.title for r in rows} == {"alpha"}


@pytest.mark.skipif(os.environ.get("MEDGRID_TEST_DB") == "postgres", reason="PostgreSQL compares case-sensitively, on a real Frappe site too")
def test_case_insensitive_comparison_like_mariadb(notes):
    assert frappe.db.get_value("RT Note", {"title": "ALPHA"}, "title") == "alpha"


def test_limits_order_and_as_list(notes):
    rows = frappe.get_all("RT Note", filters={"name": ["in", notes]}, fields=["title", "amount"],
                          order_by="amount desc", limit_page_length=2)
    assert [r.title for r in rows] == ["gamma", "beta"]
    rows = frappe.get_all("RT Note", filters={"name": ["in", notes]}, fields=["title"], order_by="amount desc",
                          limit_start=1, limit_page_length=2, as_list=True)
    assert rows == [["beta"], ["alpha"]]


def test_child_fields_in_list(site):
    doc = frappe.get_doc({"doctype": "RT Note", "title": "with rows",
                          "items": [{"item": "x", "qty": 2}, {"item": "y", "qty": 3}]}).insert()
    rows = frappe.get_all("RT Note", filters={"name": doc.name},
                          fields=["name", "`tabRT Note Item`.`item`"], order_by="`tabRT Note Item`.`idx` asc")
    assert [r.item for r in rows] == ["x", "y"]
    rows = frappe.get_all("RT Note", filters=[["RT Note Item", "item", "=", "y"]], fields=["name"])
    assert [r.name for r in rows] == [doc.name]


def test_unknown_field_is_data_error(notes):
    with pytest.raises(frappe.DataError, match="Field not permitted in query: no_such_field"):
        frappe.get_all("RT Note", fields=["name", "no_such_field"])


def test_aggregates(notes):
    rows = frappe.get_all("RT Note", filters={"name": ["in", notes]}, fields=["status", "count(name) as total"],
                          group_by="status", order_by="status asc")
    assert {r.status: r.total for r in rows} == {"Closed": 1, "Open": 3}


def test_set_value_exists_count_delete(notes):
    frappe.db.set_value("RT Note", notes[0], "title", "renamed")
    assert frappe.db.get_value("RT Note", notes[0], "title") == "renamed"
    frappe.db.set_value("RT Note", notes[0], {"status": "Closed", "amount": 99})
    assert frappe.db.get_value("RT Note", notes[0], ["status", "amount"]) == ("Closed", 99.0)
    assert frappe.db.exists("RT Note", notes[1]) == notes[1]
    assert frappe.db.exists("RT Note", {"title": "beta"}) == notes[1]
    assert frappe.db.exists({"doctype": "RT Note", "title": "beta"}) == notes[1]
    assert frappe.db.exists("RT Note", "nope") is None
    assert frappe.db.count("RT Note", {"name": ["in", notes], "status": "Closed"}) == 2
    frappe.db.delete("RT Note", {"name": notes[3]})
    assert not frappe.db.exists("RT Note", notes[3])


def test_sql_placeholders_and_as_dict(notes):
    rows = frappe.db.sql("select `title` from `tabRT Note` where `name`=%s", (notes[0],))
    assert rows == (("alpha",),)
    rows = frappe.db.sql("select `title`, `amount` from `tabRT Note` where `title`=%(t)s", {"t": "beta"}, as_dict=True)
    assert rows[0].title == "beta" and rows[0].amount == 20.0
    rows = frappe.db.sql("select `title` from `tabRT Note` where `title` like %s", ("alph%",), pluck=True)
    assert rows == ["alpha"]
    rows = frappe.db.sql("select `note_date`, `creation` from `tabRT Note` where `name`=%s", (notes[0],), as_dict=True)
    assert rows[0].note_date == datetime.date(2026, 1, 1)
    assert isinstance(rows[0].creation, datetime.datetime)


def test_savepoint_rollback(site):
    frappe.db.savepoint("sp1")
    doc = frappe.get_doc({"doctype": "RT Note", "title": "inside savepoint"}).insert()
    frappe.db.rollback(save_point="sp1")
    assert not frappe.db.exists("RT Note", doc.name)


def test_commit_and_rollback_callbacks(site):
    seen = []
    frappe.db.after_commit.add(lambda: seen.append("after_commit"))
    frappe.db.before_commit.add(lambda: seen.append("before_commit"))
    frappe.db.commit()
    assert seen == ["before_commit", "after_commit"]
    frappe.db.after_commit.add(lambda: seen.append("never"))
    frappe.db.after_rollback.add(lambda: seen.append("after_rollback"))
    frappe.db.rollback()
    frappe.db.commit()
    assert seen == ["before_commit", "after_commit", "after_rollback"]


def test_query_builder(notes):
    note = frappe.qb.DocType("RT Note")
    rows = (frappe.qb.from_(note).select(note.title).where(note.status == "Closed")).run(as_dict=True)
    assert [r.title for r in rows] == ["beta"]


def test_defaults(site):
    frappe.db.set_default("rt_key", "v1")
    assert frappe.db.get_default("rt_key") == "v1"
    frappe.db.set_default("rt_key", "v2")
    assert frappe.db.get_default("rt_key") == "v2"

"""Issue 12 items 4 and 16: what ``fields`` may reach in a list.

Item 4 — a column the user may not read is dropped from a list silently, as Frappe 15 does
(security-desk.json C01/C02: a rep that may only *select* User gets ``last_ip`` but not ``api_key``, a
permlevel-1 field). Item 16 — ``fields`` that Frappe turns into broken SQL (B08 ``max(name, 1)``, B09b a
backquoted foreign table, B10 ``fields=abc``) answer a 4xx DataError that never echoes SQL.

On the HTTP test site the reader (RT Reader) reads RT Note at permlevel 0 only (``approved_by`` is at
level 1) and, as a desk user, may only select User; the admin is a System Manager.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from http_helpers import get_http_site

NOTES = "/api/resource/RT%20Note"
SQL_WORDS = ("select ", "`tab", "from `", "syntax", "sqlite", "pymysql", "psycopg")


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    if not site.__dict__.get("_approved_note"):
        with site.context() as frappe:
            frappe.get_doc({"doctype": "RT Note", "title": "approved note", "approved_by": "the boss",
                            "amount": 12}).insert()
        site._approved_note = True
    return site


def _list(http, path, who, fields, **params):
    query = "&".join([f"fields={quote(json.dumps(fields))}"] + [f"{k}={quote(str(v))}" for k, v in params.items()])
    return http.get(f"{path}?{query}", auth=http.token(who))


# ---------------------------------------------------------------- item 4

def test_select_only_user_does_not_get_api_keys(http):
    reply = _list(http, "/api/resource/User", "reader", ["name", "api_key", "last_ip"], limit_page_length=100)
    assert reply.status == 200, reply.text
    rows = reply.json()["data"]
    assert rows and all(set(row) == {"name", "last_ip"} for row in rows)
    with http.context() as frappe:
        keys = [k for k in frappe.get_all("User", pluck="api_key") if k]
    assert keys and not any(key in reply.text for key in keys)


def test_higher_permlevel_fields_are_dropped_for_who_cannot_read_them(http):
    reply = _list(http, NOTES, "reader", ["name", "title", "approved_by"], limit_page_length=500)
    assert reply.status == 200, reply.text
    rows = reply.json()["data"]
    assert rows and all("approved_by" not in row for row in rows)
    assert "approved note" in [row["title"] for row in rows] and "the boss" not in reply.text
    # `*` becomes the readable columns
    star = _list(http, NOTES, "reader", ["*"], limit_page_length=500)
    assert star.status == 200 and "the boss" not in star.text
    assert all("approved_by" not in row and "title" in row for row in star.json()["data"])
    # a function over an unreadable column is dropped as well; as_list keeps the positions
    counted = _list(http, NOTES, "reader", ["title", "max(approved_by) as top"], as_dict=0, limit_page_length=1)
    assert counted.status == 200 and "the boss" not in counted.text
    assert all(row[1] is None for row in counted.json()["data"])
    # who may read level 1 gets it
    admin = _list(http, NOTES, "admin", ["title", "approved_by"], limit_page_length=500)
    assert "the boss" in [row.get("approved_by") for row in admin.json()["data"]]


def test_python_get_list_applies_the_same_rule(http):
    from http_helpers import USERS

    with http.context(user=USERS["reader"][0]) as frappe:
        rows = frappe.get_list("RT Note", fields=["title", "approved_by"], filters={"title": "approved note"})
        assert rows and "approved_by" not in rows[0]
        assert frappe.get_list("RT Note", fields=["approved_by"], filters={"title": "approved note"}) == []
        # get_all ignores permissions, field rules included
        assert frappe.get_all("RT Note", fields=["approved_by"], filters={"title": "approved note"})[0].approved_by


def test_link_fields_need_the_right_to_read_the_linked_doctype(http):
    # RT Note.customer links Customer, which the reader may not read: Frappe refuses the join (403)
    reply = _list(http, NOTES, "reader", ["name", "customer.customer_name"])
    assert reply.status == 403 and reply.json()["exc_type"] == "PermissionError"


# ---------------------------------------------------------------- item 16

def _data_error(reply, *, message=None):
    assert reply.status == 417, reply.text
    body = reply.json()
    assert body["exc_type"] == "DataError"
    lowered = reply.text.lower()
    for word in SQL_WORDS:
        assert word not in lowered, (word, reply.text[:500])
    if message:
        texts = [json.loads(m)["message"] for m in json.loads(body["_server_messages"])]
        assert any(message in t for t in texts), texts


@pytest.mark.parametrize("field", [
    "max(name, 1)",            # B08: two arguments to an aggregate
    "count(name, title)",
    "ifnull(title, @@version)",
    "sum(amount) + 1",
    "lower(upper(title))",
    "max((title))",
])
def test_malformed_function_fields_are_a_data_error(http, field):
    _data_error(_list(http, NOTES, "admin", [field]), message="Field not permitted in query")


def test_fields_that_are_not_json_are_a_data_error(http):
    # B10: Frappe answers 500 JSONDecodeError; the message is kept
    reply = http.get(NOTES + "?fields=abc", auth=http.token("admin"))
    _data_error(reply, message="Expecting value: line 1 column 1 (char 0)")


def test_a_foreign_table_is_a_data_error_for_who_can_read_it(http):
    # B09b: a System Manager may read User.api_key, but User is not a table of RT Note
    reply = _list(http, NOTES, "admin", ["name", "`tabUser`.`api_key`"])
    _data_error(reply, message="User.api_key")


def test_a_foreign_table_the_user_cannot_read_is_dropped(http):
    # B09: the partner's answer on Frappe is the list with the foreign column silently left out
    reply = _list(http, NOTES, "reader", ["name", "`tabUser`.`api_key`"])
    assert reply.status == 200, reply.text
    assert all(set(row) == {"name"} for row in reply.json()["data"])


def test_well_formed_functions_still_work(http):
    reply = _list(http, NOTES, "admin", ["count(name) as total", "sum(amount) as amount_sum",
                                         "count(distinct title) as titles", "max(`tabRT Note`.`amount`) as top"])
    assert reply.status == 200, reply.text
    row = reply.json()["data"][0]
    assert row["total"] >= 1 and row["top"] >= 12
    count = http.get("/api/method/frappe.client.get_count?doctype=RT%20Note", auth=http.token("reader"))
    assert count.status == 200 and count.json()["message"] >= 1


@pytest.mark.parametrize("order_by", [
    "`tabUser`.`api_key` desc",                     # a table the query does not read
    "extractvalue(1, concat(0x7e, version()))",     # error-based probing through a function
    "title desc; drop table x",
    "no_such_column",
])
def test_order_by_outside_the_query_is_a_data_error(http, order_by):
    reply = http.get(f"{NOTES}?order_by={quote(order_by)}", auth=http.token("admin"))
    assert reply.status == 417, reply.text
    assert reply.json()["exc_type"] == "DataError"
    assert "`tab" not in reply.text


def test_group_by_takes_columns_only(http):
    bad = http.get(f"{NOTES}?group_by={quote('title, sleep(1)')}", auth=http.token("admin"))
    assert bad.status == 417 and bad.json()["exc_type"] == "DataError"
    fields = quote(json.dumps(["title", "count(name) as total"]))
    good = http.get(f"{NOTES}?fields={fields}&group_by=title&order_by={quote('total desc, title asc')}",
                    auth=http.token("admin"))
    assert good.status == 200, good.text
    assert all(set(row) == {"title", "total"} for row in good.json()["data"])


@pytest.mark.parametrize("filters", [
    [["User", "api_key", "like", "%"]],          # a doctype the query cannot reach
    [["name", "=", {"a": 1}]],                   # an object where a value belongs
    [[["name"], "=", "x"]],
    [["name", ["="], "x"]],
    [["No Such Doctype", "name", "=", "x"]],
])
def test_malformed_filters_are_a_data_error(http, filters):
    reply = http.get(f"{NOTES}?filters={quote(json.dumps(filters))}", auth=http.token("admin"))
    assert 400 <= reply.status < 500, reply.text
    lowered = reply.text.lower()
    assert not any(word in lowered for word in SQL_WORDS), reply.text[:300]


def test_listing_a_single_doctype_is_a_data_error(http):
    # Frappe runs the query on a table that does not exist and answers 500 with the database's error
    reply = http.get("/api/resource/RT%20Settings", auth=http.token("admin"))
    assert reply.status == 417, reply.text[:300]
    assert reply.json()["exc_type"] == "DataError"
    assert "no such table" not in reply.text and "doesn't exist" not in reply.text
    guest = http.get("/api/resource/RT%20Settings")
    assert guest.status == 403

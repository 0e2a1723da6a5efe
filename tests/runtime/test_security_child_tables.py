"""Issue 12 item 1: child tables are only listed through a valid parent the caller may read.

Real Frappe (recordings security-desk.json A01–A15) answers a child doctype listed without ``parent`` with
a bare 403 PermissionError (no ``_server_messages``), even for a System Manager who is not
Administrator; with ``parent=<doctype>`` it checks that the parent has a Table field of the child and
applies the parent's rights; ``frappe.desk.reportview.get`` refuses with "<child> is not a valid parent
DocType for <child>". RT Note Item is RT Note's child table on the HTTP test site.
"""

from __future__ import annotations

import json

import pytest

from http_helpers import get_http_site

CHILD = "/api/resource/RT%20Note%20Item"


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    if not site.__dict__.get("_child_rows"):
        with site.context() as frappe:
            frappe.get_doc({"doctype": "RT Note", "title": "with rows",
                            "items": [{"item": "first", "qty": 1}, {"item": "second", "qty": 2}]}).insert()
        site._child_rows = True
    return site


def _bare_403(reply):
    assert reply.status == 403, reply.text
    body = reply.json()
    assert body["exc_type"] == "PermissionError"
    assert "_server_messages" not in body and "_error_message" not in body
    assert '"item"' not in reply.text


@pytest.mark.parametrize("who", ["admin", "reader", None])
def test_child_list_without_parent_is_a_bare_403(http, who):
    # admin is a System Manager, not Administrator: refused as well (A03)
    _bare_403(http.get(CHILD, auth=http.token(who) if who else None))
    _bare_403(http.get(CHILD + "?fields=" + json.dumps(["item", "qty", "parent"]), auth=http.token(who) if who else None))


def test_client_get_list_without_parent_is_a_bare_403(http):
    reply = http.post("/api/method/frappe.client.get_list", auth=http.token("reader"),
                      json_body={"doctype": "RT Note Item", "fields": ["name", "parent", "item"]})
    _bare_403(reply)


def test_core_child_table_has_role_is_refused_too(http):
    _bare_403(http.get("/api/resource/Has%20Role", auth=http.token("reader")))


def test_with_a_valid_parent_the_parents_rights_apply(http):
    reply = http.get(CHILD + "?parent=RT%20Note&fields=" + json.dumps(["parent", "item", "qty"]),
                     auth=http.token("reader"))
    assert reply.status == 200, reply.text
    assert {"first", "second"} <= {row["item"] for row in reply.json()["data"]}
    reply = http.post("/api/method/frappe.client.get_list", auth=http.token("reader"),
                      json_body={"doctype": "RT Note Item", "parent": "RT Note", "fields": ["item"]})
    assert reply.status == 200 and {"first", "second"} <= {r["item"] for r in reply.json()["message"]}


@pytest.mark.parametrize("parent", ["RT Tag", "RT Note Item", "No Such Doctype"])
def test_a_parent_without_that_table_is_refused(http, parent):
    # a made-up parent must not open the child table (Frappe: DocField/Custom Field check)
    _bare_403(http.get(f"{CHILD}?parent={parent.replace(' ', '%20')}", auth=http.token("admin")))


def test_without_rights_on_the_parent_it_is_refused(http):
    reply = http.get(CHILD + "?parent=RT%20Note", auth=http.token("website"))
    assert reply.status == 403
    assert reply.json()["exc_type"] == "PermissionError" and "_error_message" not in reply.json()
    assert '"item"' not in reply.text


def test_reportview_names_the_missing_parent(http):
    # A14: DatabaseQuery names the child itself as the parent when none is given
    reply = http.post("/api/method/frappe.desk.reportview.get", auth=http.token("reader"),
                      form={"doctype": "RT Note Item",
                            "fields": json.dumps(["`tabRT Note Item`.`name`", "`tabRT Note Item`.`parent`"])})
    assert reply.status == 403, reply.text
    body = reply.json()
    assert body["exc_type"] == "PermissionError"
    messages = [json.loads(m)["message"] for m in json.loads(body["_server_messages"])]
    assert messages == ["<strong>RT Note Item</strong> is not a valid parent DocType for <strong>RT Note Item</strong>"]
    assert body["_error_message"] == "No permission for RT Note Item"


def test_reportview_with_parent_is_a_4xx_type_error(http):
    # A15: Frappe passes `parent` on to DatabaseQuery.execute and answers 500 TypeError
    reply = http.post("/api/method/frappe.desk.reportview.get", auth=http.token("reader"),
                      form={"doctype": "RT Note Item", "parent": "RT Note",
                            "fields": json.dumps(["`tabRT Note Item`.`name`"])})
    assert reply.status == 400, reply.text
    body = reply.json()
    assert body["exc_type"] == "TypeError"
    assert body["exception"] == "TypeError: DatabaseQuery.execute() got an unexpected keyword argument 'parent'"


def test_reportview_lists_a_parent_doctype(http):
    reply = http.post("/api/method/frappe.desk.reportview.get", auth=http.token("reader"),
                      form={"doctype": "RT Note", "fields": json.dumps(["`tabRT Note`.`name`", "`tabRT Note`.`title`"]),
                            "with_comment_count": "1", "view": "List"})
    assert reply.status == 200, reply.text
    message = reply.json()["message"]
    assert message["keys"] == ["name", "title", "_comment_count"]
    assert "with rows" in [row[1] for row in message["values"]]


def test_python_api_follows_frappe(http):
    import frappe

    with http.context(user=http_user(http, "reader")) as f:
        with pytest.raises(frappe.PermissionError):
            f.get_list("RT Note Item", fields=["item"])
        assert not f.has_permission("RT Note Item")
        assert {"first", "second"} <= set(f.get_list("RT Note Item", fields=["item"], parent_doctype="RT Note",
                                                     pluck="item"))
        assert f.has_permission("RT Note Item", parent_doctype="RT Note")
        assert not f.has_permission("RT Note Item", parent_doctype="RT Tag")
        # a row is judged by its parent document
        row = f.get_all("RT Note Item", fields=["name"], limit=1)[0].name
        assert f.get_doc("RT Note Item", row).has_permission("read")
    with http.context() as f:
        # Administrator passes the check without a parent, as in Frappe; without a parent no data field
        # is readable, only the standard columns
        assert f.get_list("RT Note Item", fields=["name", "parent"])
        assert f.get_list("RT Note Item", fields=["item"]) == []
        assert f.get_list("RT Note Item", fields=["item"], parent_doctype="RT Note")


def test_client_get_of_a_child_needs_its_parent(http):
    with http.context() as f:
        row = f.get_all("RT Note Item", fields=["name"], limit=1)[0].name
    reply = http.get(f"/api/method/frappe.client.get?doctype=RT%20Note%20Item&name={row}", auth=http.token("reader"))
    _bare_403(reply)
    reply = http.get(f"/api/method/frappe.client.get?doctype=RT%20Note%20Item&name={row}&parent=RT%20Note",
                     auth=http.token("reader"))
    assert reply.status == 200 and reply.json()["message"]["name"] == row


def http_user(http, who):
    from http_helpers import USERS

    return USERS[who][0]

"""Document sharing (DocShare, frappe.share): the User's share with itself, what a share grants and
what it never grants, who may share, lists, the migrate patch, and the HTTP answers for every role."""

from __future__ import annotations

import json

import pytest

import frappe
import frappe.share
from frappe.permissions import has_permission


def make_user(email, *roles):
    for role in roles:
        if not frappe.db.exists("Role", role):
            frappe.get_doc({"doctype": "Role", "role_name": role}).insert(ignore_permissions=True)
    if not frappe.db.exists("User", email):
        user = frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0],
                               "send_welcome_email": 0})
        for role in roles:
            user.append("roles", {"role": role})
        user.insert(ignore_permissions=True)
    return email


def new_note(title="shared note", **extra):
    frappe.set_user("Administrator")
    return frappe.get_doc({"doctype": "RT Note", "title": title, **extra}).insert()


def share_row(doctype, name, user):
    return frappe.db.get_value("DocShare", {"share_doctype": doctype, "share_name": name, "user": user},
                               ["read", "write", "submit", "share", "everyone"], as_dict=True)


# ------------------------------------------------------------------ the User's share with itself

def test_a_new_user_is_shared_with_itself_and_standard_users_are_not(site):
    user = make_user("ds-self@example.com")
    assert share_row("User", user, user) == {"read": 1, "write": 1, "submit": 0, "share": 1, "everyone": 0}
    assert not frappe.db.exists("DocShare", {"share_doctype": "User", "share_name": ("in", ("Administrator", "Guest"))})
    # saving again keeps one row
    frappe.get_doc("User", user).save(ignore_permissions=True)
    assert frappe.db.count("DocShare", {"share_doctype": "User", "share_name": user}) == 1


def test_a_user_without_rights_on_user_reads_its_own_record_only(site):
    me = make_user("ds-me@example.com")
    other = make_user("ds-other@example.com")
    frappe.set_user(me)
    assert has_permission("User", "read", me)
    frappe.local.message_log = []
    assert not frappe.has_permission("User", "read", other)
    assert not frappe.has_permission("User", "read", "Administrator")
    # the refusal names the document, as Frappe does once the doctype is readable through a share
    with pytest.raises(frappe.PermissionError):
        frappe.has_permission("User", "read", frappe.get_doc("User", other), throw=True)
    messages = [m["message"] for m in frappe.local.message_log]
    assert messages[-1].endswith(f"does not have access to this document: User - {other}")


def test_own_record_keeps_permlevel_1_fields_hidden(site):
    me = make_user("ds-hidden@example.com", "RT User")
    frappe.set_user("Administrator")
    admin_view = frappe.get_doc("User", me)
    admin_view.api_key = "ds-hidden-key"
    admin_view.save()
    frappe.set_user(me)
    doc = frappe.get_doc("User", me)
    doc.check_permission("read")
    doc.apply_fieldlevel_read_permissions()
    assert doc.first_name == "ds-hidden" and doc.email == me  # permlevel 0 stays
    assert doc.roles == [] and doc.api_key is None and doc.user_type is None  # permlevel 1 is cleared


def test_writing_own_record_cannot_raise_permlevel_1_fields(site):
    me = make_user("ds-writer@example.com", "RT User")
    frappe.set_user(me)
    doc = frappe.get_doc("User", me)
    doc.first_name = "Renamed"
    doc.append("roles", {"role": "System Manager"})
    doc.user_type = "System User"
    doc.restrict_ip = ""
    doc.save()
    frappe.set_user("Administrator")
    saved = frappe.get_doc("User", me)
    assert saved.first_name == "Renamed"
    assert [r.role for r in saved.roles] == ["RT User"]
    assert "System Manager" not in frappe.get_roles(me)


def test_another_users_record_stays_closed_for_writing(site):
    me = make_user("ds-w1@example.com")
    other = make_user("ds-w2@example.com")
    frappe.set_user(me)
    doc = frappe.get_doc("User", other)
    doc.first_name = "Hijacked"
    with pytest.raises(frappe.PermissionError):
        doc.save()


def test_has_permission_hooks_still_deny_a_shared_document(site):
    me = make_user("ds-hook@example.com")
    frappe.set_user("Administrator")
    # even an explicit share of a standard user's record is refused by the User hook
    frappe.share.add_docshare("User", "Administrator", me, flags={"ignore_share_permission": True})
    frappe.set_user(me)
    assert not frappe.has_permission("User", "read", "Administrator")


# ------------------------------------------------------------------ what a share grants

def test_a_share_grants_its_rights_on_that_document_only(site):
    user = make_user("ds-norole@example.com")
    shared, unshared = new_note("one"), new_note("two")
    frappe.share.add_docshare("RT Note", shared.name, user, write=1)
    frappe.set_user(user)
    assert frappe.has_permission("RT Note", "read", shared.name)
    assert frappe.has_permission("RT Note", "write", shared.name)
    assert not frappe.has_permission("RT Note", "submit", shared.name)
    assert not frappe.has_permission("RT Note", "delete", shared.name)
    assert not frappe.has_permission("RT Note", "share", shared.name)
    assert not frappe.has_permission("RT Note", "read", unshared.name)
    doc = frappe.get_doc("RT Note", shared.name)
    doc.title = "edited through a share"
    doc.save()
    with pytest.raises(frappe.PermissionError):
        frappe.delete_doc("RT Note", shared.name)


def test_submit_share_and_non_submittable_doctypes(site):
    user = make_user("ds-submit@example.com")
    note = new_note("to submit")
    row = frappe.share.add_docshare("RT Note", note.name, user, submit=1)
    assert (row.read, row.write, row.submit) == (1, 1, 1)  # submit includes write and read
    frappe.set_user(user)
    doc = frappe.get_doc("RT Note", note.name)
    doc.submit()
    assert frappe.db.get_value("RT Note", note.name, "docstatus") == 1
    frappe.set_user("Administrator")
    tag = frappe.get_doc({"doctype": "RT Tag", "tag_name": "ds-tag"}).insert()
    with pytest.raises(frappe.ValidationError, match="not submittable"):
        frappe.share.add_docshare("RT Tag", tag.name, user, submit=1)


def test_lists_hold_shared_documents(site):
    user = make_user("ds-list@example.com")
    note, other = new_note("listed"), new_note("not listed")
    frappe.set_user(user)
    with pytest.raises(frappe.PermissionError):
        frappe.get_list("RT Note")
    frappe.set_user("Administrator")
    frappe.share.add_docshare("RT Note", note.name, user)
    frappe.set_user(user)
    assert frappe.get_list("RT Note", pluck="name") == [note.name]
    # an if_owner role lists its own documents and, next to them, those shared with it
    owner = make_user("ds-owner@example.com", "RT Owner")
    frappe.set_user(owner)
    mine = frappe.get_doc({"doctype": "RT Note", "title": "mine"}).insert()
    assert set(frappe.get_list("RT Note", pluck="name")) == {mine.name}
    frappe.set_user("Administrator")
    frappe.share.add_docshare("RT Note", note.name, owner)
    frappe.set_user(owner)
    assert set(frappe.get_list("RT Note", pluck="name")) == {mine.name, note.name}
    assert other.name not in frappe.get_list("RT Note", pluck="name")


def test_everyone_shares_reach_signed_in_users_but_never_guest(site):
    user = make_user("ds-everyone@example.com")
    note = new_note("for everyone")
    frappe.share.add_docshare("RT Note", note.name, everyone=1)
    frappe.set_user(user)
    assert frappe.has_permission("RT Note", "read", note.name)
    frappe.set_user("Guest")
    assert not frappe.has_permission("RT Note", "read", note.name)
    assert frappe.share.get_shared("RT Note", "Guest") == []


def test_nothing_is_shared_with_guest(site):
    note = new_note("not for guest")
    with pytest.raises(frappe.ValidationError, match="Guest"):
        frappe.share.add_docshare("RT Note", note.name, "Guest")
    assert not frappe.db.exists("DocShare", {"user": "Guest"})


# ------------------------------------------------------------------ who may share

def test_sharing_needs_the_share_right(site):
    writer = make_user("ds-rtuser@example.com", "RT User")  # read/write/submit on RT Note, no share
    target = make_user("ds-target@example.com")
    note = new_note("no share right")
    frappe.set_user(writer)
    with pytest.raises(frappe.PermissionError):
        frappe.share.add("RT Note", note.name, target)
    with pytest.raises(frappe.PermissionError):
        frappe.get_doc({"doctype": "DocShare", "share_doctype": "RT Note", "share_name": note.name,
                        "user": target, "read": 1}).insert(ignore_permissions=True)
    assert not frappe.db.exists("DocShare", {"share_name": note.name})


def test_a_sharer_gives_only_the_rights_it_holds(site):
    middle = make_user("ds-middle@example.com")
    target = make_user("ds-end@example.com")
    note = new_note("reshared")
    frappe.share.add_docshare("RT Note", note.name, middle, share=1)  # read + share, no write
    frappe.set_user(middle)
    with pytest.raises(frappe.PermissionError):
        frappe.share.add("RT Note", note.name, target, write=1)
    with pytest.raises(frappe.PermissionError):
        frappe.share.add("RT Note", note.name, middle, write=1)  # nor to itself
    frappe.share.add("RT Note", note.name, target)
    assert share_row("RT Note", note.name, target)["read"] == 1
    assert share_row("RT Note", note.name, middle)["write"] == 0


def test_unsharing(site):
    user = make_user("ds-unshare@example.com")
    note = new_note("unshared later")
    frappe.share.add_docshare("RT Note", note.name, user, write=1)
    frappe.share.set_docshare_permission("RT Note", note.name, user, "write", 0)
    assert share_row("RT Note", note.name, user)["write"] == 0
    assert frappe.share.set_docshare_permission("RT Note", note.name, user, "read", 0) is None
    assert share_row("RT Note", note.name, user) is None
    frappe.share.add_docshare("RT Note", note.name, user)
    frappe.share.remove("RT Note", note.name, user)
    frappe.set_user(user)
    assert not frappe.has_permission("RT Note", "read", note.name)
    with pytest.raises(frappe.ValidationError):
        frappe.share.set_docshare_permission("RT Note", note.name, user, "delete", 1)


def test_get_users_needs_read_on_the_document(site):
    reader = make_user("ds-reader@example.com", "RT Reader")
    stranger = make_user("ds-stranger@example.com")
    note = new_note("who sees it")
    frappe.share.add_docshare("RT Note", note.name, reader)
    frappe.set_user(reader)
    assert [row.user for row in frappe.share.get_users("RT Note", note.name)] == [reader]
    frappe.set_user(stranger)
    with pytest.raises(frappe.PermissionError):
        frappe.share.get_users("RT Note", note.name)


def test_a_deleted_user_leaves_no_shares(site):
    user = make_user("ds-deleted@example.com")
    note = new_note("orphan")
    frappe.share.add_docshare("RT Note", note.name, user)
    frappe.delete_doc("User", user)
    assert not frappe.db.exists("DocShare", {"user": user})
    assert not frappe.db.exists("DocShare", {"share_doctype": "User", "share_name": user})


def test_migrate_patch_shares_existing_users_with_themselves(site):
    from frappe.patches.v15_0 import share_users_with_themselves

    user = make_user("ds-patched@example.com")
    frappe.db.delete("DocShare", {"share_doctype": "User", "share_name": user})
    frappe.set_user(user)
    assert not frappe.has_permission("User", "read", user)
    frappe.set_user("Administrator")
    share_users_with_themselves.execute()
    share_users_with_themselves.execute()  # a second run changes nothing
    assert frappe.db.count("DocShare", {"share_doctype": "User", "share_name": user}) == 1
    frappe.set_user(user)
    assert frappe.has_permission("User", "read", user)
    assert "frappe.patches.v15_0.share_users_with_themselves" in __import__(
        "frappe.migrate", fromlist=["get_app_patches"]).get_app_patches("frappe", "post_model_sync")


# ------------------------------------------------------------------ over HTTP, every role as an attacker

@pytest.fixture()
def http(sites_path):
    from http_helpers import USERS, get_http_site

    site = get_http_site(sites_path)
    site.emails = {who: spec[0] for who, spec in USERS.items()}
    return site


def _user_path(email):
    return "/api/resource/User/" + email.replace("@", "%40")


def test_http_own_user_record_for_a_user_without_rights(http):
    website = http.emails["website"]
    reply = http.get(_user_path(website), auth=http.token("website"))
    assert reply.status == 200, reply.text
    data = reply.json()["data"]
    assert data["name"] == website and data["roles"] == []
    assert "api_key" not in data and "api_secret" not in data and "user_type" not in data

    other = http.get(_user_path(http.emails["admin"]), auth=http.token("website"))
    assert other.status == 403
    assert "does not have access to this document: User - " + http.emails["admin"] in other.text

    guest = http.get(_user_path(website))
    assert guest.status == 403


def test_http_writing_own_user_record_keeps_roles(http):
    reader = http.emails["reader"]
    with http.context() as frappe_:
        location_before, type_before = frappe_.db.get_value("User", reader, ["location", "user_type"])
    # the type the PUT asks for must differ from the stored one, or the check below proves nothing
    requested_type = "Website User" if type_before == "System User" else "System User"
    try:
        reply = http.request("PUT", _user_path(reader), auth=http.token("reader"),
                             json_body={"location": "Self-edited", "roles": [{"role": "System Manager"}],
                                        "user_type": requested_type})
        assert reply.status == 200, reply.text
        with http.context() as frappe_:
            assert "System Manager" not in frappe_.get_roles(reader)
            assert frappe_.db.get_value("User", reader, "user_type") == type_before
            assert frappe_.db.get_value("User", reader, "location") == "Self-edited"
    finally:
        # the HTTP site is shared by other test modules: leave the reader as it was
        with http.context() as frappe_:
            frappe_.db.set_value("User", reader, "location", location_before, update_modified=False)


def test_http_sharing_is_refused_without_the_share_right(http):
    with http.context() as frappe_:
        note = frappe_.get_doc({"doctype": "RT Note", "title": "http share"}).insert()
        name = note.name
    body = {"doctype": "RT Note", "name": name, "user": http.emails["website"], "read": 1, "write": 1}
    for auth in (http.token("reader"), http.token("website"), None):
        reply = http.post("/api/method/frappe.share.add", auth=auth, json_body=body)
        assert reply.status == 403, (auth, reply.text)
    for auth in (http.token("reader"), http.token("website"), None):
        reply = http.post("/api/resource/DocShare", auth=auth,
                          json_body={"share_doctype": "RT Note", "share_name": name,
                                     "user": http.emails["website"], "read": 1})
        assert reply.status == 403, (auth, reply.text)
    with http.context() as frappe_:
        assert not frappe_.db.exists("DocShare", {"share_doctype": "RT Note", "share_name": name})
    # a System Manager may share; the website user then reads the note and nothing else
    try:
        _shared_note_is_readable(http, body, name)
    finally:
        # the HTTP site is shared by other test modules: leave the website user without any share
        with http.context() as frappe_:
            frappe_.db.delete("DocShare", {"share_doctype": "RT Note", "share_name": name})
            frappe_.delete_doc("RT Note", name, force=True)


def _shared_note_is_readable(http, body, name):
    reply = http.post("/api/method/frappe.share.add", auth=http.token("admin"), json_body=body)
    assert reply.status == 200, reply.text
    assert http.get(f"/api/resource/RT%20Note/{name}", auth=http.token("website")).status == 200
    listed = http.get("/api/resource/RT%20Note", auth=http.token("website"))
    assert listed.status == 200 and [row["name"] for row in listed.json()["data"]] == [name]
    users = http.get("/api/method/frappe.share.get_users?" + "doctype=RT%20Note&name=" + name,
                     auth=http.token("website"))
    assert users.status == 200 and {row["user"] for row in users.json()["message"]} == {http.emails["website"]}
    guest_users = http.get("/api/method/frappe.share.get_users?doctype=RT%20Note&name=" + name)
    assert guest_users.status == 403
    assert json.loads(http.get(f"/api/resource/RT%20Note/{name}").text).get("exc_type") == "PermissionError"


def test_http_desk_form_of_own_user_gets_the_shared_rights(http):
    website = http.emails["website"]
    reply = http.get("/api/method/frappe.desk.form.load.getdoc?doctype=User&name=" + website.replace("@", "%40"),
                     auth=http.token("website"))
    assert reply.status == 200, reply.text
    body = reply.json()
    doc = body["docs"][0]
    assert doc["name"] == website and doc.get("roles", []) == [] and "api_key" not in doc
    perms = body["docinfo"]["permissions"]
    assert (perms["read"], perms["write"], perms["share"], perms["delete"], perms["create"]) == (1, 1, 1, 0, 0)
    assert [(s["user"], s["read"], s["write"], s["share"]) for s in body["docinfo"]["shared"]] == [(website, 1, 1, 1)]
    other = http.get("/api/method/frappe.desk.form.load.getdoc?doctype=User&name="
                     + http.emails["reader"].replace("@", "%40"), auth=http.token("website"))
    assert other.status == 403


def test_a_deleted_document_takes_its_shares_along(site):
    user = make_user("ds-gone@example.com")
    note = new_note("deleted with its shares")
    frappe.share.add_docshare("RT Note", note.name, user)
    frappe.delete_doc("RT Note", note.name)
    assert not frappe.db.exists("DocShare", {"share_doctype": "RT Note", "share_name": note.name})
    assert frappe.db.exists("DocShare", {"share_doctype": "User", "share_name": user})  # others stay


def test_http_bad_share_input_is_a_4xx(http):
    cases = [("frappe.share.add", {}), ("frappe.share.add", {"doctype": "RT Note"}),
             ("frappe.share.add", {"doctype": 5, "name": [1]}), ("frappe.share.add", {"doctype": "Nope", "name": "x"}),
             ("frappe.share.add", {"doctype": "RT Note Item", "name": "x"}),
             ("frappe.share.set_permission", {"doctype": "RT Note", "name": "x"}),
             ("frappe.share.get_users", {"name": "x"})]
    for method, body in cases:
        for who in ("admin", "website"):
            reply = http.post(f"/api/method/{method}", auth=http.token(who), json_body=body)
            assert 400 <= reply.status < 500, (method, body, who, reply.status, reply.text[:300])
    with http.context() as frappe_:
        assert not frappe_.db.exists("DocShare", {"share_doctype": ("in", ("Nope", "RT Note Item"))})

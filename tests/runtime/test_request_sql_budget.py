"""SQL statements per request (issue 17): no more than real Frappe's, and the caches behind that
stay correct.

Real Frappe 15 sends 5 statements for a token-authenticated ``frappe.auth.get_logged_user`` and 6 for
``/api/resource/Item?limit_page_length=20`` (measured beside the runtime on one machine). The runtime
keeps what Frappe keeps in Redis — the table list, roles, the user's login info, User Permissions,
defaults and Singles — and drops it when a statement writes the rows it came from. These tests count
the statements each request sends to the database driver (counts, never times) and check that a
change made between two requests — roles, User Permissions, defaults, a Single, a table, a change
another process made, a write that was rolled back — is what the next request sees.

Transaction control (BEGIN / COMMIT / ROLLBACK / SAVEPOINT) and connection set-up are not counted:
the engines differ there and Frappe's figures leave them out too.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap

import pytest

from tests.statement_log import StatementLog, drivers_logging_to

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN_USER = "sql-budget@example.com"
ROLES = ["System Manager", "Stock Manager", "Stock User", "Sales Manager", "Sales User", "Item Manager",
         "Accounts User", "Purchase User"]  # System Manager and 7 more, like the measured token user
ITEM_PREFIX = "SQLB-"
N_ITEMS = 25
LOGGED = "/api/method/frappe.auth.get_logged_user"
ITEM_LIST = "/api/resource/Item?limit_page_length=20"
ROLE_LIST = "/api/resource/Role?limit_page_length=1"

# statements per request, warm caches; the first two are real Frappe's figures
BUDGET = {
    "get_logged_user (token)": (LOGGED, 5),
    "Item list of 20 (token)": (ITEM_LIST, 6),
    "get_logged_user (session cookie)": (LOGGED, 3),
    # the key, the secret, the Item and one read per child table (8), as Frappe loads a document
    "one Item (token)": (f"/api/resource/Item/{ITEM_PREFIX}001", 11),
    "Item count (token)": ("/api/method/frappe.client.get_count?doctype=Item", 4),
}
@pytest.fixture(scope="module")
def statement_log():
    with drivers_logging_to(StatementLog()) as log:
        yield log


@contextlib.contextmanager
def site_context(site, sites_path, user="Administrator"):
    import frappe

    frappe.init(site, sites_path=sites_path, force=True)
    try:
        frappe.connect()
        frappe.set_user(user)
        yield frappe
        frappe.db.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            frappe.db.rollback()
        raise
    finally:
        frappe.destroy()


@pytest.fixture(scope="module")
def token_site(test_site, sites_path):
    """The session site with a token user (System Manager + 7 roles) and 25 Items."""
    with site_context(test_site, sites_path) as frappe:
        from frappe.core.doctype.user.user import generate_keys
        from frappe.utils.password import update_password

        if not frappe.db.exists("User", TOKEN_USER):
            frappe.get_doc({"doctype": "User", "email": TOKEN_USER, "first_name": "Budget",
                            "send_welcome_email": 0, "user_type": "System User",
                            "roles": [{"role": r} for r in ROLES if frappe.db.exists("Role", r)]}
                           ).insert(ignore_permissions=True)
        update_password(TOKEN_USER, "Budget-Pass-17")
        keys = generate_keys(TOKEN_USER)
        for i in range(1, N_ITEMS + 1):
            code = f"{ITEM_PREFIX}{i:03d}"
            if not frappe.db.exists("Item", code):
                frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": f"Budget item {i}",
                                "item_group": "Products", "stock_uom": "Nos"}).insert(ignore_permissions=True)
    return {"site": test_site, "sites_path": sites_path,
            "auth": f"token {keys['api_key']}:{keys['api_secret']}"}


def request(token_site, method, path, *, auth=True, cookies=None, json_body=None):
    from werkzeug.test import Client

    from frappe.app import application

    os.environ["MEDGRID_SITES_PATH"] = token_site["sites_path"]
    headers = {"Host": f"{token_site['site']}:8000"}
    if auth:
        headers["Authorization"] = token_site["auth"]
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    response = Client(application, use_cookies=False).open(path, method=method, headers=list(headers.items()),
                                                           json=json_body)
    try:
        return response.status_code, response.get_json(silent=True), response.headers
    finally:
        response.close()


def get(token_site, path, **kwargs):
    return request(token_site, "GET", path, **kwargs)


def count_statements(token_site, statement_log, path, **kwargs) -> tuple[int, list[str]]:
    for _ in range(2):  # warm: the first request after a change refills the caches
        status, body, _headers = get(token_site, path, **kwargs)
        assert status == 200, body
    with statement_log.counting():
        status, body, _headers = get(token_site, path, **kwargs)
    assert status == 200, body
    return len(statement_log.statements), list(statement_log.statements)


def login_sid(token_site) -> str:
    status, body, headers = request(token_site, "POST", "/api/method/login", auth=False,
                                    json_body={"usr": TOKEN_USER, "pwd": "Budget-Pass-17"})
    assert status == 200, body
    cookie = next(c for c in headers.getlist("Set-Cookie") if c.startswith("sid="))
    return cookie.split(";", 1)[0].split("=", 1)[1]


# ---------------------------------------------------------------- budgets

@pytest.mark.parametrize("case", list(BUDGET))
def test_statements_per_request_within_budget(token_site, statement_log, case):
    path, budget = BUDGET[case]
    cookies = None
    auth = True
    if "session cookie" in case:
        cookies, auth = {"sid": login_sid(token_site)}, False
    count, statements = count_statements(token_site, statement_log, path, auth=auth, cookies=cookies)
    assert count <= budget, f"{case}: {count} statements (budget {budget}):\n" + "\n".join(statements)


def test_token_requests_read_no_cached_tables(token_site, statement_log):
    """What is cached is not read again: no table list, roles, user row, defaults, Singles or User Permissions."""
    _count, statements = count_statements(token_site, statement_log, ITEM_LIST)
    text = "\n".join(statements).lower()
    for cached in ("information_schema", "sqlite_master", "tabhas role", "tabdefaultvalue", "tabsingles",
                   "tabuser permission", "user_type"):
        assert cached not in text, (cached, statements)


# ---------------------------------------------------------------- invalidation

def item_list_status(token_site) -> tuple[int, int]:
    status, body, _headers = get(token_site, ITEM_LIST)
    return status, len((body or {}).get("data") or [])


def role_list_status(token_site) -> int:
    """Role is readable by System Manager only (Item is readable by every Desk User)."""
    return get(token_site, ROLE_LIST)[0]


def set_roles(token_site, roles) -> None:
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        user = frappe.get_doc("User", TOKEN_USER)
        user.set("roles", [])
        for role in roles:
            user.append("roles", {"role": role})
        user.save(ignore_permissions=True)


def test_role_change_is_seen_by_the_next_request(token_site):
    assert role_list_status(token_site) == 200
    try:
        set_roles(token_site, ["Accounts User"])  # System Manager gone
        assert role_list_status(token_site) == 403
        with site_context(token_site["site"], token_site["sites_path"], user=TOKEN_USER) as frappe:
            assert "Item Manager" not in frappe.get_roles()
            assert "Accounts User" in frappe.get_roles()
    finally:
        with site_context(token_site["site"], token_site["sites_path"]) as frappe:
            present = [r for r in ROLES if frappe.db.exists("Role", r)]
        set_roles(token_site, present)
    assert role_list_status(token_site) == 200


def test_raw_sql_role_change_is_seen_too(token_site):
    """The caches follow writes, not controllers: a role removed by plain SQL is gone at once."""
    assert role_list_status(token_site) == 200
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        saved = frappe.db.sql("select `name`, `role`, `idx` from `tabHas Role` where `parent`=%s", (TOKEN_USER,),
                              as_dict=True)
        frappe.db.sql("delete from `tabHas Role` where `parent`=%s", (TOKEN_USER,))
    try:
        assert role_list_status(token_site) == 403
    finally:
        with site_context(token_site["site"], token_site["sites_path"]) as frappe:
            for row in saved:
                frappe.get_doc({"doctype": "Has Role", "name": row.name, "parent": TOKEN_USER, "parenttype": "User",
                                "parentfield": "roles", "role": row.role, "idx": row.idx}).db_insert()
    assert item_list_status(token_site) == (200, 20)


def test_rolled_back_role_change_is_not_kept(token_site):
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        frappe.db.sql("delete from `tabHas Role` where `parent`=%s", (TOKEN_USER,))
        # inside the transaction the change shows …
        assert "Item Manager" not in frappe.get_roles(TOKEN_USER)
        frappe.db.rollback()
        # … and once rolled back, neither this connection nor the cache remembers it
        assert "Item Manager" in frappe.get_roles(TOKEN_USER)
    assert item_list_status(token_site) == (200, 20)


def test_user_permission_change_is_seen_by_the_next_request(token_site):
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        present = [r for r in ROLES if frappe.db.exists("Role", r)]
    # User Permissions do not bind a System Manager (who manages them)
    set_roles(token_site, [r for r in present if r != "System Manager"])
    perm = None
    try:
        assert item_list_status(token_site) == (200, 20)
        with site_context(token_site["site"], token_site["sites_path"]) as frappe:
            perm = frappe.get_doc({"doctype": "User Permission", "user": TOKEN_USER, "allow": "Item",
                                   "for_value": f"{ITEM_PREFIX}002", "apply_to_all_doctypes": 1}
                                  ).insert(ignore_permissions=True)
        status, body, _headers = get(token_site, ITEM_LIST)
        assert status == 200
        assert [r["name"] for r in body["data"]] == [f"{ITEM_PREFIX}002"]
        with site_context(token_site["site"], token_site["sites_path"]) as frappe:
            frappe.delete_doc("User Permission", perm.name, ignore_permissions=True, force=True)
            perm = None
        assert item_list_status(token_site) == (200, 20)
    finally:
        if perm is not None:
            with site_context(token_site["site"], token_site["sites_path"]) as frappe:
                frappe.delete_doc("User Permission", perm.name, ignore_permissions=True, force=True)
        set_roles(token_site, present)


def test_defaults_and_singles_changes_are_seen(token_site):
    site, sites_path = token_site["site"], token_site["sites_path"]
    with site_context(site, sites_path) as frappe:
        before_default = frappe.db.get_default("sql_budget_probe")
        before_single = frappe.db.get_single_value("System Settings", "session_expiry")
    assert before_default is None
    try:
        with site_context(site, sites_path) as frappe:
            frappe.db.set_default("sql_budget_probe", "one")
            frappe.db.set_single_value("System Settings", "session_expiry", "11:11")
        with site_context(site, sites_path) as frappe:
            assert frappe.db.get_default("sql_budget_probe") == "one"
            assert frappe.db.get_single_value("System Settings", "session_expiry") == "11:11"
            frappe.db.add_default("sql_budget_probe", "two")
            # two values under one key: a list, in creation order, as before caching
            assert frappe.db.get_defaults("sql_budget_probe") == ["one", "two"]
        # the session cookie's lifetime comes from the cached Single: 11 h 11 min
        status, _body, headers = get(token_site, LOGGED)
        assert status == 200
        sid_cookie = next(c for c in headers.getlist("Set-Cookie") if c.startswith("sid="))
        assert "Max-Age=40260" in sid_cookie
    finally:
        with site_context(site, sites_path) as frappe:
            frappe.db.set_default("sql_budget_probe", None)
            frappe.db.set_single_value("System Settings", "session_expiry", before_single)
    with site_context(site, sites_path) as frappe:
        assert frappe.db.get_default("sql_budget_probe") is None
        assert frappe.db.get_single_value("System Settings", "session_expiry") == before_single


def test_table_list_follows_ddl(token_site):
    site, sites_path = token_site["site"], token_site["sites_path"]
    with site_context(site, sites_path) as frappe:
        assert frappe.db.table_exists("SQL Budget Probe") is False
        frappe.db.sql_ddl("create table `tabSQL Budget Probe` (`name` varchar(140) primary key)")
    try:
        with site_context(site, sites_path) as frappe:
            assert frappe.db.table_exists("SQL Budget Probe") is True
    finally:
        with site_context(site, sites_path) as frappe:
            frappe.db.sql_ddl("drop table `tabSQL Budget Probe`")
    with site_context(site, sites_path) as frappe:
        assert frappe.db.table_exists("SQL Budget Probe") is False


def test_change_made_by_another_process_is_seen(token_site):
    """Without Redis each process keeps its own copies; a change another process commits reaches them."""
    assert role_list_status(token_site) == 200
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{os.path.join(ROOT, 'runtime')!r}, {os.path.join(ROOT, 'tests', 'apps', 'runtime_test_app')!r}]
        import frappe
        frappe.init({token_site['site']!r}, sites_path={token_site['sites_path']!r}, force=True)
        frappe.connect()
        frappe.db.sql("delete from `tabHas Role` where `parent`=%s and `role`='System Manager'", ({TOKEN_USER!r},))
        frappe.db.commit()
        frappe.destroy()
    """)
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        saved = frappe.db.sql("select `name`, `role`, `idx` from `tabHas Role` where `parent`=%s", (TOKEN_USER,),
                              as_dict=True)
    env = dict(os.environ, MEDGRID_SITES_PATH=token_site["sites_path"])
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    try:
        assert role_list_status(token_site) == 403
    finally:
        with site_context(token_site["site"], token_site["sites_path"]) as frappe:
            frappe.db.sql("delete from `tabHas Role` where `parent`=%s", (TOKEN_USER,))
            for row in saved:
                frappe.get_doc({"doctype": "Has Role", "name": row.name, "parent": TOKEN_USER, "parenttype": "User",
                                "parentfield": "roles", "role": row.role, "idx": row.idx}).db_insert()
    assert item_list_status(token_site) == (200, 20)


def test_value_cache_answers_repeats_until_the_table_is_written(token_site, statement_log):
    """get_value(cache=True), as Frappe's link validation uses it: one lookup per record and request."""
    code = f"{ITEM_PREFIX}003"
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        original = frappe.db.get_value("Item", code, "item_name")
        try:
            with statement_log.counting():
                first = frappe.db.get_value("Item", {"name": code}, ["name", "item_name"], as_dict=True, cache=True)
                again = frappe.db.get_value("Item", {"name": code}, ["name", "item_name"], as_dict=True, cache=True)
            assert first == again == {"name": code, "item_name": original}
            assert len(statement_log.statements) == 1, statement_log.statements
            again.item_name = "changed by the caller"  # callers get their own copy
            assert frappe.db.get_value("Item", {"name": code}, ["name", "item_name"], as_dict=True,
                                       cache=True).item_name == original
            # a write to the table drops what was kept for it
            frappe.db.set_value("Item", code, "item_name", "Renamed in this transaction")
            assert frappe.db.get_value("Item", {"name": code}, ["name", "item_name"], as_dict=True,
                                       cache=True).item_name == "Renamed in this transaction"
            # a record not found is not remembered
            assert frappe.db.get_value("Item", {"name": "SQLB-NOPE"}, "name", cache=True) is None
            frappe.get_doc({"doctype": "Item", "item_code": "SQLB-NOPE", "item_name": "late",
                            "item_group": "Products", "stock_uom": "Nos"}).insert(ignore_permissions=True)
            assert frappe.db.get_value("Item", {"name": "SQLB-NOPE"}, "name", cache=True) == "SQLB-NOPE"
        finally:
            frappe.db.rollback()
        # after the rollback nothing of the undone transaction is answered
        assert frappe.db.get_value("Item", {"name": code}, "item_name", cache=True) == original
        assert frappe.db.get_value("Item", {"name": "SQLB-NOPE"}, "name", cache=True) is None


# ---------------------------------------------------------------- API keys (kept per process)

def test_a_token_request_reads_neither_the_key_nor_the_secret_once_warm(token_site, statement_log):
    _count, statements = count_statements(token_site, statement_log, LOGGED)
    text = "\n".join(statements).lower()
    assert "api_key" not in text and "__auth" not in text, statements


def test_wrong_secret_for_a_kept_key_is_refused(token_site):
    key = token_site["auth"].split(" ", 1)[1].split(":")[0]
    assert get(token_site, LOGGED)[0] == 200  # the key is kept now
    assert _get_with_auth(token_site, f"token {key}:not-the-secret")[0] == 401
    assert get(token_site, LOGGED)[0] == 200


def _get_with_auth(token_site, header):
    return get(dict(token_site, auth=header), LOGGED)


def test_unknown_keys_are_not_kept(token_site):
    from frappe import cache_manager

    before = sum(len(entry[1]) for (site, kind), entry in cache_manager._store.items() if kind == "api_keys")
    for n in range(5):
        assert _get_with_auth(token_site, f"token guessed-key-{n}:guessed-secret")[0] == 401
    after = sum(len(entry[1]) for (site, kind), entry in cache_manager._store.items() if kind == "api_keys")
    assert after == before


def test_a_regenerated_secret_replaces_the_kept_one_at_once(token_site):
    old = token_site["auth"]
    assert get(token_site, LOGGED)[0] == 200
    with site_context(token_site["site"], token_site["sites_path"]) as frappe:
        from frappe.core.doctype.user.user import generate_keys

        keys = generate_keys(TOKEN_USER)
    new = f"token {keys['api_key']}:{keys['api_secret']}"
    token_site["auth"] = new  # the other tests of the module go on with the new key
    assert _get_with_auth(token_site, old)[0] == 401
    assert _get_with_auth(token_site, new)[0] == 200


def test_a_user_disabled_by_raw_sql_in_another_process_is_refused_at_once(token_site):
    """The kept key follows a write to tabUser that no document hook sees, made by another process."""
    assert get(token_site, LOGGED)[0] == 200

    def set_enabled(value):
        script = textwrap.dedent(f"""
            import sys
            sys.path[:0] = [{os.path.join(ROOT, 'runtime')!r}, {os.path.join(ROOT, 'tests', 'apps', 'runtime_test_app')!r}]
            import frappe
            frappe.init({token_site['site']!r}, sites_path={token_site['sites_path']!r}, force=True)
            frappe.connect()
            frappe.db.sql("update `tabUser` set `enabled`=%s where `name`=%s", ({value}, {TOKEN_USER!r}))
            frappe.db.commit()
            frappe.destroy()
        """)
        env = dict(os.environ, MEDGRID_SITES_PATH=token_site["sites_path"])
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]

    set_enabled(0)
    try:
        assert get(token_site, LOGGED)[0] == 401
    finally:
        set_enabled(1)
    assert get(token_site, LOGGED)[0] == 200

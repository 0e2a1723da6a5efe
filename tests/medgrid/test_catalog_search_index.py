"""The catalog's search index (medgrid/catalog/search_index.py) and keyset paging (issue 17).

* The indexed ``search_items`` answers exactly what the plain LIKE scan answers, for a few hundred random
  terms (substrings of real names, 1–2 letter terms, %, _, quotes, backslashes, non-ASCII) over a catalog
  built for it, on whichever engine ``MEDGRID_TEST_DB`` names (run on all three).
* The index follows Item inserts, edits and deletes; where an engine lacks the feature the search scans.
* ``after`` cursors page through both list endpoints exactly as offsets do; a bad cursor is a 400 and
  every role that may not read the catalog is still refused.
"""

from __future__ import annotations

import base64
import json
import random
import threading

import pytest

import frappe

from medgrid import catalog
from medgrid.catalog import search_index
from medgrid.setup.demo import make_demo_data
from tests.conftest import TEST_DB, create_test_site, drop_test_site

SITE = "catalog-index.localhost"
MAIN = "Skydell Main - SM"
EXO = "Skydell Exoceuticals - SM"
COMPANY = "Skydell"
REP = "test-index-rep@medgrid.example"
VENDOR = "test-index-vendor@vendor.example"
SEED = 17

WORDS = ["BPC-157", "TB-500", "Syringe", "Luer Lock", "Nitrile", "Gloves", "Sodium Chloride 0.9%", "Bacteriostatic",
         "Water", "Gauze_Pad", "100% Cotton", "O'Brien's", 'the "best" kit', "back\\slash", "Straße", "Crème Brûlée",
         "Ésterilé", "µg dose", "日本語ラベル", "ÄÖÜ äöü", "Kisspeptin-10", "NAD+", "GHK-Cu", "Vial", "Pen", "mg",
         "2-8 C", "Box of 100", "x_y%z", "Ångström", "İstanbul", "ﬁne", "tab\there", "new\nline"]


@pytest.fixture(scope="module")
def test_site(sites_path):
    """A site of this module's own: its few hundred items would disturb the shared site's catalog tests."""
    conf = create_test_site(sites_path, SITE, apps=("erpnext", "medgrid"))
    yield SITE
    drop_test_site(conf)


@pytest.fixture(scope="module")
def catalog_site(test_site, sites_path):
    frappe.init(test_site, sites_path=sites_path, force=True)
    frappe.connect()
    frappe.set_user("Administrator")
    make_demo_data()
    rng = random.Random(SEED)
    receipts = []
    for n in range(1, 241):
        code = f"TSI-{n:04d}" if n % 7 else f"TSI_{n:04d}%"
        name = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
        description = " ".join(rng.sample(WORDS, rng.randint(0, 5))) if n % 5 else None
        frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": name[:140], "description": description,
                        "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1,
                        "medgrid_approved": 0 if n % 23 == 0 else 1, "disabled": 1 if n % 29 == 0 else 0,
                        "sinq_sku": f"SINQ-{code}",  # approved Items are mapped to their vendor
                        }).insert(ignore_permissions=True)
        for warehouse in ((MAIN,) if n % 3 else (MAIN, EXO)) if n % 11 else ():
            receipts.append({"item_code": code, "qty": rng.randint(1, 50), "t_warehouse": warehouse,
                             "basic_rate": 1})
    entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                            "purpose": "Material Receipt", "company": COMPANY,
                            "posting_date": frappe.utils.nowdate(), "items": receipts})
    entry.insert(ignore_permissions=True)
    entry.submit()
    for email, role in ((REP, "Internal Sales Rep"), (VENDOR, "External Vendor")):
        if not frappe.db.exists("User", email):
            frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0],
                            "send_welcome_email": 0, "roles": [{"role": role}]}).insert(ignore_permissions=True)
    frappe.db.commit()
    yield test_site
    frappe.db.rollback()
    frappe.destroy()


@pytest.fixture()
def db(catalog_site):
    frappe.set_user(REP)
    frappe.local.response = frappe._dict()
    yield
    frappe.set_user("Administrator")
    frappe.db.rollback()


EXPECTED_KIND = {"sqlite": "fts5", "mariadb": "trigram", "postgres": "pg_trgm"}


def search(**kwargs):
    return catalog.search_items(**kwargs)


def scan(**kwargs):
    with search_index.disabled():
        return catalog.search_items(**kwargs)


def random_terms(rng: random.Random, count: int) -> list[str]:
    texts = [t for row in frappe.db.sql("select item_code, item_name, description from `tabItem`")
             for t in row if t]
    terms = ["%", "_", "%%", "%_%", "'", '"', "\\", "\\%", "ß", "ss", "SS", "é", "É", "e", "µ", "μ", "日本", "ü",
             "Ü", "ö", "ﬁ", "fi", "İ", "i", "ı", "zzqx", "100%", "0.9%", "_0", "x_y", "% C", "BPC", "bpc", "Bpc-1",
             "\t", "\n", "b\\s", "TSI_", "tsi-00", "O'B", "\"best\"", "  padded  "]
    while len(terms) < count:
        kind = rng.random()
        if kind < 0.6:  # a substring of a real code, name or description
            text = rng.choice(texts)
            start = rng.randrange(len(text))
            terms.append(text[start:start + rng.randint(1, 12)])
        elif kind < 0.8:  # one or two letters
            terms.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyzÄéß%_'0123456789 -") for _ in range(rng.randint(1, 2))))
        else:  # letters that rarely occur together, in mixed case
            terms.append("".join(rng.choice("BpCxQzÉü%_'\\\"- 09") for _ in range(rng.randint(3, 6))))
    # the endpoint strips the query and refuses an empty one
    return [t for t in terms if t.strip()]


def test_the_site_has_its_engines_index(db):
    assert search_index.ensure() == EXPECTED_KIND[TEST_DB]
    assert search_index.is_available()


def test_indexed_search_answers_exactly_what_the_scan_answers(db):
    rng = random.Random(SEED)
    terms = random_terms(rng, 320)
    assert len(terms) >= 300
    used_index = matched = 0
    for term in terms:
        indexed, plain = search(query=term), scan(query=term)
        assert indexed == plain, f"term {term!r}"
        used_index += search_index.candidates(term.strip()) is not None
        matched += bool(plain)
    for term in terms[:60]:
        for kwargs in ({"warehouse": EXO}, {"limit_page_length": 3, "limit_start": 2},
                       {"warehouse": MAIN, "limit_page_length": 4}):
            assert search(query=term, **kwargs) == scan(query=term, **kwargs), f"term {term!r} {kwargs}"
    # the comparison means something: many terms match, and (except on PostgreSQL, whose GIN indexes serve the
    # LIKE itself) most went through the index
    assert matched > 150
    if TEST_DB != "postgres":
        assert used_index > 120


def test_index_follows_item_insert_edit_and_delete(db):
    frappe.set_user("Administrator")
    item = frappe.get_doc({"doctype": "Item", "item_code": "TSI-NEW-1", "item_name": "Quokkalite Serum",
                           "description": "first words", "item_group": "Products", "stock_uom": "Nos",
                           "is_stock_item": 1, "is_sales_item": 1, "medgrid_approved": 1,
                           "sinq_sku": "SINQ-TSI-NEW-1"}).insert()
    frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
                    "company": COMPANY, "posting_date": frappe.utils.nowdate(),
                    "items": [{"item_code": item.name, "qty": 5, "t_warehouse": MAIN, "basic_rate": 1}]}).insert().submit()

    def codes(term):
        assert search(query=term) == scan(query=term)
        return [row["item_code"] for row in search(query=term)]

    assert codes("quokkalite") == ["TSI-NEW-1"]
    assert codes("FIRST WORDS") == ["TSI-NEW-1"]
    item.reload()
    item.item_name = "Wombatine Serum"
    item.description = "second words"
    item.save()
    assert codes("quokkalite") == [] and codes("first words") == []
    assert codes("wombatine") == ["TSI-NEW-1"] and codes("second words") == ["TSI-NEW-1"]
    # the index itself no longer names the item for its old text
    old = search_index.candidates("Quokkalite")
    if old is not None:
        assert "TSI-NEW-1" not in {r[0] for r in frappe.db.sql(old[0], old[1])}
    frappe.db.sql("delete from `tabBin` where item_code = %s", item.name)
    frappe.delete_doc("Item", item.name, force=True)
    assert codes("wombatine") == []
    new = search_index.candidates("Wombatine")
    if new is not None:
        assert "TSI-NEW-1" not in {r[0] for r in frappe.db.sql(new[0], new[1])}


def test_text_written_without_a_document_is_found_after_reindex(db):
    frappe.db.set_value("Item", "TSI-0001", "description", "Capybarine extract", update_modified=False)
    # SQLite's triggers and PostgreSQL's indexes see every write; MariaDB's token table is written by the
    # Item hooks, so code that writes Item text with SQL tells the index (search_index.reindex_items)
    search_index.reindex_items(["TSI-0001"])
    assert [row["item_code"] for row in search(query="capybarine")] == ["TSI-0001"]
    assert search(query="capybarine") == scan(query="capybarine")


def test_index_follows_item_rename(db):
    """The runtime has no rename_doc; Frappe's renames the row and then calls after_rename, as done here."""
    frappe.set_user("Administrator")
    old, new = "TSI-0002", "TSI-RENAMED-2"
    frappe.db.sql("update `tabItem` set `name` = %s, `item_code` = %s where `name` = %s", (new, new, old))
    frappe.db.sql("update `tabBin` set `item_code` = %s where `item_code` = %s", (new, old))
    search_index.item_renamed(frappe.get_doc("Item", new), "after_rename", old, new)
    assert [row["item_code"] for row in search(query="renamed-2")] == [new]
    for term in ("renamed-2", "TSI-000", "tsi-0002"):
        assert search(query=term) == scan(query=term), term
    indexed = search_index.candidates("TSI-0002")
    if indexed is not None:
        assert old not in {r[0] for r in frappe.db.sql(*indexed)}


def expected_token_rows() -> tuple[set, dict]:
    """MariaDB: the (gram, item) rows and per-item grams the index must hold for the items as stored."""
    rows, grams_of = set(), {}
    for name, *text in frappe.db.sql("select name, item_code, item_name, description from `tabItem`"):
        found = search_index.text_grams(text)
        if found is not None:
            rows |= {(gram, name) for gram in found}
            grams_of[name] = sorted(found)
    return rows, grams_of


def stored_token_rows() -> tuple[set, dict]:
    rows = set(frappe.db.sql(f"select gram, item from `{search_index.MARIADB_GRAMS}`"))
    grams_of = {name: search_index._unpack_grams(packed) for name, packed in
                frappe.db.sql(f"select item, grams from `{search_index.MARIADB_GRAMS_OF}`")}
    return rows, grams_of


@pytest.mark.skipif(TEST_DB != "mariadb", reason="MariaDB's token table")
def test_mariadb_token_rows_are_those_of_the_items_text_after_edits_and_after_a_build(db):
    frappe.set_user("Administrator")
    item = frappe.get_doc("Item", "TSI-0003")
    item.item_name = "Pangolinex Kit"
    item.save()
    frappe.delete_doc("Item", "TSI-0011", force=True)  # one without stock
    frappe.db.set_value("Item", "TSI-0005", "description", "Axolotlium drops", update_modified=False)
    search_index.reindex_items(["TSI-0005"])
    expected = expected_token_rows()
    assert expected[0] and stored_token_rows() == expected
    # the bulk build (in key order) writes exactly the rows the doc_events keep (its DDL commits the edits)
    assert search_index.ensure(rebuild=True) == "trigram"
    assert stored_token_rows() == expected
    # one key only: deletes go through each item's remembered grams
    keys = {r[2] for r in frappe.db.sql(f"show index from `{search_index.MARIADB_GRAMS}`")}
    assert keys == {"PRIMARY"}
    for term in ("pangolinex", "axolotlium", "TSI-0011", "TSI"):
        assert search(query=term) == scan(query=term), term


def test_terms_shorter_than_a_trigram_and_non_ascii_terms_scan(db):
    assert search_index.candidates("bp") is None
    if TEST_DB == "mariadb":
        assert search_index.candidates("Straße") is None
        assert search_index.candidates("BPC") is not None
        # an item whose text is not ASCII is always a candidate (the collation may equate its letters)
        unindexed = {r[0] for r in frappe.db.sql(f"select item from `{search_index.MARIADB_UNINDEXED}`")}
        assert unindexed and unindexed == {
            r[0] for r in frappe.db.sql("select name, item_code, item_name, description from `tabItem`")
            if search_index.text_grams(r[1:]) is None}
    for term in ("bp", "ß", "%", "é"):
        assert search(query=term) == scan(query=term)


def test_without_the_engine_feature_the_search_scans(db, monkeypatch):
    """SQLite without the trigram tokenizer, PostgreSQL without pg_trgm, MariaDB before the index is
    built: the site keeps working on the plain scan, with the same answers."""
    frappe.set_user("Administrator")
    expected = {term: scan(query=term) for term in ("BPC", "syringe", "zzqx", "100%")}
    try:
        if TEST_DB == "sqlite":
            monkeypatch.setattr(search_index, "SQLITE_TOKENIZER", "no_such_tokenizer")
            assert search_index.ensure(rebuild=True) == "like"
        elif TEST_DB == "postgres":
            monkeypatch.setattr(search_index, "PG_EXTENSION", "no_such_extension")
            assert search_index.ensure(rebuild=True) == "like"
        else:
            search_index.drop()
        assert not search_index.is_available()
        for term, rows in expected.items():
            assert search_index.candidates(term) is None
            assert search(query=term) == rows
    finally:
        monkeypatch.undo()
        assert search_index.ensure() == EXPECTED_KIND[TEST_DB]
    assert search_index.is_available()
    for term, rows in expected.items():
        assert search(query=term) == rows


def test_the_patch_builds_a_missing_index(db):
    from medgrid.patches import build_item_search_index

    frappe.set_user("Administrator")
    search_index.drop()
    assert not search_index.is_available()
    build_item_search_index.execute()
    assert search_index.is_available()
    assert search(query="BPC") == scan(query="BPC")


# ------------------------------------------------------------------ keyset paging

def walk(method, page_length, **kwargs):
    """Every row, page by page through ``next_after``."""
    rows, after, pages = [], None, 0
    while True:
        frappe.local.response = frappe._dict()
        page = method(limit_page_length=page_length, after=after, **kwargs)
        assert len(page) <= page_length
        rows += page
        pages += 1
        after = frappe.local.response.get("next_after")
        if not after:
            return rows, pages
        assert len(page) == page_length


@pytest.mark.parametrize("page_length", [1, 7, 50])
def test_after_cursor_pages_through_items_in_warehouse(db, page_length):
    everything = catalog.items_in_warehouse(warehouse=MAIN)
    assert "next_after" not in frappe.local.response  # an unpaged answer has no next page
    rows, pages = walk(catalog.items_in_warehouse, page_length, warehouse=MAIN)
    assert rows == everything and len(everything) > 100
    assert pages == -(-len(everything) // page_length)


@pytest.mark.parametrize("kwargs", [{"query": "TSI"}, {"query": "a"}, {"query": "TSI", "warehouse": EXO},
                                    {"query": "Vial"}])
def test_after_cursor_pages_through_search_items(db, kwargs):
    everything = catalog.search_items(**kwargs)
    for page_length in (1, 4, 25):
        rows, _pages = walk(catalog.search_items, page_length, **kwargs)
        assert rows == everything
    # items with two warehouses: a page may end between an item's two rows
    assert any(row["warehouse"] == EXO for row in everything)


def test_after_and_limit_start_together_skip_after_the_cursor(db):
    everything = catalog.items_in_warehouse(warehouse=MAIN)
    first = catalog.items_in_warehouse(warehouse=MAIN, limit_page_length=5)
    after = frappe.local.response["next_after"]
    assert first == everything[:5]
    assert catalog.items_in_warehouse(warehouse=MAIN, limit_page_length=5, limit_start=3, after=after) == everything[8:13]


def cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


@pytest.mark.parametrize("method,kwargs", [(catalog.items_in_warehouse, {"warehouse": MAIN}),
                                           (catalog.search_items, {"query": "TSI"})])
@pytest.mark.parametrize("after", [
    "not a cursor!", "%%%", "e30", cursor("items_in_warehouse"), cursor("search_items", "TSI-0001"),
    cursor("items_in_warehouse", "TSI-0001", MAIN), cursor("search_items", 5, MAIN),
    cursor("items_in_warehouse", ""), base64.urlsafe_b64encode(b"\xff\xfe").decode(), "A" * 5000,
    ["TSI-0001"], 7,
])
def test_a_bad_cursor_is_a_400(db, method, kwargs, after):
    # a cursor of the other endpoint counts as bad too; frappe.throw keeps the message for the answer
    frappe.local.message_log = []
    with pytest.raises(frappe.ValidationError) as caught:
        method(limit_page_length=5, after=after, **kwargs)
    assert type(caught.value).__name__ == "InvalidParameterError"
    assert caught.value.http_status_code == 400


def test_a_cursor_of_the_right_endpoint_is_accepted(db):
    catalog.search_items(query="TSI", limit_page_length=2)
    after = frappe.local.response["next_after"]
    assert json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))[0] == "search_items"
    with pytest.raises(frappe.ValidationError):
        catalog.items_in_warehouse(warehouse=MAIN, after=after)


@pytest.mark.parametrize("user", ["Guest", VENDOR])
def test_roles_without_the_catalog_are_refused_before_the_cursor_is_read(db, user):
    frappe.set_user("Administrator")
    catalog.items_in_warehouse(warehouse=MAIN, limit_page_length=2)
    after = frappe.local.response["next_after"]
    frappe.set_user(user)
    for method, kwargs in ((catalog.items_in_warehouse, {"warehouse": MAIN}), (catalog.search_items, {"query": "TSI"})):
        for value in (after, "garbage"):
            with pytest.raises(frappe.PermissionError) as caught:
                method(limit_page_length=2, after=value, **kwargs)
            assert caught.value.http_status_code == 403


def test_after_goes_over_http_and_the_answer_names_the_next_page(db):
    """The answer keeps the guide's shape: ``message`` holds the rows, ``next_after`` sits beside it."""
    from werkzeug.test import Client

    from frappe.app import application

    frappe.set_user("Administrator")
    user = frappe.get_doc("User", REP)
    api_secret = frappe.generate_hash(length=15)
    user.api_key = user.api_key or frappe.generate_hash(length=15)
    user.api_secret = api_secret
    user.save(ignore_permissions=True)
    frappe.db.commit()
    headers = {"Authorization": f"token {user.api_key}:{api_secret}", "Host": SITE}
    path = "/api/method/medgrid.catalog.items_in_warehouse"
    answers = {}

    def requests():
        # its own thread: the application sets up and tears down frappe.local for each request
        client = Client(application)
        first = client.get(path, query_string={"warehouse": MAIN, "limit_page_length": 3}, headers=headers)
        answers["first"] = (first.status_code, first.get_json())
        after = (first.get_json() or {}).get("next_after")
        second = client.get(path, query_string={"warehouse": MAIN, "limit_page_length": 3, "after": after},
                            headers=headers)
        answers["second"] = (second.status_code, second.get_json())
        bad = client.get(path, query_string={"warehouse": MAIN, "after": "garbage"}, headers=headers)
        answers["bad"] = (bad.status_code, bad.get_json())
        guest = client.get(path, query_string={"warehouse": MAIN, "after": after}, headers={"Host": SITE})
        answers["guest"] = (guest.status_code, guest.get_json())

    thread = threading.Thread(target=requests)
    thread.start()
    thread.join(timeout=120)
    status, body = answers["first"]
    assert status == 200, body
    assert len(body["message"]) == 3 and body["next_after"]
    status, second = answers["second"]
    assert status == 200, second
    frappe.local.response = frappe._dict()
    assert body["message"] + second["message"] == catalog.items_in_warehouse(warehouse=MAIN, limit_page_length=6)
    assert answers["bad"][0] == 400 and answers["bad"][1]["exc_type"] == "InvalidParameterError"
    assert answers["guest"][0] == 403


def test_a_page_of_a_common_term_walks_the_items_in_order_with_the_same_answer(db, monkeypatch):
    """Past a few thousand candidates a page comes sooner from the ordered walk; thresholds lowered here so
    this catalog's terms take that path — answers unchanged, and an unpaged answer still uses the index.
    MariaDB streams a page's items from its index in order instead (no threshold)."""
    monkeypatch.setattr(catalog, "COMMON_TERM_MIN", 2)
    monkeypatch.setattr(catalog, "COMMON_TERM_MAX", 5)
    probes = []
    original = catalog._page_candidates
    monkeypatch.setattr(catalog, "_page_candidates",
                        lambda text, rows: probes.append(original(text, rows) is None) or original(text, rows))
    streamed = []
    original_stream = catalog._page_items_sql
    monkeypatch.setattr(catalog, "_page_items_sql", lambda *args: streamed.append(args[0]) or original_stream(*args))
    for term in ("TSI", "Vial", "gloves", "BPC-157", "zzqx", "ÄÖÜ"):
        for kwargs in ({"limit_page_length": 3}, {"limit_page_length": 2, "limit_start": 4}, {},
                       # in one warehouse the walk goes over that warehouse's stocked items (Bin's index)
                       {"limit_page_length": 3, "warehouse": MAIN}, {"limit_page_length": 2, "warehouse": EXO}):
            assert search(query=term, **kwargs) == scan(query=term, **kwargs), f"{term!r} {kwargs}"
    for warehouse in (MAIN, EXO):  # and its cursors land where the unpaged answer goes on
        everything = catalog.search_items(query="TSI", warehouse=warehouse)
        rows, _pages = walk(catalog.search_items, 4, query="TSI", warehouse=warehouse)
        assert rows == everything and len(everything) > 8
    if TEST_DB == "sqlite":
        assert True in probes  # the walk was taken
        assert False in probes  # and the index for rare terms
    if TEST_DB == "mariadb":
        # MariaDB reads a page's items from its index in name order, whatever the term's frequency
        assert not probes and {"TSI", "Vial", "gloves", "BPC-157", "zzqx"} <= set(streamed)


def reference_rows(warehouse=None, query=None) -> list[dict]:
    """What the endpoints answered before the engine wrote their JSON: plain rows, numbers as floats."""
    values = {"warehouse": warehouse, "price_list": "Standard Selling", "today": frappe.utils.nowdate(),
              "pattern": catalog._like_pattern(query) if query else None}
    saleable = catalog.SALEABLE.format(a="i")
    like = "ilike" if frappe.db.db_type == "postgres" else "like"
    if query is None:
        rows = frappe.db.sql(
            "select `i`.`item_code`, `i`.`item_name`, `i`.`description`, `i`.`stock_uom`, " + catalog.PRICE_SQL
            + ", `b`.`actual_qty` - `b`.`reserved_qty` from `tabBin` `b` join `tabItem` `i` on `i`.`name` = "
            "`b`.`item_code` where `b`.`warehouse` = %(warehouse)s and `b`.`actual_qty` - `b`.`reserved_qty` > 0 "
            "and " + saleable + " order by `i`.`item_code`", values)
        keys = ("item_code", "item_name", "description", "stock_uom", "rate", "available_qty")
    else:
        rows = frappe.db.sql(
            "select `i`.`item_code`, `i`.`item_name`, " + catalog.PRICE_SQL + ", `b`.`actual_qty` - `b`.`reserved_qty`, "
            "`b`.`warehouse` from `tabBin` `b` join `tabItem` `i` on `i`.`name` = `b`.`item_code` "
            "join `tabWarehouse` `w` on `w`.`name` = `b`.`warehouse` where `b`.`actual_qty` - `b`.`reserved_qty` > 0 "
            f"and `w`.`is_group` = 0 and `w`.`disabled` = 0 and (`i`.`item_code` {like} %(pattern)s or "
            f"`i`.`item_name` {like} %(pattern)s or `i`.`description` {like} %(pattern)s) and " + saleable
            + " order by `i`.`item_code`, `b`.`warehouse`", values)
        keys = ("item_code", "item_name", "rate", "available_qty", "warehouse")
    out = []
    for row in rows:
        row = dict(zip(keys, row))
        row["rate"], row["available_qty"] = float(row["rate"] or 0), float(row["available_qty"] or 0)
        out.append(row)
    return out


@pytest.mark.parametrize("warehouse", [MAIN, EXO])
def test_rows_written_by_the_engine_are_the_plain_rows(db, warehouse):
    """The engine writes each row's JSON (MariaDB's search: Python, from plain columns), quotes, backslashes,
    tabs, newlines and non-ASCII names included; the answer holds exactly the rows and values a plain query
    gives, in item order, numbers as numbers."""
    answer = catalog.items_in_warehouse(warehouse=warehouse)
    assert list(answer) == reference_rows(warehouse) and len(answer) > 10
    assert all(isinstance(row["rate"], (int, float)) and isinstance(row["available_qty"], (int, float))
               for row in answer)
    for term in ("TSI", "Straße", 'the "best"', "back\\slash", "b\th", "w\nl", "日本語"):
        expected = reference_rows(query=term)
        assert list(catalog.search_items(query=term)) == expected and expected, term
    # what goes over the wire is one JSON document holding those rows
    from frappe.utils.response import dumps_with_raw_json

    assert json.loads(dumps_with_raw_json({"message": answer}))["message"] == reference_rows(warehouse)
    found = catalog.search_items(query="b\th", limit_page_length=5)
    assert json.loads(dumps_with_raw_json({"message": found}))["message"] == reference_rows(query="b\th")[:5]


@pytest.mark.skipif(TEST_DB != "mariadb", reason="MariaDB's temporary tables")
def test_a_mariadb_search_page_sorts_its_rows_in_memory(db):
    """The page's rows are sorted in a temporary table: a text column (json_quote's result) sends it to disk,
    a file made and removed per search; the search selects plain columns and Python writes the JSON."""
    def disk_tables():
        return int(frappe.db.sql("show session status like 'Created_tmp_disk_tables'")[0][1])

    for kwargs in ({"query": "TSI", "limit_page_length": 20}, {"query": "Vial", "warehouse": MAIN},
                   {"query": "TSI", "limit_page_length": 5, "limit_start": 5}):
        before = disk_tables()
        assert len(catalog.search_items(**kwargs)) > 0
        assert disk_tables() == before, kwargs


def test_an_unknown_warehouse_is_a_404_and_an_empty_one_an_empty_answer(db):
    """A page with rows proves its warehouse exists; only an empty answer looks the warehouse up."""
    empty = "Catalog Empty - SM"
    if not frappe.db.exists("Warehouse", empty):
        frappe.get_doc({"doctype": "Warehouse", "warehouse_name": "Catalog Empty", "company": COMPANY,
                        "parent_warehouse": frappe.db.get_value("Warehouse", MAIN, "parent_warehouse")}
                       ).insert(ignore_permissions=True)
    assert frappe.db.exists("Warehouse", empty)
    assert list(catalog.items_in_warehouse(warehouse=empty)) == []
    assert list(catalog.items_in_warehouse(warehouse=empty, limit_page_length=5)) == []
    assert list(catalog.search_items(query="TSI", warehouse=empty, limit_page_length=5)) == []
    # bins left behind by a warehouse deleted with raw SQL do not make it exist
    ghost = "Ghost Store - SM"
    frappe.db.sql("insert into `tabBin` (`name`, `item_code`, `warehouse`, `actual_qty`, `reserved_qty`) "
                  "values ('ghost-bin', 'TSI-0001', %s, 5, 0)", (ghost,))
    try:
        for call in (lambda: catalog.items_in_warehouse(warehouse=ghost),
                     lambda: catalog.items_in_warehouse(warehouse=ghost, limit_page_length=5),
                     lambda: catalog.search_items(query="TSI", warehouse=ghost, limit_page_length=5),
                     lambda: catalog.search_items(query="zzqx", warehouse=ghost)):
            with pytest.raises(frappe.DoesNotExistError):
                call()
    finally:
        frappe.db.sql("delete from `tabBin` where `name` = 'ghost-bin'")


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite decides per term between the candidates and the ordered walk")
def test_a_terms_plan_is_remembered_and_a_stale_memory_changes_no_answer(db, monkeypatch):
    """The count that picks a page's plan is most of a common term's page at 1M items; it is remembered per
    process. The plan decides only how fast the page comes: a memory gone stale still gives the scan's rows."""
    monkeypatch.setattr(catalog, "COMMON_TERM_MIN", 2)
    monkeypatch.setattr(catalog, "COMMON_TERM_MAX", 5)
    monkeypatch.setattr(catalog, "_common_terms", {})
    counts = []
    original_sql = frappe.db.sql
    monkeypatch.setattr(frappe.db, "sql", lambda query, *a, **k: counts.append(query.startswith("select count(*)"))
                        or original_sql(query, *a, **k))
    page = {"query": "TSI", "limit_page_length": 3}
    assert search(**page) == scan(**page)
    assert sum(counts) == 1 and list(catalog._common_terms.values())[0][0] is True  # common: walked
    counts.clear()
    assert search(**page) == scan(**page) and sum(counts) == 0  # remembered: no count

    # remembered wrongly either way (the catalog changed since): the answer is still the scan's, and the memory mends
    [key] = catalog._common_terms
    catalog._common_terms[key] = (False, catalog._common_terms[key][1])
    assert search(**page) == scan(**page) and catalog._common_terms[key][0] is True
    rare = {"query": "BPC-157", "limit_page_length": 3}  # whichever plan it takes
    assert search(**rare) == scan(**rare)
    [rare_key] = [k for k in catalog._common_terms if k[1] == "BPC-157"]
    remembered, stamp = catalog._common_terms[rare_key]
    catalog._common_terms[rare_key] = (not remembered, stamp)  # the other plan
    assert search(**rare) == scan(**rare) and catalog._common_terms[rare_key][0] is remembered

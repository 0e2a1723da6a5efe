"""A search index for ``search_items``: which items *may* contain a term, so the search never scans.

The index only narrows the candidates; ``search_items`` still applies its own ``LIKE`` test (and every
visibility rule: enabled, sales, approved, in stock) to them. So the answers are exactly those of the plain
scan as long as the candidates are a superset of the matches, which is what each engine's index gives:

* **SQLite** — an FTS5 table with the ``trigram`` tokenizer over item_code, item_name and description,
  kept in step with ``tabItem`` by triggers (so every write path — documents, ``db.set_value``, raw SQL,
  bulk loads — updates it). FTS5 answers ``LIKE`` itself with SQLite's wildcard rules, and it folds case
  for more characters than SQLite's ASCII-only ``LIKE``: never fewer rows.
* **MariaDB** — it has no n-gram FULLTEXT parser, so a token table: one row per distinct trigram of an
  item's lower-cased text (the trigram packed into an integer), written by the Item doc_events. Under
  ``utf8mb4_unicode_ci`` an ASCII character only ever equals itself or its other case (control characters
  are not ignored by ``LIKE``; checked), so ASCII text is indexed exactly. An item whose text has any other
  character is listed as "unindexed" and is always a candidate; a term with such a character, or shorter
  than a trigram, falls back to the scan. InnoDB FULLTEXT was not used: its changes are invisible until
  commit, and a search in the same transaction as the Item insert must find it.
* **PostgreSQL** — ``pg_trgm`` GIN indexes on the three columns; the ``ILIKE`` test uses them directly
  (the planner decides; short terms scan).

Where an engine lacks the feature (SQLite built without FTS5 trigram, no permission to create ``pg_trgm``)
or the index is not built yet, the search scans exactly as before.
"""

from __future__ import annotations

import re
import threading
import time
from array import array
from contextlib import contextmanager

import frappe

GRAM = 3
# a long term needs only a few of its trigrams to narrow the candidates (the LIKE test does the rest)
MAX_QUERY_GRAMS = 6
SEPARATOR = "\n"
SEARCHED_FIELDS = ("item_code", "item_name", "description")

SQLITE_TOKENIZER = "trigram"  # tests replace it with a missing tokenizer to prove the fallback
SQLITE_FTS = "__medgrid_item_fts"
SQLITE_ROWS = "__medgrid_item_fts_row"
SQLITE_TRIGGERS = ("medgrid_item_fts_insert", "medgrid_item_fts_update", "medgrid_item_fts_delete")

MARIADB_GRAMS = "__medgrid_item_trigram"
MARIADB_GRAMS_OF = "__medgrid_item_trigram_of"
MARIADB_UNINDEXED = "__medgrid_item_unindexed"
MARIADB_STATE = "__medgrid_item_search_state"
# trigram-2: no secondary key (item) on the token table; each item's grams are kept in MARIADB_GRAMS_OF
MARIADB_VERSION = "trigram-2"
GRAM_BYTES = 3  # a packed trigram is 21 bits

PG_EXTENSION = "pg_trgm"  # tests replace it with a missing extension to prove the fallback
PG_INDEXES = {f"medgrid_item_trgm_{field}": field for field in SEARCHED_FIELDS}

# per process: which databases have a usable index (checked once, reset by ensure/drop)
_known: dict[tuple, bool] = {}
_known_lock = threading.Lock()
_disabled = threading.local()


# ------------------------------------------------------------------ the search's side

def candidates(text: str, limit: int | None = None) -> tuple[str, dict] | None:
    """``(sql, values)`` of a query whose ``item`` column lists every item that may contain ``text``
    (case-insensitively, as the catalog's LIKE matches), or None when the caller must scan.

    ``limit`` caps the rows (enough to tell "more than limit - 1"): each part stops early.
    """
    cap = f" limit {int(limit)}" if limit else ""
    if getattr(_disabled, "on", False) or not is_available():
        return None
    db_type = frappe.db.db_type
    if db_type == "sqlite":
        # FTS5 uses its index for a LIKE pattern holding GRAM characters in a row that are not wildcards
        if not any(len(run) >= GRAM for run in re.split(r"[%_]", text)):
            return None
        join = f"select `r`.`item` from `{SQLITE_FTS}` `f` join `{SQLITE_ROWS}` `r` on `r`.`docid` = `f`.`rowid` where "
        if "%" in text or "_" in text:
            # SQLite's LIKE (no escape character) keeps them as wildcards: FTS5's LIKE has the same rules
            return join + "`f`.`body` like %(index_pattern)s" + cap, {"index_pattern": f"%{text}%"}
        # a phrase of trigrams is the substring, answered from the index alone (LIKE rereads each body)
        return (join + "`f`.`body` match %(index_phrase)s" + cap,
                {"index_phrase": '"' + text.replace('"', '""') + '"'})
    if db_type == "mariadb":
        grams = _query_grams(text)
        if not grams:
            return None
        values = {f"gram{n}": g for n, g in enumerate(grams)}
        joins = "".join(f" join `{MARIADB_GRAMS}` `t{n}` on `t{n}`.`gram` = %(gram{n})s and `t{n}`.`item` = `t0`.`item`"
                        for n in range(1, len(grams)))
        # parenthesised parts, so a limit stops the join itself (a derived UNION is otherwise materialised whole)
        return (f"(select `t0`.`item` from `{MARIADB_GRAMS}` `t0`{joins} where `t0`.`gram` = %(gram0)s{cap}) "
                f"union all (select `item` from `{MARIADB_UNINDEXED}`{cap})", values)
    return None  # PostgreSQL: the GIN indexes serve the LIKE test itself


@contextmanager
def disabled():
    """Run searches as plain scans (the reference the index is compared against)."""
    previous = getattr(_disabled, "on", False)
    _disabled.on = True
    try:
        yield
    finally:
        _disabled.on = previous


def is_available() -> bool:
    """Whether this site's index is built and maintained (cached per process and database)."""
    db_type = frappe.db.db_type
    if db_type == "sqlite":
        # the schema version changes with any DDL, e.g. a migration that rebuilds tabItem (dropping triggers)
        key = ("sqlite", frappe.local.site_path, frappe.conf.get("db_name"), frappe.db.sql("pragma schema_version")[0][0])
    else:
        key = (db_type, frappe.conf.get("db_host"), frappe.conf.get("db_port"), frappe.conf.get("db_name"))
    known = _known.get(key)
    if known is None:
        known = _probe(db_type)
        with _known_lock:
            _known[key] = known
    return known


def item_count_estimate() -> int:
    """About how many items the site has (cheap: the index's own counter or the engine's statistics),
    remembered for a minute per process."""
    key = (frappe.db.db_type, frappe.local.site_path, frappe.conf.get("db_name"))
    cached = _counts.get(key)
    now = time.monotonic()
    if cached and now - cached[1] < 60:
        return cached[0]
    count = 0
    if frappe.db.db_type == "sqlite" and is_available():
        count = frappe.db.sql(f"select max(`docid`) from `{SQLITE_ROWS}`")[0][0] or 0
    elif frappe.db.db_type == "mariadb":
        rows = frappe.db.sql("select `table_rows` from information_schema.tables "
                             "where `table_schema` = database() and `table_name` = 'tabItem'")
        count = int(rows[0][0] or 0) if rows else 0
    _counts[key] = (count, now)
    return count


_counts: dict[tuple, tuple[int, float]] = {}


def _probe(db_type: str) -> bool:
    if db_type == "sqlite":
        names = {r[0] for r in frappe.db.sql(
            "select name from sqlite_master where name in (%s, %s, %s, %s, %s)",
            (SQLITE_FTS, SQLITE_ROWS, *SQLITE_TRIGGERS))}
        return names == {SQLITE_FTS, SQLITE_ROWS, *SQLITE_TRIGGERS}
    if db_type == "mariadb":
        if MARIADB_STATE not in frappe.db.get_tables(cached=False):
            return False
        rows = frappe.db.sql(f"select `value` from `{MARIADB_STATE}` where `name` = 'version'")
        return bool(rows) and rows[0][0] == MARIADB_VERSION
    if db_type == "postgres":
        present = {r[0] for r in frappe.db.sql(
            "select indexname from pg_indexes where tablename = 'tabItem' and indexname in (%s, %s, %s)",
            tuple(PG_INDEXES))}
        return present == set(PG_INDEXES)
    return False


def _forget() -> None:
    with _known_lock:
        _known.clear()


# ------------------------------------------------------------------ trigrams (MariaDB)

def _pack(a: str, b: str, c: str) -> int:
    return (ord(a) << 14) | (ord(b) << 7) | ord(c)


def text_grams(values) -> set[int] | None:
    """The packed trigrams of an item's searched text, or None when it holds a non-ASCII character
    (such an item is always a candidate: the collation may equate it with an ASCII one)."""
    text = SEPARATOR.join(v or "" for v in values)
    if not text.isascii():
        return None
    text = text.lower()
    return {_pack(text[i], text[i + 1], text[i + 2]) for i in range(len(text) - GRAM + 1)}


def _query_grams(text: str) -> list[int]:
    if len(text) < GRAM or not text.isascii():
        return []
    text = text.lower()
    grams = list(dict.fromkeys(_pack(text[i], text[i + 1], text[i + 2]) for i in range(len(text) - GRAM + 1)))
    if len(grams) <= MAX_QUERY_GRAMS:
        return grams
    # spread over the term: its start, its end and evenly between
    step = (len(grams) - 1) / (MAX_QUERY_GRAMS - 1)
    return list(dict.fromkeys(grams[round(k * step)] for k in range(MAX_QUERY_GRAMS)))


# ------------------------------------------------------------------ keeping it in step (doc_events)

def item_changed(doc, method=None):
    """Item after_insert / on_update: index the item's current text (MariaDB; SQLite's triggers do it)."""
    if frappe.db.db_type == "mariadb" and is_available():
        reindex_items([doc.name])


def item_deleted(doc, method=None):
    """Item on_trash: drop the item from the index."""
    if frappe.db.db_type == "mariadb" and is_available():
        _mariadb_forget_items([doc.name])


def item_renamed(doc, method=None, old=None, new=None, merge=False):
    """Item after_rename: the old name leaves the index, the new one is indexed."""
    if frappe.db.db_type == "mariadb" and is_available():
        _mariadb_forget_items([n for n in (old, new) if n])
        if new:
            reindex_items([new])


def reindex_items(names) -> None:
    """Index ``names`` from their stored rows (MariaDB). Callers that write Item text with raw SQL call it."""
    names = sorted({n for n in names if n})
    if not names or frappe.db.db_type != "mariadb":
        return
    _mariadb_forget_items(names)
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        rows = frappe.db.sql("select `name`, `item_code`, `item_name`, `description` from `tabItem` "
                             "where `name` in (" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
        _mariadb_write(rows)


def _pack_grams(grams) -> bytes:
    return b"".join(g.to_bytes(GRAM_BYTES, "big") for g in grams)


def _unpack_grams(packed: bytes) -> list[int]:
    return [int.from_bytes(packed[i:i + GRAM_BYTES], "big") for i in range(0, len(packed), GRAM_BYTES)]


def _mariadb_forget_items(names) -> None:
    """Remove the items' rows. Each item's grams are remembered, so its (gram, item) rows are deleted through
    the primary key: no secondary index on item is needed (at a million items it would hold ~10^8 rows)."""
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        listed = ", ".join(["%s"] * len(chunk))
        for item, packed in frappe.db.sql(f"select `item`, `grams` from `{MARIADB_GRAMS_OF}` "
                                          f"where `item` in ({listed})", chunk):
            grams = _unpack_grams(packed or b"")
            for at in range(0, len(grams), 1000):
                frappe.db.sql(f"delete from `{MARIADB_GRAMS}` where `item` = %s and `gram` in ("
                              + ",".join(str(g) for g in grams[at:at + 1000]) + ")", (item,))
        for table in (MARIADB_GRAMS_OF, MARIADB_UNINDEXED):
            frappe.db.sql(f"delete from `{table}` where `item` in ({listed})", chunk)


def _split_rows(rows):
    """(indexed [(name, sorted grams)], unindexed [name]) of (name, item_code, item_name, description) rows."""
    indexed, unindexed = [], []
    for name, *values in rows:
        found = text_grams(values)
        if found is None:
            unindexed.append(name)
        else:
            indexed.append((name, sorted(found)))
    return indexed, unindexed


def _insert_grams_of(indexed) -> None:
    for start in range(0, len(indexed), 2000):
        chunk = indexed[start:start + 2000]
        frappe.db.sql(f"insert into `{MARIADB_GRAMS_OF}` (`item`, `grams`) values "
                      + ", ".join(["(%s, %s)"] * len(chunk)),
                      [v for name, grams in chunk for v in (name, _pack_grams(grams))])


def _insert_unindexed(names) -> None:
    for start in range(0, len(names), 1000):
        chunk = names[start:start + 1000]
        frappe.db.sql(f"insert ignore into `{MARIADB_UNINDEXED}` (`item`) values "
                      + ", ".join(["(%s)"] * len(chunk)), chunk)


def _mariadb_write(rows) -> None:
    """Index ``rows`` (name, item_code, item_name, description) of items not in the index: the doc_events'
    path, a few items at a time (the build writes in key order instead, see _ensure_mariadb).

    The statements are written out (integers and escaped names) rather than bound value by value.
    """
    indexed, unindexed = _split_rows(rows)
    _insert_grams_of(indexed)
    parts = []
    for name, grams in indexed:
        if grams:
            tail = "," + frappe.db.escape(name, percent=False) + ")"
            parts.append(",".join(f"({gram}{tail}" for gram in grams))
        if len(parts) >= 500:
            frappe.db.sql(f"insert ignore into `{MARIADB_GRAMS}` (`gram`, `item`) values " + ",".join(parts))
            parts.clear()
    if parts:
        frappe.db.sql(f"insert ignore into `{MARIADB_GRAMS}` (`gram`, `item`) values " + ",".join(parts))
    _insert_unindexed(unindexed)


# ------------------------------------------------------------------ building (install, migrate, patch)

def after_install():
    ensure()


def after_migrate():
    ensure()


def ensure(rebuild: bool = False) -> str:
    """Build the index if it is missing or incomplete (idempotent); returns what the site now uses:
    ``fts5``, ``trigram``, ``pg_trgm`` or ``like`` (no index: the search scans)."""
    db_type = frappe.db.db_type
    _forget()
    try:
        if db_type == "sqlite":
            return _ensure_sqlite(rebuild)
        if db_type == "mariadb":
            return _ensure_mariadb(rebuild)
        if db_type == "postgres":
            return _ensure_postgres(rebuild)
        return "like"
    finally:
        _forget()


def drop() -> None:
    """Remove the index (the search scans afterwards)."""
    db_type = frappe.db.db_type
    _forget()
    if db_type == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            frappe.db.sql(f"drop trigger if exists `{trigger}`")
        frappe.db.sql(f"drop table if exists `{SQLITE_FTS}`")
        frappe.db.sql(f"drop table if exists `{SQLITE_ROWS}`")
    elif db_type == "mariadb":
        for table in (MARIADB_STATE, MARIADB_GRAMS, MARIADB_GRAMS_OF, MARIADB_UNINDEXED):
            frappe.db.sql(f"drop table if exists `{table}`")
    elif db_type == "postgres":
        for index in PG_INDEXES:
            frappe.db.sql(f'drop index if exists "{index}"')
    frappe.db.commit()
    _forget()


def _sqlite_body(row: str) -> str:
    return " || char(10) || ".join(f"coalesce({row}.`{f}`, '')" for f in SEARCHED_FIELDS)


def _ensure_sqlite(rebuild: bool) -> str:
    if not rebuild and _probe("sqlite"):
        return "fts5"
    drop()
    try:
        frappe.db.sql(f"create virtual table `{SQLITE_FTS}` using fts5(body, tokenize='{SQLITE_TOKENIZER}')")
    except Exception as e:  # sqlite3.OperationalError: no such module / tokenizer
        frappe.db.rollback()
        frappe.logger("medgrid").warning(f"item search: no FTS5 trigram index on this SQLite ({e}); LIKE scans")
        return "like"
    # docid never reused (autoincrement), so a stale FTS row can never be taken for another item
    frappe.db.sql(f"create table `{SQLITE_ROWS}` (`docid` integer primary key autoincrement, "
                  "`item` text not null unique)")
    new_body, old = _sqlite_body("new"), f"(select `docid` from `{SQLITE_ROWS}` where `item` = old.`name`)"
    frappe.db.sql(f"""create trigger `{SQLITE_TRIGGERS[0]}` after insert on `tabItem` begin
        insert into `{SQLITE_ROWS}` (`item`) values (new.`name`);
        insert into `{SQLITE_FTS}` (`rowid`, `body`)
            values ((select `docid` from `{SQLITE_ROWS}` where `item` = new.`name`), {new_body});
        end""")
    frappe.db.sql(f"""create trigger `{SQLITE_TRIGGERS[1]}`
        after update of `name`, `item_code`, `item_name`, `description` on `tabItem` begin
        update `{SQLITE_FTS}` set `body` = {new_body} where `rowid` = {old};
        update `{SQLITE_ROWS}` set `item` = new.`name` where `item` = old.`name`;
        end""")
    frappe.db.sql(f"""create trigger `{SQLITE_TRIGGERS[2]}` after delete on `tabItem` begin
        delete from `{SQLITE_FTS}` where `rowid` = {old};
        delete from `{SQLITE_ROWS}` where `item` = old.`name`;
        end""")
    frappe.db.sql(f"insert into `{SQLITE_ROWS}` (`item`) select `name` from `tabItem` order by `name`")
    frappe.db.sql(f"insert into `{SQLITE_FTS}` (`rowid`, `body`) select `r`.`docid`, {_sqlite_body('i')} "
                  f"from `tabItem` `i` join `{SQLITE_ROWS}` `r` on `r`.`item` = `i`.`name`")
    frappe.db.commit()
    return "fts5"


def _ensure_mariadb(rebuild: bool) -> str:
    if not rebuild and _probe("mariadb"):
        return "trigram"
    drop()
    options = "engine=InnoDB default charset=utf8mb4 collate utf8mb4_unicode_ci"
    # keyed (gram, item) only: the search reads a gram's items in name order; deletes go through the grams
    # remembered per item (MARIADB_GRAMS_OF), not through a second index as large as the table
    frappe.db.sql(f"create table `{MARIADB_GRAMS}` (`gram` mediumint unsigned not null, "
                  f"`item` varchar(140) not null, primary key (`gram`, `item`)) {options}")
    frappe.db.sql(f"create table `{MARIADB_GRAMS_OF}` (`item` varchar(140) not null primary key, "
                  f"`grams` mediumblob not null) {options}")
    frappe.db.sql(f"create table `{MARIADB_UNINDEXED}` (`item` varchar(140) not null primary key) {options}")
    frappe.db.sql(f"create table `{MARIADB_STATE}` (`name` varchar(64) not null primary key, "
                  f"`value` varchar(140)) {options}")
    # Pass 1, in name order a slice at a time: the per-item rows (appended in key order) and, per gram, the
    # ordinals of its items, rising (4 bytes each: ~440 MB at a million items). Inserting the token rows in
    # item order instead lands them all over the (gram, item) key: with a buffer pool far smaller than the
    # table, nearly every insert is a random page read (hours at a million items).
    items_of: dict[int, array] = {}
    quoted: list[str] = []
    last = ""
    while True:
        rows = frappe.db.sql("select `name`, `item_code`, `item_name`, `description` from `tabItem` "
                             "where `name` > %s order by `name` limit 20000", (last,))
        if not rows:
            break
        indexed, unindexed = _split_rows(rows)
        for name, grams in indexed:
            ordinal = len(quoted)
            quoted.append(frappe.db.escape(name, percent=False))
            for gram in grams:
                found = items_of.get(gram)
                if found is None:
                    found = items_of[gram] = array("I")
                found.append(ordinal)
        _insert_grams_of(indexed)
        _insert_unindexed(unindexed)
        frappe.db.commit()
        last = rows[-1][0]
    # Pass 2: the token rows in key order (the items were read in the table's name order, the collation
    # of the key's item column), so InnoDB only appends. Written out: ~10^8 bound values otherwise.
    parts, pending = [], 0

    def flush():
        if parts:
            frappe.db.sql(f"insert into `{MARIADB_GRAMS}` (`gram`, `item`) values " + ",".join(parts))
            frappe.db.commit()
            parts.clear()

    for gram in sorted(items_of):
        ordinals = items_of.pop(gram)
        head = f"({gram},"
        for at in range(0, len(ordinals), BUILD_BATCH):
            piece = ordinals[at:at + BUILD_BATCH]
            parts.append(head + ("),%s" % head).join(map(quoted.__getitem__, piece)) + ")")
            pending += len(piece)
            if pending >= BUILD_BATCH:
                flush()
                pending = 0
    flush()
    # written last: until the index is complete the search keeps scanning
    frappe.db.sql(f"insert into `{MARIADB_STATE}` (`name`, `value`) values ('version', %s)", (MARIADB_VERSION,))
    frappe.db.commit()
    return "trigram"


BUILD_BATCH = 100_000  # token rows per INSERT: ~2 MB of SQL, well inside max_allowed_packet


def _ensure_postgres(rebuild: bool) -> str:
    if not rebuild and _probe("postgres"):
        return "pg_trgm"
    if rebuild:
        drop()
    frappe.db.savepoint("medgrid_pg_trgm")
    try:
        frappe.db.sql(f'create extension if not exists "{PG_EXTENSION}"')
    except Exception as e:  # no permission, or the contrib package is not installed
        frappe.db.rollback(save_point="medgrid_pg_trgm")
        frappe.logger("medgrid").warning(f"item search: cannot create extension {PG_EXTENSION} ({e}); LIKE scans")
        return "like"
    for index, field in PG_INDEXES.items():
        frappe.db.sql(f'create index if not exists "{index}" on "tabItem" using gin ("{field}" gin_trgm_ops)')
    frappe.db.commit()
    return "pg_trgm"

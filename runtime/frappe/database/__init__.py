"""``frappe.db``: one Database class per engine behind Frappe's API."""

from __future__ import annotations


def get_db(conf):
    """Open a connection to the site's database as described by its site_config."""
    db_type = conf.get("db_type") or "sqlite"
    if db_type == "sqlite":
        from frappe.database.sqlite import SQLiteDatabase

        return SQLiteDatabase(conf)
    if db_type == "mariadb":
        from frappe.database.mariadb import MariaDBDatabase

        return MariaDBDatabase(conf)
    if db_type == "postgres":
        from frappe.database.postgres import PostgresDatabase

        return PostgresDatabase(conf)
    raise ValueError(f"Unknown db_type {db_type!r}: use sqlite, mariadb or postgres")

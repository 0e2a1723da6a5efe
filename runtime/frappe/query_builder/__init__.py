"""``frappe.qb``: PyPika for the site's engine, with ``.run()`` on queries as in Frappe."""

from __future__ import annotations

from pypika import MySQLQuery, PostgreSQLQuery, Query, SQLLiteQuery, Order, Field, Criterion, Case  # noqa: F401
from pypika import functions  # noqa: F401
from pypika.queries import QueryBuilder, Table
from pypika.terms import Interval, PseudoColumn  # noqa: F401

import frappe


class DocType(Table):
    """``frappe.qb.DocType("Item")`` → the table ``tabItem``."""

    def __init__(self, name: str, *args, **kwargs):
        super().__init__(f"tab{name}", *args, **kwargs)


def _run(self, *args, **kwargs):
    """Execute this PyPika query on ``frappe.db`` (``frappe.qb`` queries have ``.run()``)."""
    return frappe.db.sql(self.get_sql(), *args, **kwargs)


def _walk(self):
    return self.get_sql(), ()


QueryBuilder.run = _run
QueryBuilder.walk = _walk


class _Engine:
    """What ``frappe.qb`` exposes: the dialect's Query class methods plus DocType/Table helpers."""

    def __init__(self, query_cls):
        self._query = query_cls
        self.DocType = DocType
        self.Table = Table
        self.Field = Field
        self.Order = Order
        self.functions = functions
        self.terms = __import__("pypika.terms", fromlist=["terms"])

    def from_(self, table, *args, **kwargs):
        if isinstance(table, str):
            table = DocType(table)
        return self._query.from_(table, *args, **kwargs)

    def into(self, table, *args, **kwargs):
        if isinstance(table, str):
            table = DocType(table)
        return self._query.into(table, *args, **kwargs)

    def update(self, table, *args, **kwargs):
        if isinstance(table, str):
            table = DocType(table)
        return self._query.update(table, *args, **kwargs)

    def get_query(self, table, fields=None, filters=None, order_by=None, limit=None, **kwargs):
        q = self.from_(table)
        q = q.select(*[Field(f) for f in (fields or ["name"])])
        for key, value in (filters or {}).items():
            q = q.where(Field(key) == value)
        if limit:
            q = q.limit(limit)
        return q

    def __getattr__(self, name):
        return getattr(self._query, name)


def get_query_builder(db_type: str) -> _Engine:
    return _Engine({"mariadb": MySQLQuery, "postgres": PostgreSQLQuery, "sqlite": SQLLiteQuery}.get(db_type, Query))

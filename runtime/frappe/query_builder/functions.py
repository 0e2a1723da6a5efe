"""SQL functions for ``frappe.qb`` queries (Frappe's frappe.query_builder.functions names)."""

from pypika.functions import (  # noqa: F401
    Abs, Avg, Cast, Coalesce, Concat, Count, Date, DateDiff, Extract, IfNull, Length, Lower, Max, Min, Now,
    Replace, Sum, Timestamp, Trim, Upper,
)
from pypika.terms import AggregateFunction, Function  # noqa: F401
from pypika import CustomFunction  # noqa: F401

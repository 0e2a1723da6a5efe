"""Deliberate gaps in the conformance comparison, each with its reason.

Keep this list short. Every entry here must also be listed by the runtime lead in runtime/README.md
("Known differences from Frappe"). Entries never hide a *wrong* answer: they only relax comparisons
whose recorded value depends on things outside the contract (database plan, wall-clock timing).

Kinds:
  unordered        the list at ``paths`` is compared as a multiset (same rows, any order)
  shape            the list at ``paths`` is compared by length and per-row keys/value types only
  header_relaxed   a header is checked with a predicate instead of equality
  header_ignored   a header is not compared at all (neither presence nor value)
  job_probe        fields of the app-patterns job probe that are not compared (see ``fields``)
  table_key_order  in document dicts, the child-table keys that follow ``doctype`` are compared as a set
"""

from __future__ import annotations

from dataclasses import dataclass, field

_UNORDERED_LIST_REASON = (
    "list request without order_by: Frappe 15 sends no ORDER BY (contract 1.1), so MariaDB returned "
    "rows in whatever index order its plan used; the row order is not part of the API"
)
_LIMITED_LIST_REASON = (
    "list request without order_by but with a page limit: with no ORDER BY the *choice* of rows under "
    "the limit came from MariaDB's plan (e.g. a covering index on item_name), so only the row count, "
    "keys and value types are compared"
)


@dataclass(frozen=True)
class KnownDifference:
    source: str
    keys: tuple  # exchange keys ("<section>/<id>"); ("*",) = every exchange of the file
    kind: str
    paths: tuple = ()
    reason: str = ""
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def _rate_limit_remaining_ok(value: str) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False
    return number >= 0 and number % 1_000_000 == 0


KNOWN_DIFFERENCES = [
    # ---- row order of unordered list queries
    KnownDifference("resource.json", (
        "resource/so_list_default", "resource/sales_user_so_list", "resource/item_list_default",
        "resource/warehouse_list", "resource/sales_user_item_list", "resource/sales_user_warehouse_list",
        "resource/sales_user_bin_list", "resource/sales_user_user_list", "resource/price_list_list",
    ), "unordered", ("body.data",), _UNORDERED_LIST_REASON),
    KnownDifference("headers.json", ("default/get_ok_accept_gzip", "global_rate_limit_exhausted/call_1"),
                    "unordered", ("body.data",), _UNORDERED_LIST_REASON),
    KnownDifference("resource.json", ("resource/so_list_as_dict_0",), "shape", ("body.data",), _LIMITED_LIST_REASON),
    KnownDifference("auth.json", ("auth/sid_cookie_resource_list",), "shape", ("body.data",), _LIMITED_LIST_REASON),
    KnownDifference("formdict.json", (
        "formdict/form_body_json_string_param", "formdict/json_body_native_list_param",
        "formdict/get_query_json_params_client",
    ), "shape", ("body.message",), _LIMITED_LIST_REASON),
    KnownDifference("formdict.json", ("formdict/resource_list_params_in_json_body",), "shape", ("body.data",),
                    _LIMITED_LIST_REASON),
    # ---- asset pipeline
    KnownDifference("*", ("*",), "header_ignored", ("Link",),
                    "Link lists the JS/CSS bundles to preload (e.g. </website.bundle.css>); the recording site "
                    "had no built assets and the runtime ships no Frappe bundles, so it is not part of the "
                    "API contract"),
    # ---- Python hash seed
    KnownDifference("*", ("*",), "table_key_order", (),
                    "Frappe 15 builds a document dict's child tables by iterating BaseDocument._table_fieldnames, "
                    "a Python set, so their order follows the string hash seed of the server process and "
                    "changes with every restart: the recordings show three different orders of the Sales Order "
                    "tables (resource.json: pricing_rules, taxes, sales_team, packed_items, payment_schedule, "
                    "items; meta.json: items, packed_items, pricing_rules, sales_team, taxes, payment_schedule; "
                    "app-patterns.json: items, pricing_rules, payment_schedule, sales_team, taxes, "
                    "packed_items). The runtime uses the doctype's field order. The keys themselves and every "
                    "other key position are still compared"),
    # ---- timing
    KnownDifference("headers.json", ("*",), "header_relaxed", ("X-RateLimit-Remaining",),
                    "the remaining budget is the limit minus the measured request time, rounded to whole "
                    "seconds; it depends on how long earlier requests took. Checked: an integer >= 0 that "
                    "is a multiple of 1,000,000 (or 0)",
                    extra={"predicate": _rate_limit_remaining_ok}),
    KnownDifference("app-patterns.json", ("7_jobs_after_commit/immediate_submit",), "job_probe",
                    ("docstatus_seen_by_job", "status_seen_by_job"),
                    "enqueue_after_commit=False: whether the job sees the submit depends on whether the worker "
                    "starts before the request commits (recorded: 13 ms commit vs ~70 ms worker start)"),
    KnownDifference("app-patterns.json", ("*",), "job_probe", ("enqueue_return_type:Job",),
                    "frappe.enqueue returns an rq Job under RQ; the in-process worker's handle has another "
                    "class name. Compared: None when enqueue_after_commit=True, not None otherwise"),
]


class Known:
    """Lookup used by the runner: comparison options for one exchange."""

    def __init__(self, entries=KNOWN_DIFFERENCES):
        self.entries = list(entries)

    def matching(self, source: str, key: str):
        for entry in self.entries:
            if entry.source in (source, "*") and ("*" in entry.keys or key in entry.keys):
                yield entry

    def options_for(self, source: str, key: str) -> dict:
        options: dict = {"unordered": [], "shape": [], "ignore": [], "headers_relaxed": {}, "headers_ignored": []}
        for entry in self.matching(source, key):
            if entry.kind in ("unordered", "shape"):
                options[entry.kind].extend(entry.paths)
            elif entry.kind == "table_key_order":
                options["table_keys_any_order"] = True
            elif entry.kind == "header_ignored":
                options["headers_ignored"].extend(entry.paths)
            elif entry.kind == "header_relaxed":
                for header in entry.paths:
                    options["headers_relaxed"][header.lower()] = entry.extra["predicate"]
        return options

    def job_probe_skips(self, source: str, key: str) -> set:
        skips = set()
        for entry in self.matching(source, key):
            if entry.kind == "job_probe":
                skips.update(entry.paths)
        return skips

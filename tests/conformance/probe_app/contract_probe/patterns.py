"""App-level pattern probes (app-patterns.json ``probe_app_additions``)."""

from __future__ import annotations

import json
import os
import time

import frappe


# ---------------------------------------------------------------- group 4: raw request bodies

def _raw_body() -> bytes:
    return frappe.request.get_data()


@frappe.whitelist(allow_guest=True)
def raw_probe(**kwargs):
    raw = _raw_body()
    return {
        "http_method": frappe.request.method,
        "raw_len": len(raw),
        "raw_type": type(raw).__name__,
        "raw_head": raw.decode("utf-8", "replace")[:60] if isinstance(raw, bytes) else str(raw)[:60],
        "content_type": frappe.request.content_type,
        "is_json": frappe.request.is_json,
        "header_via_get_request_header": frappe.get_request_header("X-Probe-Signature"),
        "header_via_request_headers": frappe.request.headers.get("X-Probe-Signature"),
        "form_dict_keys": sorted(frappe.form_dict.keys()),
        "kwargs_keys": sorted(kwargs.keys()),
        "user": frappe.session.user,
    }


@frappe.whitelist(allow_guest=True)
def raw_probe_auth_fail(**kwargs):
    raw = _raw_body()
    if frappe.get_request_header("X-Probe-Signature") != "sha256=good":
        frappe.throw(f"Invalid webhook signature (body {len(raw)} bytes)", frappe.AuthenticationError)
    return {"ok": True}


# ---------------------------------------------------------------- group 5: app exception classes

class ProbeBadRequest(frappe.ValidationError):
    http_status_code = 400


class ProbeConflict(frappe.ValidationError):
    http_status_code = 409


@frappe.whitelist()
def throw_bad_request():
    frappe.throw("Probe says: bad request", ProbeBadRequest)


@frappe.whitelist()
def throw_conflict():
    frappe.throw("Probe says: conflict", ProbeConflict)


@frappe.whitelist()
def raise_bad_request_directly():
    raise ProbeBadRequest("raised directly without frappe.throw")


# ---------------------------------------------------------------- group 3: db_set on a submitted doc

@frappe.whitelist()
def db_set_tracking(sales_order, value):
    doc = frappe.get_doc("Sales Order", sales_order)
    doc.check_permission("write")
    before = {
        "docstatus": doc.docstatus,
        "modified": doc.modified,
        "probe_tracking_number": doc.get("probe_tracking_number"),
    }
    doc.db_set("probe_tracking_number", value)
    after_in_memory = {
        "probe_tracking_number": doc.get("probe_tracking_number"),
        "modified": doc.modified,
    }
    after_db = frappe.db.get_value(
        "Sales Order", sales_order, ["docstatus", "probe_tracking_number", "modified"], as_dict=True
    )
    return {
        "before": before,
        "after_in_memory": after_in_memory,
        "after_db_same_txn": after_db,
        "modified_changed": str(after_in_memory["modified"]) != str(before["modified"]),
    }


# ---------------------------------------------------------------- group 7: jobs enqueued on submit

def _probe_file(name: str) -> str:
    return frappe.get_site_path(name)


JOBS_MODE_FILE = "contract_probe_jobs_mode.txt"
JOBS_LOG_FILE = "contract_probe_jobs.jsonl"
SUBMIT_LOG_FILE = "contract_probe_submits.jsonl"


def _append_jsonl(name: str, record: dict) -> None:
    with open(_probe_file(name), "a", encoding="utf-8") as f:
        f.write(json.dumps(record, default=str) + "\n")


def _jobs_mode():
    path = _probe_file(JOBS_MODE_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read().strip() or None


def enqueue_on_submit(doc, method=None, *args, **kwargs):
    """on_submit doc_event: inert unless the harness wrote a mode file into the site folder."""
    mode = _jobs_mode()
    if not mode:
        return
    after_commit = mode in ("after_commit", "after_commit_fail")
    record = {"sales_order": doc.name, "mode": mode, "t_enqueue_call": time.time()}
    job = frappe.enqueue(
        "contract_probe.patterns.job_probe",
        queue="short",
        enqueue_after_commit=after_commit,
        sales_order=doc.name,
        mode=mode,
        enqueued_at=record["t_enqueue_call"],
    )
    record["enqueue_return_type"] = type(job).__name__

    def committed():
        _append_jsonl(SUBMIT_LOG_FILE, dict(record, t_commit=time.time(), committed=True))

    frappe.db.after_commit.add(committed)
    if mode == "immediate_delay":
        time.sleep(1.5)
    if mode.endswith("_fail"):
        _append_jsonl(SUBMIT_LOG_FILE, dict(record, committed=False))
        frappe.throw("probe: submit fails after the job was enqueued")


def job_probe(sales_order=None, mode=None, enqueued_at=None, **kwargs):
    values = frappe.db.get_value("Sales Order", sales_order, ["docstatus", "status"], as_dict=True) or {}
    _append_jsonl(
        JOBS_LOG_FILE,
        {
            "sales_order": sales_order,
            "mode": mode,
            "t_job_start": time.time(),
            "enqueued_at": enqueued_at,
            "docstatus_seen_by_job": values.get("docstatus"),
            "status_seen_by_job": values.get("status"),
            "job_user": frappe.session.user,
        },
    )


# ---------------------------------------------------------------- group 8: selling defaults

_SELLING_KEYS = (
    "selling_price_list",
    "so_required",
    "dn_required",
    "cust_master_name",
    "customer_group",
    "territory",
    "maintain_same_sales_rate",
    "editable_price_list_rate",
    "validate_selling_price",
    "allow_multiple_items",
    "allow_negative_rates_for_items",
    "fallback_to_default_price_list",
    "allow_zero_qty_in_sales_order",
)


@frappe.whitelist()
def selling_defaults():
    from erpnext.stock.get_item_details import get_price_list_rate_for

    settings = frappe.get_cached_doc("Selling Settings")
    customer = frappe.db.get_value(
        "Customer", "MedGrid Clinic", ["default_price_list", "customer_group", "territory"], as_dict=True
    )
    args = frappe._dict(
        price_list="Standard Selling",
        customer="MedGrid Clinic",
        uom="Nos",
        stock_uom="Nos",
        transaction_date=frappe.utils.nowdate(),
        qty=1,
    )
    item_code = "MG-SYRINGE-5ML"
    return {
        "selling_settings": {key: settings.get(key) for key in _SELLING_KEYS},
        "customer": customer,
        "customer_group_default_price_list": frappe.db.get_value(
            "Customer Group", customer.customer_group, "default_price_list"
        ),
        "price_list_rate_for": {
            "args": dict(args),
            "item_code": item_code,
            "rate": get_price_list_rate_for(args, item_code),
        },
    }

"""Group the differences of the last conformance run by cause and responsible runtime file.

    .venv/bin/python -m pytest tests/conformance -q     # writes artifacts/conformance/*.json
    .venv/bin/python tests/conformance/tools/triage.py            # report by runtime file
    .venv/bin/python tests/conformance/tools/triage.py --write    # regenerate expected_failures.py

Every difference is matched against CAUSES (first matching rule wins). A failing exchange whose
differences all match is listed with its causes; any difference that matches no rule is printed
as UNCLASSIFIED so that a person looks at it (and adds a rule) before it is marked xfail.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ARTIFACTS = os.path.join(REPO, "artifacts", "conformance")
EXPECTED_FAILURES = os.path.join(os.path.dirname(HERE), "expected_failures.py")

# (cause id, responsible runtime file, description, regexes on "<exchange key> | <difference>")
CAUSES = [
    ("cookie-user-image", "runtime/frappe/auth.py",
     "the empty user_image cookie is not sent (CookieManager.set_cookie deduplicates against a missing request cookie)",
     [r"cookies\(names, in order\).*\"user_image\"\] \(list\), actual \[\"sid\", \"system_user\", \"full_name\", \"user_id\"\]"]),
    ("not-whitelisted-message", "runtime/frappe/__init__.py",
     "is_whitelisted: the <summary> lacks ' Login to access' ('You are not permitted to access this resource. Login to access')",
     [r"You are not permitted to access this resource\. Login to access"]),
    ("login-home-page", "runtime/frappe/auth.py",
     "login answers home_page '/app' instead of '/app/home' (and GET /login redirects to /app)",
     [r"body\.home_page: expected \"/app/home\"", r"header Location: expected \"/app/home\""]),
    ("login-extra-message", "runtime/frappe/auth.py",
     "a successful login answers with an extra _server_messages (an internal error while building the "
     "login response, e.g. 'Field not permitted in query: default_app' / 'Field "
     "force_user_to_reset_password does not exist on System Settings')",
     [r"login_\w+ \| body: expected <absent>, actual \{\"_server_messages\"", r"force_user_to_reset_password"]),
    ("typed-args", "runtime/frappe/__init__.py (frappe.call)",
     "annotated whitelisted arguments are not coerced (typed(qty: int) receives '5' as str)",
     [r"body\.message\.qty(_type)?: "]),
    ("is-new-none", "runtime/frappe/model/document.py",
     "Document.is_new() returns False for a loaded document; Frappe returns the __islocal value, None",
     [r"lifecycle_log\[.*\]\.is_new: expected null"]),
    ("child-row-dict", "runtime/frappe/model/base_document.py",
     "child rows in a document dict: parent/parentfield/parenttype must come after the fields; "
     "rows carry __unsaved (inserted docs) but not __islocal",
     [r"\.\w+\[\d+\]: expected \[.*\(list\), actual \[.*\"parent\", \"parentfield\", \"parenttype\".*key order differs",
      r"\.\w+\[\d+\]: expected <absent>, actual \{\"__islocal\": false\}",
      r"\.\w+\[\d+\]: expected \[[^\]]*\"__unsaved\"[^\]]*\] \(list\), actual <absent>"]),
    ("so-item-fields", "runtime/erpnext/selling/doctype/sales_order_item/sales_order_item.json",
     "Sales Order Item lacks cost_center (Main - MGD) and image ('' fetched from the Item)",
     [r"items\[\d+\]: expected \[[^\]]*\"(cost_center|image)\"[^\]]*\] \(list\), actual <absent>",
      r"items\[\d+\]\.(cost_center|image): "]),
    ("so-fields", "runtime/frappe/model/base_document.py (as_dict) / runtime/erpnext/selling/doctype/sales_order",
     "Sales Order dict lacks last_scanned_warehouse: null (a virtual field; Frappe keeps virtual fields in "
     "as_dict(no_nulls=True) even when null)",
     [r"body\.(data|message): expected \[(\"probe_vendor_status\", )?\"last_scanned_warehouse\"",
      r"body\.(data|message): expected \[\"last_scanned_warehouse\", \"pricing_rules\""]),
    ("table-key-order", "runtime/frappe/model/base_document.py (as_dict)",
     "order of the child-table keys in a document dict differs from Frappe's (inserted docs list "
     "pricing_rules, taxes, sales_team, packed_items, payment_schedule, items; loaded docs items first)",
     [r"body\.(data|message): expected \[.*\"doctype\".*key order differs from position (6\d|7\d|1\d\d)"]),
    ("payment-schedule", "runtime/erpnext/controllers/accounts_controller.py",
     "Sales Order payment_schedule is empty (ERPNext creates one row for 100% on the delivery/due date)",
     [r"payment_schedule\(length\)", r"payment_schedule\[\d+\]\.(?!parent:)\w+: expected",
      r"payment_schedule\[\d+\]: expected \[[^\]]*\] \(list\), actual <absent>",
      r"payment_schedule\[\d+\]: expected <absent>, actual \{(?!\"__islocal\": false\})"]),
    ("link-not-found", "runtime/erpnext/selling/doctype/sales_order/sales_order.py",
     "unknown customer/item on a new Sales Order: ERPNext fetches party/item details first and fails with "
     "404 DoesNotExistError '<DocType> <name> not found'; the runtime gives 417 LinkValidationError",
     [r"so_create_(nonexistent_item|wrong_customer) \|"]),
    ("customer-fields", "runtime/erpnext/selling/doctype/customer",
     "Customer dict: the portal_users table is missing and companies is not the last table "
     "(Frappe: credit_limits, accounts, sales_team, portal_users, companies)",
     [r"(customer_get|resource_create_flat_form_body) \| body\.data: expected \[\"naming_series\"\]",
      r"(customer_get|resource_create_flat_form_body) \| body\.data: expected \[\"disabled\", \"doctype\", \"credit_limits\""]),
    ("item-fields", "runtime/erpnext/stock/doctype/item/item.json",
     "Item dict lacks valuation_method ('' on a stock item) and its tables are in another order "
     "(Frappe: attributes, customer_items, taxes, uoms, supplier_items, reorder_levels, barcodes, item_defaults)",
     [r"put_item_variant \| body\.data: expected \[[^\]]*\"(naming_series|valuation_method)\"",
      r"put_item_variant \| body\.data: expected \[\"total_projected_qty\", \"doctype\""]),
    ("item-code-message", "runtime/erpnext/stock/doctype/item/item.py",
     "Item without item_code: message must be 'Item Code is required' (no _exc_source)",
     [r"resource_list_post_is_create \|"]),
    ("delete-404-message", "runtime/frappe/model/delete_doc.py",
     "DELETE of a missing document must answer 404 with no _server_messages",
     [r"so_delete_nonexistent \| body: expected <absent>, actual \{\"_server_messages\""]),
    ("unknown-doctype-list", "runtime/frappe/api/v1.py",
     "list of an unknown DocType: 404 must carry _server_messages 'DocType No Such Doctype not found'",
     [r"doctype_nonexistent_list \| body: expected \[\"_server_messages\"\]"]),
    ("unknown-doctype-get", "runtime/frappe/model/base_document.py (get_controller)",
     "GET of a document of an unknown DocType: Frappe fails importing the controller module "
     "(500 ImportError \"No module named 'frappe.core.doctype.no_such_doctype'\")",
     [r"doctype_nonexistent_get \|"]),
    ("perm-denied-messages", "runtime/frappe/permissions.py",
     "document-level 403 bodies: Frappe sends _server_messages ('User <strong>x</strong> does not have "
     "doctype access via role permission for document <strong>DT</strong><br>User ... does not have access "
     "to this document' / user-permission text) and no _error_message",
     [r"(sales_get_south|sales_get_old_united_states_order|sales_get_customer_south|sales_user_stock_entry_get|"
      r"norole_so_get|guest_so_get) \| body: expected (\[\"_server_messages\"\]|<absent>, actual \{\"_error_message\")"]),
    ("create-perm-body", "runtime/frappe/permissions.py",
     "403 on create (no create permission): Frappe's body is exc_type + _server_messages + _error_message, "
     "without exception/exc",
     [r"sales_user_item_create \|"]),
    ("user-list-perm", "runtime/frappe/core/doctype/user",
     "a Sales User can list User (Frappe shows every user but Administrator/Guest); runtime answers 403",
     [r"sales_user_user_list \|"]),
    ("party-permission", "runtime/erpnext/selling/doctype/sales_order/sales_order.py",
     "creating/updating a Sales Order for a customer the user may not read must fail with 403 while ERPNext "
     "fetches party details (_exc_source 'erpnext (app)', _error_message 'No permission for Customer X')",
     [r"(sales_create_so_south|sales_put_so_north_customer_to_south) \|"]),
    ("after-submit-message", "runtime/frappe/model/document.py",
     "UpdateAfterSubmitError message lacks Frappe's leading space (' Not allowed to change …')",
     [r"Not allowed to change"]),
    ("select-message", "runtime/frappe/model/base_document.py",
     "invalid Select: message lacks the leading space and the blank option (' X cannot be \"Lost\". It "
     "should be one of \"\", \"Submitted\", \"Shipped\"')",
     [r"put_draft_invalid_select \|"]),
    ("select-blank-default", "runtime/frappe/model/document.py",
     "a Select whose options start with a blank line defaults to '' on new documents (runtime leaves NULL)",
     [r"probe_vendor_status: expected \"\" \(str\), actual null"]),
    ("naming-settings", "runtime/frappe/core/doctype (Document Naming Settings)",
     "Document Naming Settings (frappe.client.get, run_doc_method update_series) does not exist",
     [r"6_naming_series/(get_document_naming_settings|update_series) \|",
      r"create_so_default_series \| body\.data\.(name|naming_series|items\[0\]\.parent): expected \"SO-"]),
    ("single-doc-dict", "runtime/frappe/model/base_document.py",
     "a Single read through /api/resource has no creation and idx is the string '0' (tabSingles stores text)",
     [r"get_selling_settings \|"]),
    # ---- security-desk.json (issue 12)
    ("sd-frappe-desk", "runtime/frappe/desk/search.py",
     "frappe.desk.search.search_link does not exist in the runtime (417 'No module named frappe.desk.search'); "
     "Frappe answers [] to a 60 KB search text (B11)",
     [r"security-desk/(A14|A15|B11)_\w+ \|"]),
    ("sd-grand-total", "runtime/erpnext/controllers/accounts_controller.py",
     "a rate of -100 must be refused by ERPNext's own check first (417 'Incorrect value:Grand Total (Company "
     "Currency) must be >= 0.0', _exc_source erpnext, in the controller's validate, before doc_events); the "
     "runtime lets it reach the app's price floor (issue 12 item 2)",
     [r"security-desk/B01_\w+ \|"]),
    ("sd-exc-source", "runtime/frappe/utils/response.py (guess_exception_source) or a known difference",
     "the answer is now Frappe's (400 InvalidOrderError 'Row #1: Quantity for Item ITEM-001 must be greater "
     "than zero': the ERPNext subset rounds row floats first, as ERPNext does) but the body adds "
     "\"_exc_source\": \"medgrid (app)\", which the recording lacks (probably the recording bench's medgrid "
     "frames did not match Frappe's apps/<app>/<app>/ source guess) (issue 12 item 3)",
     [r"security-desk/B0[2-5]_\w+ \|"]),
    ("sd-fields-4xx", "runtime/frappe/model/db_query.py",
     "fields=[\"max(name, 1)\"], fields=abc and a backquoted foreign table (admin) must answer 4xx "
     "DataError/ValidationError without SQL (issue 12 item 16); a backquoted field of a table the caller may "
     "not read is dropped silently (200) as in Frappe (B09)",
     [r"security-desk/B(08|09|09b|10)_\w+ \|"]),
    ("sd-body-limits", "runtime/frappe/app.py",
     "request bodies over the limit (1 MB) must be refused with 413 and over-deep JSON with 400, before any "
     "work (issue 12 item 15)",
     [r"security-desk/B1[23]_\w+ \|"]),
    ("sd-single-get-value", "runtime/frappe/client.py",
     "frappe.client.get_value on a Single calls frappe.db.get_values_from_single, which the runtime's "
     "Database lacks (500 AttributeError)",
     [r"security-desk/B14b?_\w+ \|"]),
    ("sd-select-only-fields", "runtime/frappe/model/db_query.py",
     "a select-only user listing User with fields=[name, api_key, last_ip] gets api_key; Frappe drops it "
     "silently (issue 12 item 4)",
     [r"security-desk/C01_\w+ \|"]),
    ("sd-perm-message", "runtime/frappe/permissions.py",
     "document-level refusal message lacks ': User - partner@clinic.example' after 'does not have access to "
     "this document'",
     [r"security-desk/C03_rep_user_get_doc \|"]),
    ("sd-user-self", "runtime/frappe/core/doctype/user",
     "a user without read on User may read its own User document (Frappe: 200, permlevel-1 tables empty); "
     "runtime answers 403",
     [r"security-desk/C03b_\w+ \|"]),
    ("www-404-cache", "runtime/frappe/website",
     "the website 404 page must answer X-From-Cache: True (runtime: False)",
     [r"guest_get_nonexistent_page \| header X-From-Cache"]),
]

# Differences that are consequences of an earlier failure (the runtime named a document differently)
CASCADE = [
    (r"body\.(data|message)\.name: expected \"SAL-ORD-", "name-drift"),
    (r"\.\w+\[\d+\]\.parent: expected \"(SAL-ORD|SO|XX)-", "name-drift"),
    (r"sales_list_after_removal \|", "name-drift"),
]
CASCADE_TEXT = ("an earlier create used up a number the recording did not (look for the first create in the "
                "timeline whose name differs), so this document got the next number")


def load_results() -> dict:
    results = {}
    for path in sorted(glob.glob(os.path.join(ARTIFACTS, "*.json"))):
        timeline = os.path.basename(path)[:-5]
        with open(path) as fh:
            for key, value in json.load(fh).items():
                results[(timeline, key)] = value
    return results


def classify(key: str, result: dict):
    causes, unclassified = set(), []
    lines = list(result.get("diffs") or [])
    if result.get("error"):
        lines.append("HARNESS ERROR " + result["error"].splitlines()[-1])
    for diff in lines:
        text = f"{key} | {diff}"
        matched = {cause_id for cause_id, _file, _desc, patterns in CAUSES if any(re.search(p, text) for p in patterns)}
        causes |= matched
        if not matched:
            for pattern, cause_id in CASCADE:
                if re.search(pattern, text):
                    causes.add(cause_id)
                    break
            else:
                unclassified.append(diff)
    return causes, unclassified


def main(argv) -> int:
    write = "--write" in argv
    results = load_results()
    by_file = defaultdict(list)
    failing = {}
    unclassified_total = 0
    describe = {c[0]: (c[1], c[2]) for c in CAUSES}
    describe["name-drift"] = ("(cascade)", CASCADE_TEXT)
    for (timeline, key), result in results.items():
        if not result.get("diffs") and not result.get("error"):
            continue
        causes, unclassified = classify(key, result)
        if unclassified:
            unclassified_total += 1
            print(f"UNCLASSIFIED {timeline}:{key}")
            for diff in unclassified[:8]:
                print("    " + diff[:400])
            continue
        failing[(result.get("source"), key)] = sorted(causes)
        for cause in causes:
            by_file[describe[cause][0]].append((cause, f"{timeline}:{key}"))

    print(f"\n{len(results)} exchanges replayed, {len(failing) + unclassified_total} failing, "
          f"{unclassified_total} unclassified\n")
    for runtime_file in sorted(by_file):
        print(f"== {runtime_file}")
        per_cause = defaultdict(list)
        for cause, where in by_file[runtime_file]:
            per_cause[cause].append(where)
        for cause, wheres in sorted(per_cause.items()):
            print(f"  [{cause}] {describe[cause][1]}")
            print(f"      {len(wheres)} exchanges: " + ", ".join(sorted(wheres)[:6]) + (" …" if len(wheres) > 6 else ""))
    if write:
        if unclassified_total:
            print("\nnot writing expected_failures.py: classify the UNCLASSIFIED exchanges first")
            return 1
        _write(failing, describe)
    return 0


def _write(failing: dict, describe: dict) -> None:
    lines = [
        '"""Exchanges that currently fail because of the runtime (not the harness).',
        "",
        "Each entry: (recordings file, exchange key) -> (what differs, responsible runtime file). The tests",
        "of these exchanges are marked ``xfail(strict=True)``: when the runtime is fixed the test XPASSes,",
        "fails the run, and the entry must be removed from here. Regenerate with tools/triage.py --write.",
        '"""',
        "",
        "EXPECTED_FAILURES: dict = {",
    ]
    for (source, key), causes in sorted(failing.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        files = sorted({describe[c][0] for c in causes})
        reason = "; ".join(f"[{c}] {describe[c][1]}" for c in causes)
        lines.append(f"    ({source!r}, {key!r}): (")
        lines.append(f"        {reason!r},")
        lines.append(f"        {', '.join(files)!r},")
        lines.append("    ),")
    lines.append("}")
    with open(EXPECTED_FAILURES, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"\nwrote {len(failing)} entries to {EXPECTED_FAILURES}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Exchanges that currently fail because of the runtime (not the harness).

Each entry: (recordings file, exchange key) -> (what differs, responsible runtime file). The tests
of these exchanges are marked ``xfail(strict=True)``: when the runtime is fixed the test XPASSes,
fails the run, and the entry must be removed from here. Regenerate with tools/triage.py --write.
"""

EXPECTED_FAILURES: dict = {
    ('security-desk.json', 'security-desk/B02_so_qty_nan_string'): (
        "[sd-number-parsing] qty 'NaN' / 'Infinity' / Infinity / 1e309 reach Sales Order validate_uom_is_integer as float nan/inf and int() raises (500 ValueError/OverflowError); on ERPNext calculate_taxes_and_totals has rounded the item floats with their precision first (round_floats_in: flt(nan, 2) is 0), so the app refuses the line (400 InvalidOrderError 'Quantity … must be greater than zero') (issue 12 item 3)",
        'runtime/frappe/utils/data.py (flt/cint) / runtime/erpnext/selling/doctype/sales_order',
    ),
    ('security-desk.json', 'security-desk/B03_so_qty_1e309_literal'): (
        "[sd-number-parsing] qty 'NaN' / 'Infinity' / Infinity / 1e309 reach Sales Order validate_uom_is_integer as float nan/inf and int() raises (500 ValueError/OverflowError); on ERPNext calculate_taxes_and_totals has rounded the item floats with their precision first (round_floats_in: flt(nan, 2) is 0), so the app refuses the line (400 InvalidOrderError 'Quantity … must be greater than zero') (issue 12 item 3)",
        'runtime/frappe/utils/data.py (flt/cint) / runtime/erpnext/selling/doctype/sales_order',
    ),
    ('security-desk.json', 'security-desk/B04_so_qty_infinity_string'): (
        "[sd-number-parsing] qty 'NaN' / 'Infinity' / Infinity / 1e309 reach Sales Order validate_uom_is_integer as float nan/inf and int() raises (500 ValueError/OverflowError); on ERPNext calculate_taxes_and_totals has rounded the item floats with their precision first (round_floats_in: flt(nan, 2) is 0), so the app refuses the line (400 InvalidOrderError 'Quantity … must be greater than zero') (issue 12 item 3)",
        'runtime/frappe/utils/data.py (flt/cint) / runtime/erpnext/selling/doctype/sales_order',
    ),
    ('security-desk.json', 'security-desk/B05_so_qty_infinity_bare'): (
        "[sd-number-parsing] qty 'NaN' / 'Infinity' / Infinity / 1e309 reach Sales Order validate_uom_is_integer as float nan/inf and int() raises (500 ValueError/OverflowError); on ERPNext calculate_taxes_and_totals has rounded the item floats with their precision first (round_floats_in: flt(nan, 2) is 0), so the app refuses the line (400 InvalidOrderError 'Quantity … must be greater than zero') (issue 12 item 3)",
        'runtime/frappe/utils/data.py (flt/cint) / runtime/erpnext/selling/doctype/sales_order',
    ),
    ('security-desk.json', 'security-desk/B06_so_rate_nan_string'): (
        "[sd-nan-rate] rate 'NaN' must become the price-list rate (89) as on real ERPNext (rounded to 0 by round_floats_in, then calculate_taxes_and_totals sets a missing rate from price_list_rate); the runtime keeps 0.00 and the app's price floor refuses it (417) (issue 12 item 3)",
        'runtime/frappe/utils/data.py (flt) / runtime/erpnext (rate from the price list)',
    ),
    ('security-desk.json', 'security-desk/B11_search_link_60kb'): (
        "[sd-frappe-desk] frappe.desk.search.search_link does not exist in the runtime (417 'No module named frappe.desk.search'); Frappe answers [] to a 60 KB search text (B11)",
        'runtime/frappe/desk/search.py',
    ),
    ('security-desk.json', 'security-desk/B14_get_value_single'): (
        "[sd-single-get-value] frappe.client.get_value on a Single calls frappe.db.get_values_from_single, which the runtime's Database lacks (500 AttributeError)",
        'runtime/frappe/client.py',
    ),
    ('security-desk.json', 'security-desk/B14b_get_value_single_filters'): (
        "[sd-single-get-value] frappe.client.get_value on a Single calls frappe.db.get_values_from_single, which the runtime's Database lacks (500 AttributeError)",
        'runtime/frappe/client.py',
    ),
    ('security-desk.json', 'security-desk/C03_rep_user_get_doc'): (
        "[sd-perm-message] document-level refusal message lacks ': User - partner@clinic.example' after 'does not have access to this document'",
        'runtime/frappe/permissions.py',
    ),
    ('security-desk.json', 'security-desk/C03b_rep_user_get_self'): (
        '[sd-user-self] a user without read on User may read its own User document (Frappe: 200, permlevel-1 tables empty); runtime answers 403',
        'runtime/frappe/core/doctype/user',
    ),
}

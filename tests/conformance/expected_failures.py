"""Exchanges that currently fail because of the runtime (not the harness).

Each entry: (recordings file, exchange key) -> (what differs, responsible runtime file). The tests
of these exchanges are marked ``xfail(strict=True)``: when the runtime is fixed the test XPASSes,
fails the run, and the entry must be removed from here. Regenerate with tools/triage.py --write.
"""

EXPECTED_FAILURES: dict = {
    ('security-desk.json', 'security-desk/B02_so_qty_nan_string'): (
        "[sd-exc-source] the answer is now Frappe's (400 InvalidOrderError 'Row #1: Quantity for Item ITEM-001 must be greater than zero': the ERPNext subset rounds row floats first, as ERPNext does) but the body adds \"_exc_source\": \"medgrid (app)\", which the recording lacks (probably the recording bench's medgrid frames did not match Frappe's apps/<app>/<app>/ source guess) (issue 12 item 3)",
        'runtime/frappe/utils/response.py (guess_exception_source) or a known difference',
    ),
    ('security-desk.json', 'security-desk/B03_so_qty_1e309_literal'): (
        "[sd-exc-source] the answer is now Frappe's (400 InvalidOrderError 'Row #1: Quantity for Item ITEM-001 must be greater than zero': the ERPNext subset rounds row floats first, as ERPNext does) but the body adds \"_exc_source\": \"medgrid (app)\", which the recording lacks (probably the recording bench's medgrid frames did not match Frappe's apps/<app>/<app>/ source guess) (issue 12 item 3)",
        'runtime/frappe/utils/response.py (guess_exception_source) or a known difference',
    ),
    ('security-desk.json', 'security-desk/B04_so_qty_infinity_string'): (
        "[sd-exc-source] the answer is now Frappe's (400 InvalidOrderError 'Row #1: Quantity for Item ITEM-001 must be greater than zero': the ERPNext subset rounds row floats first, as ERPNext does) but the body adds \"_exc_source\": \"medgrid (app)\", which the recording lacks (probably the recording bench's medgrid frames did not match Frappe's apps/<app>/<app>/ source guess) (issue 12 item 3)",
        'runtime/frappe/utils/response.py (guess_exception_source) or a known difference',
    ),
    ('security-desk.json', 'security-desk/B05_so_qty_infinity_bare'): (
        "[sd-exc-source] the answer is now Frappe's (400 InvalidOrderError 'Row #1: Quantity for Item ITEM-001 must be greater than zero': the ERPNext subset rounds row floats first, as ERPNext does) but the body adds \"_exc_source\": \"medgrid (app)\", which the recording lacks (probably the recording bench's medgrid frames did not match Frappe's apps/<app>/<app>/ source guess) (issue 12 item 3)",
        'runtime/frappe/utils/response.py (guess_exception_source) or a known difference',
    ),
    ('security-desk.json', 'security-desk/C03b_rep_user_get_self'): (
        "[sd-user-self] the right is fixed (runtime: 200 with the rep's own User, permlevel-1 roles empty, through the User's DocShare with itself) but the body lacks the Frappe 15 User fields the runtime's reduced User doctype does not have (a default language, desk_theme, search_bar, notifications, list_sidebar… follow_* settings, thread_notify, allowed_in_mentions, bypass_restrict_ip_check_if_2fa_enabled, last_known_versions, onboarding_status; the social_logins, block_modules, defaults and user_emails tables) and orders login_after/login_before/last_login/last_active differently",
        'runtime/frappe/core/doctype/user/user.json',
    ),
}

"""Sites installed with the old 300 s send lease move to the short lease the heartbeat renews.

A killed worker's dispatch used to wait the whole 300 s before the sweep re-sent it; with the
heartbeat (fulfillment_router/dispatch.py) a live send keeps a short lease alive, so the old default
only delays recovery. A value an admin chose is left alone.
"""

import frappe

from medgrid.fulfillment_router.dispatch import DEFAULT_LEASE_SECONDS

OLD_DEFAULT = 300


def execute():
    current = frappe.db.get_single_value("MedGrid System Settings", "dispatch_lease_seconds")
    if current in (None, 0, OLD_DEFAULT):
        frappe.db.set_single_value("MedGrid System Settings", "dispatch_lease_seconds", DEFAULT_LEASE_SECONDS)

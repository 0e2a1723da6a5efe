"""A help request from a portal user ("Submit a help request via the Support menu").

Requesters create them only through ``medgrid.support.submit_request`` (which checks the related order is
theirs); admins set the status, the assignee and the reply the requester reads on ``/portal/support``.
"""

from __future__ import annotations

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime


class MedGridSupportRequest(Document):
    def validate(self):
        if not self.requester:
            self.requester = frappe.session.user
        before = None if self.is_new() else self.get_doc_before_save()
        reply = (self.reply or "").strip()
        if reply and (before is None or (before.reply or "").strip() != reply):
            self.replied_by, self.replied_on = frappe.session.user, now_datetime()
            if self.status in ("Open", "In Progress"):
                self.status = "Answered"

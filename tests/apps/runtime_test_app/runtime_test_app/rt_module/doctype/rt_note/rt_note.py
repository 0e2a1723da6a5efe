import frappe
from frappe.model.document import Document

_METHODS = ["before_insert", "before_naming", "before_validate", "validate", "before_save", "after_insert",
            "on_update", "before_submit", "on_submit", "before_cancel", "on_cancel", "on_change", "on_trash",
            "after_delete", "before_update_after_submit", "on_update_after_submit"]


def _make(method):
    def fn(self, *args, **kwargs):
        frappe.flags.setdefault("rt_log", []).append(("controller", method))
        if method == "validate" and self.title == "fail in validate":
            frappe.throw("validate refused this note")
    fn.__name__ = method
    return fn


class RTNote(Document):
    pass


for _m in _METHODS:
    setattr(RTNote, _m, _make(_m))

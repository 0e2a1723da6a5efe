"""Whitelisted probe methods (methods.json ``probe_methods`` and formdict.json echo methods)."""

import frappe

try:
    from frappe.rate_limiter import rate_limit
except ImportError:  # the runtime has no rate limiter yet: keep the other probes importable

    def rate_limit(*args, **kwargs):
        def wrap(fn):
            def missing(*a, **kw):
                raise NotImplementedError("frappe.rate_limiter.rate_limit is not available")

            missing.__name__ = fn.__name__
            return missing

        return wrap


def _type_names(values: dict) -> dict:
    return {key: type(value).__name__ for key, value in values.items()}


@frappe.whitelist()
def ping_dict():
    return {"ok": True, "count": 3, "items": ["a", "b"], "user": frappe.session.user}


@frappe.whitelist()
def return_none():
    return None


@frappe.whitelist()
def return_list():
    return [1, "two", {"three": 3}]


@frappe.whitelist()
def return_string():
    return "hello"


@frappe.whitelist()
def msgprint_and_return():
    frappe.msgprint("A message for the user")
    return {"ok": True}


@frappe.whitelist()
def throw_plain():
    frappe.throw("Plain validation failure")


@frappe.whitelist()
def throw_with_title():
    frappe.throw("Validation failure with title", title="Custom Title")


@frappe.whitelist()
def throw_permission():
    frappe.throw("You shall not pass", exc=frappe.PermissionError)


@frappe.whitelist()
def throw_does_not_exist():
    frappe.throw("Thing XYZ not found", exc=frappe.DoesNotExistError)


@frappe.whitelist()
def throw_duplicate():
    frappe.throw("Thing XYZ already exists", exc=frappe.DuplicateEntryError)


@frappe.whitelist()
def throw_authentication():
    frappe.throw("Bad credentials", exc=frappe.AuthenticationError)


@frappe.whitelist()
def throw_too_many():
    frappe.throw("Slow down", exc=frappe.TooManyRequestsError)


@frappe.whitelist()
def throw_mandatory():
    frappe.throw("Field X is mandatory", exc=frappe.MandatoryError)


@frappe.whitelist()
def raise_validation_without_msgprint():
    raise frappe.ValidationError("raised directly, no msgprint")


@frappe.whitelist()
def raise_python():
    raise ValueError("plain python error boom")


@frappe.whitelist()
def raise_key_error():
    return {}["missing"]


@frappe.whitelist(allow_guest=True)
def guest_ok():
    return {"guest_allowed": True, "user": frappe.session.user}


@frappe.whitelist(methods=["POST"])
def post_only():
    return {"post_only": True}


@frappe.whitelist()
@rate_limit(limit=2, seconds=60)
def rate_limited():
    return {"rate_limited_call": "ok"}


@frappe.whitelist()
def typed(qty: int, label: str = "x"):
    return {"qty": qty, "qty_type": type(qty).__name__, "label": label}


@frappe.whitelist(allow_guest=True)
def echo(**kwargs):
    request = frappe.request
    form = dict(frappe.form_dict)
    return {
        "http_method": request.method,
        "content_type": request.content_type,
        "form_dict": form,
        "form_dict_types": _type_names(form),
        "kwargs": kwargs,
        "kwargs_types": _type_names(kwargs),
    }


@frappe.whitelist(allow_guest=True)
def echo_named(a=None, b=None):
    return {"a": a, "a_type": type(a).__name__, "b": b, "b_type": type(b).__name__}

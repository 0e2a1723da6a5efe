"""What the demo adds besides the catalog: a user per role and the Sandbox environment pointing at the local
vendor sandboxes. Called by :func:`medgrid.setup.demo.setup` (the one demo command, on a real bench and on the
runtime); every step completes what is missing and changes nothing else.
"""

from __future__ import annotations

import os
import sys

import frappe

from medgrid.connectors.environment import SANDBOX, SYSTEM_SETTINGS

PASSWORD = "MedGrid-Demo-1"
DEMO_VENDOR_PROFILE = "Demo Vendor"

DEMO_USERS = [
    # email, first name, roles, Customer restriction, first page to open
    ("partner@clinic.example", "Partner", ["Customer / Partner Platform"], "Demo Clinic Partner", "/sales-order"),
    ("rep@medgrid.example", "Sales Rep", ["Internal Sales Rep"], None, "/sales-order"),
    ("vendor@vendor.example", "Vendor", ["External Vendor"], None, "/portal/integrations"),
    ("admin@medgrid.example", "Marketplace Admin", ["MedGrid Marketplace Admin", "System Manager"], None,
     "/medgrid-admin/dispatches"),
]

# What the demo sets besides what each sandbox says points MedGrid at it (its own medgrid_settings())
DEMO_SETTINGS = {
    "Exoceuticals Settings": {"warehouse": "Skydell Exoceuticals - SM", "item_group": "Products",
                              "price_list": "Standard Selling"},
}
# A vendor's own store connects itself from the portal: the sandbox's address is for reading only
SELF_SERVICE_DOCTYPES = ("Shopify Connection",)
SHIPSTATION_CONNECTION = "ShipStation Connection"


def make_users() -> dict:
    """The demo users (password :data:`PASSWORD`); returns ``{email: (api_key, api_secret)}`` of the users
    created now — a secret is shown once, as Frappe's ``generate_keys``."""
    from frappe.core.doctype.user.user import generate_keys
    from frappe.permissions import add_user_permission
    from frappe.utils.password import update_password

    keys = {}
    for email, first_name, roles, customer, _first_page in DEMO_USERS:
        if frappe.db.exists("User", email):
            continue
        frappe.get_doc({"doctype": "User", "email": email, "first_name": first_name, "send_welcome_email": 0,
                        "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
        update_password(email, PASSWORD)
        secret = generate_keys(email)["api_secret"]
        keys[email] = (frappe.db.get_value("User", email, "api_key"), secret)
        if customer:
            add_user_permission("Customer", customer, email, ignore_permissions=True)
    if not frappe.db.exists("MedGrid Sales Rep", "rep@medgrid.example"):
        frappe.get_doc({"doctype": "MedGrid Sales Rep", "user": "rep@medgrid.example",
                        "territories": [{"territory": "United States"}]}).insert(ignore_permissions=True)
    if not frappe.db.exists("Vendor Profile", DEMO_VENDOR_PROFILE):
        frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": DEMO_VENDOR_PROFILE, "vendor_key": "shipstation",
                        "user": "vendor@vendor.example", "status": "Active"}).insert(ignore_permissions=True)
    return keys


def _set_single(doctype: str, values: dict) -> None:
    doc = frappe.get_single(doctype)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()


def _import_sandbox():
    """The ``sandbox`` package beside the app (this repository's root; ``bench get-app`` clones it too)."""
    import medgrid

    root = os.path.dirname(os.path.dirname(os.path.abspath(medgrid.__file__)))
    if os.path.isdir(os.path.join(root, "sandbox")) and root not in sys.path:
        sys.path.insert(0, root)
    import sandbox

    return sandbox


def parse_ports(sandbox_ports) -> dict:
    """``"perfectrx=9101,shipstation=9102"`` (or a dict) → {sandbox name: port}; unnamed values follow the
    registry's sandbox order (PerfectRx, ShipStation, SINQ, Centre Research, Shopify)."""
    if isinstance(sandbox_ports, dict):
        return {str(k): int(v) for k, v in sandbox_ports.items()}
    names = list(_import_sandbox().sandbox_paths())
    if isinstance(sandbox_ports, (list, tuple)):
        return {name: int(p) for name, p in zip(names, sandbox_ports)}
    out = {}
    for index, part in enumerate(p.strip() for p in str(sandbox_ports or "").split(",") if p.strip()):
        name, _, port = part.rpartition("=")
        name = name or (names[index] if index < len(names) else "")
        if name not in names or not port.isdigit():
            frappe.throw(f"sandbox_ports: {part!r} is not NAME=PORT with NAME one of {', '.join(names)}")
        out[name] = int(port)
    return out


def point_at_sandboxes(port: int, sandbox_ports=None, environment: bool = True) -> dict:
    """Sandbox environment: each vendor's sandbox host (``sandbox_ports`` or each sandbox's default port), the
    vendors' settings with the sandboxes' default credentials (Single settings enabled), MedGrid's own
    ShipStation account and the Shopify app's callback on this site. Returns vendor key → sandbox host.

    ``environment=False`` only writes the settings (the site stays in its environment, e.g. a test stack
    that addresses the sandboxes as if they were production hosts)."""
    from medgrid.connectors.environment import registry_sandbox_hosts

    sandbox = _import_sandbox()
    ports = parse_ports(sandbox_ports)
    hosts = registry_sandbox_hosts(ports)
    for name in sandbox.sandbox_paths():
        box = sandbox.sandbox_class(name)(port=ports.get(name))
        for doctype, values in box.medgrid_settings().items():
            values = {**values, **DEMO_SETTINGS.get(doctype, {})}
            if doctype in SELF_SERVICE_DOCTYPES:
                continue
            if doctype == SHIPSTATION_CONNECTION:
                _platform_shipstation(values)
                continue
            if frappe.get_meta(doctype).has_field("enabled"):
                values["enabled"] = 1
            _set_single(doctype, values)
    import json

    values = {"medgrid_shopify_redirect_uri": f"http://127.0.0.1:{int(port)}/api/method/"
                                              "medgrid.integrations.shopify_callback"}
    if environment:
        values.update(environment=SANDBOX, sandbox_hosts=json.dumps(hosts))
    _set_single(SYSTEM_SETTINGS, values)
    return hosts


def _platform_shipstation(values: dict) -> None:
    """MedGrid's own ShipStation account (vendors connect theirs from the portal)."""
    name = frappe.db.get_value(SHIPSTATION_CONNECTION, {"is_platform": 1})
    if not name:
        frappe.get_doc({"doctype": SHIPSTATION_CONNECTION, "is_platform": 1, "status": "Connected",
                        **values}).insert(ignore_permissions=True)
    elif values.get("base_url"):
        # a new port for the sandbox: the platform account follows it
        frappe.db.set_value(SHIPSTATION_CONNECTION, name, "base_url", values["base_url"])

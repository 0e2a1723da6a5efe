"""Frappe hooks of the ERPNext subset app."""

app_name = "erpnext"
app_title = "ERPNext"
app_publisher = "MedGrid runtime"
app_description = "ERPNext v15 subset (selling, stock, contacts) for the MedGrid runtime"
app_email = "dev@medgrid.invalid"
app_license = "GPL-3.0"

# Sites get ERPNext's standard masters (root groups, UOM, price lists, settings) on install.
after_install = "erpnext.setup.install.after_install"

# Bin keeps one row per (item_code, warehouse); the unique key is added when its table is synced.
# (The framework calls `on_doctype_update` of each controller module after syncing a doctype.)

# Address and Contact titles/links are maintained by their controllers; nothing else hooks in.
doc_events = {}

# Link-field searches answered by a query of their own (frappe.desk.search), as ERPNext's hooks name them
standard_queries = {"Customer": "erpnext.controllers.queries.customer_query"}

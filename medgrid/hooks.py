app_name = "medgrid"
app_title = "MedGrid"
app_publisher = "MedGrid"
app_description = "Integration layer of a B2B medical-supply marketplace"
app_email = "dev@medgrid.local"
app_license = "MIT"
required_apps = ["erpnext"]

after_install = "medgrid.setup.install.after_install"
after_migrate = "medgrid.setup.install.after_migrate"

# Internal Sales Reps: orders of their territories or created by them
permission_query_conditions = {"Sales Order": "medgrid.permissions.sales_order_query"}
has_permission = {"Sales Order": "medgrid.permissions.sales_order_permission"}

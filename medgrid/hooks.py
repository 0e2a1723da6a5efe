app_name = "medgrid"
app_title = "MedGrid"
app_publisher = "MedGrid"
app_description = "Integration layer of a B2B medical-supply marketplace"
app_email = "dev@medgrid.local"
app_license = "MIT"
required_apps = ["erpnext"]

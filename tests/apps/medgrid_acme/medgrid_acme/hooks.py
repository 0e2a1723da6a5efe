app_name = "medgrid_acme"
app_title = "MedGrid Acme vendor (tests)"
required_apps = ["medgrid"]

# The sixth vendor, added through MedGrid's vendor registry alone (docs/adding-a-vendor.md)
medgrid_vendors = ["medgrid_acme.vendor.ACME"]

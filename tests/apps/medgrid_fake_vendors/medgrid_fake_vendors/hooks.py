app_name = "medgrid_fake_vendors"
app_title = "MedGrid fake vendors (tests)"
required_apps = ["medgrid"]

# Installed after medgrid, so these replace every real connector (the last app wins)
medgrid_connectors = {
    key: f"medgrid_fake_vendors.connectors.{cls}"
    for key, cls in (("perfectrx", "FakePerfectRx"), ("shipstation", "FakeShipStation"), ("sinq", "FakeSinq"),
                     ("centre_research", "FakeCentreResearch"), ("exoceuticals", "FakeExoceuticals"),
                     ("shopify", "FakeShopify"))
}

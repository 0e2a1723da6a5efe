app_name = "medgrid"
app_title = "MedGrid"
app_publisher = "MedGrid"
app_description = "Integration layer of a B2B medical-supply marketplace"
app_email = "dev@medgrid.local"
app_license = "MIT"
required_apps = ["erpnext"]

after_install = ["medgrid.setup.install.after_install", "medgrid.setup.vendor_options.after_install_or_migrate",
                 "medgrid.catalog.search_index.after_install", "medgrid.catalog.indexes.after_install",
                 "medgrid.dashboard.desk.install_desk_dashboard"]
# the item search index and the catalog's indexes are (re)built when missing, e.g. after a migration rebuilt tabItem on SQLite
after_migrate = ["medgrid.setup.install.after_migrate", "medgrid.setup.vendor_options.after_install_or_migrate",
                 "medgrid.catalog.search_index.after_migrate", "medgrid.catalog.indexes.after_migrate",
                 # a real bench's Desk dashboard of the order flow (medgrid/dashboard/desk.py; none on the runtime)
                 "medgrid.dashboard.desk.install_desk_dashboard"]
# an app that adds vendors (medgrid_vendors) gets their fields and options when it is installed
after_app_install = "medgrid.setup.vendor_options.after_app_install"

# Tenant row rules (medgrid/permissions.py): reps see their territories' orders and their own; what hangs
# off an order follows the order; child rows only of parents the caller may list; a partner's addresses
# and contacts are its Customers'
permission_query_conditions = {
    "Sales Order": "medgrid.permissions.sales_order_query",
    "Fulfillment Dispatch": "medgrid.permissions.fulfillment_dispatch_query",
    "MedGrid Webhook Event": "medgrid.permissions.webhook_event_query",
    "MedGrid Integration Log": "medgrid.permissions.integration_log_query",
    "MedGrid Sales Rep": "medgrid.permissions.sales_rep_query",
    "Address": "medgrid.permissions.address_query",
    "Contact": "medgrid.permissions.contact_query",
    "Has Role": "medgrid.permissions.has_role_query",
    # child tables (the list is medgrid.permissions.CHILD_TABLE_PARENTS)
    "Sales Order Item": "medgrid.permissions.child_table_query",
    "Sales Taxes and Charges": "medgrid.permissions.child_table_query",
    "Payment Schedule": "medgrid.permissions.child_table_query",
    "Packed Item": "medgrid.permissions.child_table_query",
    "Pricing Rule Detail": "medgrid.permissions.child_table_query",
    "Sales Team": "medgrid.permissions.child_table_query",
    "Customer Credit Limit": "medgrid.permissions.child_table_query",
    "Party Account": "medgrid.permissions.child_table_query",
    "Allowed To Transact With": "medgrid.permissions.child_table_query",
    "Portal User": "medgrid.permissions.child_table_query",
    "Item Customer Detail": "medgrid.permissions.child_table_query",
    "Dynamic Link": "medgrid.permissions.child_table_query",
    "Contact Email": "medgrid.permissions.child_table_query",
    "Contact Phone": "medgrid.permissions.child_table_query",
    "Fulfillment Dispatch Line": "medgrid.permissions.child_table_query",
    "MedGrid Sales Rep Territory": "medgrid.permissions.child_table_query",
    # a vendor user reads only its own connections and Vendor Profiles
    "ShipStation Connection": "medgrid.integrations.permissions.shipstation_connection_query",
    "Shopify Connection": "medgrid.integrations.permissions.shopify_connection_query",
    "Vendor Profile": "medgrid.integrations.permissions.vendor_profile_query",
    # a vendor reads its own payouts; a requester its own support requests
    "Vendor Payout": "medgrid.permissions.vendor_payout_query",
    "Vendor Payout Line": "medgrid.permissions.child_table_query",
    "MedGrid Support Request": "medgrid.permissions.support_request_query",
}
has_permission = {
    "Sales Order": "medgrid.permissions.sales_order_permission",
    "Fulfillment Dispatch": "medgrid.permissions.fulfillment_dispatch_permission",
    "MedGrid Webhook Event": "medgrid.permissions.webhook_event_permission",
    "MedGrid Integration Log": "medgrid.permissions.integration_log_permission",
    "MedGrid Sales Rep": "medgrid.permissions.sales_rep_permission",
    "Address": "medgrid.permissions.linked_party_permission",
    "Contact": "medgrid.permissions.linked_party_permission",
    "ShipStation Connection": "medgrid.integrations.permissions.connection_permission",
    "Shopify Connection": "medgrid.integrations.permissions.connection_permission",
    "Vendor Profile": "medgrid.integrations.permissions.vendor_profile_permission",
    "Vendor Payout": "medgrid.permissions.vendor_payout_permission",
    "MedGrid Support Request": "medgrid.permissions.support_request_permission",
}

# The vendor registry (medgrid/vendors/): one descriptor per vendor — connector, Sales Order fields, statuses,
# webhook apply, poll, settings, sandbox. Other apps add vendors by listing their own descriptors here.
medgrid_vendors = [
    "medgrid.vendors.builtin.PERFECTRX",
    "medgrid.vendors.builtin.SHIPSTATION",
    "medgrid.vendors.builtin.SINQ",
    "medgrid.vendors.builtin.CENTRE_RESEARCH",
    "medgrid.vendors.builtin.EXOCEUTICALS",
    "medgrid.vendors.builtin.SHOPIFY",
]

doc_events = {
    "Sales Order": {
        "validate": "medgrid.fulfillment_router.events.validate_sales_order",
        "on_submit": "medgrid.fulfillment_router.events.route_on_submit",
        "on_cancel": "medgrid.fulfillment_router.events.cancel_dispatches",
        # closing, holding or cancelling tags the vendor-store orders (ERPNext writes those statuses with
        # db_set, which runs on_change)
        "on_change": "medgrid.integrations.order_status.tag_store_orders",
    },
    "Warehouse": {"on_update": "medgrid.catalog.clear_warehouse_cache"},
    # the item search index follows the searched text (medgrid/catalog/search_index.py; SQLite uses triggers)
    "Item": {
        # approved means sellable: one vendor route with its mapping set (medgrid/catalog_admin/approval.py)
        "validate": "medgrid.catalog_admin.approval.check_sellable",
        "on_update": "medgrid.catalog.search_index.item_changed",
        "on_trash": "medgrid.catalog.search_index.item_deleted",
        "after_rename": "medgrid.catalog.search_index.item_renamed",
    },
    # no write moves a document out of the caller's reach as stored, no amendment of another's document
    # (medgrid/permissions_writes.py)
    "*": {
        "before_validate": "medgrid.permissions_writes.guard_write",
        "before_cancel": ["medgrid.permissions_writes.guard_write", "medgrid.permissions_writes.cancel_changes_nothing"],
        "before_update_after_submit": "medgrid.permissions_writes.guard_write",
        "on_trash": "medgrid.permissions_writes.guard_delete",
    },
}

scheduler_events = {
    "cron": {
        # retries that came due and sends abandoned by a dead worker
        "* * * * *": ["medgrid.fulfillment_router.dispatch.sweep"],
        # every registered vendor's status poll when its interval is due (medgrid/webhooks/reconcile.py), and
        # another try for webhook events whose apply was lost or failed
        "*/5 * * * *": [
            "medgrid.webhooks.reconcile.poll_vendors",
            "medgrid.webhooks.reconcile.sweep_webhook_events",
        ],
    },
    # Shopify → MedGrid catalog and inventory of every store, on the long queue
    "daily_long": ["medgrid.integrations.sync_jobs.daily"],
    "daily": ["medgrid.integrations.shopify_oauth.purge_expired_states"],
    # last month's Vendor Payouts (a dispatch is paid once: a rerun adds nothing)
    "monthly": ["medgrid.payouts.monthly"],
}

# The guide's paths: inbound vendor webhooks ("Webhook Reference"; served by medgrid/webhooks/<vendor>.py, one
# Shopify endpoint for all shops), vendor self-service connections and the Exoceuticals store
# (medgrid/integrations/)
override_whitelisted_methods = {
    "medgrid.perfectrx.webhook": "medgrid.webhooks.perfectrx.webhook",
    "medgrid.shipstation.webhook": "medgrid.webhooks.shipstation.webhook",
    "medgrid.sinq.webhook": "medgrid.webhooks.sinq.webhook",
    "medgrid.exoceuticals.webhook": "medgrid.webhooks.shopify.webhook",
    "medgrid.integrations.connect_shipstation": "medgrid.integrations.shipstation.connect_shipstation",
    "medgrid.integrations.shipstation_status": "medgrid.integrations.shipstation.shipstation_status",
    "medgrid.integrations.disconnect_shipstation": "medgrid.integrations.shipstation.disconnect_shipstation",
    "medgrid.integrations.shopify_start_install": "medgrid.integrations.vendor_shopify.shopify_start_install",
    "medgrid.integrations.shopify_callback": "medgrid.integrations.vendor_shopify.shopify_callback",
    "medgrid.integrations.shopify_status": "medgrid.integrations.vendor_shopify.shopify_status",
    "medgrid.integrations.disconnect_shopify": "medgrid.integrations.vendor_shopify.disconnect_shopify",
    "medgrid.integrations.sync_shopify_store": "medgrid.integrations.sync_jobs.sync_shopify_store",
    "medgrid.integrations.list_integrations": "medgrid.integrations.status.list_integrations",
    "medgrid.exoceuticals.start_install": "medgrid.integrations.exoceuticals.start_install",
    "medgrid.exoceuticals.oauth_callback": "medgrid.integrations.exoceuticals.oauth_callback",
    "medgrid.exoceuticals.sync_catalog": "medgrid.integrations.exoceuticals.sync_catalog",
    "medgrid.exoceuticals.sync_inventory": "medgrid.integrations.exoceuticals.sync_inventory",
}

# Portal pages (medgrid/www/): /portal/integrations (vendors), /sales-order (reps, partners), and the admin
# views under /medgrid-admin/ — their folder is medgrid_admin/ so the page modules import as Python modules
website_route_rules = [
    {"from_route": "/medgrid-admin/dispatches", "to_route": "medgrid_admin/dispatches"},
    {"from_route": "/medgrid-admin/dispatches/<name>", "to_route": "medgrid_admin/dispatch"},
    {"from_route": "/medgrid-admin/webhook-events", "to_route": "medgrid_admin/webhook_events"},
    {"from_route": "/medgrid-admin/webhook-events/<name>", "to_route": "medgrid_admin/webhook_event"},
    # the back office (medgrid/pages/backoffice.py): approval queue, mapping, onboarding requests, order flow
    {"from_route": "/medgrid-admin/products", "to_route": "medgrid_admin/products"},
    {"from_route": "/medgrid-admin/mapping", "to_route": "medgrid_admin/mapping"},
    {"from_route": "/medgrid-admin/vendor-requests", "to_route": "medgrid_admin/vendor_requests"},
    {"from_route": "/medgrid-admin/dashboard", "to_route": "medgrid_admin/dashboard"},
]
standard_portal_menu_items = [
    {"title": "Integrations", "route": "/portal/integrations", "role": "External Vendor"},
    {"title": "New Sales Order", "route": "/sales-order", "role": "Customer / Partner Platform"},
]

# Desk: the catalog browser inside the Sales Order form (guide: "Internal Sales Rep API")
doctype_js = {"Sales Order": "public/js/sales_order.js"}

# API Access: note when a user's API key was last used (at most once a minute per key), after Frappe has
# checked the Authorization header
auth_hooks = ["medgrid.portal.api_access.record_api_key_use"]

# The portal menu (/me and the portal sidebar): entries without a role are for every signed-in user
portal_menu_items = [
    {"title": "API Access", "route": "/portal/api-access"},
    {"title": "Support", "route": "/portal/support"},
    {"title": "Vendor Dashboard", "route": "/portal/vendor-dashboard", "role": "External Vendor"},
    {"title": "Payouts", "route": "/portal/payouts", "role": "External Vendor"},
    {"title": "My Products", "route": "/portal/products", "role": "External Vendor"},
]

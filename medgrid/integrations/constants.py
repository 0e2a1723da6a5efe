"""Names the integrations code shares: doctypes, roles, statuses, scopes, paths and portal messages."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------- doctypes
VENDOR_PROFILE = "Vendor Profile"
SYSTEM_SETTINGS = "MedGrid System Settings"
SHIPSTATION_CONNECTION = "ShipStation Connection"
SHOPIFY_CONNECTION = "Shopify Connection"
OAUTH_STATE = "Shopify OAuth State"
EXOCEUTICALS_SETTINGS = "Exoceuticals Settings"

# ------------------------------------------------------------------------------------------- roles
VENDOR_ROLE = "External Vendor"
ADMIN_ROLES = ("MedGrid Marketplace Admin", "System Manager")

# ------------------------------------------------------------------------------- integration keys
SHIPSTATION = "shipstation"
SHOPIFY = "shopify"
EXOCEUTICALS = "exoceuticals"

# Connection statuses (the doctypes' Select options)
CONNECTED = "Connected"
DISCONNECTED = "Disconnected"
PENDING = "Pending"
ERROR = "Error"

# What the portal shows for a card (lower case, as in the guide's connect answer)
CARD_CONNECTED = "connected"
CARD_NOT_CONNECTED = "not_connected"
CARD_DISCONNECTED = "disconnected"
CARD_ERROR = "error"
CARD_PENDING = "pending"

# ----------------------------------------------------------------------------------------- Shopify
# The guide's scopes (A6a step 2) plus read_inventory: the inventory sync reads
# InventoryItem.inventoryLevels, which Shopify serves only with read_inventory (vendor-facts §2c).
SHOPIFY_SCOPES = ("read_products", "write_products", "read_orders", "write_orders", "read_inventory")
# An anchored pattern (vendor-facts §2a): "x.myshopify.com.evil.example" must not pass
SHOP_DOMAIN_PATTERN = r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$"
AUTHORIZE_PATH = "/admin/oauth/authorize"
STATE_TTL_MINUTES = 10
# Shopify signs the callback with a unix timestamp; older than this is a replayed link
CALLBACK_MAX_AGE_SECONDS = 3600

PURPOSE_VENDOR = "vendor"
PURPOSE_EXOCEUTICALS = "exoceuticals"

# Where the browser lands after an install (guide: connections are made at /portal/integrations)
PORTAL_PATH = "/portal/integrations"

"""Connections vendors make themselves (ShipStation, Shopify) and the Shopify → MedGrid syncs.

The guide's paths are mapped to these modules with ``override_whitelisted_methods`` in
``medgrid/hooks.py`` (this package imports nothing, so a connector may import a helper from here
without a cycle):

==============================================  ===================================================
``medgrid.integrations.connect_shipstation``    :func:`.shipstation.connect_shipstation`
``medgrid.integrations.shipstation_status``     :func:`.shipstation.shipstation_status`
``medgrid.integrations.disconnect_shipstation`` :func:`.shipstation.disconnect_shipstation`
``medgrid.integrations.shopify_start_install``  :func:`.vendor_shopify.shopify_start_install`
``medgrid.integrations.shopify_callback``       :func:`.vendor_shopify.shopify_callback` (public)
``medgrid.integrations.shopify_status``         :func:`.vendor_shopify.shopify_status`
``medgrid.integrations.disconnect_shopify``     :func:`.vendor_shopify.disconnect_shopify`
``medgrid.integrations.sync_shopify_store``     :func:`.sync_jobs.sync_shopify_store`
``medgrid.integrations.list_integrations``      :func:`.status.list_integrations`
``medgrid.exoceuticals.start_install``          :func:`.exoceuticals.start_install` (admin)
``medgrid.exoceuticals.oauth_callback``         :func:`.exoceuticals.oauth_callback` (public)
``medgrid.exoceuticals.sync_catalog``           :func:`.exoceuticals.sync_catalog` (admin, CLI)
``medgrid.exoceuticals.sync_inventory``         :func:`.exoceuticals.sync_inventory` (admin, CLI)
==============================================  ===================================================

``medgrid.integrations.vendor_shopify.import_orders`` (not in the guide) is served at its own path.

Modules: ``access`` (who acts for which vendor), ``status`` (portal cards), ``shopify_oauth`` (domain
check, state, callback HMAC), ``oauth_flow`` (the install's two halves; tokens are exchanged and refreshed
by ``medgrid.connectors.shopify_tokens``), ``store_sync`` / ``catalog_sync`` / ``inventory_sync`` (the
syncs), ``order_import`` (a vendor store's orders → Sales Orders), ``order_status`` (MedGrid's status
tagged on the store's order) and ``sync_jobs`` (their daily schedule).
"""

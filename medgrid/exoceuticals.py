"""``medgrid.exoceuticals.*``: the guide's Exoceuticals paths as real dotted paths.

Over HTTP these paths are mapped by ``override_whitelisted_methods`` (``medgrid/hooks.py``); the CLI's
``execute`` (like ``bench execute``) imports the dotted path directly, so the admin syncs are also
reachable as ``medgrid-runtime --site S execute medgrid.exoceuticals.sync_catalog``. The code lives
in :mod:`medgrid.integrations.exoceuticals`; the inbound webhook stays with ``medgrid.webhooks``.
"""

from medgrid.integrations.exoceuticals import oauth_callback, start_install, sync_catalog, sync_inventory

__all__ = ["oauth_callback", "start_install", "sync_catalog", "sync_inventory"]

"""Admin dashboards (``order_flow.py``: orders, dispatches, vendor times, webhooks and backlog)."""

"""MedGrid: order routing, vendor connectors, signed webhooks and tracking for a medical-supply marketplace."""

__version__ = "0.1.0"

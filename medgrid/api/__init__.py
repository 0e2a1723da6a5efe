"""MedGrid's public API description (``openapi.json``) and the endpoint that serves it."""

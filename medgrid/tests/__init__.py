"""Helpers of the app's own tests (``medgrid/**/test_*.py``, run by ``bench run-tests --app medgrid``
or ``medgrid-runtime run-tests --app medgrid``): fake vendor connectors and an in-test job queue."""

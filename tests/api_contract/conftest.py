"""tests/api_contract: the running site against its OpenAPI document (see test_openapi_schemathesis.py)."""


def pytest_configure(config):
    # the same marker as tests/e2e (these tests start the same deployment): -m "not e2e" leaves them out
    config.addinivalue_line("markers", "e2e: end-to-end over real HTTP with MedGrid, workers, Redis and the "
                                       "vendor sandboxes as processes")

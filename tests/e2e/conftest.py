"""End-to-end fixtures: MedGrid, an RQ worker pair, Redis and the vendor sandboxes as real processes.

Every test here talks HTTP only (to MedGrid as the partner or the admin, to the sandboxes' vendor APIs
and ``/__sandbox`` control surface) and runs operator commands through ``medgrid-runtime``. The site
lives on the engine named by ``MEDGRID_TEST_DB`` (SQLite by default) in a temporary sites folder;
everything is started by the fixtures on free loopback ports and stopped afterwards.

Every test module carries the ``e2e`` marker (``pytestmark``): ``pytest tests`` (the test command)
runs them; ``-m "not e2e"`` leaves them out. A machine without gunicorn, graphql-core or Redis skips
them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket

import pytest

from tests.e2e.stack import GUNICORN, RUNTIME, Stack

# Dispatch retries and leases short enough to watch in a test (MedGrid System Settings)
FAST_SETTINGS = {"dispatch_retry_base_seconds": 1, "dispatch_retry_max_seconds": 2, "dispatch_lease_seconds": 300,
                 "dispatch_max_attempts": 8}


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end over real HTTP with MedGrid, workers, Redis and the "
                                       "vendor sandboxes as processes (tests/e2e)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed


def _missing_requirement() -> str | None:
    for path in (GUNICORN, RUNTIME):
        if not os.path.exists(path):
            return f"{path} is not installed"
    if importlib.util.find_spec("graphql") is None:
        return "graphql-core (the Shopify sandbox) is not installed"
    if not shutil.which("redis-server") and not os.environ.get("MEDGRID_E2E_REDIS"):
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            return "neither redis-server nor a Redis on 127.0.0.1:6379"
    return None


def start_stack(tmp_path_factory, name: str, **kwargs) -> Stack:
    missing = _missing_requirement()
    if missing:
        pytest.skip(f"end-to-end tests need {missing}")
    base = tmp_path_factory.mktemp(name)
    return Stack(str(base), **kwargs).start()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The shared deployment: 2 gunicorn workers, 2 RQ workers, sandboxes stepping every 0.3 s."""
    deployment = start_stack(tmp_path_factory, "e2e-stack", step_delay=0.3, rq_workers=2, settings=FAST_SETTINGS,
                             http_timeout=10)
    yield deployment
    deployment.stop()


@pytest.fixture()
def e2e(stack, request):
    """The shared stack, left as the test found it: faults cleared, timelines and settings restored,
    workers running."""
    yield stack
    if getattr(request.node, "e2e_failed", False):
        print("\n" + stack.logs_tail(40))
    for sandbox in stack.sandboxes.values():
        try:
            sandbox.clear_faults()
            sandbox.config(step_delay=stack.step_delay)
            # play the rest of every order's vendor story now, so no late webhook lands in the next test
            sandbox.advance(all=True)
        except Exception:
            pass
    stack.set_single("MedGrid System Settings", FAST_SETTINGS)
    while len(stack.workers) < stack.rq_worker_count:
        stack.start_worker()

"""Fixtures for the sandbox tests: each sandbox runs in-process on an ephemeral loopback port, with
its timeline in manual mode, and sends its webhooks to a tiny receiver that records them.

No Frappe site is involved.
"""

from __future__ import annotations

import pytest
import requests

from tests.sandbox.helpers import WebhookReceiver


@pytest.fixture()
def receiver():
    rec = WebhookReceiver()
    yield rec
    rec.close()


@pytest.fixture()
def http():
    """A requests session that ignores proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


@pytest.fixture()
def start_sandbox(receiver):
    """Start a sandbox class with config overrides; manual timeline, webhooks to the receiver."""
    started = []

    def start(cls, **config):
        config.setdefault("medgrid_url", receiver.url)
        config.setdefault("step_delay", None)
        sandbox = cls(config, port=0).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()

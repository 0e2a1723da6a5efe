"""The fake connectors live in the app (``medgrid/tests/fake_connectors.py``) so the app's own tests
use them on a real bench too; this test app installs them through its ``medgrid_connectors`` hook."""

from medgrid.tests.fake_connectors import (  # noqa: F401
    BEHAVIOUR,
    CANCELLED,
    SENT,
    FakeCentreResearch,
    FakeExoceuticals,
    FakePerfectRx,
    FakeShipStation,
    FakeShopify,
    FakeSinq,
    reset,
)

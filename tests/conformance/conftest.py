"""Fixtures of the HTTP conformance suite (replays /work/shared/frappe/recordings)."""

from __future__ import annotations

import os
import sys
import traceback

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (HERE, os.path.join(HERE, "probe_app"), os.path.join(REPO, "runtime")):
    if path not in sys.path:
        sys.path.insert(0, path)

from conformance_harness.scenarios import RECORDINGS_DIR  # noqa: E402

if not os.path.isdir(RECORDINGS_DIR):
    # nothing to replay on a machine without the recordings (MEDGRID_RECORDINGS_DIR)
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def conformance_site(tmp_path_factory):
    from conformance_harness.site import ConformanceSite

    old_sites_path = os.environ.get("MEDGRID_SITES_PATH")
    site = ConformanceSite(str(tmp_path_factory.mktemp("conformance")))
    try:
        site.build()
    except Exception:
        pytest.fail("building the conformance site failed:\n" + traceback.format_exc(), pytrace=False)
    yield site
    if old_sites_path is None:
        os.environ.pop("MEDGRID_SITES_PATH", None)
    else:
        os.environ["MEDGRID_SITES_PATH"] = old_sites_path


@pytest.fixture(scope="session")
def replay(conformance_site):
    from conformance_harness.testing import ReplayRegistry
    from known_differences import Known

    return ReplayRegistry(conformance_site, Known())


@pytest.fixture(scope="session")
def medgrid_conformance_site(tmp_path_factory):
    """The MedGrid fixture site of security-desk.json (conformance_harness/medgrid_site.py), on the
    engine named by MEDGRID_TEST_DB."""
    from conformance_harness.medgrid_site import MedGridSite

    old_sites_path = os.environ.get("MEDGRID_SITES_PATH")
    site = MedGridSite(str(tmp_path_factory.mktemp("conformance_medgrid")))
    try:
        site.build()
    except Exception:
        pytest.fail("building the MedGrid conformance site failed:\n" + traceback.format_exc(), pytrace=False)
    yield site
    site.teardown()
    if old_sites_path is None:
        os.environ.pop("MEDGRID_SITES_PATH", None)
    else:
        os.environ["MEDGRID_SITES_PATH"] = old_sites_path


@pytest.fixture(scope="session")
def security_desk_replay(medgrid_conformance_site):
    from conformance_harness.security_desk import security_desk_timeline
    from conformance_harness.testing import ReplayRegistry
    from known_differences import Known

    timeline = security_desk_timeline()
    return ReplayRegistry(medgrid_conformance_site, Known(), {timeline.name: timeline})

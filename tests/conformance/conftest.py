"""Fixtures of the HTTP conformance suite (replays ../shared/frappe/recordings, next to the repository)."""

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


def missing_recordings_error(recordings_dir: str) -> str | None:
    """Why the recordings cannot be replayed from ``recordings_dir``, or None when they can."""
    if not os.path.isdir(recordings_dir):
        return (f"the Frappe recordings folder {recordings_dir} does not exist: check out the shared folder next "
                f"to the repository (../shared/frappe/recordings) or set MEDGRID_RECORDINGS_DIR")
    if not any(name.endswith(".json") for name in os.listdir(recordings_dir)):
        return f"the Frappe recordings folder {recordings_dir} holds no recordings (*.json)"
    return None


# a missing folder fails the run (collection error): skipping would report a green conformance suite
# that compared nothing
_problem = missing_recordings_error(RECORDINGS_DIR)
if _problem:
    raise RuntimeError(_problem)


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

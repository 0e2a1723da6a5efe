"""The fixture site must hold what the recordings describe; notes list what the runtime could not take."""


def test_fixture_site_built(conformance_site):
    assert not conformance_site.fixture_notes, "\n".join(conformance_site.fixture_notes)

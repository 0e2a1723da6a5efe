"""Exchanges that currently fail because of the runtime (not the harness).

Each entry: (recordings file, exchange key) -> (what differs, responsible runtime file). The tests
of these exchanges are marked ``xfail(strict=True)``: when the runtime is fixed the test XPASSes,
fails the run, and the entry must be removed from here. Regenerate with tools/triage.py --write.
"""

EXPECTED_FAILURES: dict = {
}

"""Where the suite finds the recordings, and that a missing folder fails the run instead of skipping it."""

from __future__ import annotations

import os
import subprocess
import sys

from conformance_harness import scenarios

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def test_default_is_the_shared_folder_next_to_the_repository():
    expected = os.path.normpath(os.path.join(REPO, "..", "shared", "frappe", "recordings"))
    assert scenarios.DEFAULT_RECORDINGS_DIR == expected
    if not os.environ.get("MEDGRID_RECORDINGS_DIR"):
        assert scenarios.RECORDINGS_DIR == expected


def _collect_with_recordings_dir(recordings_dir: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDGRID_RECORDINGS_DIR=recordings_dir)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
         os.path.join(HERE, "test_harness_selfcheck.py")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_missing_recordings_fail_the_run(tmp_path):
    missing = str(tmp_path / "no-such-folder")
    result = _collect_with_recordings_dir(missing)
    assert result.returncode not in (0, 5), result.stdout + result.stderr
    assert f"the Frappe recordings folder {missing} does not exist" in result.stdout + result.stderr


def test_empty_recordings_folder_fails_the_run(tmp_path):
    result = _collect_with_recordings_dir(str(tmp_path))
    assert result.returncode not in (0, 5), result.stdout + result.stderr
    assert "holds no recordings" in result.stdout + result.stderr


def test_environment_variable_overrides_the_default(tmp_path):
    # a folder with one recording is accepted: collection succeeds from there
    (tmp_path / "auth.json").write_text("{}", encoding="utf-8")
    result = _collect_with_recordings_dir(str(tmp_path))
    assert "does not exist" not in result.stdout + result.stderr
    assert "holds no recordings" not in result.stdout + result.stderr

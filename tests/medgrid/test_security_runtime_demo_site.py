"""Issue 12 item 6: the site the README's run command creates (scripts/run.sh → scripts/demo_site.py)
sends no tracebacks: System Settings ``allow_error_traceback`` is off, also after a re-run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _setting(sites_path: str) -> str | None:
    site_path = os.path.join(sites_path, "medgrid.localhost")
    with open(os.path.join(site_path, "site_config.json")) as f:
        db_name = json.load(f)["db_name"]
    with sqlite3.connect(os.path.join(site_path, f"{db_name}.sqlite3")) as db:
        row = db.execute("select `value` from `tabSingles` where `doctype`='System Settings' "
                         "and `field`='allow_error_traceback'").fetchone()
    return row[0] if row else None


def _run_demo_site(sites_path: str) -> None:
    env = dict(os.environ, MEDGRID_SITES_PATH=sites_path)
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo_site.py"), "--sites-path", sites_path],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_demo_site_turns_error_tracebacks_off(tmp_path):
    sites_path = str(tmp_path / "sites")
    _run_demo_site(sites_path)
    assert str(_setting(sites_path)) in ("0", "0.0")
    _run_demo_site(sites_path)
    assert str(_setting(sites_path)) in ("0", "0.0")

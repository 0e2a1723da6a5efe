"""``scripts/run.sh`` (issue 15): a start with a sandbox port held by another program fails with a clear message
(and never says "MedGrid is running"); a start on free ports reaches readiness of every part, and the demo's
Sandbox settings name the ports the sandboxes really listen on.

Both run the script as a user does, in a temporary sites folder, on free loopback ports.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

pytestmark = pytest.mark.e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "scripts", "run.sh")
READY_LINE = "MedGrid is running on"
START_BOUND_SECONDS = 600  # a first start creates the site (ERPNext's install): a bound, not a measure


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDGRID_", "SANDBOX_"))}
    env.update({"MEDGRID_SITES_PATH": str(tmp_path / "sites"), "MEDGRID_PORT": str(_free_port()),
                "PYTHONUNBUFFERED": "1", **extra})
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_sandbox_port_held_by_another_program_fails_the_start_with_a_clear_message(tmp_path):
    # given: another program listens on the port the ShipStation sandbox is told to use
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        # when: the run command starts
        done = subprocess.run(["bash", RUN], cwd=ROOT, env=_env(tmp_path, MEDGRID_SANDBOX_PORTS=f"shipstation={port}"),
                              capture_output=True, text=True, timeout=START_BOUND_SECONDS)
    finally:
        holder.close()
    # then: it fails, names the port, the sandbox and the ways out, and never claims to be running
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MedGrid did NOT start" in done.stderr
    assert f"port {port} for the shipstation sandbox is already in use" in done.stderr
    assert "MEDGRID_SANDBOX_PORTS=auto" in done.stderr
    assert READY_LINE not in done.stdout
    # nothing was started or created
    assert not (tmp_path / "sites" / "medgrid.localhost").exists()


def test_a_malformed_port_setting_is_refused_before_anything_starts(tmp_path):
    done = subprocess.run(["bash", RUN], cwd=ROOT, env=_env(tmp_path, MEDGRID_SANDBOX_PORTS="nosuchvendor=9999"),
                          capture_output=True, text=True, timeout=START_BOUND_SECONDS)
    assert done.returncode == 1
    assert "'nosuchvendor=9999' is not a port or NAME=PORT" in done.stderr
    assert READY_LINE not in done.stdout


def test_a_start_on_free_ports_reaches_readiness_and_the_demo_talks_to_those_sandboxes(tmp_path):
    env = _env(tmp_path, MEDGRID_SANDBOX_PORTS="auto")
    web = f"http://127.0.0.1:{env['MEDGRID_PORT']}"
    output = tmp_path / "run.out"
    with open(output, "w") as out:
        process = subprocess.Popen(["bash", RUN], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + START_BOUND_SECONDS
        text = ""
        while time.monotonic() < deadline and process.poll() is None:
            text = output.read_text()
            if "Ctrl-C stops everything" in text:
                break
            time.sleep(1)
        assert READY_LINE in text, text[-3000:]
        assert process.poll() is None, text[-3000:]

        # every part the script reported ready answers
        ready = re.search(r"Ready: web, scheduler, (.+), sandboxes \(([^)]*)\)", text)
        assert ready, text[-2000:]
        ports = dict(pair.split("=") for pair in ready.group(2).split(","))
        assert set(ports) == {"perfectrx", "shipstation", "sinq", "centre_research", "shopify"}
        assert requests.get(f"{web}/api/method/ping", timeout=10).json() == {"message": "pong"}
        for name, port in ports.items():
            state = requests.get(f"http://127.0.0.1:{port}/__sandbox/state?log=0", timeout=10).json()
            assert state["vendor"] == name

        # the demo site is in the Sandbox environment and names exactly those sandboxes
        admin_key = re.search(r"admin@medgrid\.example\s+Authorization: token (\S+)", text).group(1)
        settings = requests.get(f"{web}/api/resource/MedGrid System Settings/MedGrid System Settings",
                                headers={"Authorization": f"token {admin_key}"}, timeout=10).json()["data"]
        assert settings["environment"] == "Sandbox"
        hosts = json.loads(settings["sandbox_hosts"])
        assert hosts["shipstation"] == f"http://127.0.0.1:{ports['shipstation']}"
        assert hosts["perfectrx"] == f"http://127.0.0.1:{ports['perfectrx']}"
        assert hosts["shopify"] == hosts["exoceuticals"] == f"http://127.0.0.1:{ports['shopify']}"

        # and the demo vendor's ShipStation connect reaches the sandbox with the sandbox's keys
        vendor_key = re.search(r"vendor@vendor\.example\s+Authorization: token (\S+)", text).group(1)
        connected = requests.post(f"{web}/api/method/medgrid.integrations.connect_shipstation",
                                  headers={"Authorization": f"token {vendor_key}"},
                                  json={"api_key": "sandbox-shipstation-key", "api_secret": "sandbox-shipstation-secret",
                                        "vendor_profile": "Demo Vendor"}, timeout=30)
        assert connected.status_code == 200, connected.text
        seen = requests.get(f"http://127.0.0.1:{ports['shipstation']}/__sandbox/state?log=20", timeout=10).json()
        assert any("/accounts/listtags" in str(entry) for entry in seen["log"])
    finally:
        _stop(process)

"""The ports of ``scripts/run.sh``: decide the sandboxes' ports and check them before anything starts, then check
that the sandboxes which came up are the ones the demo's settings name.

``run_ports.py SPEC WEB_PORT`` prints ``name=port,…`` (every sandbox of the vendor registry) or exits 1 with a
message naming the port that is taken. SPEC is ``MEDGRID_SANDBOX_PORTS``: empty (each sandbox's own port),
``auto`` (free ports), ports in the registry's order, or ``NAME=PORT`` pairs (the others keep their own port).

``run_ports.py --check-ready READY_FILE name=port,…`` exits 1 unless every sandbox listed in the ready file
(``python -m sandbox --ready-file``) listens on its expected port and answers ``GET /__sandbox/state`` as itself.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

HOST = "127.0.0.1"
ENV = "MEDGRID_SANDBOX_PORTS"


def _sandboxes() -> dict:
    """sandbox name → its class, in the vendor registry's order."""
    from sandbox import sandbox_class, sandbox_paths

    return {name: sandbox_class(name) for name in sandbox_paths()}


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def choose(spec: str, sandboxes: dict) -> dict:
    """name → port from SPEC (see the module docstring); raises ValueError on a malformed SPEC."""
    names = list(sandboxes)
    ports = {name: cls.default_port for name, cls in sandboxes.items()}
    spec = (spec or "").strip()
    if spec == "auto":
        return {name: free_port() for name in names}
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    for index, part in enumerate(parts):
        name, _, port = part.rpartition("=")
        name = name or (names[index] if index < len(names) else "")
        if name not in names or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{ENV}: {part!r} is not a port or NAME=PORT with NAME one of {', '.join(names)}")
        ports[name] = int(port)
    if len(set(ports.values())) != len(ports):
        raise ValueError(f"{ENV}: two sandboxes were given the same port ({ports})")
    return ports


def decide(spec: str, web_port: int) -> str:
    sandboxes = _sandboxes()
    ports = choose(spec, sandboxes)
    if web_port in ports.values():
        raise ValueError(f"MEDGRID_PORT {web_port} is also a sandbox port: choose another one")
    if not port_is_free(web_port):
        raise ValueError(f"port {web_port} (MEDGRID_PORT, the web server) is already in use by another program: "
                         "stop it or run with another MEDGRID_PORT")
    for name, port in ports.items():
        if not port_is_free(port):
            raise ValueError(
                f"port {port} for the {name} sandbox is already in use by another program, and MedGrid would "
                f"talk to it instead of the sandbox. Stop that program, or run with {ENV}=auto (free ports), "
                f"or name the port, e.g. {ENV}={name}={port + 100}")
    return ",".join(f"{name}={port}" for name, port in ports.items())


def check_ready(ready_file: str, expected: str) -> None:
    with open(ready_file, encoding="utf-8") as fh:
        listening = json.load(fh)
    for pair in expected.split(","):
        name, _, port = pair.partition("=")
        url = listening.get(name)
        if not url or not url.endswith(f":{port}"):
            raise ValueError(f"the {name} sandbox listens on {url or 'nothing'}, not on port {port}")
        with urllib.request.urlopen(f"{url}/__sandbox/state?log=0", timeout=5) as response:
            state = json.load(response)
        if state.get("vendor") != name:
            raise ValueError(f"port {port} answers as {state.get('vendor')!r}, not as the {name} sandbox")


def main(argv: list[str]) -> int:
    try:
        if argv and argv[0] == "--check-ready":
            check_ready(argv[1], argv[2])
            return 0
        print(decide(argv[0] if argv else "", int(argv[1]) if len(argv) > 1 else 8000))
        return 0
    except (ValueError, OSError) as problem:
        print(f"MedGrid did NOT start: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

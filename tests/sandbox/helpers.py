"""Helpers shared by the sandbox tests: a webhook receiver and control-endpoint shortcuts."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    """A loopback HTTP server that records every POST (path, headers, raw body) and answers ``status``."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "raw": body})
                    receiver._cond.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Block until at least ``count`` requests arrived; returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count and time.monotonic() < deadline:
                self._cond.wait(0.05)
            return list(self.received)

    def bodies(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def advance(http, sandbox, **payload) -> dict:
    """POST /__sandbox/advance (all steps by default)."""
    payload = payload or {"all": True}
    resp = http.post(f"{sandbox.base_url}/__sandbox/advance", json=payload, timeout=10)
    resp.raise_for_status()
    return resp.json()


def state(http, sandbox, log="50") -> dict:
    resp = http.get(f"{sandbox.base_url}/__sandbox/state", params={"log": log}, timeout=10)
    resp.raise_for_status()
    return resp.json()

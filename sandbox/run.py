"""Launcher: ``python -m sandbox`` starts every vendor sandbox and stops them cleanly on SIGTERM.

Configuration, later sources winning:

1. each sandbox's defaults (ports 9101–9105, sandbox credentials);
2. a JSON file (``--config FILE`` or ``SANDBOX_CONFIG``) shaped like
   ``{"medgrid_url": …, "step_delay": …, "perfectrx": {"port": 9101, "client_secret": …}, …}`` —
   top-level keys other than vendor names apply to every sandbox;
3. environment: ``SANDBOX_MEDGRID_URL``, ``SANDBOX_STEP_DELAY``, ``SANDBOX_HOST`` and, per vendor,
   ``SANDBOX_<VENDOR>_<KEY>`` (e.g. ``SANDBOX_PERFECTRX_CLIENT_SECRET``, ``SANDBOX_SHIPSTATION_PORT``;
   a value that parses as JSON is taken as JSON);
4. command-line flags.

It prints where each sandbox listens and the MedGrid settings that point at it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from sandbox import sandbox_class, sandbox_paths
from sandbox.framework import deep_merge

GLOBAL_KEYS = ("medgrid_url", "medgrid_host_header", "step_delay", "webhook_timeout", "verbose",
               "timeout_fault_delay")


def _env_value(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def build_config(file_config: dict | None = None, environ: dict | None = None, overrides: dict | None = None,
                 vendors=None) -> dict:
    """Merge file, environment and flag settings into ``{"host", vendor: {...}}``."""
    environ = os.environ if environ is None else environ
    vendors = tuple(sandbox_paths()) if vendors is None else vendors
    config = deep_merge({"host": "127.0.0.1"}, file_config or {})
    for key in GLOBAL_KEYS + ("host",):
        env_key = f"SANDBOX_{key.upper()}"
        if env_key in environ:
            config[key] = _env_value(environ[env_key])
    for vendor in vendors:
        prefix = f"SANDBOX_{vendor.upper()}_"
        section = dict(config.get(vendor) or {})
        for env_key, raw in environ.items():
            if env_key.startswith(prefix):
                section[env_key[len(prefix):].lower()] = _env_value(raw)
        config[vendor] = section
    config = deep_merge(config, overrides or {})
    return config


def start_all(config: dict, vendors=None, apps=None) -> dict:
    """Start the named sandboxes (default: every one the registry names); returns ``{vendor: sandbox}``."""
    vendors = tuple(sandbox_paths(apps)) if vendors is None else vendors
    shared = {k: config[k] for k in GLOBAL_KEYS if k in config}
    started = {}
    try:
        for vendor in vendors:
            section = dict(config.get(vendor) or {})
            port = section.pop("port", None)
            cls = sandbox_class(vendor, apps)
            sandbox = cls(deep_merge(shared, section), host=config.get("host", "127.0.0.1"),
                          port=cls.default_port if port is None else int(port))
            started[vendor] = sandbox.start()
    except Exception:
        for sandbox in started.values():
            sandbox.stop()
        raise
    return started


def medgrid_settings(sandboxes: dict) -> dict:
    """The MedGrid settings (doctype → field → value) that point MedGrid at these sandboxes."""
    out = {}
    for sandbox in sandboxes.values():
        out.update(sandbox.medgrid_settings())
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse flags, start the sandboxes, print where they listen, wait for SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.environ.get("SANDBOX_CONFIG"), help="JSON config file")
    parser.add_argument("--medgrid-url", help="MedGrid's base URL, e.g. http://127.0.0.1:8000 (webhooks go there)")
    parser.add_argument("--host", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--step-delay", type=float, help="seconds between timeline steps (default 2)")
    parser.add_argument("--manual", action="store_true", help="timelines move only on POST /__sandbox/advance")
    parser.add_argument("--app", action="append", default=[], help="also start the sandboxes of this app's vendors")
    parser.add_argument("--only", action="append", help="start only these vendors (repeatable)")
    parser.add_argument("--port", action="append", default=[], metavar="VENDOR=PORT", help="override a port")
    parser.add_argument("--ready-file", help="write {vendor: base_url} JSON here once listening")
    parser.add_argument("--verbose", action="store_true", help="print an access log line per request")
    args = parser.parse_args(argv)
    vendors = tuple(sandbox_paths(args.app))
    for vendor in args.only or ():
        if vendor not in vendors:
            parser.error(f"--only expects one of {vendors}")

    file_config = {}
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            file_config = json.load(fh)
    overrides: dict = {}
    if args.medgrid_url:
        overrides["medgrid_url"] = args.medgrid_url
    if args.host:
        overrides["host"] = args.host
    if args.step_delay is not None:
        overrides["step_delay"] = args.step_delay
    if args.verbose:
        overrides["verbose"] = True
    for item in args.port:
        vendor, _, port = item.partition("=")
        if vendor not in vendors or not port.isdigit():
            parser.error(f"--port expects VENDOR=PORT with VENDOR in {vendors}")
        overrides.setdefault(vendor, {})["port"] = int(port)
    config = build_config(file_config, overrides=overrides, vendors=vendors)
    if args.manual:
        config["step_delay"] = None

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sandboxes = start_all(config, args.only or vendors, args.app)
    for vendor, sandbox in sandboxes.items():
        print(f"{vendor:<16} listening on {sandbox.base_url}  webhooks → {sandbox.webhook_url or '(none configured)'}",
              flush=True)
    print("MedGrid settings for these sandboxes:", flush=True)
    print(json.dumps(medgrid_settings(sandboxes), indent=2), flush=True)
    if args.ready_file:
        with open(args.ready_file, "w", encoding="utf-8") as fh:
            json.dump({v: s.base_url for v, s in sandboxes.items()}, fh)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sandbox in sandboxes.values():
            sandbox.stop()
        print("sandboxes stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

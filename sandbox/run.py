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

from sandbox import VENDORS, sandbox_class
from sandbox.framework import deep_merge

GLOBAL_KEYS = ("medgrid_url", "medgrid_host_header", "step_delay", "webhook_timeout", "verbose",
               "timeout_fault_delay")


def _env_value(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def build_config(file_config: dict | None = None, environ: dict | None = None, overrides: dict | None = None) -> dict:
    """Merge file, environment and flag settings into ``{"host", vendor: {...}}``."""
    environ = os.environ if environ is None else environ
    config = deep_merge({"host": "127.0.0.1"}, file_config or {})
    for key in GLOBAL_KEYS + ("host",):
        env_key = f"SANDBOX_{key.upper()}"
        if env_key in environ:
            config[key] = _env_value(environ[env_key])
    for vendor in VENDORS:
        prefix = f"SANDBOX_{vendor.upper()}_"
        section = dict(config.get(vendor) or {})
        for env_key, raw in environ.items():
            if env_key.startswith(prefix):
                section[env_key[len(prefix):].lower()] = _env_value(raw)
        config[vendor] = section
    config = deep_merge(config, overrides or {})
    return config


def start_all(config: dict, vendors=VENDORS) -> dict:
    """Start the named sandboxes; returns ``{vendor: sandbox}`` (stop each with ``.stop()``)."""
    shared = {k: config[k] for k in GLOBAL_KEYS if k in config}
    started = {}
    try:
        for vendor in vendors:
            section = dict(config.get(vendor) or {})
            port = section.pop("port", None)
            cls = sandbox_class(vendor)
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
    if "perfectrx" in sandboxes:
        c = sandboxes["perfectrx"].config
        out["PerfectRx Settings"] = {"base_url": sandboxes["perfectrx"].base_url, "client_id": c["client_id"],
                                     "client_secret": c["client_secret"],
                                     "default_practice_id": (c.get("practice_ids") or ["PRACTICE-001"])[0],
                                     "partner_account": c.get("partner_account")}
    if "shipstation" in sandboxes:
        s = sandboxes["shipstation"]
        acct = s.config["accounts"][0]
        out["ShipStation Connection"] = {"base_url": s.base_url, "api_key": acct["api_key"],
                                         "api_secret": acct["api_secret"],
                                         "webhook_token": acct.get("webhook_token") or s.config.get("webhook_token"),
                                         "warehouse_id": "2001705", "store_id": "310001"}
    if "sinq" in sandboxes:
        c = sandboxes["sinq"].config
        out["SINQ Settings"] = {"sinq_api_url": sandboxes["sinq"].base_url, "sinq_api_key": c["api_key"],
                                "sinq_webhook_key": c["webhook_key"], "sinq_webhook_secret": c.get("webhook_secret")}
    if "centre_research" in sandboxes:
        c = sandboxes["centre_research"].config
        out["Centre Research Settings"] = {"centre_research_api_url": sandboxes["centre_research"].base_url,
                                           "centre_research_api_key": next(iter(c["api_keys"]))}
    if "shopify" in sandboxes:
        s = sandboxes["shopify"]
        shop_domain = s.config["default_shop"]
        shop = s.config["shops"].get(shop_domain, {})
        token, app = next(iter((shop.get("access_tokens") or {}).items()), (None, None))
        out["Exoceuticals Settings"] = {"shop_domain": shop_domain, "api_version": "2026-04",
                                        "api_base_url": s.base_url, "client_id": app,
                                        "client_secret": (s.config["apps"].get(app) or {}).get("secret"),
                                        "access_token": token, "webhook_secret": shop.get("webhook_secret")}
        medgrid_app, medgrid_conf = next(iter(s.config["apps"].items()))
        out["MedGrid System Settings"] = {"medgrid_shopify_api_key": medgrid_app,
                                          "medgrid_shopify_api_secret": medgrid_conf["secret"]}
        out["Shopify Connection"] = {"api_base_url": f"{s.base_url}/shops/<shop>.myshopify.com (or {s.base_url})"}
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse flags, start the sandboxes, print where they listen, wait for SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.environ.get("SANDBOX_CONFIG"), help="JSON config file")
    parser.add_argument("--medgrid-url", help="MedGrid's base URL, e.g. http://127.0.0.1:8000 (webhooks go there)")
    parser.add_argument("--host", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--step-delay", type=float, help="seconds between timeline steps (default 2)")
    parser.add_argument("--manual", action="store_true", help="timelines move only on POST /__sandbox/advance")
    parser.add_argument("--only", action="append", choices=VENDORS, help="start only these vendors (repeatable)")
    parser.add_argument("--port", action="append", default=[], metavar="VENDOR=PORT", help="override a port")
    parser.add_argument("--ready-file", help="write {vendor: base_url} JSON here once listening")
    parser.add_argument("--verbose", action="store_true", help="print an access log line per request")
    args = parser.parse_args(argv)

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
        if vendor not in VENDORS or not port.isdigit():
            parser.error(f"--port expects VENDOR=PORT with VENDOR in {VENDORS}")
        overrides.setdefault(vendor, {})["port"] = int(port)
    config = build_config(file_config, overrides=overrides)
    if args.manual:
        config["step_delay"] = None

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sandboxes = start_all(config, args.only or VENDORS)
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

"""Create (or reuse) the demo site: SQLite, then the app's demo command ``medgrid.setup.demo.setup``.

Run by scripts/run.sh; safe to run again (it completes what is missing and changes nothing else). The site is
made with the runtime's ``new-site`` (bench's ``bench new-site`` on a real bench) and the demo itself is the app's
one command, the same on a real bench: ``bench --site S execute medgrid.setup.demo.setup``.
API keys are printed once, when a user is created; rotate them at ``/portal/api-access``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import frappe

SITE = "medgrid.localhost"
PASSWORD = "MedGrid-Demo-1"
RUNTIME = os.path.join(os.path.dirname(sys.executable), "medgrid-runtime")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites-path", default=os.environ.get("MEDGRID_SITES_PATH") or "sites")
    parser.add_argument("--port", type=int, default=8000, help="MedGrid's web port (for the Shopify callback)")
    parser.add_argument("--sandbox-ports", default="",
                        help="NAME=PORT pairs (perfectrx, shipstation, sinq, centre_research, shopify) or ports in "
                             "that order; default each sandbox's own port")
    parser.add_argument("--redis", default="", help="redis URL for jobs and cache (empty: in-process)")
    args = parser.parse_args()
    sites_path = os.path.abspath(args.sites_path)
    os.makedirs(sites_path, exist_ok=True)
    _common_config(sites_path, args.redis)

    runtime = [RUNTIME, "--sites-path", sites_path]
    if not os.path.exists(os.path.join(sites_path, SITE, "site_config.json")):
        print(f"Creating the demo site {SITE} (SQLite) …", flush=True)
        subprocess.run(runtime + ["new-site", SITE, "--db-type", "sqlite", "--admin-password", PASSWORD,
                                  "--install-app", "erpnext", "--install-app", "medgrid"], check=True)
    else:
        subprocess.run(runtime + ["--site", SITE, "migrate"], check=True, stdout=subprocess.DEVNULL)
    frappe.init(SITE, sites_path=sites_path, force=True)
    frappe.connect()
    try:
        from medgrid.setup.demo import setup

        result = setup(port=args.port, sandbox_ports=args.sandbox_ports or None)
    finally:
        frappe.destroy()
    _print_keys(result)


def _common_config(sites_path: str, redis_url: str) -> None:
    path = os.path.join(sites_path, "common_site_config.json")
    config = json.load(open(path)) if os.path.exists(path) else {}
    config["default_site"] = SITE
    if redis_url:
        config["redis_queue"] = redis_url
        config["redis_cache"] = redis_url
    else:
        config.pop("redis_queue", None)
        config.pop("redis_cache", None)
    with open(path, "w") as f:
        json.dump(config, f, indent=1)


# What tests/e2e/stack.py builds its sites with (the settings only: its sites stay in Production)
def _make_users() -> dict:
    from medgrid.setup.demo_environment import make_users

    return make_users()


def _point_integrations_at_sandboxes(port: int, ports: list[int]) -> None:
    from medgrid.setup.demo_environment import point_at_sandboxes

    point_at_sandboxes(port, list(ports), environment=False)


def _set_single(doctype: str, values: dict) -> None:
    doc = frappe.get_single(doctype)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()


def _print_keys(result: dict) -> None:
    keys = result.get("api_keys") or {}
    if not keys:
        print("Demo users exist already; their API keys were shown when they were created "
              "(rotate them at /portal/api-access).")
    else:
        print("\nAPI keys (shown once — store them now):")
        for email, pair in keys.items():
            print(f"  {email:<28} Authorization: token {pair}")
    print(f"  Every demo user's password: {result.get('password') or PASSWORD}")
    print("  Sandbox hosts: " + json.dumps(result.get("sandbox_hosts") or {}))


if __name__ == "__main__":
    sys.exit(main())

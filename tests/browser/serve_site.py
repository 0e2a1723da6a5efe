"""Test launcher: ``medgrid-runtime serve`` with ShipStation's production host pointed at a sandbox.

A vendor connecting ShipStation from /portal/integrations cannot choose a base URL (only admins may,
so no vendor can make MedGrid call an address of their choosing); the browser tests therefore point
the default ShipStation host of this one server process at the local sandbox, as DNS would.

    python tests/browser/serve_site.py --sites-path S --site SITE --port P  (MEDGRID_TEST_SHIPSTATION_BASE_URL=…)
"""

from __future__ import annotations

import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites-path", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--port", required=True, type=int)
    args = parser.parse_args()

    base_url = os.environ.get("MEDGRID_TEST_SHIPSTATION_BASE_URL")
    if base_url:
        import medgrid.connectors.shipstation as connector
        import medgrid.integrations.shipstation as integration

        connector.DEFAULT_BASE_URL = base_url
        integration.DEFAULT_BASE_URL = base_url

    from medgrid_runtime.cli import main as cli

    return cli(["--sites-path", args.sites_path, "serve", "--port", str(args.port), "--site", args.site,
                "--noreload"])


if __name__ == "__main__":
    sys.exit(main())

"""``medgrid-runtime serve``: the Werkzeug development server (like ``bench serve``).

Production runs the same WSGI application under gunicorn instead, next to a worker and the
scheduler::

    gunicorn -w 4 -b 0.0.0.0:8000 --preload 'frappe.app:application'
    medgrid-runtime worker --queue short,default,long
    medgrid-runtime schedule

with ``MEDGRID_SITES_PATH`` pointing at the sites folder. Requests pick their site from the Host
header (or ``X-Frappe-Site-Name``); set ``MEDGRID_DEFAULT_SITE`` to answer every other Host name
with one site.
"""

from __future__ import annotations

import os

import click


@click.command("serve")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 for all).")
@click.option("--site", "site_name", default=None,
              help="Serve this site for every Host (default: MEDGRID_DEFAULT_SITE, default_site or currentsite.txt).")
@click.option("--sites-path", "sites_path_option", default=None, help="Sites folder (default: MEDGRID_SITES_PATH or ./sites).")
@click.option("--noreload", "no_reload", is_flag=True, default=False, help="Do not restart on code changes.")
@click.option("--nothreading", "no_threading", is_flag=True, default=False, help="Handle one request at a time.")
@click.option("--proxy", is_flag=True, default=False, help="Trust X-Forwarded-* headers from a reverse proxy.")
@click.pass_context
def serve(ctx, port, host, site_name, sites_path_option, no_reload, no_threading, proxy):
    """Run the development web server for the MedGrid runtime."""
    import frappe
    import frappe.app

    parent = getattr(ctx, "obj", None)
    sites_path = sites_path_option or getattr(parent, "sites_path", None) or frappe.get_sites_path()
    sites_path = os.path.abspath(sites_path)
    os.environ.setdefault("MEDGRID_SITES_PATH", sites_path)

    if not site_name:
        context_sites = getattr(parent, "sites", None) or []
        site_name = context_sites[0] if context_sites else frappe.app.get_default_site(sites_path)
    if site_name and not os.path.isfile(os.path.join(sites_path, site_name, "site_config.json")):
        raise click.ClickException(f"Site {site_name} does not exist in {sites_path}")

    click.echo(f"Serving {site_name or 'sites by Host header'} from {sites_path} on http://{host}:{port}")
    frappe.app.serve(port=port, host=host, site=site_name, sites_path=sites_path,
                     no_reload=no_reload, no_threading=no_threading, proxy=proxy)


commands = [serve]

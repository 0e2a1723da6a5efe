"""``medgrid-runtime --site S backup`` and ``restore``: bench's options, file names and output
(frappe/commands/site.py and frappe/utils/backups.py in Frappe 15). Step lines go to stderr, so
stdout keeps bench's shape: the backup summary and the closing line.
"""

from __future__ import annotations

import os
import sys

import click

import frappe
from medgrid_runtime.cli import pass_context
from medgrid_runtime.commands.site_ops import check_site_exists, require_sites


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.command("backup")
@click.option("--with-files", default=False, is_flag=True, help="Take backup with files")
@click.option("--backup-path", default=None, help="Set path for saving all the files in this operation")
@click.option("--backup-path-db", default=None, help="Set path for saving database file")
@click.option("--backup-path-files", default=None, help="Set path for saving public file")
@click.option("--backup-path-private-files", default=None, help="Set path for saving private file")
@click.option("--backup-path-conf", default=None, help="Set path for saving config file")
@click.option("--verbose", default=False, is_flag=True, help="Add verbosity")
@click.option("--compress", default=False, is_flag=True, help="Compress private and public files")
@pass_context
def backup(context, with_files=False, backup_path=None, backup_path_db=None, backup_path_files=None,
           backup_path_private_files=None, backup_path_conf=None, verbose=False, compress=False):
    """Back up the site: database dump and site_config.json (and public/private files with --with-files)."""
    from frappe.utils.backups import scheduled_backup

    verbose = verbose or context.verbose
    exit_code = 0
    for site in require_sites(context):
        check_site_exists(context, site)
        try:
            frappe.init(site, sites_path=context.sites_path, force=True)
            frappe.connect()
            odb = scheduled_backup(
                ignore_files=not with_files, backup_path=backup_path, backup_path_db=backup_path_db,
                backup_path_files=backup_path_files, backup_path_private_files=backup_path_private_files,
                backup_path_conf=backup_path_conf, compress=compress, force=True, verbose=verbose,
                progress=_progress,
            )
            odb.print_summary(echo=click.echo)
        except Exception as e:
            click.secho(f"Backup failed for Site {site}. Database or site_config.json may be corrupted", fg="red")
            click.secho(f"Reason: {str(e).strip() or type(e).__name__}", fg="red", err=True)
            exit_code = 1
            continue
        finally:
            frappe.destroy()
        click.secho(f"Backup for Site {site} has been successfully completed{' with files' if with_files else ''}",
                    fg="green")
    sys.exit(exit_code)


@click.command("restore")
@click.argument("sql-file-path")
@click.option("--db-root-username", "--mariadb-root-username", help='Root username for MariaDB or PostgreSQL, Default is "root"')
@click.option("--db-root-password", "--mariadb-root-password", help="Root password for MariaDB or PostgreSQL")
@click.option("--db-name", help="Database name for site in case it is a new one")
@click.option("--admin-password", help="Administrator password for new site")
@click.option("--with-public-files", help="Restores the public files of the site, given path to its tar file")
@click.option("--with-private-files", help="Restores the private files of the site, given path to its tar file")
@click.option("--site-config", "site_config_path",
              help="The set's site_config_backup.json (default: the one next to the SQL file); its encryption_key "
                   "is what decrypts Password fields")
@click.option("--force", is_flag=True, default=False, help="Replace the database of an existing site without asking")
@pass_context
def restore(context, sql_file_path, db_root_username=None, db_root_password=None, db_name=None, admin_password=None,
            with_public_files=None, with_private_files=None, site_config_path=None, force=False):
    """Restore site database from an sql file (into a new site, or replacing an existing site's data)."""
    from frappe.utils.backups import BackupError, restore_backup

    site = require_sites(context)[0]
    exists = os.path.isfile(os.path.join(context.sites_path, site, "site_config.json"))
    if exists and not (force or context.force):
        if not sys.stdin.isatty():
            raise click.ClickException(f"Site {site} exists: add --force to replace its database with the backup")
        click.confirm(f"This will replace all data of site {site}. Continue?", abort=True)
    try:
        result = restore_backup(
            sql_file_path, site, sites_path=context.sites_path, db_root_username=db_root_username,
            db_root_password=db_root_password, db_name=db_name, admin_password=admin_password,
            with_public_files=with_public_files, with_private_files=with_private_files,
            site_config_path=site_config_path, progress=_progress,
        )
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    except Exception as e:
        raise click.ClickException(f"Restore of site {site} failed: {str(e).strip() or type(e).__name__}") from None
    finally:
        frappe.destroy()
    if result["encryption_key_from"] == "new":
        click.secho("No site_config backup next to the SQL file and no --site-config: the site got a new "
                    "encryption_key, so Password fields of the backup cannot be decrypted", fg="yellow", err=True)
    elif result["encryption_key_from"]:
        click.echo(f"encryption_key taken from {result['encryption_key_from']}", err=True)
    files = " with files" if (with_public_files or with_private_files) else ""
    click.secho(f"Site {site} has been restored{files}", fg="green")


commands = [backup, restore]

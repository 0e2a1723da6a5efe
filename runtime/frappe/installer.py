"""Sites and apps: ``new_site``, ``install_app``, site_config editing, fixtures (bench's installer)."""

from __future__ import annotations

import json
import os
import secrets
import shutil

import frappe
from frappe import _


def update_site_config(key, value, validate=True, site_config_path=None):
    """Set (or, with value "None", remove) a key in the site's site_config.json."""
    site_config_path = site_config_path or frappe.get_site_path("site_config.json")
    config = {}
    if os.path.exists(site_config_path):
        with open(site_config_path, encoding="utf-8") as f:
            config = json.load(f)
    if value in ("0", "1") and validate:
        value = int(value)
    if value in ("false", "true"):
        value = value == "true"
    if value == "None":
        config.pop(key, None)
    else:
        config[key] = value
    tmp = site_config_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1, sort_keys=True)
    os.replace(tmp, site_config_path)
    if getattr(frappe.local, "conf", None) is not None:
        if value == "None":
            frappe.local.conf.pop(key, None)
        else:
            frappe.local.conf[key] = value


def new_site(site, *, sites_path=None, db_type="sqlite", db_name=None, db_host=None, db_port=None, db_user=None,
             db_password=None, db_root_username=None, db_root_password=None, admin_password="admin",
             install_apps=None, force=False, extra_config=None):
    """Create a site folder, its database and install frappe (+ ``install_apps``)."""
    from cryptography.fernet import Fernet

    sites_path = os.path.abspath(sites_path or frappe.get_sites_path())
    site_path = os.path.join(sites_path, site)
    if os.path.exists(os.path.join(site_path, "site_config.json")) and not force:
        raise frappe.ValidationError(f"Site {site} already exists")
    if force and os.path.isdir(site_path):
        shutil.rmtree(site_path)
    os.makedirs(site_path, exist_ok=True)
    os.makedirs(os.path.join(site_path, "public", "files"), exist_ok=True)
    os.makedirs(os.path.join(site_path, "private", "files"), exist_ok=True)
    os.makedirs(os.path.join(site_path, "logs"), exist_ok=True)

    db_name = db_name or ("_" + secrets.token_hex(8) if db_type != "sqlite" else "site")
    config = {"db_type": db_type, "db_name": db_name, "encryption_key": Fernet.generate_key().decode()}
    if db_type != "sqlite":
        config["db_host"] = db_host or "127.0.0.1"
        if db_port:
            config["db_port"] = int(db_port)
        config["db_user"] = db_user or db_name
        config["db_password"] = db_password if db_password is not None else secrets.token_hex(8)
        _create_database(db_type, config, db_root_username, db_root_password, force)
    config.update(extra_config or {})
    with open(os.path.join(site_path, "site_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1, sort_keys=True)

    frappe.init(site, sites_path=sites_path, new_site=True, force=True)
    try:
        frappe.connect()
        frappe.local.flags.in_install_db = True
        install_db(admin_password)
        for app in install_apps or []:
            install_app(app)
        frappe.db.commit()
    finally:
        frappe.local.flags.in_install_db = False
        frappe.local.flags.new_site = False
        frappe.destroy()


def _create_database(db_type, config, root_user, root_password, force):
    """Create the engine-level database and its own user, with root credentials."""
    name, user, password = config["db_name"], config["db_user"], config["db_password"]
    if force:
        # connections this process keeps to the database being replaced would block its drop
        from frappe.database.pool import close_all_pools

        close_all_pools()
    if db_type == "mariadb":
        import pymysql

        conn = pymysql.connect(host=config["db_host"], port=int(config.get("db_port") or 3306),
                               user=root_user or "root", password=root_password or "", autocommit=True)
        with conn.cursor() as cur:
            if force:
                cur.execute(f"drop database if exists `{name}`")
            cur.execute(f"create database if not exists `{name}` character set utf8mb4 collate utf8mb4_unicode_ci")
            if user != (root_user or "root"):
                for host in ("localhost", "127.0.0.1", "%"):
                    quoted_host = host.replace("%", "%%")  # these two statements take parameters
                    cur.execute(f"create user if not exists '{user}'@'{quoted_host}' identified by %s", (password,))
                    cur.execute(f"alter user '{user}'@'{quoted_host}' identified by %s", (password,))
                    cur.execute(f"grant all privileges on `{name}`.* to '{user}'@'{host}'")
                cur.execute("flush privileges")
        conn.close()
    elif db_type == "postgres":
        import psycopg

        conn = psycopg.connect(host=config["db_host"], port=int(config.get("db_port") or 5432),
                               user=root_user or "postgres", password=root_password or None, dbname="postgres",
                               autocommit=True)
        with conn.cursor() as cur:
            if force:
                cur.execute(f'drop database if exists "{name}"')
            cur.execute("select 1 from pg_roles where rolname=%s", (user,))
            if not cur.fetchone():
                cur.execute(f"create user \"{user}\" with password '{password}'")
            cur.execute("select 1 from pg_database where datname=%s", (name,))
            if not cur.fetchone():
                cur.execute(f'create database "{name}" owner "{user}" encoding \'UTF8\'')
        conn.close()


def drop_site_database(conf, root_user=None, root_password=None):
    """Remove a site's engine-level database (used by tests)."""
    from frappe.database.pool import close_all_pools

    close_all_pools()  # this process's kept connections to it go first
    db_type = conf.get("db_type")
    if db_type == "mariadb":
        import pymysql

        conn = pymysql.connect(host=conf.get("db_host") or "127.0.0.1", user=root_user or "root",
                               password=root_password or "", autocommit=True)
        with conn.cursor() as cur:
            cur.execute(f"drop database if exists `{conf['db_name']}`")
        conn.close()
    elif db_type == "postgres":
        import psycopg

        conn = psycopg.connect(host=conf.get("db_host") or "127.0.0.1", user=root_user or "postgres",
                               dbname="postgres", autocommit=True)
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{conf["db_name"]}" with (force)')
        conn.close()


def install_db(admin_password="admin"):
    """Core tables, the frappe app's doctypes, standard roles and users."""
    from frappe.database.schema import create_core_tables

    create_core_tables()
    frappe.db.set_default("installed_apps", json.dumps(["frappe"]))
    frappe.db.commit()
    frappe.clear_cache()
    frappe.local.flags.in_install = "frappe"
    try:
        sync_app_doctypes("frappe")
        _make_standard_records(admin_password)
        from frappe.utils.scheduler import sync_jobs

        sync_jobs()
    finally:
        frappe.local.flags.in_install = False
    frappe.db.commit()


def _make_standard_records(admin_password):
    from frappe.utils.password import update_password

    for role in ("Administrator", "System Manager", "All", "Guest", "Desk User", "Website Manager"):
        if not frappe.db.exists("Role", role):
            frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 0 if role in ("Guest", "All") else 1}
                           ).insert(ignore_permissions=True)
    for user, first_name, user_type in (("Administrator", "Administrator", "System User"),
                                        ("Guest", "Guest", "Website User")):
        if not frappe.db.exists("User", user):
            doc = frappe.get_doc({"doctype": "User", "email": "admin@example.com" if user == "Administrator" else
                                  "guest@example.com", "first_name": first_name, "user_type": user_type,
                                  "enabled": 1, "send_welcome_email": 0})
            doc.flags.name_set = True
            doc.name = user
            doc.insert(ignore_permissions=True)
    if not frappe.db.exists("Has Role", {"parent": "Administrator", "role": "Administrator"}):
        admin = frappe.get_doc("User", "Administrator")
        admin.append("roles", {"role": "Administrator"})
        admin.append("roles", {"role": "System Manager"})
        admin.save(ignore_permissions=True)
    update_password("Administrator", admin_password)
    # a fresh Frappe site has this Single saved once from its defaults (owner and modified set, no
    # creation: a Single is never a new document)
    if not frappe.db.get_singles_dict("Document Naming Settings", cast=False):
        frappe.get_single("Document Naming Settings").save(ignore_permissions=True)
    settings = frappe.get_single("System Settings")
    settings.flags.ignore_mandatory = True
    settings.save(ignore_permissions=True)


def sync_app_doctypes(app: str) -> None:
    """Create or alter the table of every doctype the app ships (Frappe's sync_for)."""
    from frappe.database.schema import sync_table
    from frappe.model.meta import clear_meta_cache, get_doctype_index, load_doctype_from_file

    clear_meta_cache()
    synced = []
    for doctype, (doc_app, _module, _path) in get_doctype_index().items():
        if doc_app != app:
            continue
        meta = frappe.get_meta(doctype, cached=False)
        sync_table(meta)
        _run_on_doctype_update(meta)
        synced.append(meta)
    make_roles_named_in_permissions(synced)
    # custom fields of already-installed apps may target this app's doctypes
    if frappe.db.table_exists("Custom Field"):
        for (dt,) in frappe.db.sql("select distinct `dt` from `tabCustom Field`"):
            if dt in get_doctype_index():
                sync_table(frappe.get_meta(dt, cached=False))


def make_roles_named_in_permissions(metas) -> list[str]:
    """Create every role a synced doctype's permissions name that does not exist yet, with desk
    access, as Frappe's DocType sync does (``make_module_and_roles``). An app that wants one of its
    roles without desk access must therefore set it on the existing role after the sync.

    The automatic roles (Administrator, Guest, All, Desk User) are left to the site install, which
    makes them with their own desk access. Returns the names created.
    """
    from frappe.permissions import AUTOMATIC_ROLES

    if not frappe.db.table_exists("Role", cached=False):
        return []
    created = []
    for meta in metas:
        for perm in meta.permissions or []:
            role = perm.get("role")
            if not role or role in AUTOMATIC_ROLES or role in created or frappe.db.exists("Role", role):
                continue
            doc = frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1})
            doc.flags.ignore_mandatory = doc.flags.ignore_permissions = True
            doc.insert()
            created.append(role)
    return created


def _run_on_doctype_update(meta) -> None:
    """Call the controller module's ``on_doctype_update()`` (extra indexes), as Frappe's sync does."""
    import importlib

    try:
        module = importlib.import_module(meta.controller_module_path)
    except ImportError:
        return
    if hasattr(module, "on_doctype_update"):
        module.on_doctype_update()


def install_app(name, verbose=False, set_as_patched=True, force=False):
    """Install an app on the connected site: doctypes, hooks, jobs and fixtures, in Frappe's order."""
    from frappe.utils.scheduler import sync_jobs

    installed = frappe.get_installed_apps()
    if name in installed and not force:
        print(f"App {name} already installed")
        return
    app_hooks = frappe._load_app_hooks(name)
    for required in _as_list(app_hooks.get("required_apps")):
        required = required.split("/")[-1]
        if required not in frappe.get_installed_apps():
            install_app(required)
    frappe.local.flags.in_install = name
    try:
        for fn in _as_list(app_hooks.get("before_install")):
            frappe.get_attr(fn)()
        if name not in installed:
            _add_to_installed_apps(name)
        sync_app_doctypes(name)
        if set_as_patched:
            _set_all_patches_as_completed(name)
        for fn in _as_list(app_hooks.get("after_install")):
            frappe.get_attr(fn)()
        for app in frappe.get_installed_apps():
            for fn in _as_list(frappe._load_app_hooks(app).get("after_app_install")):
                frappe.get_attr(fn)(name)
        sync_jobs()
        sync_fixtures(name)
        frappe.db.commit()
    except Exception:
        frappe.db.rollback()
        if name not in installed:
            # a failed install leaves the app uninstalled, so it can be installed again
            apps = [a for a in frappe.get_installed_apps() if a != name]
            frappe.db.set_default("installed_apps", json.dumps(apps))
            frappe.db.commit()
            frappe.clear_cache()
        raise
    finally:
        frappe.local.flags.in_install = False
    frappe.clear_cache()


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _add_to_installed_apps(name):
    apps = frappe.get_installed_apps()
    apps.append(name)
    frappe.db.set_default("installed_apps", json.dumps(apps))
    frappe.db.commit()
    frappe.clear_cache()


def _set_all_patches_as_completed(app):
    from frappe.migrate import get_app_patches, mark_patch_done

    for patch in get_app_patches(app):
        mark_patch_done(patch, skipped=1)


def sync_fixtures(app=None):
    """Import each app's ``fixtures/*.json`` (records overwritten, names kept)."""
    apps = [app] if app else frappe.get_installed_apps()
    for app in apps:
        folder = frappe.get_app_path(app, "fixtures")
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            if fname.endswith(".json"):
                with open(os.path.join(folder, fname), encoding="utf-8") as f:
                    import_doc(json.load(f))
    frappe.db.commit()


def import_doc(records):
    """Insert or overwrite documents from fixture dicts, keeping their names."""
    if isinstance(records, dict):
        records = [records]
    for record in records:
        record = dict(record)
        doctype, name = record.get("doctype"), record.get("name")
        if name and frappe.db.exists(doctype, name):
            doc = frappe.get_doc(doctype, name)
            doc.update(record)
            doc.flags.ignore_links = True
            doc.flags.ignore_version_check = True
            doc.save(ignore_permissions=True)
        else:
            frappe.flags.in_import = True
            try:
                doc = frappe.get_doc(record)
                doc.flags.ignore_links = True
                doc.insert(ignore_permissions=True, set_name=name)
            finally:
                frappe.flags.in_import = False

"""Helpers shared by the page renderers: response building, home page, caching, Jinja set-up."""

from __future__ import annotations

import os
import re

from werkzeug.wrappers import Response

import frappe

PAGE_CACHE_KEY = "website_page"
_H1 = re.compile(r"<h1[^>]*>([^<]*)", re.IGNORECASE)
_COMMENT_TAG = "<!-- {0}:"


def build_response(path: str, data: str, http_status_code: int = 200, headers: dict | None = None) -> Response:
    """An HTML response with Frappe's page headers (X-Page-Name, X-From-Cache, preload Link)."""
    response = Response()
    response.mimetype = "text/html"
    response.charset = "utf-8"
    response.data = data or ""
    response.status_code = http_status_code or 200
    response.headers["X-Page-Name"] = path.encode("ascii", errors="xmlcharrefreplace").decode("ascii")
    response.headers["X-From-Cache"] = str(bool(frappe.local.response.get("from_cache")))
    add_preload_header(response)
    for key, value in (headers or {}).items():
        response.headers[key] = str(value).encode("ascii", errors="xmlcharrefreplace").decode("ascii")
    return response


def add_preload_header(response: Response) -> None:
    """Announce the bundles the page included, styles first, as a ``Link: rel=preload`` header."""
    assets = getattr(frappe.local, "preload_assets", None) or {}
    links = [f"</{path.lstrip('/')}>; rel=preload; as=style" for path in assets.get("style", [])]
    links += [f"</{path.lstrip('/')}>; rel=preload; as=script" for path in assets.get("script", [])]
    if links:
        response.headers["Link"] = ",".join(links)


def _record_asset(kind: str, path: str) -> None:
    assets = getattr(frappe.local, "preload_assets", None)
    if assets is None:
        assets = frappe.local.preload_assets = {"style": [], "script": []}
    if path not in assets.setdefault(kind, []):
        assets[kind].append(path)


def _asset_url(path: str) -> str | None:
    """The /assets URL of a bundle when some app ships it under ``public/``; None otherwise."""
    name = path.lstrip("/")
    if name.startswith("assets/"):
        return "/" + name
    for app in frappe.get_installed_apps():
        for sub in ("", "css", "js", "dist/css", "dist/js"):
            candidate = os.path.join(frappe.get_app_path(app, "public"), sub, name)
            if os.path.isfile(candidate):
                rel = os.path.relpath(candidate, frappe.get_app_path(app, "public"))
                return f"/assets/{app}/{rel}"
    return None


def include_style(path: str, rtl=None) -> str:
    """Jinja helper: link a stylesheet if some app ships it, and announce that URL for preloading."""
    url = _asset_url(path)
    if url:
        # the preload names the served /assets URL: a bare bundle name would be a 404 for the browser
        _record_asset("style", url)
    return f'<link type="text/css" rel="stylesheet" href="{url}">' if url else ""


def include_script(path: str, preload: bool = True) -> str:
    """Jinja helper: load a script if some app ships it, and announce that URL for preloading."""
    url = _asset_url(path)
    if preload and url:
        _record_asset("script", url)
    return f'<script type="text/javascript" src="{url}"></script>' if url else ""


def get_home_page() -> str:
    """The portal home route (no leading slash): role hooks, app hooks, then 'me' / 'login'."""
    if frappe.local.flags.get("home_page") and not frappe.flags.in_test:
        return frappe.local.flags.home_page

    home_page = None
    if frappe.session.user != "Guest":
        role_pages = frappe.get_hooks("role_home_page", {}) or {}
        try:
            roles = frappe.get_roles()
        except Exception:
            roles = []
        for role in roles:
            pages = role_pages.get(role)
            if pages:
                home_page = pages[-1] if isinstance(pages, list) else pages
                break
        if not home_page:
            home_page = _single_value("Portal Settings", "default_portal_home")
    if not home_page:
        hooks = frappe.get_hooks("home_page") or []
        home_page = hooks[-1] if isinstance(hooks, list) and hooks else (hooks or None)
    if not home_page:
        home_page = _single_value("Website Settings", "home_page")
    if not home_page:
        home_page = "login" if frappe.session.user == "Guest" else "me"
    return str(home_page).strip("/")


def _single_value(doctype: str, field: str):
    try:
        if not frappe.db.table_exists(doctype) and not frappe.db.exists("DocType", doctype):
            return None
    except Exception:
        pass
    log = getattr(frappe.local, "message_log", None)
    queued = len(log) if log is not None else 0
    try:
        return frappe.db.get_single_value(doctype, field)
    except Exception:
        if log is not None:
            del log[queued:]
        return None


def can_cache(no_cache: bool = False) -> bool:
    """Whether a rendered page may be stored in (and served from) the shared page cache."""
    if frappe.flags.get("force_website_cache"):
        return True
    if frappe.conf.get("disable_website_cache") or frappe.conf.get("developer_mode"):
        return False
    if getattr(frappe.local, "no_cache", False):
        return False
    return not no_cache


def get_cached_page(path: str) -> str | None:
    try:
        cached = frappe.cache().hget(PAGE_CACHE_KEY, path) or {}
    except Exception:
        return None
    return cached.get(frappe.local.lang or "en")


def set_cached_page(path: str, html: str) -> None:
    try:
        cached = frappe.cache().hget(PAGE_CACHE_KEY, path) or {}
        cached[frappe.local.lang or "en"] = html
        frappe.cache().hset(PAGE_CACHE_KEY, path, cached)
    except Exception:
        pass


def clear_website_cache(path: str | None = None) -> None:
    """Forget cached pages (one path, or all)."""
    try:
        if path:
            frappe.cache().hdel(PAGE_CACHE_KEY, path)
        else:
            frappe.cache().delete_key(PAGE_CACHE_KEY)
    except Exception:
        pass


def extract_title(source: str, path: str) -> str:
    """Page title from a ``<!-- title: ... -->`` comment, the first ``<h1>``, or the path."""
    title = extract_comment_tag(source, "title")
    if not title and "<h1" in source:
        match = _H1.search(source)
        if match and "{{" not in match.group(1):
            title = match.group(1).strip()[:300]
    if not title:
        title = os.path.basename(path.rsplit(".")[0].rstrip("/")).replace("_", " ").replace("-", " ").title()
    return title


def extract_comment_tag(source: str, tag: str) -> str | None:
    marker = _COMMENT_TAG.format(tag)
    if marker in source:
        found = re.findall(re.escape(marker) + r"([^>]*) -->", source)
        if found:
            return found[0].strip()
    return None


# ---------------------------------------------------------------- Jinja

def get_jenv():
    """A Jinja environment that finds templates in every installed app (later apps win)."""
    import jinja2

    apps = list(reversed(frappe.get_installed_apps()))
    key = tuple(apps)
    cache = getattr(frappe.local, "website_jenv", None)
    if cache and cache[0] == key:
        return cache[1]
    paths = []
    for app in apps:
        try:
            paths.append(os.path.dirname(frappe.get_app_path(app, "__init__.py")))
        except Exception:
            continue
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        undefined=jinja2.ChainableUndefined,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
    )
    env.globals.update(get_jinja_globals())
    env.filters["json"] = frappe.as_json
    env.filters["len"] = len
    frappe.local.website_jenv = (key, env)
    return env


def get_jinja_globals() -> dict:
    return {
        "frappe": frappe,
        "_": frappe._,
        "include_style": include_style,
        "include_script": include_script,
        "get_url": lambda path="": path,
    }


def render_template(template_or_source: str, context: dict, is_path: bool = True) -> str:
    env = get_jenv()
    template = env.get_template(template_or_source) if is_path else env.from_string(template_or_source)
    return template.render(context)

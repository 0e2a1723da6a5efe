"""Finding and rendering portal pages.

A route such as ``/my-orders`` is looked up in every installed app, last-installed first, under
``www/`` then ``templates/pages/`` as ``my-orders``, ``.html``, ``.md``, ``/index.html`` and
``/index.md``. The Python module next to the template (hyphens as underscores) may set ``no_cache``,
``sitemap``, ``base_template_path``, ``template``, ``condition_field`` and define
``get_context(context)``. ``frappe.Redirect`` becomes a redirect (301 unless the exception says
otherwise), ``frappe.PermissionError`` the 403 "Not Permitted" page with a Login button.
"""

from __future__ import annotations

import importlib
import mimetypes
import os
import re
from urllib.parse import urlencode

from werkzeug.wrappers import Response

import frappe
from frappe import _
from frappe.website.utils import (
    build_response,
    can_cache,
    extract_title,
    get_cached_page,
    get_home_page,
    render_template,
    set_cached_page,
)

BASE_TEMPLATE = "templates/web.html"
PAGE_FOLDERS = ("www", "templates/pages")
MODULE_ATTRIBUTES = ("no_cache", "sitemap", "base_template_path", "template", "condition_field")
# Desk routes all render the single "app" page
ROUTE_RULES = ((re.compile(r"^app(/.*)?$"), "app"),)


class PageNotFound(Exception):
    """No template serves the requested route."""


def get_response(path: str | None = None, http_status_code: int | None = 200) -> Response:
    """Resolve ``path`` (default: the request path) and render it, handling redirects and errors."""
    http_status_code = http_status_code or 200
    path = path if path is not None else frappe.local.request.path
    endpoint = _normalise(path)

    try:
        if endpoint == "message":
            return render_message_page(http_status_code)
        redirect = _website_redirect(endpoint)
        if redirect:
            frappe.flags.redirect_location = redirect
            raise frappe.Redirect
        endpoint = _apply_route_rules(endpoint)
        found = find_page(endpoint)
        if not found:
            raise PageNotFound(endpoint)
        return render_page(endpoint, found, http_status_code)
    except frappe.Redirect as e:
        return render_redirect(endpoint, getattr(e, "http_status_code", 301) or 301)
    except frappe.PermissionError as e:
        return render_not_permitted(endpoint, e)
    except (PageNotFound, frappe.PageDoesNotExistError):
        return render_not_found()
    except Exception as e:
        return render_error_page(e)


def _normalise(path: str) -> str:
    path = (path or "").strip("/ ")
    if not path or path == "index":
        path = get_home_page()
    return path


def _apply_route_rules(path: str) -> str:
    for pattern, target in ROUTE_RULES:
        if pattern.match(path):
            return target
    for rule in frappe.get_hooks("website_route_rules") or []:
        source = (rule.get("from_route") or "").strip("/")
        pattern = re.sub(r"<path:(\w+)>", r"(?P<\1>.+)", source)
        pattern = re.sub(r"<(?:\w+:)?(\w+)>", r"(?P<\1>[^/]+)", pattern)
        match = re.fullmatch(pattern, path)
        if match:
            frappe.form_dict.update(match.groupdict())
            return (rule.get("to_route") or path).strip("/")
    return path


def _website_redirect(path: str) -> str | None:
    for rule in frappe.get_hooks("website_redirects") or []:
        source = (rule.get("source") or "").strip("/")
        if not source:
            continue
        if rule.get("match_with_query_string"):
            continue
        try:
            match = re.fullmatch(source, path)
        except re.error:
            match = path == source
        if match:
            target = rule.get("target") or "/"
            if hasattr(match, "expand"):
                try:
                    target = match.expand(target)
                except (re.error, IndexError):
                    pass
            return target
    return None


def find_page(path: str):
    """(app, folder, relative template path) of the template that serves ``path``, or None."""
    candidates = (path, f"{path}.html", f"{path}.md", f"{path}/index.html", f"{path}/index.md")
    for app in reversed(frappe.get_installed_apps()):
        try:
            app_dir = os.path.dirname(frappe.get_app_path(app, "__init__.py"))
        except Exception:
            continue
        for folder in PAGE_FOLDERS:
            base = os.path.join(app_dir, folder)
            if not os.path.isdir(base):
                continue
            for candidate in candidates:
                full = os.path.normpath(os.path.join(base, candidate))
                # never leave the app's page folder, whatever the route contains
                if not full.startswith(base + os.sep):
                    continue
                if os.path.isfile(full) and not full.endswith(".py"):
                    return app, folder, os.path.relpath(full, app_dir)
    return None


def render_page(path: str, found, http_status_code: int) -> Response:
    """Render one template page (or send a static file that lives among the pages)."""
    app, folder, template_path = found
    app_dir = os.path.dirname(frappe.get_app_path(app, "__init__.py"))
    full_path = os.path.join(app_dir, template_path)
    extension = os.path.splitext(template_path)[1].lower()
    if extension not in (".html", ".md", ""):
        return _static_file_response(full_path)

    if can_cache():
        cached = get_cached_page(path)
        if cached:
            frappe.local.response["from_cache"] = True
            return build_response(path, cached, http_status_code)

    context = frappe._dict(
        path=path,
        route=path,
        pathname=path,
        base_template_path=BASE_TEMPLATE,
        template=template_path.replace(os.sep, "/"),
        http_status_code=http_status_code,
    )
    module = _load_page_module(app, template_path)
    if module is not None:
        for attribute in MODULE_ATTRIBUTES:
            if hasattr(module, attribute):
                context[attribute] = getattr(module, attribute)
        if hasattr(module, "get_context"):
            returned = module.get_context(context)
            if returned:
                context.update(returned)

    with open(full_path, encoding="utf-8") as f:
        source = f.read()
    if not context.get("title"):
        context.title = extract_title(source, path)

    _add_colocated_assets(context, full_path)
    html = _render_source(source, context, extension)
    if can_cache(context.get("no_cache")):
        set_cached_page(path, html)
    status = context.get("http_status_code") or http_status_code
    headers = context.get("headers") or {}
    return build_response(path, html, status, headers)


def _load_page_module(app: str, template_path: str):
    stem = os.path.splitext(template_path)[0].replace(os.sep, "/")
    module_name = f"{app}." + stem.replace("/", ".").replace("-", "_")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            return None
        raise


def _add_colocated_assets(context, full_path: str) -> None:
    stem = os.path.splitext(full_path)[0]
    for extension, key in ((".js", "script"), (".css", "style")):
        candidate = stem + extension
        if os.path.isfile(candidate) and not context.get(key):
            with open(candidate, encoding="utf-8") as f:
                context[key] = f.read()


def _render_source(source: str, context, extension: str) -> str:
    if extension == ".md":
        source = _markdown_to_html(source)
    # pages that bring neither a layout nor a full document are placed inside the base template
    if "{% extends" not in source and "</body>" not in source:
        source = (
            "{%% extends %r %%}{%% block page_content %%}%s{%% endblock %%}"
            % (context.get("base_template_path") or BASE_TEMPLATE, source)
        )
    context.setdefault("csrf_token", _csrf_token_if_any())
    html = render_template(source, _template_context(context), is_path=False)
    token = _csrf_token_if_any()
    if token:
        html = html.replace("<!-- csrf_token -->", token)
    return html


def _markdown_to_html(source: str) -> str:
    try:
        import markdown

        return markdown.markdown(source)
    except ImportError:
        from html import escape

        paragraphs = [p.strip() for p in source.split("\n\n") if p.strip()]
        return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def _csrf_token_if_any() -> str:
    session = getattr(frappe.local, "session", None) or {}
    return ((session.get("data") or {}).get("csrf_token")) or ""


def _template_context(context) -> dict:
    user = frappe.session.user if getattr(frappe.local, "session", None) else "Guest"
    out = dict(context)
    out.setdefault("user", user)
    out.setdefault("lang", frappe.local.lang or "en")
    out.setdefault("meta_title", context.get("title"))
    return out


def _static_file_response(full_path: str) -> Response:
    with open(full_path, "rb") as f:
        data = f.read()
    response = Response(data)
    response.mimetype = mimetypes.guess_type(full_path)[0] or "application/octet-stream"
    return response


# ---------------------------------------------------------------- special pages

def render_redirect(path: str, http_status_code: int = 301) -> Response:
    """An empty redirect response to ``frappe.flags.redirect_location``."""
    location = frappe.flags.get("redirect_location") or (frappe.local.response or {}).get("location")
    return build_response(
        path,
        "",
        http_status_code,
        {"Location": location or "/", "Cache-Control": "no-store, no-cache, must-revalidate"},
    )


def render_not_permitted(path: str, exception) -> Response:
    """The 403 page: the exception's text and a Login button back to this page."""
    request_path = frappe.local.request.path if frappe.local.request is not None else "/" + path
    action = f"/login?{urlencode({'redirect-to': request_path})}"
    if request_path == "/app" or request_path.startswith("/app/"):
        action = "/login"
    frappe.local.message_title = _("Not Permitted")
    frappe.local.message = str(exception or "")
    frappe.local.response["context"] = dict(
        indicator_color="red", primary_action=action, primary_label=_("Login"), fullpage=True
    )
    return render_message_page(403)


def render_not_found() -> Response:
    """The 404 page (shared by everyone, so it may come from the page cache)."""
    path = "404"
    if can_cache():
        cached = get_cached_page(path)
        if cached:
            frappe.local.response["from_cache"] = True
            return build_response(path, cached, 404)
    context = frappe._dict(path=path, route=path, title="404", page_title=_("Not Found"))
    html = render_template("www/404.html", _template_context(context))
    if can_cache():
        set_cached_page(path, html)
    return build_response(path, html, 404)


def render_error_page(exception) -> Response:
    """A server error while rendering a page: 'Server Error', with the traceback when allowed."""
    from frappe.utils.response import is_traceback_allowed

    status = getattr(exception, "http_status_code", None) or 500
    message = _("Uncaught Exception")
    if is_traceback_allowed():
        from html import escape

        message = "<pre>" + escape(frappe.get_traceback()) + "</pre>"
    frappe.local.message_title = _("Server Error")
    frappe.local.message = message
    frappe.local.response["context"] = dict(indicator_color="red", primary_action="/", fullpage=True)
    return render_message_page(status, page_name="error")


def respond_as_web_page(
    title,
    html,
    success=None,
    http_status_code=None,
    context=None,
    indicator_color=None,
    primary_action="/",
    primary_label=None,
    fullpage=False,
    width=None,
    template="message",
):
    """Answer the request with a message page instead of JSON (Frappe's ``respond_as_web_page``)."""
    frappe.local.message_title = title
    frappe.local.message = html
    frappe.local.response["type"] = "page"
    frappe.local.response["route"] = template
    frappe.local.no_cache = 1
    if http_status_code:
        frappe.local.response["http_status_code"] = http_status_code
    context = dict(context or {})
    if not indicator_color:
        indicator_color = "green" if success else ("red" if success is False else "blue")
    context["indicator_color"] = indicator_color
    context["primary_label"] = primary_label
    context["primary_action"] = primary_action
    context["error_code"] = http_status_code
    context["fullpage"] = fullpage
    if width:
        context["card_width"] = width
    frappe.local.response["context"] = context


def render_message_page(http_status_code: int = 200, page_name: str = "message") -> Response:
    """Render ``frappe.local.message_title`` / ``message`` with the options from ``respond_as_web_page``."""
    options = frappe._dict(frappe.local.response.get("context") or {})
    title = getattr(frappe.local, "message_title", None) or _("Message")
    message = getattr(frappe.local, "message", None) or ""
    context = frappe._dict(
        path="message",
        route="message",
        title=title,
        message=message,
        indicator_color=options.get("indicator_color") or "blue",
        primary_action=options.get("primary_action"),
        primary_label=options.get("primary_label") or _("Home"),
        fullpage=options.get("fullpage"),
        card_width=options.get("card_width"),
        error_code=options.get("error_code"),
    )
    frappe.local.no_cache = 1
    html = render_template("www/message.html", _template_context(context))
    status = http_status_code or frappe.local.response.get("http_status_code") or 200
    return build_response(page_name, html, status)

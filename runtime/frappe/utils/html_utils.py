"""HTML cleaning helpers of Frappe v15 (``frappe/utils/html_utils.py``), on the standard library.

Frappe cleans HTML with an allow-list sanitizer; this module does the same job
with :class:`html.parser.HTMLParser`: allowed tags and attributes are kept,
other tags are dropped (their text stays), ``<script>``/``<style>`` and similar
lose their content too, event-handler attributes and ``javascript:`` URLs go.
"""

from __future__ import annotations

import json
import re
from html import escape, unescape
from html.parser import HTMLParser

_ALLOWED_TAGS = frozenset(
	"a abbr acronym address article aside b bdi bdo big blockquote br caption center cite code col colgroup "
	"dd del details dfn div dl dt em figcaption figure footer font h1 h2 h3 h4 h5 h6 header hr i img ins kbd "
	"label li main mark nav ol p pre q s samp section small span strike strong sub summary sup table tbody td "
	"tfoot th thead time tr tt u ul var".split()
)
# content inside these is never text the user meant to show
_DROP_WITH_CONTENT = frozenset("script style iframe object embed noscript template frame frameset applet".split())
_VOID_TAGS = frozenset("br col hr img input meta link area base wbr source track param".split())
_ALLOWED_ATTRS = frozenset(
	"href src alt title width height align valign colspan rowspan class id name target rel dir lang "
	"start type border cellpadding cellspacing color size face datetime cite data-mention data-value "
	"data-id data-denotation-char".split()
)
_URL_ATTRS = frozenset(("href", "src", "cite"))
_ANY_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_UNSAFE_URL_RE = re.compile(r"^\s*(javascript|vbscript|data(?!:image/))\s*:", re.I)


def is_json(text: str) -> bool:
	"""True if the string parses as JSON."""
	try:
		json.loads(text)
	except Exception:
		return False
	return True


class _Cleaner(HTMLParser):
	def __init__(self, allowed_tags, drop_with_content):
		super().__init__(convert_charrefs=True)
		self.allowed_tags = allowed_tags
		self.drop_with_content = drop_with_content
		self.out: list[str] = []
		self.skip_depth = 0

	def handle_starttag(self, tag, attrs):
		if tag in self.drop_with_content:
			if tag not in _VOID_TAGS:
				self.skip_depth += 1
			return
		if self.skip_depth or tag not in self.allowed_tags:
			return
		self.out.append(self._render_start(tag, attrs))

	def handle_startendtag(self, tag, attrs):
		if self.skip_depth or tag in self.drop_with_content or tag not in self.allowed_tags:
			return
		self.out.append(self._render_start(tag, attrs, self_closing=True))

	def handle_endtag(self, tag):
		if tag in self.drop_with_content:
			self.skip_depth = max(0, self.skip_depth - 1)
			return
		if self.skip_depth or tag not in self.allowed_tags or tag in _VOID_TAGS:
			return
		self.out.append(f"</{tag}>")

	def handle_data(self, data):
		if not self.skip_depth:
			self.out.append(escape(data, quote=False))

	def _render_start(self, tag, attrs, self_closing=False):
		parts = [tag]
		for name, value in attrs:
			name = name.lower()
			if name.startswith("on") or name not in _ALLOWED_ATTRS:
				continue
			value = value or ""
			if name in _URL_ATTRS and _UNSAFE_URL_RE.match(unescape(value)):
				continue
			parts.append(f'{name}="{escape(value, quote=True)}"')
		return "<" + " ".join(parts) + (" />" if self_closing else ">")


def _clean(html: str, allowed_tags=_ALLOWED_TAGS, drop_with_content=_DROP_WITH_CONTENT) -> str:
	cleaner = _Cleaner(allowed_tags, drop_with_content)
	cleaner.feed(html)
	cleaner.close()
	return "".join(cleaner.out)


def sanitize_html(html, linkify=False, always_sanitize=False):
	"""Remove dangerous markup from user-supplied HTML.

	Values that are not strings, are JSON, or contain no tag at all are returned
	unchanged (unless ``always_sanitize``). ``linkify`` is accepted for
	compatibility; URLs in plain text are not turned into links.
	"""
	if not isinstance(html, str):
		return html
	if is_json(html):
		return html
	if not always_sanitize and not _ANY_TAG_RE.search(html):
		return html
	return _clean(html)


def clean_html(html):
	"""Keep only basic formatting tags (no links or images)."""
	if not isinstance(html, str):
		return html
	basic = frozenset("b blockquote br code del div em h1 h2 h3 h4 h5 h6 hr i li ol p pre s span strong sub sup "
		"table tbody td th thead tr u ul".split())  # fmt: skip
	return _clean(html, allowed_tags=basic)


def clean_script_and_style(html):
	"""Remove ``<script>`` and ``<style>`` elements, keeping all other markup."""
	if not isinstance(html, str):
		return html
	return re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", "", html, flags=re.I | re.S)


def unescape_html(value):
	"""Turn HTML entities back into characters."""
	return unescape(value) if isinstance(value, str) else value

// MedGrid runtime Desk — core client API (frappe.call, messages, dialogs' plumbing, model helpers).
// Written for the runtime; it offers the subset of Frappe v15's public client API that app scripts use,
// under Frappe's names and with Frappe's semantics (see runtime/DESK.md for the list).
(function () {
	"use strict";

	const frappe = (window.frappe = window.frappe || {});
	const boot = frappe.boot || { user: { name: "Guest", roles: [] }, workspaces: [], sysdefaults: {} };

	frappe.provide = function (namespace) {
		return namespace.split(".").reduce((obj, key) => (obj[key] = obj[key] || {}), window);
	};
	frappe.provide("frappe.ui.form");
	frappe.provide("frappe.utils");
	frappe.provide("frappe.model");
	frappe.provide("frappe.meta");
	frappe.provide("frappe.db");
	frappe.provide("frappe.datetime");
	frappe.provide("frappe.desk");
	frappe.listview_settings = frappe.listview_settings || {};
	frappe.route_options = null;
	window.locals = window.locals || {};
	window.cur_frm = null;

	// ------------------------------------------------------------------ session and user
	frappe.session = { user: boot.user.name, user_fullname: boot.user.full_name, csrf_token: frappe.csrf_token };
	frappe.user_roles = boot.user.roles || [];
	frappe.user = {
		name: boot.user.name,
		full_name: () => boot.user.full_name,
		has_role(roles) {
			const wanted = Array.isArray(roles) ? roles : [roles];
			return wanted.some((role) => frappe.user_roles.includes(role));
		},
	};
	frappe.defaults = {
		get_default: (key) => (boot.sysdefaults || {})[key],
		get_user_default: (key) => (boot.sysdefaults || {})[key],
	};
	frappe.sys_defaults = boot.sysdefaults || {};

	// ------------------------------------------------------------------ translation and formatting
	window.__ = function (text, args) {
		text = text == null ? "" : String(text);
		if (!args) return text;
		return text.replace(/\{(\d+)\}/g, (match, index) => (args[index] !== undefined ? args[index] : match));
	};
	frappe._ = window.__;

	const esc = (frappe.utils.escape_html = function (text) {
		return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
			"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
	});
	/**
	 * Messages may carry HTML (Frappe's do), but never script: elements that run code, event-handler
	 * attributes and javascript: links are removed before a message, alert or headline is shown.
	 */
	frappe.utils.sanitize_html = function (html) {
		if (html === null || html === undefined) return "";
		const template = document.createElement("template");
		template.innerHTML = String(html);
		template.content.querySelectorAll("script, style, iframe, object, embed, link, meta, base, form, frame, frameset")
			.forEach((node) => node.remove());
		template.content.querySelectorAll("*").forEach((node) => {
			Array.from(node.attributes).forEach((attr) => {
				const name = attr.name.toLowerCase();
				const value = attr.value.replace(/[\s\u0000-\u001f]+/g, "").toLowerCase();
				if (name.startsWith("on") || name === "srcdoc" || name === "style"
					|| (["href", "src", "action", "formaction", "xlink:href"].includes(name)
						&& (value.startsWith("javascript:") || value.startsWith("data:") || value.startsWith("vbscript:")))) {
					node.removeAttribute(attr.name);
				}
			});
		});
		return template.innerHTML;
	};
	frappe.utils.xss_sanitise = frappe.utils.sanitize_html;
	const safe = frappe.utils.sanitize_html;

	frappe.utils.get_random = (length) => Array.from(crypto.getRandomValues(new Uint8Array(length)))
		.map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
	frappe.utils.is_html = (text) => /<[a-z][\s\S]*>/i.test(String(text || ""));
	frappe.utils.to_title_case = (text) => String(text || "").replace(/\w\S*/g, (w) => w[0].toUpperCase() + w.slice(1));
	frappe.utils.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
	frappe.utils.debounce = function (fn, wait) {
		let timer = null;
		return function (...args) {
			clearTimeout(timer);
			timer = setTimeout(() => fn.apply(this, args), wait);
		};
	};

	const pad = (n) => String(n).padStart(2, "0");
	frappe.datetime.get_today = () => {
		const d = new Date();
		return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
	};
	frappe.datetime.nowdate = frappe.datetime.get_today;
	frappe.datetime.now_time = () => {
		const d = new Date();
		return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
	};
	frappe.datetime.now_datetime = () => frappe.datetime.get_today() + " " + frappe.datetime.now_time();
	frappe.datetime.add_days = (date, days) => {
		const d = new Date(date + "T00:00:00");
		d.setDate(d.getDate() + Number(days));
		return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
	};
	frappe.datetime.str_to_user = (value) => (value ? String(value) : "");

	window.format_number = function (value, format, precision) {
		const n = Number(value || 0);
		const digits = precision == null ? (Number.isInteger(n) ? 0 : 2) : precision;
		return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: Math.max(digits, 2) });
	};
	window.format_currency = function (value, currency, precision) {
		const n = Number(value || 0);
		const digits = precision == null ? 2 : precision;
		try {
			if (currency) {
				return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits,
					maximumFractionDigits: digits }).format(n);
			}
		} catch (e) {
			// an unknown currency code: show the code before the number
			return currency + " " + window.format_number(n, null, digits);
		}
		return window.format_number(n, null, digits);
	};
	window.flt = (value, precision) => {
		const n = parseFloat(value);
		if (isNaN(n)) return 0;
		return precision == null ? n : Number(n.toFixed(precision));
	};
	window.cint = (value) => {
		const n = parseInt(value, 10);
		return isNaN(n) ? 0 : n;
	};
	window.cstr = (value) => (value == null ? "" : String(value));

	/** Display text (HTML-escaped) of a value as the list and read-only fields show it. */
	frappe.format = function (value, df, options, doc) {
		df = df || {};
		if (value === null || value === undefined || value === "") return "";
		switch (df.fieldtype) {
			case "Currency": {
				const currency = (doc && df.options && !df.options.includes(":") && doc[df.options]) || (doc && doc.currency)
					|| frappe.sys_defaults.currency;
				return esc(window.format_currency(value, currency));
			}
			case "Float":
				return esc(window.format_number(value, null, df.precision ? Number(df.precision) : null));
			case "Int":
				return esc(String(cint(value)));
			case "Percent":
				return esc(window.format_number(value) + "%");
			case "Check":
				return value ? "✓" : "";
			case "Password":
				return "••••••";
			default:
				return esc(value);
		}
	};

	// ------------------------------------------------------------------ messages
	function make_modal(title, body_html, opts = {}) {
		const $modal = $(`
			<div class="desk-modal-backdrop" role="presentation">
				<div class="desk-modal ${opts.size ? "desk-modal-" + esc(opts.size) : ""}" role="dialog" aria-modal="true"
					aria-label="${esc(title)}">
					<div class="desk-modal-header">
						<h4 class="desk-modal-title">${opts.indicator ? `<span class="indicator-pill ${esc(opts.indicator)}"></span>` : ""}${esc(title)}</h4>
						<button type="button" class="btn-close" aria-label="${esc(__("Close"))}">×</button>
					</div>
					<div class="desk-modal-body"></div>
					<div class="desk-modal-footer"></div>
				</div>
			</div>`);
		$modal.find(".desk-modal-body").append(body_html);
		$modal.find(".btn-close").on("click", () => close());
		$modal.on("keydown", (e) => {
			if (e.key === "Escape") close();
		});
		function close() {
			$modal.remove();
			if (opts.on_hide) opts.on_hide();
		}
		$modal.close = close;
		$("body").append($modal);
		return $modal;
	}
	frappe.desk.make_modal = make_modal;

	/** frappe.msgprint(message | {message, title, indicator, primary_action}); messages may be HTML, as in Frappe. */
	frappe.msgprint = function (msg, title) {
		const data = typeof msg === "object" && msg !== null && !Array.isArray(msg) ? msg : { message: msg, title };
		let message = data.message;
		if (Array.isArray(message)) message = message.join("<br>");
		const open = $(".desk-modal-backdrop.msgprint").last();
		if (open.length && (open.data("title") || "") === (data.title || "")) {
			// Frappe stacks consecutive messages in the open dialog
			open.find(".desk-modal-body").append(`<hr><div class="msgprint">${safe(message)}</div>`);
			return open;
		}
		const $modal = make_modal(data.title || __("Message"), `<div class="msgprint">${safe(message)}</div>`,
			{ indicator: data.indicator });
		$modal.addClass("msgprint").data("title", data.title || "");
		const ok = $(`<button type="button" class="btn btn-primary btn-sm">${esc(__("OK"))}</button>`)
			.on("click", () => {
				$modal.close();
				if (data.primary_action && data.primary_action.action) data.primary_action.action();
			});
		$modal.find(".desk-modal-footer").append(ok);
		ok.trigger("focus");
		frappe.msg_dialog = $modal;
		return $modal;
	};

	frappe.throw = function (msg) {
		const data = typeof msg === "object" && msg !== null ? msg : { message: msg };
		frappe.msgprint(Object.assign({ title: __("Error"), indicator: "red" }, data));
		throw new Error(typeof data.message === "string" ? data.message : "frappe.throw");
	};

	frappe.show_alert = function (message, seconds) {
		const data = typeof message === "object" && message !== null ? message : { message };
		let $area = $("#desk-alerts");
		if (!$area.length) $area = $('<div id="desk-alerts" aria-live="polite"></div>').appendTo("body");
		const $alert = $(`<div class="desk-alert ${esc(data.indicator || "blue")}" role="status"></div>`)
			.html(safe(data.message)).appendTo($area);
		setTimeout(() => $alert.remove(), (seconds || 5) * 1000);
		return $alert;
	};

	frappe.confirm = function (message, if_yes, if_no, yes_label, no_label) {
		const $modal = make_modal(__("Confirm"), `<p>${safe(message)}</p>`, {
			on_hide: () => {
				if (!$modal.data("answered") && if_no) if_no();
			},
		});
		const answer = (yes) => {
			$modal.data("answered", true);
			$modal.close();
			if (yes && if_yes) if_yes();
			if (!yes && if_no) if_no();
		};
		$modal.find(".desk-modal-footer").append(
			$(`<button type="button" class="btn btn-default btn-sm">${esc(no_label || __("No"))}</button>`).on("click", () => answer(false)),
			$(`<button type="button" class="btn btn-primary btn-sm">${esc(yes_label || __("Yes"))}</button>`).on("click", () => answer(true)));
		$modal.find(".btn-primary").trigger("focus");
		return $modal;
	};

	let freeze_count = 0;
	frappe.freeze = function (message) {
		freeze_count++;
		if (!$("#freeze").length) {
			$(`<div id="freeze" class="desk-freeze" aria-busy="true"><div class="freeze-message"></div></div>`).appendTo("body");
		}
		$("#freeze .freeze-message").text(message || __("Please wait…"));
	};
	frappe.unfreeze = function () {
		freeze_count = Math.max(0, freeze_count - 1);
		if (!freeze_count) $("#freeze").remove();
	};

	// ------------------------------------------------------------------ server calls
	/** The messages (``_server_messages``) of an answer, shown as Frappe shows them. */
	function show_server_messages(data, is_error) {
		if (!data || !data._server_messages) return false;
		let shown = false;
		try {
			JSON.parse(data._server_messages).forEach((raw) => {
				let m = raw;
				try {
					m = JSON.parse(raw);
				} catch (e) {
					m = { message: raw };
				}
				if (typeof m !== "object" || m === null) m = { message: String(m) };
				if (m.alert) {
					frappe.show_alert({ message: m.message, indicator: m.indicator || "blue" });
				} else {
					frappe.msgprint({ message: m.message, title: m.title || (is_error ? __("Message") : __("Message")),
						indicator: m.indicator || (is_error ? "red" : null) });
				}
				shown = true;
			});
		} catch (e) {
			// not the JSON Frappe writes: show nothing rather than garbage
		}
		return shown;
	}
	frappe.desk.show_server_messages = show_server_messages;

	function encode_args(args) {
		const body = new URLSearchParams();
		Object.entries(args || {}).forEach(([key, value]) => {
			if (value === undefined || value === null) return;
			body.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
		});
		return body;
	}

	/**
	 * frappe.call({method, args, type, freeze, freeze_message, callback, error, always, silent}) or
	 * frappe.call(method, args, callback). Resolves with the answer on success, rejects on failure (after the
	 * error callback and the server's messages), as Frappe's jQuery promise does.
	 */
	frappe.call = function (opts, args, callback) {
		if (typeof opts === "string") opts = { method: opts, args, callback };
		const type = (opts.type || "POST").toUpperCase();
		const body = encode_args(opts.args);
		let url = opts.url || "/api/method/" + opts.method;
		const init = {
			method: type,
			credentials: "same-origin",
			headers: { Accept: "application/json", "X-Frappe-CSRF-Token": frappe.csrf_token || "",
				"X-Requested-With": "XMLHttpRequest" },
		};
		if (type === "GET") {
			const query = body.toString();
			if (query) url += (url.includes("?") ? "&" : "?") + query;
		} else {
			init.body = body;
		}
		if (opts.freeze) frappe.freeze(opts.freeze_message);
		const done = () => {
			if (opts.freeze) frappe.unfreeze();
		};
		return fetch(url, init).then(async (response) => {
			let data = {};
			try {
				data = await response.json();
			} catch (e) {
				data = { exc_type: "InvalidResponse", _error_message: __("The server answered {0}", [response.status]) };
			}
			done();
			if (response.ok && !data.exc) {
				if (!opts.silent) show_server_messages(data, false);
				if (opts.callback) opts.callback(data);
				if (opts.always) opts.always(data);
				return data;
			}
			data.exc = data.exc || data.exc_type || String(response.status);
			data.http_status = response.status;
			if (!opts.silent) {
				if (!show_server_messages(data, true)) {
					frappe.msgprint({ title: __("Error"), indicator: "red",
						message: data._error_message || data.message || data.exc_type || __("Something went wrong") });
				}
			}
			if (opts.error) opts.error(data);
			if (opts.always) opts.always(data);
			const failure = new Error(data.exc_type || "frappe.call failed");
			failure.response = data;
			throw failure;
		}, (network_error) => {
			done();
			if (!opts.silent) frappe.msgprint({ title: __("Error"), indicator: "red", message: __("The server cannot be reached.") });
			if (opts.error) opts.error({ exc: String(network_error) });
			throw network_error;
		});
	};

	frappe.xcall = function (method, args, type) {
		return frappe.call({ method, args, type }).then((r) => r.message);
	};

	// ------------------------------------------------------------------ frappe.db
	frappe.db.get_value = function (doctype, filters, fieldname, callback, parent_doc) {
		return frappe.call({ method: "frappe.client.get_value", type: "GET",
			args: { doctype, filters, fieldname, parent: parent_doc }, callback: (r) => callback && callback(r.message) });
	};
	frappe.db.get_single_value = (doctype, field) =>
		frappe.xcall("frappe.client.get_single_value", { doctype, field }, "GET");
	frappe.db.get_list = function (doctype, args = {}) {
		return frappe.xcall("frappe.client.get_list", {
			doctype, fields: args.fields || ["name"], filters: args.filters, or_filters: args.or_filters,
			order_by: args.order_by, limit_start: args.start || args.limit_start,
			limit_page_length: args.limit == null ? 20 : args.limit, parent: args.parent,
		});
	};
	frappe.db.get_doc = (doctype, name, filters) => frappe.xcall("frappe.client.get", { doctype, name, filters }, "GET");
	frappe.db.count = (doctype, args = {}) => frappe.xcall("frappe.client.get_count", { doctype, filters: args.filters }, "GET");
	frappe.db.exists = (doctype, name) => frappe.db.get_value(doctype, { name }, "name").then((r) => !!(r.message && r.message.name));
	frappe.db.set_value = (doctype, name, fieldname, value) =>
		frappe.call({ method: "frappe.client.set_value", args: { doctype, name, fieldname, value } });
	frappe.db.delete_doc = (doctype, name) => frappe.call({ method: "frappe.client.delete", args: { doctype, name } });

	// ------------------------------------------------------------------ meta and model
	frappe.meta.docfield_map = {};
	frappe.meta.docs = {};
	frappe.meta.slug = (doctype) => String(doctype).toLowerCase().replace(/ /g, "-");
	frappe.router = frappe.router || {};
	frappe.router.slug = frappe.meta.slug;

	/** Keep every DocType of a getdoctype answer; run each doctype's form and list scripts once. */
	frappe.model.sync_meta = function (docs) {
		(docs || []).forEach((doc) => {
			if (doc.doctype !== "DocType") return;
			const first_time = !frappe.meta.docs[doc.name];
			frappe.meta.docs[doc.name] = doc;
			frappe.meta.docfield_map[doc.name] = {};
			(doc.fields || []).forEach((df) => (frappe.meta.docfield_map[doc.name][df.fieldname] = df));
			if (first_time) {
				// Frappe evaluates the doctype's form and list scripts when its meta arrives
				for (const key of ["__js", "__list_js", "__custom_js", "__custom_list_js"]) {
					if (doc[key]) frappe.desk.run_script(doc[key], doc.name + key);
				}
			}
		});
	};
	frappe.desk.run_script = function (code, source) {
		try {
			// a global eval, as Frappe's frappe.dom.eval: scripts declare globals and call frappe.ui.form.on
			(0, eval)(code + "\n//# sourceURL=" + String(source).replace(/\W+/g, "_"));
		} catch (e) {
			console.error("Desk script " + source + " failed", e);
			frappe.show_alert({ message: __("A script of {0} failed: {1}", [esc(source), esc(e.message)]), indicator: "red" });
		}
	};

	frappe.get_meta = (doctype) => frappe.meta.docs[doctype];
	frappe.meta.get_docfield = (doctype, fieldname) => (frappe.meta.docfield_map[doctype] || {})[fieldname];
	frappe.meta.has_field = (doctype, fieldname) => !!frappe.meta.get_docfield(doctype, fieldname);

	// ---- meta cache: getdoctype answers kept in localStorage, as Frappe's with_doctype does. Keys name the
	// user and the site's metadata_version (boot), so one user's copy is never read for another and a
	// customization anywhere on the site drops every copy; each copy is still revalidated by the server
	// (cached_timestamp → "use_cache"), which also checks the user's right to the doctype every time.
	const META_CACHE_PREFIX = "_doctype:";
	frappe.model.meta_cache_key = (doctype) =>
		META_CACHE_PREFIX + JSON.stringify([boot.user.name, boot.metadata_version || "", doctype]);
	frappe.model.clear_meta_cache = function (keep_current) {
		try {
			const current = META_CACHE_PREFIX + JSON.stringify([boot.user.name, boot.metadata_version || ""]).slice(0, -1);
			for (let i = localStorage.length - 1; i >= 0; i--) {
				const key = localStorage.key(i);
				if (key && key.startsWith(META_CACHE_PREFIX) && !(keep_current && key.startsWith(current + ","))) {
					localStorage.removeItem(key);
				}
			}
		} catch (e) { /* storage unavailable (private mode): nothing cached */ }
	};
	// copies of other users and of earlier metadata versions are of no use to this page
	frappe.model.clear_meta_cache(true);
	frappe.model.get_cached_meta = function (doctype) {
		try {
			const docs = JSON.parse(localStorage.getItem(frappe.model.meta_cache_key(doctype)) || "null");
			return Array.isArray(docs) && docs.length && docs[0].name === doctype ? docs : null;
		} catch (e) {
			return null;
		}
	};
	frappe.model.set_cached_meta = function (doctype, docs) {
		const key = frappe.model.meta_cache_key(doctype);
		const text = JSON.stringify(docs);
		try {
			localStorage.setItem(key, text);
		} catch (e) {
			// quota full: drop other users' and older versions' copies once, then give up quietly
			frappe.model.clear_meta_cache(true);
			try { localStorage.setItem(key, text); } catch (e2) { /* the page works without a cache */ }
		}
	};

	/** Load a doctype's meta (and its children's) with frappe.desk.form.load.getdoctype, once per page;
	 * a copy kept from an earlier page is sent as cached_timestamp and used when the server says "use_cache". */
	frappe.model.with_doctype = function (doctype) {
		if (frappe.meta.docs[doctype]) return Promise.resolve(frappe.meta.docs[doctype]);
		const cached = frappe.model.get_cached_meta(doctype);
		return frappe.call({ method: "frappe.desk.form.load.getdoctype", type: "GET",
			args: { doctype, with_parent: 1, cached_timestamp: cached ? cached[0].modified : "" } }).then((r) => {
			if (r.message === "use_cache" && cached) {
				frappe.model.sync_meta(cached);
			} else {
				frappe.model.sync_meta(r.docs);
				// with_parent may answer the parent's bundle: keep it under the doctype asked for only
				// when it is that doctype's own
				if (r.docs && r.docs.length && r.docs[0].name === doctype) frappe.model.set_cached_meta(doctype, r.docs);
			}
			return frappe.meta.docs[doctype];
		});
	};

	frappe.model.is_submittable = (doctype) => !!(frappe.meta.docs[doctype] || {}).is_submittable;
	frappe.model.is_single = (doctype) => !!(frappe.meta.docs[doctype] || {}).issingle;
	frappe.model.is_table = (doctype) => !!(frappe.meta.docs[doctype] || {}).istable;
	frappe.model.no_value_type = ["Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect",
		"Button", "Image", "Fold", "Heading"];
	frappe.model.table_fields = ["Table", "Table MultiSelect"];
	frappe.model.std_fields_list = ["name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"];

	frappe.model.add_to_locals = function (doc) {
		locals[doc.doctype] = locals[doc.doctype] || {};
		locals[doc.doctype][doc.name] = doc;
		frappe.meta.get_table_fields(doc.doctype).forEach((df) => {
			(doc[df.fieldname] || []).forEach((row) => {
				row.parent = row.parent || doc.name;
				row.parenttype = row.parenttype || doc.doctype;
				row.parentfield = row.parentfield || df.fieldname;
				row.doctype = row.doctype || df.options;
				frappe.model.add_to_locals(row);
			});
		});
		return doc;
	};
	frappe.meta.get_table_fields = (doctype) => ((frappe.meta.docs[doctype] || {}).fields || [])
		.filter((df) => frappe.model.table_fields.includes(df.fieldtype));

	frappe.model.get_default_value = function (df, doc) {
		const value = df.default;
		if (value === undefined || value === null || value === "") {
			if (df.fieldtype === "Link" && frappe.sys_defaults[frappe.model.scrub(df.options || "")]) {
				return frappe.sys_defaults[frappe.model.scrub(df.options)];
			}
			if (df.fieldtype === "Select" && df.reqd && df.options) {
				return String(df.options).split("\n").find((o) => o) || "";
			}
			return undefined;
		}
		const text = String(value);
		// ":Company" means "the default of the linked Company": the server fills it on save
		if (text.startsWith(":")) return undefined;
		if (text.toLowerCase() === "today") return frappe.datetime.get_today();
		if (text.toLowerCase() === "now") return df.fieldtype === "Time" ? frappe.datetime.now_time() : frappe.datetime.now_datetime();
		if (text === "__user") return frappe.session.user;
		if (["Check", "Int"].includes(df.fieldtype)) return cint(value);
		if (["Float", "Currency", "Percent"].includes(df.fieldtype)) return flt(value);
		return value;
	};
	frappe.model.scrub = (text) => String(text || "").toLowerCase().replace(/[ -]/g, "_");

	frappe.model.get_new_name = (doctype) => "new-" + frappe.meta.slug(doctype) + "-" + frappe.utils.get_random(8);

	/** A new local document with its defaults (``__islocal``), as frappe.model.get_new_doc. */
	frappe.model.get_new_doc = function (doctype, parent_doc, parentfield, with_mandatory_children) {
		const meta = frappe.meta.docs[doctype] || { fields: [] };
		const doc = { docstatus: 0, doctype, name: frappe.model.get_new_name(doctype), __islocal: 1, __unsaved: 1,
			owner: frappe.session.user };
		meta.fields.forEach((df) => {
			if (frappe.model.table_fields.includes(df.fieldtype)) {
				doc[df.fieldname] = [];
				return;
			}
			if (frappe.model.no_value_type.includes(df.fieldtype)) return;
			const value = frappe.model.get_default_value(df, doc);
			if (value !== undefined) doc[df.fieldname] = value;
		});
		if (parent_doc) {
			Object.assign(doc, { parent: parent_doc.name, parentfield, parenttype: parent_doc.doctype });
		}
		frappe.model.add_to_locals(doc);
		if (with_mandatory_children) {
			frappe.meta.get_table_fields(doctype).filter((df) => df.reqd).forEach((df) => {
				frappe.model.add_child(doc, df.options, df.fieldname);
			});
		}
		return doc;
	};

	frappe.model.add_child = function (parent_doc, doctype, parentfield, idx) {
		if (!parentfield) {
			// frappe.model.add_child(doc, parentfield)
			parentfield = doctype;
			doctype = (frappe.meta.get_docfield(parent_doc.doctype, parentfield) || {}).options;
		}
		const row = frappe.model.get_new_doc(doctype, parent_doc, parentfield);
		parent_doc[parentfield] = parent_doc[parentfield] || [];
		const rows = parent_doc[parentfield];
		if (idx && idx <= rows.length) rows.splice(idx - 1, 0, row);
		else rows.push(row);
		rows.forEach((r, i) => (r.idx = i + 1));
		return row;
	};

	frappe.model.clear_table = function (doc, parentfield) {
		(doc[parentfield] || []).forEach((row) => {
			if (locals[row.doctype]) delete locals[row.doctype][row.name];
		});
		doc[parentfield] = [];
	};

	/** A copy of ``doc`` as a new document (no name, no_copy fields left out), as frappe.model.copy_doc. */
	frappe.model.copy_doc = function (doc, from_amend) {
		const meta = frappe.meta.docs[doc.doctype] || { fields: [] };
		const copy = frappe.model.get_new_doc(doc.doctype);
		const skip = ["name", "owner", "creation", "modified", "modified_by", "docstatus", "amended_from", "idx",
			"parent", "parentfield", "parenttype"];
		meta.fields.forEach((df) => {
			const fieldname = df.fieldname;
			if (skip.includes(fieldname) || frappe.model.no_value_type.includes(df.fieldtype) && !frappe.model.table_fields.includes(df.fieldtype)) return;
			if (df.no_copy && !from_amend) return;
			if (df.fieldtype === "Password") return;
			if (frappe.model.table_fields.includes(df.fieldtype)) {
				copy[fieldname] = (doc[fieldname] || []).map((row) => {
					const child = frappe.model.copy_doc(row, from_amend);
					Object.assign(child, { parent: copy.name, parentfield: fieldname, parenttype: copy.doctype, idx: row.idx });
					return child;
				});
			} else if (doc[fieldname] !== undefined) {
				copy[fieldname] = doc[fieldname];
			}
		});
		return copy;
	};

	/** frappe.model.set_value(doctype, name, fieldname, value) on a document shown in the open form. */
	frappe.model.set_value = function (doctype, docname, fieldname, value) {
		const doc = locals[doctype] && locals[doctype][docname];
		if (!doc) return Promise.resolve();
		const values = typeof fieldname === "object" ? fieldname : { [fieldname]: value };
		if (window.cur_frm) return window.cur_frm.set_doc_values(doc, values);
		Object.assign(doc, values);
		return Promise.resolve();
	};
	frappe.model.get_value = (doctype, filters, fieldname, callback) => frappe.db.get_value(doctype, filters, fieldname, callback);
	frappe.model.get_doc = (doctype, name) => (locals[doctype] || {})[name];

	// ------------------------------------------------------------------ permissions (meta + roles, as frappe.perm)
	const PTYPES = ["read", "write", "create", "delete", "submit", "cancel", "amend", "select", "report"];
	/** [{read, write, ...} per permlevel] for the session user on ``doc`` (or the doctype). */
	frappe.perm = {
		get_perm(doctype, doc, server_perms) {
			const meta = frappe.meta.docs[doctype];
			const perm = [];
			if (!meta) return perm;
			(meta.permissions || []).forEach((p) => {
				if (!frappe.user_roles.includes(p.role)) return;
				if (p.if_owner && doc && !doc.__islocal && doc.owner !== frappe.session.user) return;
				const level = cint(p.permlevel);
				perm[level] = perm[level] || {};
				PTYPES.forEach((ptype) => {
					if (cint(p[ptype])) perm[level][ptype] = 1;
				});
			});
			for (let i = 0; i < perm.length; i++) perm[i] = perm[i] || {};
			// what the server says about this very document wins at level 0: row rules and user permissions
			// take rights away, a DocShare gives them (one's own User form without a role on User)
			if (server_perms) {
				perm[0] = perm[0] || {};
				PTYPES.forEach((ptype) => {
					if (server_perms[ptype] !== undefined) perm[0][ptype] = cint(server_perms[ptype]);
				});
			}
			return perm;
		},
		has_perm(doctype, permlevel, ptype, doc) {
			const perm = frappe.perm.get_perm(doctype, doc);
			return !!(perm[permlevel || 0] || {})[ptype || "read"];
		},
	};
	frappe.model.can_create = (doctype) => {
		const meta = frappe.meta.docs[doctype];
		return !!meta && !meta.in_create && frappe.perm.has_perm(doctype, 0, "create");
	};
	frappe.model.can_delete = (doctype) => frappe.perm.has_perm(doctype, 0, "delete");

	/** Evaluate Frappe's ``depends_on`` forms: ``eval:<js>`` over doc/parent, or a fieldname that must be set. */
	frappe.desk.eval_condition = function (expression, doc, parent) {
		if (expression === undefined || expression === null || expression === "") return true;
		if (typeof expression === "number" || typeof expression === "boolean") return !!expression;
		const text = String(expression).trim();
		try {
			if (text.startsWith("eval:")) {
				// eslint-disable-next-line no-new-func
				return !!new Function("doc", "parent", "frappe", "return (" + text.slice(5) + ");")(doc || {}, parent || doc || {}, frappe);
			}
			const value = (doc || {})[text];
			return Array.isArray(value) ? value.length > 0 : !!value;
		} catch (e) {
			console.warn("depends_on failed", text, e);
			return false;
		}
	};

	/** The indicator [label, colour] of a document: listview_settings.get_indicator, else docstatus. */
	frappe.get_indicator = function (doc, doctype) {
		doctype = doctype || doc.doctype;
		if (doc.__unsaved || doc.__islocal) return [__("Not Saved"), "orange"];
		const settings = frappe.listview_settings[doctype] || {};
		if (settings.get_indicator) {
			const out = settings.get_indicator(doc);
			if (out) return out;
		}
		const meta = frappe.meta.docs[doctype] || {};
		if (cint(doc.docstatus) === 2) return [__("Cancelled"), "red", "docstatus,=,2"];
		if (meta.is_submittable) {
			if (cint(doc.docstatus) === 1) return [doc.status ? __(doc.status) : __("Submitted"), "blue", "docstatus,=,1"];
			return [__("Draft"), "red", "docstatus,=,0"];
		}
		if (doc.status && frappe.meta.has_field(doctype, "status")) return [__(doc.status), "gray", "status,=," + doc.status];
		if (frappe.meta.has_field(doctype, "enabled")) {
			return doc.enabled ? [__("Enabled"), "blue", "enabled,=,1"] : [__("Disabled"), "gray", "enabled,=,0"];
		}
		return null;
	};
	frappe.desk.indicator_html = function (indicator) {
		if (!indicator) return "";
		return `<span class="indicator-pill ${esc(indicator[1] || "gray")}">${esc(indicator[0])}</span>`;
	};
})();

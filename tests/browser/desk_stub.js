// Test-only: the few Desk APIs MedGrid's Desk scripts use (frappe.ui.form.on, frappe.ui.Dialog,
// frappe.call, frappe.listview_settings, a tiny jQuery), so the scripts run in a plain page against
// the real server endpoints. Not shipped: the real Desk provides all of these.
(function () {
	"use strict";

	function wrap(nodes) {
		nodes = Array.isArray(nodes) ? nodes : [nodes];
		const api = {
			nodes,
			on(event, selector, handler) {
				nodes.forEach((node) => node.addEventListener(event, (e) => {
					if (typeof selector === "function") return selector(e);
					const target = e.target.closest(selector);
					if (target && node.contains(target)) {
						handler({ currentTarget: target, target: e.target, key: e.key, preventDefault: () => e.preventDefault() });
					}
				}));
				return api;
			},
			html(value) {
				nodes.forEach((node) => (node.innerHTML = value));
				return api;
			},
			find(selector) {
				return wrap(nodes.flatMap((node) => Array.from(node.querySelectorAll(selector))));
			},
			val() {
				return nodes[0] && nodes[0].value;
			},
			attr(name) {
				return nodes[0] && nodes[0].getAttribute(name);
			},
			addClass() {
				return api;
			},
		};
		return api;
	}
	window.$ = (target) => wrap(target);

	window.__ = (text, args) => (args ? text.replace(/\{(\d+)\}/g, (m, i) => args[i]) : text);
	window.format_number = (value) => String(value);
	window.format_currency = (value, currency) => (currency || "USD") + " " + Number(value).toFixed(2);

	const calls = (window.__desk_calls = []);
	const forms = (window.__form_handlers = {});
	const alerts = (window.__alerts = []);

	window.frappe = {
		session: { user: document.body.dataset.user || "test" },
		provide(namespace) {
			namespace.split(".").reduce((obj, key) => (obj[key] = obj[key] || {}), window);
		},
		call(opts) {
			calls.push({ method: opts.method, args: opts.args });
			const type = (opts.type || "POST").toUpperCase();
			let url = "/api/method/" + opts.method;
			const init = { method: type, headers: { Accept: "application/json" }, credentials: "same-origin" };
			const args = {};
			Object.entries(opts.args || {}).forEach(([key, value]) => {
				if (value !== undefined && value !== null) args[key] = typeof value === "object" ? JSON.stringify(value) : value;
			});
			if (type === "GET") url += "?" + new URLSearchParams(args);
			else {
				init.headers["Content-Type"] = "application/json";
				init.body = JSON.stringify(args);
			}
			return fetch(url, init).then((r) => r.json()).then((data) => {
				if (opts.callback) opts.callback(data);
				return data;
			});
		},
		show_alert(opts) {
			alerts.push(opts.message);
		},
		set_route() {},
		utils: {
			escape_html: (text) => String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
				"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])),
		},
		listview_settings: {},
		ui: {
			form: {
				on(doctype, handlers) {
					forms[doctype] = handlers;
				},
			},
			Dialog: class {
				constructor(opts) {
					this.opts = opts;
					this.root = document.createElement("div");
					this.root.id = "stub-dialog";
					this.fields_dict = {};
					opts.fields.filter((f) => f.fieldname).forEach((df) => {
						const holder = document.createElement("div");
						holder.dataset.fieldname = df.fieldname;
						let input = null;
						if (df.fieldtype === "Select") {
							input = document.createElement("select");
							input.addEventListener("change", () => df.change && df.change());
						} else if (df.fieldtype === "Data") {
							input = document.createElement("input");
						}
						if (input) {
							input.name = df.fieldname;
							input.setAttribute("aria-label", df.label);
							holder.appendChild(input);
						}
						this.root.appendChild(holder);
						this.fields_dict[df.fieldname] = {
							df,
							$input: input ? wrap(input) : null,
							$wrapper: wrap(holder),
							refresh() {
								input.replaceChildren();
								(df.options || []).forEach((o) => {
									const option = document.createElement("option");
									option.value = typeof o === "string" ? o : o.value;
									option.textContent = typeof o === "string" ? o : o.label;
									input.appendChild(option);
								});
							},
						};
					});
					const primary = document.createElement("button");
					primary.textContent = opts.primary_action_label;
					primary.addEventListener("click", () => opts.primary_action());
					this.root.appendChild(primary);
				}
				show() {
					document.body.appendChild(this.root);
				}
				get_value(name) {
					const input = this.root.querySelector(`[name="${name}"]`);
					return input ? input.value : null;
				}
				set_value(name, value) {
					this.root.querySelector(`[name="${name}"]`).value = value;
				}
			},
		},
	};

	/** A Sales Order form as far as MedGrid's script touches it. */
	window.make_stub_frm = function (doc) {
		const buttons = {};
		const frm = {
			doc: Object.assign({ docstatus: 0, items: [{ doctype: "Sales Order Item", name: "row-0" }] }, doc),
			buttons,
			refreshed: [],
			triggered: [],
			has_perm: () => true,
			add_custom_button(label, action, group) {
				buttons[(group ? group + "/" : "") + label] = action;
				return { addClass() {} };
			},
			clear_table(field) {
				frm.doc[field] = [];
			},
			add_child(field, values) {
				const row = Object.assign({ doctype: "Sales Order Item", name: "row-" + (frm.doc[field].length + 1) }, values);
				frm.doc[field].push(row);
				return row;
			},
			refresh_field(field) {
				frm.refreshed.push(field);
			},
			reload_doc() {},
			script_manager: { trigger: (field, cdt, cdn) => frm.triggered.push([field, cdt, cdn]) },
			dashboard: { set_headline_alert() {} },
		};
		return frm;
	};
})();

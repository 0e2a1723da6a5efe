// MedGrid runtime Desk — field controls, the layout that arranges them (sections, columns, tabs) and
// frappe.ui.Dialog. The same controls draw forms, child-row forms and dialogs.
(function () {
	"use strict";

	const esc = frappe.utils.escape_html;
	const LAYOUT_TYPES = ["Section Break", "Column Break", "Tab Break"];
	const NUMERIC = ["Int", "Float", "Currency", "Percent"];
	const TEXTAREA = ["Small Text", "Text", "Long Text", "Text Editor", "Markdown Editor", "HTML Editor", "Code", "JSON"];
	let next_id = 0;

	/** One field: label, input (or read-only text), description. ``layout`` owns the value (``layout.doc``). */
	class Control {
		constructor(df, layout) {
			this.df = df;
			this.layout = layout;
			this.doc = layout.doc;
			this.frm = layout.frm;
			this.id = "desk-field-" + ++next_id;
			this.make();
		}

		make() {
			const df = this.df;
			this.$wrapper = $(`<div class="frappe-control form-group" data-fieldname="${esc(df.fieldname || "")}"
				data-fieldtype="${esc(df.fieldtype)}"></div>`);
			this.wrapper = this.$wrapper.get(0);
			if (this.has_label()) {
				this.$label = $(`<label class="control-label" for="${this.id}"></label>`).text(__(df.label || df.fieldname || ""))
					.appendTo(this.$wrapper);
			}
			this.$input_area = $('<div class="control-input"></div>').appendTo(this.$wrapper);
			this.$static = $('<div class="control-value like-disabled-input" hidden></div>').appendTo(this.$wrapper);
			this.make_input();
			if (df.description) {
				$('<p class="help-box small text-muted"></p>').html(__(df.description)).appendTo(this.$wrapper);
			}
		}

		has_label() {
			return true;
		}

		make_input() {
			this.$input = $(`<input type="text" class="form-control" id="${this.id}" autocomplete="off">`)
				.attr("data-fieldname", this.df.fieldname).appendTo(this.$input_area);
			if (this.df.fieldtype === "Email") this.$input.attr("type", "email");
			if (this.df.placeholder) this.$input.attr("placeholder", __(this.df.placeholder));
			this.bind_change();
		}

		bind_change() {
			this.$input.on("change", () => this.user_changed(this.parse(this.read_input())));
			// typing makes a form "Not Saved" at once (Save replaces Submit), as in Frappe
			this.$input.on("input", () => {
				if (this.layout.frm && !this.layout.frm.is_dirty()) this.layout.frm.dirty();
			});
		}

		read_input() {
			return this.$input.val();
		}

		parse(value) {
			return value;
		}

		/** The user typed or picked a value. */
		user_changed(value) {
			return this.layout.set_field_value(this.df, value, true);
		}

		get_value() {
			return this.doc[this.df.fieldname];
		}

		/** Set programmatically (dialog.set_value, frm.set_value): stores and runs change handlers. */
		set_value(value) {
			return this.layout.set_field_value(this.df, value, false);
		}

		set_input(value) {
			if (this.$input && document.activeElement !== this.$input.get(0)) {
				this.$input.val(value == null ? "" : value);
			}
		}

		format_static(value) {
			return frappe.format(value, this.df, null, this.doc);
		}

		/** Apply the field's state (hidden, read only, mandatory) and show the stored value. */
		refresh() {
			const state = this.layout.get_field_state(this.df);
			// in a form, a read-only field without a value is not shown (Frappe does the same)
			const empty_read_only = state.read_only && this.layout.frm && this.is_empty() && this.df.fieldtype !== "Check";
			this.visible = !!(!state.hidden && !empty_read_only);
			this.$wrapper.get(0).hidden = !this.visible;
			this.$wrapper.toggleClass("has-error", !!(state.reqd && !state.read_only && this.is_empty()));
			if (this.$label) this.$label.toggleClass("reqd", !!state.reqd);
			const value = this.get_value();
			if (state.read_only) {
				this.$input_area.attr("hidden", true);
				this.$static.removeAttr("hidden").html(this.format_static(value) || '<span class="text-muted">&nbsp;</span>');
			} else {
				this.$input_area.removeAttr("hidden");
				this.$static.attr("hidden", true);
				this.set_input(value);
			}
			this.read_only = state.read_only;
		}

		is_empty() {
			const value = this.get_value();
			return value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
		}
	}

	class ControlData extends Control {}

	class ControlInt extends Control {
		make_input() {
			super.make_input();
			this.$input.attr("inputmode", "decimal").addClass("text-right");
		}
		parse(value) {
			if (value === "" || value == null) return this.df.fieldtype === "Int" ? 0 : 0;
			const clean = String(value).replace(/[^0-9.\-eE]/g, "");
			return this.df.fieldtype === "Int" ? cint(clean) : flt(clean);
		}
	}

	class ControlCheck extends Control {
		make_input() {
			this.$input = $(`<input type="checkbox" id="${this.id}">`).attr("data-fieldname", this.df.fieldname);
			this.$input_area.addClass("checkbox").append(this.$input);
			if (this.$label) this.$label.detach().addClass("checkbox-label").appendTo(this.$input_area);
			this.bind_change();
		}
		read_input() {
			return this.$input.prop("checked") ? 1 : 0;
		}
		set_input(value) {
			this.$input.prop("checked", !!cint(value));
		}
		refresh() {
			super.refresh();
			// a read-only check box stays a (disabled) check box, as in Frappe
			this.$input_area.removeAttr("hidden");
			this.$static.attr("hidden", true);
			this.$input.prop("disabled", !!this.read_only);
			this.set_input(this.get_value());
		}
	}

	class ControlSelect extends Control {
		make_input() {
			this.$input = $(`<select class="form-control" id="${this.id}"></select>`).attr("data-fieldname", this.df.fieldname)
				.appendTo(this.$input_area);
			this.set_options();
			this.bind_change();
		}
		get_options() {
			let options = this.df.options || [];
			if (typeof options === "string") options = options.split("\n");
			return options.map((o) => (typeof o === "object" && o !== null ? { value: o.value, label: o.label == null ? o.value : o.label }
				: { value: o, label: o }));
		}
		set_options() {
			const current = this.get_value();
			this.$input.empty();
			this.get_options().forEach((o) => {
				$("<option></option>").attr("value", o.value == null ? "" : o.value).text(__(o.label == null ? "" : o.label))
					.appendTo(this.$input);
			});
			if (current !== undefined) this.$input.val(current == null ? "" : current);
		}
		refresh() {
			this.set_options();
			super.refresh();
		}
		set_input(value) {
			this.$input.val(value == null ? "" : value);
		}
	}

	class ControlText extends Control {
		make_input() {
			this.$input = $(`<textarea class="form-control" id="${this.id}" rows="${this.df.fieldtype === "Small Text" ? 3 : 6}"></textarea>`)
				.attr("data-fieldname", this.df.fieldname).appendTo(this.$input_area);
			if (["Code", "JSON"].includes(this.df.fieldtype)) this.$input.addClass("code").attr("spellcheck", "false");
			this.bind_change();
		}
		format_static(value) {
			if (value == null) return "";
			// Text Editor is edited as plain text here; its stored HTML is shown as text, never interpreted
			return `<div class="static-text">${esc(typeof value === "object" ? JSON.stringify(value, null, 2) : value)}</div>`;
		}
	}

	class ControlDate extends Control {
		make_input() {
			const type = { Date: "date", Datetime: "datetime-local", Time: "time" }[this.df.fieldtype];
			this.$input = $(`<input type="${type}" class="form-control" id="${this.id}">`).attr("data-fieldname", this.df.fieldname)
				.appendTo(this.$input_area);
			if (type !== "date") this.$input.attr("step", "1");
			this.bind_change();
		}
		parse(value) {
			if (!value) return null;
			if (this.df.fieldtype === "Datetime") {
				const v = value.replace("T", " ");
				return v.length === 16 ? v + ":00" : v;
			}
			return value;
		}
		set_input(value) {
			if (!value) return this.$input.val("");
			let v = String(value);
			if (this.df.fieldtype === "Datetime") v = v.replace(" ", "T").slice(0, 19);
			if (this.df.fieldtype === "Date") v = v.slice(0, 10);
			if (this.df.fieldtype === "Time") v = v.split(".")[0].padStart(8, "0");
			this.$input.val(v);
		}
	}

	/** Password: set-only. The stored secret never reaches the page (the server sends asterisks). */
	class ControlPassword extends Control {
		make_input() {
			this.$input = $(`<input type="password" class="form-control" id="${this.id}" autocomplete="new-password">`)
				.attr("data-fieldname", this.df.fieldname).appendTo(this.$input_area);
			this.bind_change();
		}
		set_input(value) {
			const is_set = value && /^\*+$/.test(String(value));
			// what the user typed stays until saved; a stored secret shows only as "set"
			if (!this.$input.val() || is_set) this.$input.val("");
			this.$input.attr("placeholder", is_set ? __("(set — type to replace)") : "");
		}
		format_static(value) {
			return value ? "••••••" : "";
		}
	}

	class ControlReadOnly extends Control {
		make_input() {
			this.$input = $();
		}
		refresh() {
			const state = this.layout.get_field_state(this.df);
			this.visible = !!(!state.hidden && !this.is_empty());
			this.$wrapper.get(0).hidden = !this.visible;
			this.$input_area.attr("hidden", true);
			this.$static.removeAttr("hidden").html(this.format_static(this.get_value()));
		}
	}

	class ControlHTML extends Control {
		has_label() {
			return false;
		}
		make_input() {
			this.$input = $();
			this.$input_area.remove();
			this.$static.remove();
			// the field's options are the doctype author's HTML (meta, not user data)
			if (this.df.options) this.$wrapper.html(this.df.options);
		}
		refresh() {
			const state = this.layout.get_field_state(this.df);
			this.visible = !!(!state.hidden);
			this.$wrapper.get(0).hidden = !this.visible;
		}
		html(content) {
			this.$wrapper.html(content);
		}
	}

	class ControlHeading extends ControlHTML {
		make_input() {
			super.make_input();
			this.$wrapper.html(`<h4 class="form-heading">${esc(__(this.df.label || ""))}</h4>`);
		}
	}

	class ControlButton extends Control {
		has_label() {
			return false;
		}
		make_input() {
			this.$input = $(`<button type="button" class="btn btn-default btn-sm" id="${this.id}"></button>`)
				.text(__(this.df.label || this.df.fieldname)).appendTo(this.$input_area);
			this.$input.on("click", () => this.layout.button_clicked(this.df));
		}
		refresh() {
			const state = this.layout.get_field_state(this.df);
			this.visible = !!(!state.hidden);
			this.$wrapper.get(0).hidden = !this.visible;
			this.$input.prop("disabled", !!state.read_only && !this.layout.frm);
		}
		set_input() {}
	}

	/** Attach: the file's path (``/files/x.pdf``) typed or pasted; shown as a link. */
	class ControlAttach extends Control {
		format_static(value) {
			if (!value) return "";
			const safe = /^(\/files\/|\/private\/files\/|https?:\/\/)/.test(String(value));
			return safe ? `<a href="${esc(value)}" target="_blank" rel="noopener">${esc(value)}</a>` : esc(value);
		}
	}

	/** Link with type-ahead (frappe.desk.search.search_link, set_query) and validation (frappe.client.validate_link). */
	class ControlLink extends Control {
		make_input() {
			super.make_input();
			this.$input.attr({ role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false" });
			this.$list = $(`<ul class="link-dropdown" role="listbox" hidden></ul>`).appendTo(this.$input_area);
			this.$input_area.addClass("link-field");
			this.active = -1;
			this.$input.off("change");
			const search = frappe.utils.debounce(() => this.search(), 250);
			this.$input.on("input", () => {
				this.picked = false;
				search();
			});
			this.$input.on("focus", () => search());
			this.$input.on("keydown", (e) => this.keydown(e));
			this.$input.on("blur", () => setTimeout(() => this.close_and_validate(), 200));
			this.$list.on("mousedown", "li", (e) => {
				e.preventDefault();
				this.pick($(e.currentTarget).attr("data-value"));
			});
		}

		get_doctype() {
			if (this.df.fieldtype === "Dynamic Link") return this.doc[this.df.options];
			return this.df.options;
		}

		search() {
			const doctype = this.get_doctype();
			if (!doctype || this.read_only) return;
			const args = { txt: this.$input.val() || "", doctype, ignore_user_permissions: this.df.ignore_user_permissions ? 1 : 0,
				reference_doctype: this.layout.reference_doctype || "", page_length: 10 };
			const query = this.layout.get_query(this.df, this.doc);
			if (query) {
				if (query.query) args.query = query.query;
				if (query.filters) args.filters = query.filters;
				else if (!query.query && !query.filters && typeof query === "object") args.filters = query;
			}
			const token = (this.search_token = (this.search_token || 0) + 1);
			frappe.call({ method: "frappe.desk.search.search_link", args, silent: true }).then((r) => {
				if (token !== this.search_token || document.activeElement !== this.$input.get(0)) return;
				this.render(r.message || []);
			}).catch(() => this.render([]));
		}

		render(results) {
			this.results = results;
			this.active = -1;
			this.$list.empty();
			results.forEach((row, i) => {
				$(`<li role="option" id="${this.id}-opt-${i}"></li>`).attr("data-value", row.value)
					.append($("<strong></strong>").text(row.label || row.value))
					.append(row.description ? $('<span class="small text-muted"></span>').text(row.description) : "")
					.appendTo(this.$list);
			});
			this.$list.attr("hidden", !results.length);
			this.$input.attr("aria-expanded", results.length ? "true" : "false");
			if (results.length) this.place_list();
		}

		/** The list floats over the page (fixed), so a grid's scroll box or a dialog cannot clip it. */
		place_list() {
			const rect = this.$input.get(0).getBoundingClientRect();
			this.$list.css({ position: "fixed", left: rect.left + "px", top: rect.bottom + 2 + "px",
				width: Math.max(rect.width, 260) + "px", right: "auto" });
			if (!this.scroll_closer) {
				// the list does not follow the input when the page scrolls: close it instead
				this.scroll_closer = (e) => {
					if (!this.$list.attr("hidden") && !this.$list.get(0).contains(e.target)) this.$list.attr("hidden", true);
				};
				window.addEventListener("scroll", this.scroll_closer, true);
			}
		}

		keydown(e) {
			const items = this.$list.children("li");
			if (!items.length || this.$list.attr("hidden")) return;
			if (e.key === "ArrowDown" || e.key === "ArrowUp") {
				e.preventDefault();
				this.active = (this.active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
				items.removeClass("active").eq(this.active).addClass("active");
				this.$input.attr("aria-activedescendant", items.eq(this.active).attr("id"));
			} else if (e.key === "Enter" && this.active >= 0) {
				e.preventDefault();
				this.pick(items.eq(this.active).attr("data-value"));
			} else if (e.key === "Escape") {
				this.$list.attr("hidden", true);
			}
		}

		pick(value) {
			this.picked = true;
			this.$list.attr("hidden", true);
			this.$input.attr("aria-expanded", "false").val(value);
			this.user_changed(value);
		}

		close_and_validate() {
			this.$list.attr("hidden", true);
			this.$input.attr("aria-expanded", "false");
			const typed = this.$input.val() || "";
			if (this.picked || typed === (this.get_value() || "")) return;
			this.user_changed(typed);
		}
	}

	const CONTROL_TYPES = {
		Data: ControlData, Phone: ControlData, Email: ControlData, Autocomplete: ControlData, Barcode: ControlData,
		Int: ControlInt, Float: ControlInt, Currency: ControlInt, Percent: ControlInt, Check: ControlCheck,
		Select: ControlSelect, Date: ControlDate, Datetime: ControlDate, Time: ControlDate, Password: ControlPassword,
		"Read Only": ControlReadOnly, HTML: ControlHTML, Heading: ControlHeading, Button: ControlButton,
		Attach: ControlAttach, "Attach Image": ControlAttach, Link: ControlLink, "Dynamic Link": ControlLink,
	};
	TEXTAREA.forEach((type) => (CONTROL_TYPES[type] = ControlText));
	frappe.ui.form.controls = CONTROL_TYPES;
	frappe.ui.form.Control = Control;

	/**
	 * Arranges fields in tabs, sections and columns and owns their values (``doc``). Forms, child-row forms and
	 * dialogs subclass it for their rules (permissions, change events).
	 */
	class Layout {
		constructor(opts) {
			Object.assign(this, opts);
			this.doc = this.doc || {};
			this.fields_dict = {};
			this.fields_list = [];
			this.sections = [];
		}

		/** Build into ``$parent``. ``make_table(df, $column)`` draws Table fields (forms only). */
		render($parent) {
			this.$layout = $('<div class="form-layout"></div>').appendTo($parent);
			const fields = this.fields.filter((df) => this.include_field(df));
			const has_tabs = fields.some((df) => df.fieldtype === "Tab Break");
			let $tab_body = this.$layout;
			if (has_tabs) {
				this.$tabs = $('<div class="form-tabs" role="tablist"></div>').appendTo(this.$layout);
				this.tabs = [];
				if (fields[0].fieldtype !== "Tab Break") $tab_body = this.add_tab({ label: __("Details"), fieldname: "__details" });
			}
			let $section = null;
			let $column = null;
			const new_section = (df) => {
				$section = $('<div class="form-section"></div>').appendTo($tab_body);
				if (df && df.label) $(`<h5 class="section-head"></h5>`).text(__(df.label)).appendTo($section);
				$section.$columns = $('<div class="section-body"></div>').appendTo($section);
				$column = $('<div class="form-column"></div>').appendTo($section.$columns);
				this.sections.push({ df: df || {}, $section, fields: [] });
			};
			fields.forEach((df) => {
				if (df.fieldtype === "Tab Break") {
					$tab_body = this.add_tab(df);
					new_section(null);
					return;
				}
				if (df.fieldtype === "Section Break" || !$section) {
					new_section(df.fieldtype === "Section Break" ? df : null);
					if (df.fieldtype === "Section Break") return;
				}
				if (df.fieldtype === "Column Break") {
					$column = $('<div class="form-column"></div>').appendTo($section.$columns);
					return;
				}
				let control;
				if (frappe.model.table_fields.includes(df.fieldtype) && this.make_table) {
					control = this.make_table(df, $column);
				} else {
					const Type = CONTROL_TYPES[df.fieldtype] || ControlData;
					control = new Type(df, this);
					$column.append(control.$wrapper);
				}
				if (df.fieldname) this.fields_dict[df.fieldname] = control;
				this.fields_list.push(control);
				this.sections[this.sections.length - 1].fields.push(control);
			});
			if (this.tabs && this.tabs.length) this.select_tab(0);
			this.refresh_fields();
		}

		add_tab(df) {
			const index = this.tabs.length;
			const $button = $(`<button type="button" class="form-tab" role="tab"></button>`).text(__(df.label || df.fieldname))
				.on("click", () => this.select_tab(index)).appendTo(this.$tabs);
			const $body = $('<div class="form-tab-body" role="tabpanel"></div>').appendTo(this.$layout);
			this.tabs.push({ df, $button, $body });
			return $body;
		}

		select_tab(index) {
			this.tabs.forEach((tab, i) => {
				tab.$button.toggleClass("active", i === index).attr("aria-selected", i === index ? "true" : "false");
				tab.$body.toggle(i === index);
			});
		}

		include_field() {
			return true;
		}

		refresh_fields() {
			this.fields_list.forEach((control) => control.refresh());
			// a section whose fields are all hidden disappears, as does one whose depends_on is false
			this.sections.forEach((section) => {
				// visibility as the controls last set it (reading computed styles would force a layout per section)
				const visible = section.fields.some((c) => c.visible !== false)
					&& frappe.desk.eval_condition(section.df.depends_on, this.doc, this.parent_doc)
					&& !section.df.hidden;
				section.$section.get(0).hidden = !visible;
			});
			(this.tabs || []).forEach((tab) => {
				const hidden = tab.df.hidden || !frappe.desk.eval_condition(tab.df.depends_on, this.doc, this.parent_doc);
				tab.$button.get(0).hidden = !!hidden;
			});
		}

		refresh_field(fieldname) {
			const control = this.fields_dict[fieldname];
			if (control) control.refresh();
		}

		/** hidden / read_only / reqd of a field now: the field's own flags and the *_depends_on conditions. */
		get_field_state(df) {
			const doc = this.doc;
			const parent = this.parent_doc;
			const hidden = !!df.hidden || (df.depends_on ? !frappe.desk.eval_condition(df.depends_on, doc, parent) : false);
			const read_only = !!df.read_only
				|| (df.read_only_depends_on ? frappe.desk.eval_condition(df.read_only_depends_on, doc, parent) : false);
			const reqd = !!df.reqd || (df.mandatory_depends_on ? frappe.desk.eval_condition(df.mandatory_depends_on, doc, parent) : false);
			return { hidden, read_only, reqd };
		}

		get_query(df) {
			if (df.get_query) return df.get_query(this.doc);
			return df.filters ? { filters: df.filters } : null;
		}

		set_field_value(df, value) {
			this.doc[df.fieldname] = value;
			this.refresh_fields();
			if (df.change) df.change.call(this.fields_dict[df.fieldname]);
			if (df.onchange) df.onchange.call(this.fields_dict[df.fieldname]);
			return Promise.resolve();
		}

		button_clicked(df) {
			if (df.click) df.click();
		}

		/** Labels of the mandatory fields that are visible and empty. */
		missing_mandatory() {
			const missing = [];
			this.fields_list.forEach((control) => {
				const df = control.df;
				if (!df.fieldname || LAYOUT_TYPES.includes(df.fieldtype)) return;
				const state = this.get_field_state(df);
				if (state.reqd && !state.hidden && control.is_empty && control.is_empty()) missing.push(__(df.label || df.fieldname));
			});
			return missing;
		}
	}
	frappe.ui.form.Layout = Layout;

	/** frappe.ui.FieldGroup: fields drawn into a parent, values read with get_values(). */
	class FieldGroup extends Layout {
		constructor(opts) {
			super({ fields: opts.fields || [], doc: {}, reference_doctype: "" });
			this.opts = opts;
			(this.fields || []).forEach((df) => {
				if (df.default !== undefined && df.fieldname) this.doc[df.fieldname] = df.default;
			});
			if (opts.body || opts.parent) this.make(opts.body || opts.parent);
		}
		make(parent) {
			this.render($(parent));
		}
		get_value(fieldname) {
			const control = this.fields_dict[fieldname];
			if (control && control.$input && control.$input.length && !control.read_only
				&& control.$input.is("input[type=text], input:not([type]), textarea") && document.activeElement === control.$input.get(0)) {
				// a value being typed counts, as in Frappe's dialogs
				return control.parse(control.read_input());
			}
			return this.doc[fieldname];
		}
		get_values(ignore_errors) {
			// take what is in focused inputs before checking
			this.fields_list.forEach((control) => {
				if (control.$input && control.$input.length && document.activeElement === control.$input.get(0)
					&& !(control instanceof ControlLink)) {
					this.doc[control.df.fieldname] = control.parse(control.read_input());
				}
			});
			const missing = this.missing_mandatory();
			if (missing.length && !ignore_errors) {
				frappe.msgprint({ title: __("Missing Values Required"), indicator: "red",
					message: __("Following fields have missing values:") + "<br><ul><li>" + missing.map(esc).join("</li><li>") + "</li></ul>" });
				return null;
			}
			const values = {};
			this.fields_list.forEach((control) => {
				const df = control.df;
				if (df.fieldname && !frappe.model.no_value_type.includes(df.fieldtype) && this.doc[df.fieldname] !== undefined) {
					values[df.fieldname] = this.doc[df.fieldname];
				}
			});
			return values;
		}
		set_value(fieldname, value) {
			const control = this.fields_dict[fieldname];
			if (!control) return Promise.resolve();
			if (control.$input && document.activeElement === control.$input.get(0)) control.$input.trigger("blur");
			return this.set_field_value(control.df, value);
		}
		set_values(values) {
			return Promise.all(Object.entries(values || {}).map(([key, value]) => this.set_value(key, value)));
		}
		set_df_property(fieldname, prop, value) {
			const control = this.fields_dict[fieldname];
			if (!control) return;
			control.df[prop] = value;
			control.refresh();
		}
		clear() {
			Object.keys(this.doc).forEach((key) => delete this.doc[key]);
			this.refresh_fields();
		}
		refresh() {
			this.refresh_fields();
		}
	}
	frappe.ui.FieldGroup = FieldGroup;

	/** frappe.ui.Dialog({title, fields, primary_action_label, primary_action(values), secondary_action, size}). */
	class Dialog extends FieldGroup {
		constructor(opts) {
			super({ fields: opts.fields || [] });
			this.opts = opts;
			this.title = opts.title || "";
			this.$wrapper = $(`<div class="desk-modal-backdrop" role="presentation" hidden>
				<div class="desk-modal" role="dialog" aria-modal="true">
					<div class="desk-modal-header"><h4 class="desk-modal-title"></h4>
						<button type="button" class="btn-close" aria-label="${esc(__("Close"))}">×</button></div>
					<div class="desk-modal-body modal-body"></div>
					<div class="desk-modal-footer"></div>
				</div></div>`);
			this.$wrapper.find(".desk-modal").attr("aria-label", __(this.title)).addClass(opts.size ? "desk-modal-" + opts.size : "");
			this.$wrapper.find(".desk-modal-title").text(__(this.title));
			this.body = this.$wrapper.find(".desk-modal-body").get(0);
			this.$body = $(this.body);
			this.wrapper = this.$wrapper.get(0);
			this.header = this.$wrapper.find(".desk-modal-header");
			this.$wrapper.find(".btn-close").on("click", () => this.hide());
			this.$wrapper.on("keydown", (e) => {
				if (e.key === "Escape") this.hide();
			});
			this.render(this.$body);
			this.$footer = this.$wrapper.find(".desk-modal-footer");
			if (opts.secondary_action_label || opts.secondary_action) {
				this.set_secondary_action_label(opts.secondary_action_label || __("Cancel"));
			}
			if (opts.primary_action) this.set_primary_action(opts.primary_action_label || __("Submit"), opts.primary_action);
			$("body").append(this.$wrapper);
		}
		set_primary_action(label, action) {
			if (!this.$primary) {
				this.$primary = $('<button type="button" class="btn btn-primary btn-sm btn-modal-primary"></button>').appendTo(this.$footer);
			}
			this.$primary.text(__(label)).off("click").on("click", () => {
				const values = this.get_values();
				if (!values) return;
				action.call(this, values);
			});
			this.primary_action = action;
			return this.$primary;
		}
		set_secondary_action_label(label) {
			$('<button type="button" class="btn btn-default btn-sm btn-modal-secondary"></button>').text(__(label))
				.on("click", () => {
					if (this.opts.secondary_action) this.opts.secondary_action.call(this);
					this.hide();
				}).prependTo(this.$footer);
		}
		set_title(title) {
			this.title = title;
			this.$wrapper.find(".desk-modal-title").text(__(title));
		}
		show() {
			this.$wrapper.removeAttr("hidden");
			this.display = true;
			const first = this.$wrapper.find("input, select, textarea").filter(":visible").first();
			if (first.length) first.trigger("focus");
			if (this.onshow) this.onshow();
			return this;
		}
		hide() {
			this.$wrapper.attr("hidden", true);
			this.display = false;
			if (this.onhide) this.onhide();
			if (this.opts.onhide) this.opts.onhide();
		}
		get_primary_btn() {
			return this.$primary;
		}
		disable_primary_action() {
			if (this.$primary) this.$primary.prop("disabled", true);
		}
		enable_primary_action() {
			if (this.$primary) this.$primary.prop("disabled", false);
		}
	}
	frappe.ui.Dialog = Dialog;
})();

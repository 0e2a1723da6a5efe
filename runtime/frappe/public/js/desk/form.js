// MedGrid runtime Desk — the form view: ``frm`` with Frappe's form-script API, the child grid, save / submit /
// cancel / amend / delete / duplicate through the server calls Frappe's Desk makes.
(function () {
	"use strict";

	const esc = frappe.utils.escape_html;
	frappe.ui.form.handlers = frappe.ui.form.handlers || {};

	/** frappe.ui.form.on(doctype, {event: fn}) or (doctype, event, fn): handlers stack per event, as in Frappe. */
	frappe.ui.form.on = function (doctype, events, fn) {
		if (typeof events === "string") events = { [events]: fn };
		const registry = (frappe.ui.form.handlers[doctype] = frappe.ui.form.handlers[doctype] || {});
		Object.entries(events).forEach(([event, handler]) => {
			(registry[event] = registry[event] || []).push(handler);
		});
	};
	frappe.ui.form.off = function (doctype, event) {
		if (frappe.ui.form.handlers[doctype]) delete frappe.ui.form.handlers[doctype][event];
	};

	const is_table = (df) => frappe.model.table_fields.includes(df.fieldtype);
	const copy_fields = (doctype) => ((frappe.get_meta(doctype) || {}).fields || []).map((df) => Object.assign({}, df));

	// ------------------------------------------------------------------ layouts bound to a document
	class FormLayout extends frappe.ui.form.Layout {
		include_field(df) {
			// a field the user may not read at its permlevel is not drawn at all
			return this.frm.can_read_level(df.permlevel);
		}
		get_field_state(df) {
			const state = super.get_field_state(df);
			const doc = this.doc;
			const docstatus = cint((this.parent_doc || doc).docstatus);
			if (!this.frm.can_write_level(df.permlevel)) state.read_only = true;
			if (docstatus === 1 && !df.allow_on_submit) state.read_only = true;
			if (docstatus === 2) state.read_only = true;
			if (df.fieldtype === "Read Only") state.read_only = true;
			return state;
		}
		set_field_value(df, value, by_user) {
			return this.frm.set_doc_values(this.doc, { [df.fieldname]: value }, by_user);
		}
		get_query(df, doc) {
			return this.frm.get_query(df, doc, this.parent_doc ? this.doc : null);
		}
		button_clicked(df) {
			if (this.parent_doc) return this.frm.script_manager.trigger(df.fieldname, this.doc.doctype, this.doc.name);
			return this.frm.script_manager.trigger(df.fieldname);
		}
		make_table(df, $column) {
			const grid = new Grid(this.frm, df, this);
			$column.append(grid.$wrapper);
			return grid;
		}
	}

	// ------------------------------------------------------------------ child table grid
	class Grid {
		constructor(frm, df, layout) {
			this.frm = frm;
			this.df = df;
			this.layout = layout;
			this.doctype = df.options;
			this.grid = this;
			this.$wrapper = $(`<div class="frappe-control form-group grid-field" data-fieldname="${esc(df.fieldname)}"
				data-fieldtype="Table"></div>`);
			this.wrapper = this.$wrapper.get(0);
			this.$label = $('<div class="control-label"></div>').text(__(df.label || df.fieldname)).appendTo(this.$wrapper);
			this.$table = $(`<table class="grid-table"><thead></thead><tbody></tbody></table>`)
				.attr("aria-label", __(df.label || df.fieldname));
			$('<div class="grid-scroll"></div>').append(this.$table).appendTo(this.$wrapper);
			this.$footer = $('<div class="grid-footer"></div>').appendTo(this.$wrapper);
			this.open_rows = new Set();
		}

		get_field(fieldname) {
			// old Frappe style: frm.fields_dict.items.grid.get_field("item_code").get_query = fn
			const frm = this.frm;
			const key = this.df.fieldname + "." + fieldname;
			return {
				set get_query(fn) {
					frm.queries[key] = fn;
				},
				get get_query() {
					return frm.queries[key];
				},
			};
		}

		rows() {
			return this.frm.doc[this.df.fieldname] || [];
		}

		child_fields() {
			// one copy per grid, so set_df_property(field, prop, value, null, table) sticks for every row
			this.fields_copy = this.fields_copy || copy_fields(this.doctype);
			return this.fields_copy.map((df) => Object.assign({}, df));
		}

		columns() {
			const fields = this.child_fields().filter((df) => !frappe.model.no_value_type.includes(df.fieldtype) && !df.hidden
				&& this.frm.can_read_level(df.permlevel));
			let columns = fields.filter((df) => df.in_list_view);
			if (!columns.length) columns = fields.filter((df) => df.reqd).concat(fields.filter((df) => !df.reqd)).slice(0, 4);
			return columns.slice(0, 6);
		}

		is_editable() {
			const docstatus = cint(this.frm.doc.docstatus);
			return this.frm.can_write_level(this.df.permlevel) && !this.df.read_only
				&& (docstatus === 0 || (docstatus === 1 && this.df.allow_on_submit));
		}

		/** Redraw the rows when they changed (added, removed, moved); otherwise only refresh their cells. */
		refresh() {
			const state = this.layout.get_field_state(this.df);
			this.visible = !!(!state.hidden);
			this.$wrapper.get(0).hidden = !this.visible;
			this.$label.toggleClass("reqd", !!state.reqd);
			const editable = this.is_editable();
			const signature = JSON.stringify([editable, this.rows().map((row) => row.name), [...this.open_rows],
				this.child_fields().map((df) => [df.hidden, df.in_list_view, df.read_only, df.reqd])]);
			if (signature === this.signature && this.row_layouts) {
				this.row_layouts.forEach((layout) => layout.refresh_fields());
				return;
			}
			this.signature = signature;
			const columns = this.columns();
			const label = __(this.df.label || this.df.fieldname);
			this.$table.find("thead").html(`<tr>
				${editable ? `<th class="grid-check"><input type="checkbox" aria-label="${esc(__("Select all rows of {0}", [label]))}"
					class="grid-select-all"></th>` : ""}
				<th class="grid-idx">${esc(__("No."))}</th>
				${columns.map((df) => `<th class="${["Int", "Float", "Currency", "Percent"].includes(df.fieldtype) ? "text-right" : ""}">
					${esc(__(df.label || df.fieldname))}</th>`).join("")}
				<th class="grid-edit"></th></tr>`);
			const $body = this.$table.find("tbody").empty();
			this.row_layouts = [];
			const rows = this.rows();
			rows.forEach((row, index) => this.render_row($body, row, index, columns, editable));
			if (!rows.length) {
				$body.append(`<tr class="grid-empty"><td colspan="${columns.length + 3}" class="text-muted">${esc(__("No rows"))}</td></tr>`);
			}
			this.$table.find(".grid-select-all").on("change", (e) => {
				this.$table.find(".grid-row-check").prop("checked", e.target.checked);
				this.toggle_delete();
			});
			this.$footer.empty();
			if (editable) {
				if (!this.df.cannot_add_rows) {
					$(`<button type="button" class="btn btn-default btn-xs grid-add-row"></button>`).text(__("Add Row"))
						.attr("aria-label", __("Add a row to {0}", [label])).on("click", () => this.add_row()).appendTo(this.$footer);
				}
				if (!this.df.cannot_delete_rows) {
					this.$delete = $(`<button type="button" class="btn btn-danger btn-xs grid-remove-rows" hidden></button>`)
						.text(__("Delete")).on("click", () => this.remove_selected()).appendTo(this.$footer);
				}
			}
		}

		render_row($body, row, index, columns, editable) {
			const layout = new FormLayout({ frm: this.frm, doc: row, parent_doc: this.frm.doc, fields: this.child_fields(),
				reference_doctype: this.doctype });
			this.row_layouts.push(layout);
			const $tr = $(`<tr class="grid-row" data-name="${esc(row.name)}" data-idx="${row.idx}"></tr>`).appendTo($body);
			if (editable) {
				$(`<td class="grid-check"><input type="checkbox" class="grid-row-check"
					aria-label="${esc(__("Select row {0}", [index + 1]))}"></td>`).appendTo($tr)
					.find("input").on("change", () => this.toggle_delete());
			}
			$(`<td class="grid-idx">${index + 1}</td>`).appendTo($tr);
			columns.forEach((column) => {
				const df = layout.fields.find((f) => f.fieldname === column.fieldname);
				const Type = frappe.ui.form.controls[df.fieldtype] || frappe.ui.form.controls.Data;
				const control = new Type(df, layout);
				control.$wrapper.addClass("grid-cell-control");
				if (control.$label) control.$label.addClass("sr-only").text(__("{0} of row {1}", [__(df.label || df.fieldname), index + 1]));
				layout.fields_dict[df.fieldname] = control;
				layout.fields_list.push(control);
				$('<td class="grid-cell"></td>').append(control.$wrapper).appendTo($tr);
			});
			const $edit = $(`<td class="grid-edit"><button type="button" class="btn btn-xs btn-default"
				aria-label="${esc(__("Edit row {0}", [index + 1]))}">✎</button></td>`).appendTo($tr);
			$edit.find("button").on("click", () => this.toggle_row_form(row));
			layout.refresh_fields();
			if (this.open_rows.has(row.name)) this.render_row_form($body, row, index, editable);
		}

		toggle_row_form(row) {
			if (this.open_rows.has(row.name)) this.open_rows.delete(row.name);
			else this.open_rows.add(row.name);
			this.refresh();
		}

		/** The row form: every field of the child doctype, and moving the row. */
		render_row_form($body, row, index, editable) {
			const $td = $(`<td colspan="99" class="grid-row-form"></td>`);
			$('<tr class="grid-row-form-row"></tr>').append($td).appendTo($body);
			const $head = $(`<div class="grid-row-form-head"><strong>${esc(__("Editing row {0}", [index + 1]))}</strong></div>`).appendTo($td);
			if (editable) {
				$('<button type="button" class="btn btn-default btn-xs"></button>').text(__("Move Up")).prop("disabled", index === 0)
					.on("click", () => this.move_row(index, -1)).appendTo($head);
				$('<button type="button" class="btn btn-default btn-xs"></button>').text(__("Move Down"))
					.prop("disabled", index === this.rows().length - 1).on("click", () => this.move_row(index, 1)).appendTo($head);
				$('<button type="button" class="btn btn-default btn-xs"></button>').text(__("Insert Below"))
					.on("click", () => this.add_row(index + 2)).appendTo($head);
			}
			$('<button type="button" class="btn btn-default btn-xs"></button>').text(__("Collapse"))
				.on("click", () => this.toggle_row_form(row)).appendTo($head);
			const layout = new FormLayout({ frm: this.frm, doc: row, parent_doc: this.frm.doc, fields: this.child_fields(),
				reference_doctype: this.doctype });
			layout.render($td);
			this.row_layouts.push(layout);
		}

		toggle_delete() {
			if (this.$delete) this.$delete.attr("hidden", !this.$table.find(".grid-row-check:checked").length);
		}

		add_row(idx) {
			const row = this.frm.add_child(this.df.fieldname, {}, idx);
			this.frm.dirty();
			this.refresh();
			this.frm.script_manager.trigger(this.df.fieldname + "_add", row.doctype, row.name);
			const $first = this.$table.find(`tr[data-name="${CSS.escape(row.name)}"] input, tr[data-name="${CSS.escape(row.name)}"] select`).first();
			if ($first.length) $first.trigger("focus");
			return row;
		}

		remove_selected() {
			const names = this.$table.find(".grid-row-check:checked").closest("tr").map((i, tr) => $(tr).attr("data-name")).get();
			const rows = this.rows();
			const removed = rows.filter((row) => names.includes(row.name));
			this.frm.doc[this.df.fieldname] = rows.filter((row) => !names.includes(row.name));
			this.frm.doc[this.df.fieldname].forEach((row, i) => (row.idx = i + 1));
			this.frm.dirty();
			this.refresh();
			removed.forEach((row) => this.frm.script_manager.trigger(this.df.fieldname + "_remove", row.doctype, row.name));
		}

		move_row(index, step) {
			const rows = this.rows();
			const target = index + step;
			if (target < 0 || target >= rows.length) return;
			[rows[index], rows[target]] = [rows[target], rows[index]];
			rows.forEach((row, i) => (row.idx = i + 1));
			this.frm.dirty();
			this.refresh();
			this.frm.script_manager.trigger(this.df.fieldname + "_move", rows[target].doctype, rows[target].name);
		}

		refresh_row(row) {
			(this.row_layouts || []).filter((layout) => layout.doc === row).forEach((layout) => layout.refresh_fields());
		}
	}
	frappe.ui.form.Grid = Grid;

	// ------------------------------------------------------------------ the form
	class ScriptManager {
		constructor(frm) {
			this.frm = frm;
		}
		/** Run the handlers of ``event`` for ``doctype`` (default: the form's) one after the other; awaits promises. */
		async trigger(event, doctype, name) {
			doctype = doctype || this.frm.doctype;
			name = name || this.frm.docname;
			const handlers = (frappe.ui.form.handlers[doctype] || {})[event] || [];
			for (const handler of handlers) {
				await handler(this.frm, doctype, name);
			}
		}
	}

	class Form {
		constructor(doctype, $parent) {
			this.doctype = doctype;
			this.meta = frappe.get_meta(doctype);
			this.$parent = $parent;
			this.queries = {};
			this.script_manager = new ScriptManager(this);
			this.custom_buttons = {};
			this.fields_dict = {};
			const frm = this;
			this.dashboard = {
				set_headline_alert(html) {
					frm.$headline.html(frappe.utils.sanitize_html(html || "")).attr("hidden", !html);
				},
				clear_headline() {
					frm.$headline.empty().attr("hidden", true);
				},
				set_headline(html) {
					this.set_headline_alert(html);
				},
				add_comment(text, color) {
					frm.$headline.append(`<div class="indicator-pill ${esc(color || "blue")}">${frappe.utils.sanitize_html(text)}</div>`).removeAttr("hidden");
				},
			};
			this.page = {
				set_indicator: (label, color) => this.$indicator.html(frappe.desk.indicator_html([label, color])),
				clear_indicator: () => this.$indicator.empty(),
				add_menu_item: (label, fn) => this.add_menu_item(label, fn),
				set_primary_action: (label, fn) => this.set_primary(label, fn),
			};
			this.setup_done = false;
			// frm.events.<name>(frm, ...): the handlers registered for this doctype, as Frappe's frm.events
			this.events = new Proxy({}, {
				get: (target, event) => {
					const handlers = ((frappe.ui.form.handlers[this.doctype] || {})[event]) || [];
					if (!handlers.length) return undefined;
					return (...args) => handlers.reduce((last, handler) => handler(...args), undefined);
				},
			});
		}

		// ---------------- loading
		async load(docname, prefetched) {
			if (docname === "new") {
				const doc = frappe.model.get_new_doc(this.doctype, null, null, true);
				this.apply_route_options(doc);
				return this.show(doc, { permissions: null }, true);
			}
			const local = (locals[this.doctype] || {})[docname];
			if (local && local.__islocal) return this.show(local, { permissions: null });
			let r;
			try {
				r = await (prefetched || frappe.call({ method: "frappe.desk.form.load.getdoc", type: "GET",
					args: { doctype: this.doctype, name: docname } }));
			} catch (e) {
				// the prefetch was silent: show the refusal now, as an ordinary load would
				if (prefetched && e.response) frappe.desk.show_server_messages(e.response, true);
				throw e;
			}
			const doc = (r.docs || [])[0];
			if (!doc) throw new Error("getdoc answered no document");
			frappe.model.add_to_locals(doc);
			return this.show(doc, r.docinfo || {});
		}

		apply_route_options(doc) {
			if (!frappe.route_options) return;
			Object.entries(frappe.route_options).forEach(([key, value]) => {
				if (frappe.meta.has_field(this.doctype, key)) doc[key] = value;
			});
			frappe.route_options = null;
		}

		async show(doc, docinfo, is_new_route) {
			this.doc = doc;
			this.docname = doc.name;
			this.docinfo = docinfo || {};
			window.cur_frm = this;
			this.perm = frappe.perm.get_perm(this.doctype, doc, this.docinfo.permissions);
			if (is_new_route && !frappe.model.is_single(this.doctype)) {
				frappe.desk.replace_route(`/app/${frappe.meta.slug(this.doctype)}/${encodeURIComponent(doc.name)}`);
			}
			if (!this.setup_done) {
				this.setup_done = true;
				await this.safe_trigger("setup");
			}
			this.render();
			await this.safe_trigger("onload");
			await this.refresh();
			await this.safe_trigger("onload_post_render");
		}

		async safe_trigger(event, cdt, cdn) {
			try {
				await this.script_manager.trigger(event, cdt, cdn);
				return true;
			} catch (e) {
				console.error(`form script ${event} failed`, e);
				return false;
			}
		}

		render() {
			this.$parent.empty();
			this.$wrapper = $(`<div class="form-page" data-doctype="${esc(this.doctype)}"></div>`).appendTo(this.$parent);
			const $head = $(`<div class="page-head">
				<div class="title-area"><h3 class="title-text"></h3><span class="form-indicator"></span></div>
				<div class="page-actions"><div class="custom-actions"></div><div class="standard-actions"></div></div>
			</div>`).appendTo(this.$wrapper);
			this.$title = $head.find(".title-text");
			this.$indicator = $head.find(".form-indicator");
			this.$custom_actions = $head.find(".custom-actions");
			this.$standard_actions = $head.find(".standard-actions");
			this.actions_signature = null;
			this.$intro = $('<div class="form-intro" hidden></div>').appendTo(this.$wrapper);
			this.$headline = $('<div class="form-headline" hidden></div>').appendTo(this.$wrapper);
			this.$banner = $('<div class="form-banner" hidden></div>').appendTo(this.$wrapper);
			const $body = $('<div class="form-body"></div>').appendTo(this.$wrapper);
			this.layout = new FormLayout({ frm: this, doc: this.doc, fields: copy_fields(this.doctype), reference_doctype: this.doctype });
			this.layout.render($body);
			this.fields = this.layout.fields_list;
			this.fields_dict = this.layout.fields_dict;
			if (frappe.desk.mark_first_paint) frappe.desk.mark_first_paint();
		}

		// ---------------- refresh
		async refresh(docname) {
			if (docname && docname !== this.docname) return this.load(docname);
			this.custom_buttons = {};
			this.$custom_actions.empty();
			this.$intro.empty().attr("hidden", true);
			this.dashboard.clear_headline();
			this.layout.doc = this.doc;
			this.layout.refresh_fields();
			this.refresh_header();
			await this.safe_trigger("refresh");
			this.refresh_header();
		}

		refresh_header() {
			const title_field = this.meta.title_field;
			let title = this.doc.__islocal ? __("New {0}", [__(this.doctype)]) : this.doc.name;
			if (!this.doc.__islocal && title_field && this.doc[title_field] && !String(this.doc[title_field]).includes("{")) {
				title = this.doc[title_field];
			}
			if (this.meta.issingle) title = __(this.doctype);
			this.$title.text(title).attr("title", this.doc.name);
			if (frappe.desk.set_breadcrumbs) {
				const home = [__("Home"), "/app"];
				frappe.desk.set_breadcrumbs(this.meta.issingle ? [home, [__(this.doctype)]] : [home,
					[__(this.doctype), "/app/" + frappe.meta.slug(this.doctype)], [this.doc.__islocal ? __("New") : this.doc.name]]);
			}
			document.title = `${title} — ${__(this.doctype)}`;
			const indicator = this.meta.issingle ? (this.doc.__unsaved ? [__("Not Saved"), "orange"] : null)
				: frappe.get_indicator(this.doc, this.doctype);
			this.$indicator.html(frappe.desk.indicator_html(indicator));
			const docstatus = cint(this.doc.docstatus);
			const banners = {
				1: this.meta.is_submittable ? __("This document is submitted: only fields allowed on submit can change.") : "",
				2: __("This document is cancelled. Amend it to make a corrected copy."),
			};
			this.$banner.text(banners[docstatus] || "").attr("hidden", !banners[docstatus])
				.toggleClass("cancelled", docstatus === 2);
			this.render_standard_actions();
		}

		render_standard_actions() {
			const docstatus = cint(this.doc.docstatus);
			const dirty = !!(this.doc.__unsaved || this.doc.__islocal);
			const perm0 = this.perm[0] || {};
			// redraw only when the buttons change: a blur that marks the form dirty must not replace the
			// button being clicked (the click would be lost)
			const signature = JSON.stringify([this.doc.name, docstatus, dirty, !!this.doc.__islocal, perm0,
				(this.menu_items || []).map((m) => m[0]), this.custom_primary && this.custom_primary[0]]);
			if (signature === this.actions_signature && this.$standard_actions.children().length) return;
			this.actions_signature = signature;
			const $actions = this.$standard_actions.empty();
			// a stopped save (mandatory fields, a script's frappe.throw, a server refusal) has been shown already
			const quietly = (fn) => () => Promise.resolve().then(fn).catch((e) => console.debug("action stopped:", e && e.message));
			const button = (label, fn, primary) => $(`<button type="button" class="btn btn-sm ${primary ? "btn-primary primary-action" : "btn-default"}"></button>`)
				.text(label).on("click", quietly(fn)).appendTo($actions);
			// the "…" menu: Reload, Duplicate, Delete, New
			const $menu = $(`<div class="dropdown menu-btn-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle"
				aria-haspopup="true" aria-label="${esc(__("Menu"))}">⋯</button><div class="dropdown-menu" role="menu" hidden></div></div>`);
			const $items = $menu.find(".dropdown-menu");
			const item = (label, fn) => $(`<button type="button" class="dropdown-item" role="menuitem"></button>`).text(label)
				.on("click", () => {
					$items.attr("hidden", true);
					fn();
				}).appendTo($items);
			$menu.find(".dropdown-toggle").on("click", () => $items.attr("hidden", !$items.attr("hidden")));
			if (!this.doc.__islocal) item(__("Reload"), () => this.reload_doc());
			if (!this.meta.issingle && !this.meta.allow_copy && frappe.model.can_create(this.doctype) && !this.doc.__islocal) {
				item(__("Duplicate"), () => this.copy_doc());
			}
			if (!this.meta.issingle && !this.doc.__islocal && perm0.delete && docstatus !== 1) item(__("Delete"), () => this.delete_doc());
			if (!this.meta.issingle && frappe.model.can_create(this.doctype)) {
				item(__("New {0}", [__(this.doctype)]), () => frappe.new_doc(this.doctype));
			}
			(this.menu_items || []).forEach(([label, fn]) => item(label, fn));
			if ($items.children().length) $menu.appendTo($actions);

			if (docstatus === 0) {
				const can_save = this.doc.__islocal ? perm0.create || perm0.write : perm0.write;
				if (this.meta.is_submittable && !dirty && perm0.submit) button(__("Submit"), () => this.savesubmit(), true);
				else if (can_save && (dirty || !this.meta.is_submittable)) button(__("Save"), () => this.save(), true);
			} else if (docstatus === 1) {
				if (dirty && this.has_allow_on_submit()) button(__("Update"), () => this.save("Update"), true);
				if (perm0.cancel) button(__("Cancel"), () => this.savecancel(), !dirty);
			} else if (docstatus === 2 && perm0.amend && frappe.model.can_create(this.doctype)) {
				button(__("Amend"), () => this.amend_doc(), true);
			}
			if (this.custom_primary) button(this.custom_primary[0], this.custom_primary[1], true);
		}

		has_allow_on_submit() {
			return (this.meta.fields || []).some((df) => df.allow_on_submit);
		}

		// ---------------- permissions
		can_read_level(permlevel) {
			const level = cint(permlevel);
			return !!(this.perm[level] || {}).read || (level === 0 && !!this.doc && !!this.doc.__islocal && !!(this.perm[0] || {}).create);
		}
		can_write_level(permlevel) {
			const level = cint(permlevel);
			const p = this.perm[level] || {};
			if (this.doc && this.doc.__islocal && level === 0) return !!(p.create || p.write);
			return !!p.write;
		}
		has_perm(ptype, permlevel) {
			return !!(this.perm[cint(permlevel)] || {})[ptype];
		}

		// ---------------- values
		is_new() {
			return !!this.doc.__islocal;
		}
		is_dirty() {
			return !!(this.doc && this.doc.__unsaved);
		}
		dirty() {
			this.doc.__unsaved = 1;
			this.refresh_header();
		}

		/** frm.set_value(field, value) / frm.set_value({field: value}); resolves after change handlers ran. */
		set_value(field, value) {
			const values = typeof field === "object" ? field : { [field]: value };
			return this.set_doc_values(this.doc, values, false);
		}

		async set_doc_values(doc, values, by_user) {
			const is_child = doc !== this.doc;
			for (const [fieldname, raw] of Object.entries(values)) {
				const df = frappe.meta.get_docfield(doc.doctype, fieldname);
				let value = raw;
				if (df && is_table(df)) {
					doc[fieldname] = (value || []).map((row) => {
						const child = frappe.model.add_child(doc, df.options, fieldname);
						return Object.assign(child, row, { name: child.name, parent: doc.name, parentfield: fieldname });
					}).slice(-(value || []).length);
					doc[fieldname].forEach((row, i) => (row.idx = i + 1));
					this.dirty();
					this.refresh_field(fieldname);
					continue;
				}
				if (df && ["Int", "Check"].includes(df.fieldtype)) value = cint(value);
				if (df && ["Float", "Currency", "Percent"].includes(df.fieldtype)) value = flt(value);
				if (value === undefined) value = null;
				const old = doc[fieldname];
				if (old === value || ((old === null || old === undefined || old === "") && (value === null || value === ""))) {
					this.refresh_doc_controls(doc);
					continue;
				}
				doc[fieldname] = value;
				if (!df || df.fieldtype !== "Password" || value) this.dirty();
				const has_fetches = df && (frappe.get_meta(doc.doctype).fields || []).some((f) => f.fetch_from
					&& f.fetch_from.split(".")[0] === fieldname);
				// what the user types is checked (and fetches); a script's value only when something is fetched from it
				if (df && ["Link", "Dynamic Link"].includes(df.fieldtype) && value && (by_user || has_fetches)) {
					const ok = await this.validate_link_and_fetch(doc, df, value);
					if (!ok) continue;
				} else if (df && ["Link", "Dynamic Link"].includes(df.fieldtype)) {
					this.clear_fetched(doc, df);
				}
				this.refresh_doc_controls(doc);
				if (is_child) await this.safe_trigger(fieldname, doc.doctype, doc.name);
				else await this.safe_trigger(fieldname);
				this.refresh_doc_controls(doc);
			}
		}

		/** frappe.client.validate_link: an unknown value is cleared; fetch_from fields take the linked values. */
		async validate_link_and_fetch(doc, df, value) {
			const doctype = df.fieldtype === "Dynamic Link" ? doc[df.options] : df.options;
			if (!doctype) return true;
			const fetches = (frappe.get_meta(doc.doctype).fields || []).filter((f) => f.fetch_from
				&& f.fetch_from.split(".")[0] === df.fieldname);
			let r;
			try {
				r = await frappe.call({ method: "frappe.client.validate_link", type: "GET", silent: true,
					args: { doctype, docname: value, fields: fetches.map((f) => f.fetch_from.split(".")[1]) } });
			} catch (e) {
				return true;
			}
			const found = r.message || {};
			if (!found.name) {
				doc[df.fieldname] = "";
				this.refresh_doc_controls(doc);
				frappe.show_alert({ message: __("{0}: {1} does not exist", [__(df.label || df.fieldname), esc(value)]), indicator: "red" });
				return false;
			}
			doc[df.fieldname] = found.name;
			fetches.forEach((f) => {
				const remote = f.fetch_from.split(".")[1];
				if (f.fetch_if_empty && doc[f.fieldname]) return;
				if (remote in found) doc[f.fieldname] = found[remote];
			});
			return true;
		}

		clear_fetched(doc, df) {
			(frappe.get_meta(doc.doctype).fields || []).forEach((f) => {
				if (f.fetch_from && f.fetch_from.split(".")[0] === df.fieldname && !f.fetch_if_empty) doc[f.fieldname] = null;
			});
		}

		refresh_doc_controls(doc) {
			if (doc === this.doc) this.layout.refresh_fields();
			else {
				Object.values(this.fields_dict).forEach((control) => {
					if (control instanceof Grid) control.refresh_row(doc);
				});
				this.layout.refresh_fields();
			}
		}

		refresh_field(fieldname) {
			const control = this.fields_dict[fieldname];
			if (control) control.refresh();
			this.layout.refresh_fields();
		}
		refresh_fields() {
			this.layout.refresh_fields();
		}

		get_field(fieldname) {
			return this.fields_dict[fieldname];
		}

		/** A docfield of this document, or of a child row (``docname``) / of a table's doctype (``table_field``). */
		get_docfields(fieldname, docname, table_field) {
			if (table_field) {
				const grid = this.fields_dict[table_field];
				if (!grid || !grid.child_fields) return [];
				if (!docname) {
					grid.child_fields();
					return grid.fields_copy.filter((df) => df.fieldname === fieldname);
				}
				return (grid.row_layouts || []).filter((l) => l.doc.name === docname)
					.map((l) => l.fields.find((df) => df.fieldname === fieldname)).filter(Boolean);
			}
			return this.layout.fields.filter((df) => df.fieldname === fieldname);
		}

		set_df_property(fieldname, property, value, docname, table_field) {
			this.get_docfields(fieldname, docname, table_field).forEach((df) => (df[property] = value));
			if (table_field) this.refresh_field(table_field);
			else {
				this.refresh_field(fieldname);
				const control = this.fields_dict[fieldname];
				if (control && control.df && control.df !== this.layout.fields.find((df) => df.fieldname === fieldname)) {
					control.df[property] = value;
					control.refresh();
				}
			}
		}
		toggle_display(fields, show) {
			(Array.isArray(fields) ? fields : [fields]).forEach((f) => this.set_df_property(f, "hidden", show ? 0 : 1));
		}
		toggle_reqd(fields, mandatory) {
			(Array.isArray(fields) ? fields : [fields]).forEach((f) => this.set_df_property(f, "reqd", mandatory ? 1 : 0));
		}
		toggle_enable(fields, enable) {
			(Array.isArray(fields) ? fields : [fields]).forEach((f) => this.set_df_property(f, "read_only", enable ? 0 : 1));
		}

		/** frm.set_query(fieldname, fn) or (fieldname, table_fieldname, fn). */
		set_query(fieldname, opt1, opt2) {
			if (opt2) this.queries[opt1 + "." + fieldname] = opt2;
			else this.queries[fieldname] = opt1;
		}
		get_query(df, doc, row) {
			let fn = null;
			if (row) fn = this.queries[row.parentfield + "." + df.fieldname];
			if (!fn && !row) fn = this.queries[df.fieldname];
			if (!fn && df.get_query) fn = df.get_query;
			if (!fn) return null;
			const query = typeof fn === "function" ? (row ? fn(this.doc, row.doctype, row.name) : fn(this.doc)) : fn;
			return query || null;
		}

		add_child(fieldname, values, idx) {
			const df = frappe.meta.get_docfield(this.doctype, fieldname);
			const row = frappe.model.add_child(this.doc, df.options, fieldname, idx);
			Object.entries(values || {}).forEach(([key, value]) => (row[key] = value));
			this.dirty();
			return row;
		}
		clear_table(fieldname) {
			frappe.model.clear_table(this.doc, fieldname);
			this.dirty();
		}

		// ---------------- buttons and messages
		add_custom_button(label, fn, group) {
			const run = () => {
				try {
					const out = fn();
					if (out && out.catch) out.catch((e) => console.error(e));
				} catch (e) {
					console.error(e);
				}
			};
			if (!group) {
				const $button = $('<button type="button" class="btn btn-default btn-sm custom-button"></button>').text(label)
					.on("click", run).appendTo(this.$custom_actions);
				this.custom_buttons[label] = $button;
				return $button;
			}
			let $group = this.$custom_actions.find(`.custom-group[data-label="${CSS.escape(group)}"]`);
			if (!$group.length) {
				$group = $(`<div class="dropdown custom-group"><button type="button" class="btn btn-default btn-sm dropdown-toggle"
					aria-haspopup="true"></button><div class="dropdown-menu" role="menu" hidden></div></div>`)
					.attr("data-label", group).appendTo(this.$custom_actions);
				$group.find(".dropdown-toggle").text(group + " ▾").on("click", () => {
					const $menu = $group.find(".dropdown-menu");
					$menu.attr("hidden", !$menu.attr("hidden"));
				});
			}
			const $item = $('<button type="button" class="dropdown-item" role="menuitem"></button>').text(label).on("click", () => {
				$group.find(".dropdown-menu").attr("hidden", true);
				run();
			}).appendTo($group.find(".dropdown-menu"));
			this.custom_buttons[group + " > " + label] = $item;
			return $item;
		}
		remove_custom_button(label, group) {
			const key = group ? group + " > " + label : label;
			if (this.custom_buttons[key]) this.custom_buttons[key].remove();
			delete this.custom_buttons[key];
		}
		clear_custom_buttons() {
			this.$custom_actions.empty();
			this.custom_buttons = {};
		}
		change_custom_button_type(label, group, type) {
			const key = group ? group + " > " + label : label;
			if (this.custom_buttons[key]) this.custom_buttons[key].removeClass("btn-default").addClass("btn-" + type);
		}
		add_menu_item(label, fn) {
			this.menu_items = (this.menu_items || []).concat([[label, fn]]);
			this.render_standard_actions();
		}
		set_primary(label, fn) {
			this.custom_primary = [label, fn];
			this.render_standard_actions();
		}
		set_intro(html, color) {
			if (!html) return this.$intro.empty().attr("hidden", true);
			this.$intro.append(`<div class="form-intro-line ${esc(color || "blue")}">${frappe.utils.sanitize_html(html)}</div>`).removeAttr("hidden");
		}
		enable_save() {
			this.save_disabled = false;
		}
		disable_save() {
			this.save_disabled = true;
		}
		scroll_to_field(fieldname) {
			const control = this.fields_dict[fieldname];
			if (control && control.$wrapper) control.$wrapper.get(0).scrollIntoView({ block: "center" });
		}

		// ---------------- save, submit, cancel, amend, delete, duplicate
		check_mandatory() {
			const missing = this.layout.missing_mandatory();
			Object.values(this.fields_dict).forEach((control) => {
				if (!(control instanceof Grid)) return;
				const state = this.layout.get_field_state(control.df);
				if (state.reqd && !state.hidden && !control.rows().length) missing.push(__(control.df.label));
				control.rows().forEach((row, i) => {
					const row_layout = new FormLayout({ frm: this, doc: row, parent_doc: this.doc, fields: copy_fields(control.doctype) });
					row_layout.fields.forEach((df) => {
						if (frappe.model.no_value_type.includes(df.fieldtype) || !this.can_read_level(df.permlevel)) return;
						const s = row_layout.get_field_state(df);
						const value = row[df.fieldname];
						if (s.reqd && !s.hidden && (value === undefined || value === null || value === "")) {
							missing.push(__("{0} in row {1} of {2}", [__(df.label || df.fieldname), i + 1, __(control.df.label)]));
						}
					});
				});
			});
			if (missing.length) {
				frappe.msgprint({ title: __("Missing Fields"), indicator: "red",
					message: __("Mandatory fields required in {0}", [__(this.doctype)]) + "<ul><li>"
						+ missing.map(esc).join("</li><li>") + "</li></ul>" });
				return false;
			}
			return true;
		}

		/** Child rows where nothing but defaults was filled are dropped before a save, as Frappe does. */
		remove_empty_rows() {
			frappe.meta.get_table_fields(this.doctype).forEach((table) => {
				const rows = this.doc[table.fieldname] || [];
				const fields = (frappe.get_meta(table.options) || { fields: [] }).fields
					.filter((df) => !frappe.model.no_value_type.includes(df.fieldtype));
				const kept = rows.filter((row) => fields.some((df) => {
					const value = row[df.fieldname];
					if (value === undefined || value === null || value === "" || value === 0) return false;
					const fallback = frappe.model.get_default_value(df, row);
					return fallback === undefined || String(fallback) !== String(value);
				}));
				if (kept.length !== rows.length) {
					kept.forEach((row, i) => (row.idx = i + 1));
					this.doc[table.fieldname] = kept;
					this.refresh_field(table.fieldname);
				}
			});
		}

		/** The document as savedocs wants it; a password field left untouched keeps its stored value. */
		doc_for_server() {
			return JSON.parse(JSON.stringify(this.doc, (key, value) => (key === "__onload" ? undefined : value)));
		}

		async save(action, callback, btn, on_error) {
			action = action || "Save";
			if (this.save_disabled) return;
			if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
			await frappe.utils.sleep(0);
			// as Frappe: the scripts' validate / before_save first, then empty rows go, then the mandatory check
			frappe.validated = true;
			const before = action === "Submit" ? "before_submit" : "before_save";
			try {
				await this.script_manager.trigger("validate");
				if (!frappe.validated) throw new Error("validate");
				await this.script_manager.trigger(before);
				if (!frappe.validated) throw new Error(before);
			} catch (e) {
				console.warn("save stopped by a form script", e);
				if (on_error) on_error(e);
				return Promise.reject(e);
			}
			this.remove_empty_rows();
			if (!this.check_mandatory()) return Promise.reject(new Error("mandatory"));
			const was_new = !!this.doc.__islocal;
			let r;
			try {
				r = await frappe.call({ method: "frappe.desk.form.save.savedocs", freeze: true,
					freeze_message: action === "Submit" ? __("Submitting…") : __("Saving…"),
					args: { doc: JSON.stringify(this.doc_for_server()), action } });
			} catch (e) {
				if (on_error) on_error(e);
				return Promise.reject(e);
			}
			// savedocs itself sends the "Saved" / "Submitted" alert, as Frappe's does
			await this.after_server_write(r, was_new);
			await this.safe_trigger("after_save");
			if (action === "Submit") await this.safe_trigger("on_submit");
			if (callback) callback(r);
			return r;
		}

		async after_server_write(r, was_new) {
			const doc = (r.docs || [])[0];
			if (!doc) return;
			const old_name = this.doc.name;
			if (locals[this.doctype]) delete locals[this.doctype][old_name];
			frappe.model.add_to_locals(doc);
			this.doc = doc;
			this.docname = doc.name;
			this.perm = frappe.perm.get_perm(this.doctype, doc, (r.docinfo || this.docinfo || {}).permissions);
			if ((was_new || old_name !== doc.name) && !this.meta.issingle) {
				frappe.desk.replace_route(`/app/${frappe.meta.slug(this.doctype)}/${encodeURIComponent(doc.name)}`);
			}
			this.render();
			await this.refresh();
		}

		savesubmit(btn, callback, on_error) {
			return new Promise((resolve) => {
				frappe.confirm(__("Permanently Submit {0}?", [esc(this.doc.name)]), () => {
					resolve(this.save("Submit", callback, btn, on_error).catch(() => null));
				}, () => resolve(null));
			});
		}

		savecancel(btn, callback, on_error) {
			return new Promise((resolve) => {
				frappe.confirm(__("Permanently Cancel {0}?", [esc(this.doc.name)]), async () => {
					try {
						await this.script_manager.trigger("before_cancel");
						await frappe.call({ method: "frappe.desk.form.save.cancel", freeze: true, freeze_message: __("Cancelling…"),
							args: { doctype: this.doctype, name: this.doc.name } });
					} catch (e) {
						if (on_error) on_error(e);
						return resolve(null);
					}
					await this.reload_doc();
					await this.safe_trigger("after_cancel");
					if (callback) callback();
					resolve(true);
				}, () => resolve(null));
			});
		}

		amend_doc() {
			const copy = frappe.model.copy_doc(this.doc, true);
			copy.amended_from = this.doc.name;
			frappe.desk.open_new_local(copy);
		}

		copy_doc() {
			const copy = frappe.model.copy_doc(this.doc);
			frappe.desk.open_new_local(copy);
		}

		delete_doc() {
			frappe.confirm(__("Permanently delete {0}?", [esc(this.doc.name)]), async () => {
				try {
					await frappe.call({ method: "frappe.client.delete", freeze: true, args: { doctype: this.doctype, name: this.doc.name } });
				} catch (e) {
					return;
				}
				if (locals[this.doctype]) delete locals[this.doctype][this.doc.name];
				this.doc.__unsaved = 0;
				frappe.show_alert({ message: __("Deleted {0}", [esc(this.doc.name)]), indicator: "green" });
				frappe.set_route("List", this.doctype);
			});
		}

		async reload_doc() {
			if (this.doc.__islocal) return;
			const r = await frappe.call({ method: "frappe.desk.form.load.getdoc", type: "GET",
				args: { doctype: this.doctype, name: this.doc.name } });
			const doc = (r.docs || [])[0];
			if (!doc) return;
			frappe.model.add_to_locals(doc);
			this.doc = doc;
			this.docinfo = r.docinfo || {};
			this.perm = frappe.perm.get_perm(this.doctype, doc, this.docinfo.permissions);
			this.render();
			await this.refresh();
		}

		call(method, args, callback) {
			// frm.call(method, args): a whitelisted method of the document's controller (run_doc_method)
			const opts = typeof method === "object" ? method : { method, args, callback };
			return frappe.call({ method: "run_doc_method", args: { dt: this.doctype, dn: this.doc.name, method: opts.method,
				args: opts.args }, callback: opts.callback, freeze: opts.freeze });
		}
	}
	frappe.ui.form.Form = Form;
	frappe.desk.forms = {};

	// ---- live updates of an open submitted document. Frappe pushes doc_update over socket.io; the runtime
	// has no realtime server, so while the tab is visible the open form asks every few seconds for the
	// document's `modified` and its read-only fields (one frappe.client.get_value row) and reloads itself
	// when the server copy differs. Read-only fields count because the server fills them without touching
	// `modified` (the vendors' status fields: frappe.db.set_value(update_modified=False)), so vendor status
	// fills in as the sandboxes answer. Only fields at permlevels the form already shows are asked for. A
	// form with unsaved changes is never replaced (an alert says the document changed); drafts and new
	// documents are not watched.
	frappe.desk.doc_watch = {
		interval_ms: 5000,
		busy: false,
		timer: null,
		/** the form now on screen when it may be refreshed from the server, else null */
		watched_form() {
			const route = frappe.get_route();
			const frm = window.cur_frm;
			if (route[0] !== "Form" || !frm || !frm.doc || frm.doctype !== route[1] || frm.docname !== route[2]) return null;
			if (frm.doc.__islocal || cint(frm.doc.docstatus) !== 1 || frm.watch_refused) return null;
			if (!frm.$wrapper || !document.body.contains(frm.$wrapper[0])) return null;
			return frm;
		},
		fieldnames(frm) {
			const names = ["modified"];
			(frm.meta.fields || []).forEach((df) => {
				if (!df.fieldname || !df.read_only || frappe.model.no_value_type.includes(df.fieldtype)) return;
				if (df.fieldtype === "Password" || df.is_virtual || !(frm.perm[cint(df.permlevel)] || {}).read) return;
				names.push(df.fieldname);
			});
			return names;
		},
		fingerprint(values, names) {
			return JSON.stringify(names.map((f) => (values[f] === undefined || values[f] === null ? "" : String(values[f]))));
		},
		async check() {
			if (this.busy || document.visibilityState !== "visible") return;
			const frm = this.watched_form();
			if (!frm) return;
			this.busy = true;
			try {
				const doc = frm.doc;
				const names = this.fieldnames(frm);
				let r;
				try {
					r = await frappe.call({ method: "frappe.client.get_value", type: "GET", silent: true,
						args: { doctype: frm.doctype, fieldname: JSON.stringify(names), filters: doc.name } });
				} catch (e) {
					// no read through get_value (e.g. a document shared with the user): stop asking
					frm.watch_refused = true;
					return;
				}
				if (!r || !r.message || frm !== this.watched_form() || frm.doc !== doc) return;
				const server = this.fingerprint(r.message, names);
				// after one reload the server's own text is known for the copy on screen (no reload loops)
				const known = frm.watched && frm.watched.doc === doc ? frm.watched.server : this.fingerprint(doc, names);
				if (server === known) return;
				if (frm.is_dirty() || frm.$wrapper.find(".form-body :focus").length) {
					if (frm.change_announced !== server) {
						frm.change_announced = server;
						frappe.show_alert({ message: __("This document was changed on the server; Reload to see it (your changes are kept until then)."),
							indicator: "orange" });
					}
					return;
				}
				const scroll = window.scrollY;
				await frm.reload_doc();
				window.scrollTo(0, scroll);
				frm.watched = { doc: frm.doc, server };
			} finally {
				this.busy = false;
			}
		},
		start() {
			if (this.timer) return;
			this.timer = setInterval(() => this.check(), this.interval_ms);
			document.addEventListener("visibilitychange", () => this.check());
		},
	};
	frappe.desk.doc_watch.start();

	/** Show a new unsaved document (a copy or an amendment) in its form. */
	frappe.desk.open_new_local = function (doc) {
		frappe.model.add_to_locals(doc);
		frappe.set_route("Form", doc.doctype, doc.name);
	};

	frappe.new_doc = function (doctype, opts) {
		if (opts) frappe.route_options = Object.assign(frappe.route_options || {}, opts);
		return frappe.model.with_doctype(doctype).then(() => frappe.set_route("Form", doctype, "new"));
	};
})();

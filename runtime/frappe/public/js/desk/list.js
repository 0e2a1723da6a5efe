// MedGrid runtime Desk — the list view: columns and filters from meta, frappe.desk.reportview.get / get_count,
// sort, paging, indicators (listview_settings.get_indicator, docstatus), bulk selection and actions.
(function () {
	"use strict";

	const esc = frappe.utils.escape_html;
	const PAGE_LENGTHS = [20, 100, 500];

	class ListView {
		constructor(doctype, $parent) {
			this.doctype = doctype;
			this.meta = frappe.get_meta(doctype);
			this.settings = frappe.listview_settings[doctype] || {};
			this.$parent = $parent;
			this.page_length = 20;
			this.start = 0;
			this.sort_by = this.meta.sort_field || "modified";
			this.sort_order = (this.meta.sort_order || "desc").toLowerCase();
			this.filters = [];
			this.action_items = [];
			this.data = [];
			const list = this;
			// the part of Frappe's listview.page that list scripts use
			this.page = {
				add_action_item(label, fn) {
					list.action_items.push([label, fn]);
					list.render_actions();
				},
				add_inner_button(label, fn) {
					return $('<button type="button" class="btn btn-default btn-sm"></button>').text(label).on("click", fn)
						.appendTo(list.$inner_buttons);
				},
				add_menu_item(label, fn) {
					return this.add_inner_button(label, fn);
				},
				set_title(title) {
					list.$title.text(title);
				},
			};
		}

		// ---------------- layout
		make() {
			this.$parent.empty();
			this.$wrapper = $(`<div class="list-page" data-doctype="${esc(this.doctype)}">
				<div class="page-head">
					<div class="title-area"><h3 class="title-text"></h3></div>
					<div class="page-actions">
						<div class="inner-buttons"></div>
						<div class="dropdown actions-btn-group" hidden>
							<button type="button" class="btn btn-default btn-sm dropdown-toggle" aria-haspopup="true">${esc(__("Actions"))} ▾</button>
							<div class="dropdown-menu" role="menu" hidden></div>
						</div>
					</div>
				</div>
				<div class="standard-filter-section" role="search"></div>
				<div class="list-toolbar">
					<span class="list-count text-muted" aria-live="polite"></span>
					<span class="list-sort">
						<label class="sr-only" for="list-sort-${this.meta.name.replace(/\W/g, "")}">${esc(__("Sort by"))}</label>
						<select class="form-control input-xs sort-selector" id="list-sort-${this.meta.name.replace(/\W/g, "")}"></select>
						<button type="button" class="btn btn-default btn-xs sort-order" aria-label="${esc(__("Toggle sort order"))}"></button>
					</span>
				</div>
				<div class="result"></div>
				<div class="list-paging"></div>
			</div>`).appendTo(this.$parent);
			this.$title = this.$wrapper.find(".title-text").text(__(this.doctype));
			document.title = __(this.doctype);
			this.$inner_buttons = this.$wrapper.find(".inner-buttons");
			this.$result = this.$wrapper.find(".result");
			this.$count = this.$wrapper.find(".list-count");
			this.make_new_button();
			this.make_filters();
			this.make_sort();
			this.make_paging();
			this.$wrapper.find(".actions-btn-group .dropdown-toggle").on("click", () => {
				const $menu = this.$wrapper.find(".actions-btn-group .dropdown-menu");
				$menu.attr("hidden", !$menu.attr("hidden"));
			});
			this.render_actions();
		}

		make_new_button() {
			if (!frappe.model.can_create(this.doctype)) return;
			$('<button type="button" class="btn btn-primary btn-sm primary-action"></button>')
				.text(__("Add {0}", [__(this.doctype)])).on("click", () => frappe.new_doc(this.doctype, this.new_doc_values()))
				.appendTo(this.$wrapper.find(".page-actions"));
		}

		/** ID plus the doctype's ``in_standard_filter`` fields, as Frappe's standard filter bar. */
		filter_fields() {
			const fields = [{ fieldname: "name", fieldtype: "Data", label: __("ID") }];
			(this.meta.fields || []).forEach((df) => {
				if (df.in_standard_filter && !df.hidden && !frappe.model.no_value_type.includes(df.fieldtype)
					&& frappe.perm.has_perm(this.doctype, df.permlevel, "read")) fields.push(df);
			});
			return fields;
		}

		make_filters() {
			const fields = this.filter_fields().map((df) => {
				const copy = Object.assign({}, df, { reqd: 0, read_only: 0, hidden: 0, depends_on: "", default: undefined,
					mandatory_depends_on: "", read_only_depends_on: "", description: "" });
				if (copy.fieldtype === "Select" && typeof copy.options === "string" && !copy.options.startsWith("\n")) {
					copy.options = "\n" + copy.options;
				}
				if (["Check"].includes(copy.fieldtype)) Object.assign(copy, { fieldtype: "Select", options: "\nYes\nNo" });
				if (["Text", "Small Text", "Long Text", "Text Editor", "Code", "Read Only"].includes(copy.fieldtype)) copy.fieldtype = "Data";
				copy.change = () => this.filters_changed();
				return copy;
			});
			this.filter_area = new frappe.ui.FieldGroup({ fields, body: this.$wrapper.find(".standard-filter-section") });
			this.filter_area.reference_doctype = this.doctype;
			this.filter_area.$layout.addClass("list-filters");
			// each filter is its own column
			this.filter_area.$layout.find(".form-column").addClass("filter-column");
		}

		/** Filters of the route (frappe.route_options, ?field=value): shown in the bar when it has the field. */
		apply_route_filters(options) {
			const extra = [];
			Object.entries(options || {}).forEach(([field, value]) => {
				if (!frappe.meta.has_field(this.doctype, field) && field !== "name") return;
				if (this.filter_area.fields_dict[field] && !Array.isArray(value)) {
					this.filter_area.doc[field] = value;
				} else {
					extra.push(Array.isArray(value) ? [this.doctype, field, value[0], value[1]] : [this.doctype, field, "=", value]);
				}
			});
			this.extra_filters = extra;
			this.filter_area.refresh_fields();
		}

		get_filters() {
			const filters = [];
			this.filter_fields().forEach((df) => {
				let value = this.filter_area.doc[df.fieldname];
				if (value === undefined || value === null || value === "") return;
				if (df.fieldtype === "Check") {
					filters.push([this.doctype, df.fieldname, "=", value === "Yes" ? 1 : 0]);
				} else if (["Data", "Text", "Small Text", "Long Text", "Read Only", "Text Editor", "Code"].includes(df.fieldtype)
					|| df.fieldname === "name") {
					filters.push([this.doctype, df.fieldname, "like", "%" + value + "%"]);
				} else {
					filters.push([this.doctype, df.fieldname, "=", value]);
				}
			});
			return filters.concat(this.extra_filters || []);
		}

		/** A new document from a filtered list starts with the filtered values ("=" filters), as in Frappe. */
		new_doc_values() {
			const values = {};
			this.get_filters().forEach(([, field, op, value]) => {
				if (op === "=" && field !== "name" && field !== "docstatus" && frappe.meta.has_field(this.doctype, field)) values[field] = value;
			});
			return Object.keys(values).length ? values : undefined;
		}

		filters_changed() {
			this.start = 0;
			this.refresh();
		}

		make_sort() {
			const options = [["modified", __("Last Updated On")], ["creation", __("Created On")], ["name", __("ID")]];
			(this.meta.fields || []).forEach((df) => {
				if ((df.in_list_view || df.in_standard_filter || df.bold) && !frappe.model.no_value_type.includes(df.fieldtype)) {
					options.push([df.fieldname, __(df.label || df.fieldname)]);
				}
			});
			const $select = this.$wrapper.find(".sort-selector");
			options.forEach(([value, label]) => $("<option></option>").attr("value", value).text(label).appendTo($select));
			if (!options.some(([value]) => value === this.sort_by)) this.sort_by = "modified";
			$select.val(this.sort_by).on("change", () => {
				this.sort_by = $select.val();
				this.filters_changed();
			});
			const $order = this.$wrapper.find(".sort-order");
			const show = () => $order.text(this.sort_order === "desc" ? "↓" : "↑").attr("data-order", this.sort_order);
			show();
			$order.on("click", () => {
				this.sort_order = this.sort_order === "desc" ? "asc" : "desc";
				show();
				this.filters_changed();
			});
		}

		make_paging() {
			const $paging = this.$wrapper.find(".list-paging");
			PAGE_LENGTHS.forEach((n) => {
				$('<button type="button" class="btn btn-default btn-xs page-length"></button>').text(n).attr("data-value", n)
					.on("click", () => {
						this.page_length = n;
						this.filters_changed();
					}).appendTo($paging);
			});
			this.$more = $('<button type="button" class="btn btn-default btn-xs btn-more" hidden></button>').text(__("Load More"))
				.on("click", () => {
					this.start += this.page_length;
					this.refresh(true);
				}).appendTo($paging);
		}

		render_actions() {
			if (!this.$wrapper) return;
			const $group = this.$wrapper.find(".actions-btn-group");
			const $menu = $group.find(".dropdown-menu").empty();
			const actions = this.action_items.slice();
			if (frappe.model.is_submittable(this.doctype) && frappe.perm.has_perm(this.doctype, 0, "submit")) {
				actions.push([__("Submit"), () => this.bulk("submit")]);
			}
			if (frappe.model.is_submittable(this.doctype) && frappe.perm.has_perm(this.doctype, 0, "cancel")) {
				actions.push([__("Cancel"), () => this.bulk("cancel")]);
			}
			if (frappe.model.can_delete(this.doctype)) actions.push([__("Delete"), () => this.bulk("delete")]);
			actions.forEach(([label, fn]) => {
				$('<button type="button" class="dropdown-item" role="menuitem"></button>').text(label).on("click", () => {
					$menu.attr("hidden", true);
					fn();
				}).appendTo($menu);
			});
			this.has_actions = actions.length > 0;
			this.toggle_actions();
		}

		toggle_actions() {
			const selected = this.get_checked_items().length;
			this.$wrapper.find(".actions-btn-group").attr("hidden", !(selected && this.has_actions));
		}

		// ---------------- data
		list_fields() {
			const fields = ["name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"];
			const add = (f) => {
				if (f && !fields.includes(f) && (frappe.meta.has_field(this.doctype, f))) fields.push(f);
			};
			add(this.meta.title_field);
			this.columns().forEach((df) => add(df.fieldname));
			(this.settings.add_fields || []).forEach(add);
			add("status");
			add("enabled");
			// currency columns need their currency
			this.columns().filter((df) => df.fieldtype === "Currency").forEach((df) => add(df.options && !df.options.includes(":") ? df.options : "currency"));
			return fields.map((f) => `\`tab${this.doctype}\`.\`${f}\``);
		}

		columns() {
			return (this.meta.fields || []).filter((df) => df.in_list_view && !df.hidden && !frappe.model.no_value_type.includes(df.fieldtype)
				&& df.fieldtype !== "Password" && frappe.perm.has_perm(this.doctype, df.permlevel, "read")).slice(0, 6);
		}

		async refresh(append) {
			const args = { doctype: this.doctype, fields: JSON.stringify(this.list_fields()), filters: JSON.stringify(this.get_filters()),
				order_by: `\`tab${this.doctype}\`.\`${this.sort_by}\` ${this.sort_order}`, start: this.start,
				page_length: this.page_length, view: "List", group_by: "", with_comment_count: 0 };
			const token = (this.token = (this.token || 0) + 1);
			this.$result.attr("aria-busy", "true");
			let r;
			try {
				[r] = await Promise.all([frappe.call({ method: "frappe.desk.reportview.get", args }), this.refresh_count()]);
			} catch (e) {
				this.$result.html(`<p class="text-muted">${esc(__("The list could not be loaded."))}</p>`);
				return;
			}
			if (token !== this.token) return;
			const rows = ListView.decompress(r.message);
			this.data = append ? this.data.concat(rows) : rows;
			this.render();
			this.$more.attr("hidden", rows.length < this.page_length);
			this.$result.attr("aria-busy", "false");
			if (this.settings.refresh) this.settings.refresh(this);
		}

		refresh_count() {
			return frappe.call({ method: "frappe.desk.reportview.get_count", silent: true,
				args: { doctype: this.doctype, filters: JSON.stringify(this.get_filters()), fields: "[]", distinct: "false", limit: 1001 } })
				.then((r) => {
					this.count = r.message;
					this.show_count();
				}).catch(() => null);
		}

		show_count() {
			if (this.count == null) return;
			const shown = this.data ? this.data.length : 0;
			const total = this.count > 1000 ? "1000+" : this.count;
			this.$count.text(__("{0} of {1}", [Math.min(shown, this.count), total]));
		}

		static decompress(message) {
			if (!message) return [];
			if (Array.isArray(message)) return message;
			const keys = message.keys || [];
			return (message.values || []).map((values) => {
				const row = {};
				keys.forEach((key, i) => (row[key] = values[i]));
				return row;
			});
		}

		render() {
			const columns = this.columns();
			const title_field = this.meta.title_field && !columns.some((c) => c.fieldname === this.meta.title_field)
				? this.meta.title_field : null;
			const $table = $(`<table class="list-table">
				<thead><tr><th class="list-check"><input type="checkbox" class="list-select-all" aria-label="${esc(__("Select all"))}"></th>
				<th>${esc(title_field ? __(frappe.meta.get_docfield(this.doctype, title_field).label || "Title") : __("ID"))}</th>
				<th>${esc(__("Status"))}</th>
				${columns.map((df) => `<th class="${["Int", "Float", "Currency", "Percent"].includes(df.fieldtype) ? "text-right" : ""}">
					${esc(__(df.label || df.fieldname))}</th>`).join("")}
				<th class="list-modified">${esc(__("Updated"))}</th></tr></thead><tbody></tbody></table>`);
			const $body = $table.find("tbody");
			this.data.forEach((doc) => {
				doc.doctype = this.doctype;
				const indicator = frappe.get_indicator(doc, this.doctype);
				const title = title_field && doc[title_field] && !String(doc[title_field]).includes("{") ? doc[title_field] : doc.name;
				const href = `/app/${frappe.meta.slug(this.doctype)}/${encodeURIComponent(doc.name)}`;
				const $tr = $(`<tr class="list-row" data-name="${esc(doc.name)}">
					<td class="list-check"><input type="checkbox" class="list-row-checkbox" data-name="${esc(doc.name)}"
						aria-label="${esc(__("Select {0}", [doc.name]))}"></td>
					<td class="list-subject"><a href="${esc(href)}" class="list-link" data-name="${esc(doc.name)}">${esc(title)}</a>
						${title !== doc.name ? `<div class="small text-muted">${esc(doc.name)}</div>` : ""}</td>
					<td class="list-indicator">${indicator ? this.indicator_link(indicator) : ""}</td>
					${columns.map((df) => `<td class="${["Int", "Float", "Currency", "Percent"].includes(df.fieldtype) ? "text-right" : ""}">
						${this.format_cell(doc, df)}</td>`).join("")}
					<td class="list-modified text-muted small">${esc(String(doc.modified || "").slice(0, 16))}</td></tr>`);
				$body.append($tr);
			});
			this.$result.empty();
			if (!this.data.length) {
				this.$result.html(`<div class="no-result text-muted">${esc(__("No {0} found", [__(this.doctype)]))}</div>`);
			} else {
				this.$result.append($('<div class="list-scroll"></div>').append($table));
			}
			$table.find(".list-select-all").on("change", (e) => {
				$table.find(".list-row-checkbox").prop("checked", e.target.checked);
				this.toggle_actions();
			});
			$table.on("change", ".list-row-checkbox", () => this.toggle_actions());
			// the row links are plain /app links: the shell's link handler routes them
			$table.on("click", "a.indicator-filter", (e) => {
				e.preventDefault();
				const [field, op, value] = String($(e.currentTarget).attr("data-filter")).split(",");
				if (this.filter_area.fields_dict[field] && op === "=") {
					this.filter_area.set_value(field, value);
				} else {
					this.extra_filters = (this.extra_filters || []).concat([[this.doctype, field, op, value]]);
					this.filters_changed();
				}
			});
			this.show_count();
			this.toggle_actions();
			if (frappe.desk.mark_first_paint) frappe.desk.mark_first_paint();
		}

		indicator_link(indicator) {
			const pill = frappe.desk.indicator_html(indicator);
			if (!indicator[2]) return pill;
			return `<a href="#" class="indicator-filter" data-filter="${esc(indicator[2])}" title="${esc(__("Filter by {0}", [indicator[0]]))}">${pill}</a>`;
		}

		format_cell(doc, df) {
			if (this.settings.formatters && this.settings.formatters[df.fieldname]) {
				return this.settings.formatters[df.fieldname](doc[df.fieldname], df, doc);
			}
			return frappe.format(doc[df.fieldname], df, null, doc);
		}

		// ---------------- selection and bulk actions
		get_checked_items(only_docnames) {
			if (!this.$result) return [];
			const names = this.$result.find(".list-row-checkbox:checked").map((i, el) => $(el).attr("data-name")).get();
			if (only_docnames) return names;
			return this.data.filter((doc) => names.includes(doc.name));
		}

		/** listview.call_for_selected_items(method, args): the method gets ``names``; the list reloads. */
		call_for_selected_items(method, args = {}) {
			args.names = this.get_checked_items(true);
			return frappe.call({ method, args, freeze: true, callback: (r) => {
				if (!r.exc) this.refresh();
			} });
		}

		clear_checked_items() {
			this.$result.find("input[type=checkbox]").prop("checked", false);
			this.toggle_actions();
		}

		bulk(action) {
			const names = this.get_checked_items(true);
			if (!names.length) return;
			const messages = { delete: __("Delete {0} items permanently?", [names.length]),
				submit: __("Submit {0} documents?", [names.length]), cancel: __("Cancel {0} documents?", [names.length]) };
			frappe.confirm(messages[action], async () => {
				frappe.freeze();
				const failed = [];
				try {
					for (const name of names) {
						try {
							if (action === "delete") {
								await frappe.call({ method: "frappe.client.delete", args: { doctype: this.doctype, name }, silent: true });
							} else if (action === "cancel") {
								await frappe.call({ method: "frappe.client.cancel", args: { doctype: this.doctype, name }, silent: true });
							} else {
								const doc = await frappe.xcall("frappe.client.get", { doctype: this.doctype, name }, "GET");
								await frappe.call({ method: "frappe.client.submit", args: { doc }, silent: true });
							}
						} catch (e) {
							failed.push(name);
						}
					}
				} finally {
					frappe.unfreeze();
				}
				if (failed.length) {
					frappe.msgprint({ title: __("Some documents were not changed"), indicator: "orange",
						message: failed.map(esc).join("<br>") });
				} else {
					frappe.show_alert({ message: __("Done"), indicator: "green" });
				}
				this.refresh();
			});
		}
	}

	frappe.views = frappe.views || {};
	frappe.views.ListView = ListView;
})();

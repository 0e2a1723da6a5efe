// MedGrid: the catalog browser inside the Sales Order form (guide: "Internal Sales Rep API").
// Shipped through hooks.doctype_js; its handlers stack with ERPNext's own Sales Order script.
// A "Browse Catalog" button opens a dialog: a warehouse picker (medgrid.catalog.list_warehouses,
// cached for the session), a search over medgrid.catalog.search_items (items_in_warehouse when the
// search is empty), stock and price per row, and "Add" appends an order line.

frappe.provide("medgrid.desk");

medgrid.desk.WAREHOUSE_TTL_MS = 10 * 60 * 1000;

// list_warehouses changes rarely: memory first, then localStorage, then the server
medgrid.desk.get_warehouses = async function () {
	const key = "medgrid:list_warehouses:" + frappe.session.user;
	medgrid.desk._warehouses = medgrid.desk._warehouses || {};
	if (medgrid.desk._warehouses[key]) return medgrid.desk._warehouses[key];
	try {
		const stored = JSON.parse(localStorage.getItem(key) || "null");
		if (stored && Date.now() - stored.at < medgrid.desk.WAREHOUSE_TTL_MS) {
			medgrid.desk._warehouses[key] = stored.rows;
			return stored.rows;
		}
	} catch (e) {
		// storage unavailable: ask the server
	}
	const r = await frappe.call({ method: "medgrid.catalog.list_warehouses", type: "GET" });
	const rows = r.message || [];
	medgrid.desk._warehouses[key] = rows;
	try {
		localStorage.setItem(key, JSON.stringify({ at: Date.now(), rows }));
	} catch (e) {
		// not fatal
	}
	return rows;
};

medgrid.desk.CatalogDialog = class CatalogDialog {
	constructor(frm) {
		this.frm = frm;
		this.rows = [];
		this.dialog = new frappe.ui.Dialog({
			title: __("Browse Catalog"),
			size: "extra-large",
			fields: [
				{ fieldtype: "Select", fieldname: "warehouse", label: __("Warehouse"), options: [""],
					change: () => !this.dialog.get_value("query") && this.search() },
				{ fieldtype: "Column Break" },
				{ fieldtype: "Data", fieldname: "query", label: __("Search items"),
					description: __("Name, code or description; leave empty to list a warehouse") },
				{ fieldtype: "Section Break" },
				{ fieldtype: "HTML", fieldname: "results" },
			],
			primary_action_label: __("Search"),
			primary_action: () => this.search(),
		});
		this.$results = this.dialog.fields_dict.results.$wrapper;
		this.$results.on("click", "[data-add]", (e) => this.add(Number($(e.currentTarget).attr("data-add"))));
		this.dialog.fields_dict.query.$input.on("keydown", (e) => {
			if (e.key === "Enter") {
				e.preventDefault();
				this.search();
			}
		});
	}

	async show() {
		this.dialog.show();
		const warehouses = await medgrid.desk.get_warehouses();
		const field = this.dialog.fields_dict.warehouse;
		field.df.options = [{ value: "", label: __("All warehouses") }].concat(
			warehouses.map((w) => ({ value: w.name, label: w.warehouse_name || w.name })));
		field.refresh();
		const preferred = this.frm.doc.set_warehouse;
		if (preferred && warehouses.some((w) => w.name === preferred)) this.dialog.set_value("warehouse", preferred);
	}

	async search() {
		const query = (this.dialog.get_value("query") || "").trim();
		const warehouse = this.dialog.get_value("warehouse");
		if (!query && !warehouse) {
			this.$results.html(`<p class="text-muted">${__("Type a search term or pick a warehouse.")}</p>`);
			return;
		}
		this.$results.html(`<p class="text-muted">${__("Searching…")}</p>`);
		const args = { warehouse: warehouse || undefined };
		if (query) args.query = query;
		if (this.frm.doc.selling_price_list) args.price_list = this.frm.doc.selling_price_list;
		const r = await frappe.call({
			method: query ? "medgrid.catalog.search_items" : "medgrid.catalog.items_in_warehouse",
			type: "GET",
			args,
		});
		this.rows = (r.message || []).map((row) => Object.assign({ warehouse }, row));
		this.render();
	}

	render() {
		const esc = frappe.utils.escape_html;
		if (!this.rows.length) {
			this.$results.html(`<p class="text-muted">${__("No item in stock matches.")}</p>`);
			return;
		}
		const currency = this.frm.doc.currency;
		const body = this.rows.map((row, i) => `
			<tr>
				<td><strong>${esc(row.item_name || row.item_code)}</strong><div class="text-muted small">${esc(row.item_code)}</div></td>
				<td>${esc(row.warehouse || "")}</td>
				<td class="text-right">${esc(format_number(row.available_qty))}</td>
				<td class="text-right">${row.rate ? esc(format_currency(row.rate, currency)) : "—"}</td>
				<td><input type="number" min="1" step="1" value="1" class="form-control input-xs" data-qty="${i}"
					aria-label="${esc(__("Quantity of {0}", [row.item_name || row.item_code]))}" style="max-width: 90px"></td>
				<td><button class="btn btn-xs btn-default" data-add="${i}">${__("Add")}</button></td>
			</tr>`).join("");
		this.$results.html(`
			<table class="table table-bordered table-condensed">
				<thead><tr><th>${__("Item")}</th><th>${__("Warehouse")}</th><th class="text-right">${__("In stock")}</th>
					<th class="text-right">${__("Price")}</th><th>${__("Qty")}</th><th></th></tr></thead>
				<tbody>${body}</tbody>
			</table>`);
	}

	add(index) {
		const row = this.rows[index];
		const qty = Number(this.$results.find(`[data-qty="${index}"]`).val());
		if (!row || !(qty > 0)) {
			frappe.show_alert({ message: __("Enter a quantity above zero"), indicator: "orange" });
			return;
		}
		if (row.available_qty && qty > row.available_qty) {
			frappe.show_alert({ message: __("Only {0} in stock at {1}", [row.available_qty, row.warehouse]), indicator: "orange" });
		}
		// drop the empty row a new form starts with, then append the line
		const items = this.frm.doc.items || [];
		if (items.length === 1 && !items[0].item_code) this.frm.clear_table("items");
		const child = this.frm.add_child("items", {
			item_code: row.item_code,
			item_name: row.item_name,
			qty,
			warehouse: row.warehouse,
			delivery_date: this.frm.doc.delivery_date,
		});
		this.frm.refresh_field("items");
		// let ERPNext fill UOM, conversion factor and the price list rate as for a typed line
		this.frm.script_manager.trigger("item_code", child.doctype, child.name);
		frappe.show_alert({ message: __("Added {0} × {1}", [qty, row.item_name || row.item_code]), indicator: "green" });
	}
};

frappe.ui.form.on("Sales Order", {
	refresh(frm) {
		if (frm.doc.docstatus !== 0 || !frm.has_perm("write")) return;
		frm.add_custom_button(__("Browse Catalog"), () => new medgrid.desk.CatalogDialog(frm).show());
	},
});

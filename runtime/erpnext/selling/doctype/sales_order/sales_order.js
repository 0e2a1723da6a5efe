// Sales Order form of the runtime's ERPNext subset: fills what ERPNext's selling controller script fills
// before the first save (company currency, price list and their rates; a line's UOM and delivery date),
// so the form's mandatory fields are set. The server recomputes all of it on save.
frappe.ui.form.on("Sales Order", {
	onload(frm) {
		if (frm.is_new()) return erpnext_runtime_set_transaction_defaults(frm, false);
	},
	customer(frm) {
		if (frm.doc.docstatus === 0 && frm.doc.customer) return erpnext_runtime_set_transaction_defaults(frm, true);
	},
	company(frm) {
		if (frm.doc.docstatus === 0) return erpnext_runtime_set_transaction_defaults(frm, false);
	},
	delivery_date(frm) {
		// as ERPNext: lines without their own date take the order's
		(frm.doc.items || []).forEach((row) => {
			if (!row.delivery_date) row.delivery_date = frm.doc.delivery_date;
		});
		frm.refresh_field("items");
	},
});

frappe.ui.form.on("Sales Order Item", {
	qty(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (row) frappe.model.set_value(cdt, cdn, "amount", flt(row.rate) * flt(row.qty));
	},
	rate(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (row) frappe.model.set_value(cdt, cdn, "amount", flt(row.rate) * flt(row.qty));
	},
	items_add(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		row.delivery_date = row.delivery_date || frm.doc.delivery_date;
		row.warehouse = row.warehouse || frm.doc.set_warehouse;
		frm.refresh_field("items");
	},
	async item_code(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (!row || !row.item_code) return;
		const item = (await frappe.db.get_value("Item", row.item_code, ["item_name", "stock_uom", "sales_uom"])).message || {};
		const values = { stock_uom: item.stock_uom, uom: row.uom || item.sales_uom || item.stock_uom };
		if (!row.item_name) values.item_name = item.item_name;
		if (values.uom === values.stock_uom) values.conversion_factor = 1;
		if (!row.delivery_date && frm.doc.delivery_date) values.delivery_date = frm.doc.delivery_date;
		if (frm.doc.selling_price_list) {
			// the line's list price, as ERPNext's get_item_details gives it (the save prices the order again)
			const price = await frappe.call({ method: "frappe.client.get_value", type: "GET", silent: true, args: {
				doctype: "Item Price", fieldname: "price_list_rate",
				filters: { item_code: row.item_code, price_list: frm.doc.selling_price_list } } }).catch(() => null);
			const rate = price && price.message && price.message.price_list_rate;
			if (rate !== undefined && rate !== null) {
				values.price_list_rate = rate;
				if (!flt(row.rate)) values.rate = rate;
				values.amount = flt(rate) * flt(row.qty || 0);
			}
		}
		await frappe.model.set_value(cdt, cdn, values);
		frm.refresh_field("items");
	},
});

async function erpnext_runtime_set_transaction_defaults(frm, customer_changed) {
	const defaults = await frappe.xcall("erpnext.desk_defaults.get_transaction_defaults", {
		doctype: frm.doctype, customer: frm.doc.customer || undefined, company: frm.doc.company || undefined,
	});
	const values = {};
	for (const [field, value] of Object.entries(defaults || {})) {
		if (value === null || value === undefined || !frappe.meta.has_field(frm.doctype, field)) continue;
		// a new customer brings its own price list and currency; otherwise only empty fields are filled
		const follows_customer = customer_changed && ["selling_price_list", "currency", "price_list_currency",
			"conversion_rate", "plc_conversion_rate", "customer_name"].includes(field);
		if (follows_customer || frm.doc[field] === undefined || frm.doc[field] === null || frm.doc[field] === "") values[field] = value;
	}
	if (Object.keys(values).length) await frm.set_value(values);
}

// The catalog browser of the /sales-order page: a warehouse picker (medgrid.catalog.list_warehouses,
// cached for the session) and a search over medgrid.catalog.search_items / items_in_warehouse.
// The Desk form script (sales_order.js) has its own dialog built on frappe.ui; the server calls are the same.
(function () {
	"use strict";

	const h = (...args) => medgrid.h(...args);
	// warehouses change rarely (the guide asks clients to cache list_warehouses)
	const WAREHOUSE_TTL_MS = 10 * 60 * 1000;
	const memory = {};

	function cacheKey(user) {
		return "medgrid:list_warehouses:" + (user || "");
	}

	/** Warehouses for the picker: memory, then localStorage (10 minutes), then the server. */
	async function listWarehouses(user) {
		const key = cacheKey(user);
		if (memory[key]) return { ok: true, warehouses: memory[key] };
		try {
			const stored = JSON.parse(window.localStorage.getItem(key) || "null");
			if (stored && Date.now() - stored.at < WAREHOUSE_TTL_MS && Array.isArray(stored.rows)) {
				memory[key] = stored.rows;
				return { ok: true, warehouses: stored.rows };
			}
		} catch (e) {
			// storage may be disabled; the server answers instead
		}
		const result = await medgrid.call("medgrid.catalog.list_warehouses", {}, { type: "GET" });
		if (!result.ok) return { ok: false, messages: result.messages };
		const rows = Array.isArray(result.message) ? result.message : [];
		memory[key] = rows;
		try {
			window.localStorage.setItem(key, JSON.stringify({ at: Date.now(), rows }));
		} catch (e) {
			// not fatal: the list stays cached in memory for this page
		}
		return { ok: true, warehouses: rows };
	}

	class CatalogBrowser {
		/**
		 * @param {object} options {form, warehouseSelect, queryInput, status, table, wrap, user, onAdd(line), onError(messages)}
		 */
		constructor(options) {
			Object.assign(this, options);
			this.tbody = this.table.querySelector("tbody");
			this.form.addEventListener("submit", (event) => {
				event.preventDefault();
				this.search();
			});
			this.warehouseSelect.addEventListener("change", () => {
				if (!this.queryInput.value.trim()) this.search();
			});
		}

		async loadWarehouses() {
			this.status.textContent = "Loading warehouses…";
			const result = await listWarehouses(this.user);
			if (!result.ok) {
				this.status.textContent = "";
				this.onError(result.messages);
				return;
			}
			const current = this.warehouseSelect.value;
			this.warehouseSelect.querySelectorAll("option:not([value=''])").forEach((o) => o.remove());
			result.warehouses.forEach((w) => {
				this.warehouseSelect.appendChild(h("option", { value: w.name }, w.warehouse_name || w.name));
			});
			if (current) this.warehouseSelect.value = current;
			this.status.textContent = result.warehouses.length
				? result.warehouses.length + " warehouses with stock."
				: "No warehouse holds saleable stock right now.";
		}

		async search() {
			const query = this.queryInput.value.trim();
			const warehouse = this.warehouseSelect.value;
			if (!query && !warehouse) {
				this.status.textContent = "Type a search term or pick a warehouse.";
				this.queryInput.focus();
				return;
			}
			this.status.textContent = "Searching…";
			this.table.setAttribute("aria-busy", "true");
			const result = query
				? await medgrid.call("medgrid.catalog.search_items", { query, warehouse }, { type: "GET" })
				: await medgrid.call("medgrid.catalog.items_in_warehouse", { warehouse }, { type: "GET" });
			this.table.removeAttribute("aria-busy");
			if (!result.ok) {
				this.status.textContent = "";
				this.onError(result.messages);
				return;
			}
			const rows = (result.message || []).map((row) => Object.assign({ warehouse }, row));
			this.render(rows);
			const where = warehouse ? " in " + warehouse : "";
			this.status.textContent = rows.length
				? rows.length + (rows.length === 1 ? " item found" : " items found") + where + "."
				: "No item in stock matches" + (query ? " “" + query + "”" : "") + where + ".";
		}

		render(rows) {
			this.tbody.replaceChildren();
			this.wrap.hidden = !rows.length;
			rows.forEach((row, index) => {
				const qtyId = "mg-catalog-qty-" + index;
				const qty = h("input", {
					type: "number", id: qtyId, min: "1", step: "1", value: "1", inputmode: "numeric",
					max: row.available_qty ? String(Math.floor(row.available_qty)) : null, style: "max-width: 7em",
				});
				const label = row.item_name || row.item_code;
				const add = h("button", {
					type: "button", class: "mg-btn mg-btn-sm",
					"aria-label": "Add " + label + " from " + row.warehouse,
					onclick: () => {
						const value = Number(qty.value);
						if (!(value > 0)) {
							qty.setCustomValidity("Enter a quantity above zero.");
							qty.reportValidity();
							return;
						}
						qty.setCustomValidity("");
						this.onAdd({
							item_code: row.item_code, item_name: row.item_name, warehouse: row.warehouse,
							rate: Number(row.rate || 0), qty: value, available_qty: Number(row.available_qty || 0),
						});
					},
				}, "Add");
				this.tbody.appendChild(h("tr", { "data-item-code": row.item_code },
					h("td", null, h("strong", null, label), h("div", { class: "mg-help mg-mono" }, row.item_code),
						row.description ? h("div", { class: "mg-help" }, row.description) : null),
					h("td", null, row.warehouse),
					h("td", { class: "mg-num" }, medgrid.formatQty(row.available_qty) + (row.stock_uom ? " " + row.stock_uom : "")),
					h("td", { class: "mg-num" }, row.rate ? medgrid.formatMoney(row.rate) : "—"),
					h("td", null, h("label", { for: qtyId, class: "sr-only" }, "Quantity of " + label), qty),
					h("td", null, add)));
			});
		}
	}

	medgrid.catalog = { listWarehouses, CatalogBrowser };
})();

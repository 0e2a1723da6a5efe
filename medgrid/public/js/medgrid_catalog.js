// The catalog browser of the /sales-order page: a warehouse picker (medgrid.catalog.list_warehouses,
// cached for the session) and a paged search over medgrid.catalog.search_items / items_in_warehouse that
// runs as the user types. search_items leaves out description and unit, so the page reads them (and
// whether an item needs a prescription) from /api/resource/Item for the rows shown.
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

	const PAGE_LENGTH = 20;
	// long enough to skip the keystrokes of a word, short enough to feel immediate
	const TYPING_PAUSE_MS = 300;

	/** Item descriptions are rich text: show their words, never their markup. */
	function plainText(html) {
		if (!html) return "";
		const text = new DOMParser().parseFromString(String(html), "text/html").body.textContent || "";
		return text.replace(/\s+/g, " ").trim();
	}

	/** description, stock_uom and requires_prescription of the given item codes, by code. */
	async function itemDetails(codes) {
		const unique = Array.from(new Set(codes.filter(Boolean)));
		if (!unique.length) return {};
		const result = await medgrid.resource.list("Item", {
			fields: ["name", "description", "stock_uom", "requires_prescription"],
			filters: [["name", "in", unique]],
			limit_page_length: String(unique.length),
		});
		const out = {};
		if (result.ok && Array.isArray(result.message)) result.message.forEach((row) => (out[row.name] = row));
		return out;
	}

	class CatalogBrowser {
		/**
		 * @param {object} options {form, warehouseSelect, queryInput, status, table, wrap, pager, user,
		 *                          onAdd(line), onError(messages)}
		 */
		constructor(options) {
			Object.assign(this, options);
			this.tbody = this.table.querySelector("tbody");
			this.page = 0;
			this.requestId = 0;
			this.typingTimer = null;
			this.form.addEventListener("submit", (event) => {
				event.preventDefault();
				this.search(0);
			});
			this.queryInput.addEventListener("input", () => {
				window.clearTimeout(this.typingTimer);
				this.typingTimer = window.setTimeout(() => this.search(0, { quiet: true }), TYPING_PAUSE_MS);
			});
			this.warehouseSelect.addEventListener("change", () => this.search(0, { quiet: true }));
			if (this.pager) {
				this.pager.querySelector("[data-page=previous]").addEventListener("click", () => this.search(this.page - 1));
				this.pager.querySelector("[data-page=next]").addEventListener("click", () => this.search(this.page + 1));
			}
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

		warehouseLabel(name) {
			const option = Array.from(this.warehouseSelect.options).find((o) => o.value === name);
			return option ? option.textContent : name;
		}

		/** One page of results; ``quiet``: typing, so an empty form clears instead of asking for input. */
		async search(page, options) {
			window.clearTimeout(this.typingTimer);
			const query = this.queryInput.value.trim();
			const warehouse = this.warehouseSelect.value;
			if (!query && !warehouse) {
				this.requestId += 1;
				this.render([]);
				this.showPager(false, false);
				this.status.textContent = "Type a search term or pick a warehouse.";
				if (!(options && options.quiet)) this.queryInput.focus();
				return;
			}
			const id = ++this.requestId;
			page = Math.max(0, page || 0);
			this.status.textContent = "Searching…";
			this.table.setAttribute("aria-busy", "true");
			const paging = { limit_start: page * PAGE_LENGTH, limit_page_length: PAGE_LENGTH };
			const result = query
				? await medgrid.call("medgrid.catalog.search_items", Object.assign({ query, warehouse }, paging), { type: "GET" })
				: await medgrid.call("medgrid.catalog.items_in_warehouse", Object.assign({ warehouse }, paging), { type: "GET" });
			if (id !== this.requestId) return; // the user typed on: a newer search answers
			if (!result.ok) {
				this.table.removeAttribute("aria-busy");
				this.status.textContent = "";
				this.onError(result.messages);
				return;
			}
			const rows = (result.message || []).map((row) => Object.assign({ warehouse }, row));
			const details = await itemDetails(rows.map((row) => row.item_code));
			if (id !== this.requestId) return;
			rows.forEach((row) => {
				const extra = details[row.item_code] || {};
				row.description = row.description || extra.description;
				row.stock_uom = row.stock_uom || extra.stock_uom;
				row.requires_prescription = Boolean(extra.requires_prescription);
			});
			this.table.removeAttribute("aria-busy");
			this.page = page;
			this.render(rows);
			const more = Boolean(result.data && result.data.next_after);
			this.showPager(page > 0, more);
			const where = warehouse ? " in " + this.warehouseLabel(warehouse) : "";
			const first = page * PAGE_LENGTH + 1;
			this.status.textContent = rows.length
				? (page || more ? "Items " + first + "–" + (first + rows.length - 1) : rows.length + (rows.length === 1 ? " item found" : " items found")) + where + "."
				: "No item in stock matches" + (query ? " “" + query + "”" : "") + where + ".";
		}

		showPager(hasPrevious, hasNext) {
			if (!this.pager) return;
			this.pager.hidden = !hasPrevious && !hasNext;
			this.pager.querySelector("[data-page=previous]").disabled = !hasPrevious;
			this.pager.querySelector("[data-page=next]").disabled = !hasNext;
			this.pager.querySelector("[data-role=page]").textContent = "Page " + (this.page + 1);
		}

		render(rows) {
			this.tbody.replaceChildren();
			this.wrap.hidden = !rows.length;
			rows.forEach((row, index) => {
				const qtyId = "mg-catalog-qty-" + index;
				const qty = h("input", {
					type: "number", id: qtyId, min: "1", step: "1", value: "1", inputmode: "numeric",
					max: row.available_qty ? String(Math.floor(row.available_qty)) : null, class: "mg-qty",
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
							stock_uom: row.stock_uom, requires_prescription: row.requires_prescription,
						});
					},
				}, "Add");
				const description = plainText(row.description);
				this.tbody.appendChild(h("tr", { "data-item-code": row.item_code },
					h("td", null, h("strong", null, label),
						row.requires_prescription ? h("span", { class: "mg-pill orange mg-rx-pill", title: "Needs a prescription" }, "Rx") : null,
						h("div", { class: "mg-help" }, h("span", { class: "mg-mono" }, row.item_code), " · ", this.warehouseLabel(row.warehouse)),
						description && description !== label ? h("div", { class: "mg-help mg-description" }, description) : null),
					h("td", { class: "mg-num" }, medgrid.formatQty(row.available_qty) + (row.stock_uom ? " " + row.stock_uom : "")),
					h("td", { class: "mg-num" }, row.rate ? medgrid.formatMoney(row.rate) + (row.stock_uom ? " / " + row.stock_uom : "") : "—"),
					h("td", null, h("div", { class: "mg-qty-add" }, h("label", { for: qtyId, class: "sr-only" }, "Quantity of " + label), qty, add))));
			});
		}
	}

	medgrid.catalog = { listWarehouses, itemDetails, plainText, CatalogBrowser };
})();

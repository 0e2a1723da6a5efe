// /sales-order: build an order from the catalog browser, save it as a draft (POST, then PUT while it is a
// draft), reopen it from ?order=, submit it (PUT {"docstatus": 1}: the router sends each line to its vendor),
// hold / resume / close it (ERPNext's update_status), cancel it (PUT {"docstatus": 2}) and follow what each
// vendor did with it (medgrid.pages.sales_order_page.order_progress). Every write is the REST API's, so the
// server checks the caller exactly as for any API client; the page only hides what the caller may not do.
(function () {
	"use strict";

	const h = (...args) => medgrid.h(...args);
	const data = window.medgrid_order_page || {};
	const $ = (id) => document.getElementById(id);
	const messages = $("mg-messages");
	const POLL_MS = 4000;
	const POLL_LIMIT_MS = 20 * 60 * 1000;
	const ORDERS_PAGE_LENGTH = 10;
	const UPDATE_STATUS = "erpnext.selling.doctype.sales_order.sales_order.update_status";
	const PROGRESS = "medgrid.pages.sales_order_page.order_progress";
	const FINAL = new Set(["Delivered", "Completed", "Fulfilled", "Cancelled", "Refunded"]);
	const RX_FIELDS = data.rxFields || [];
	const NPI = /^\d{10}$/;
	const HEADER_FIELDS = ["mg-customer", "mg-delivery-date", "mg-shipping-address"];

	// order: the stored document once saved (null for a new order); dirty: lines or fields changed since
	const state = { lines: [], order: null, dirty: false, pollTimer: null, pollStarted: 0, ordersPage: 0 };

	function showError(list) {
		medgrid.notify(messages, "error", list && list.length ? list : ["Something went wrong."]);
		messages.focus();
	}

	function isDraft() {
		return !state.order || state.order.docstatus === 0;
	}

	function warehouseLabel(name) {
		const option = Array.from($("mg-warehouse").options).find((o) => o.value === name);
		return option ? option.textContent : name;
	}

	// ------------------------------------------------------------ order details

	function fillAddresses(selected) {
		const select = $("mg-shipping-address");
		const customer = $("mg-customer").value;
		const addresses = (data.addresses || {})[customer] || [];
		select.replaceChildren();
		if (!addresses.length) {
			select.appendChild(h("option", { value: "" }, customer ? "No address on file (the customer's default applies)" : "Pick a customer first"));
		}
		addresses.forEach((a) => select.appendChild(h("option", { value: a.name }, a.label)));
		if (selected && !addresses.some((a) => a.name === selected)) select.appendChild(h("option", { value: selected }, selected));
		if (selected) select.value = selected;
	}

	function needsPrescription() {
		return state.lines.some((line) => line.requires_prescription);
	}

	function showRxFields() {
		$("mg-rx").hidden = !needsPrescription();
	}

	function rxInput(fieldname) {
		return document.querySelector('[data-rx-field="' + fieldname + '"]');
	}

	/** What is wrong with the patient and prescriber details, before anything is sent. */
	function rxProblems() {
		if (!needsPrescription()) return [];
		const problems = [];
		const missing = RX_FIELDS.filter((f) => !rxInput(f.fieldname).value.trim()).map((f) => f.label);
		if (missing.length) problems.push("A prescription line needs: " + missing.join(", ") + ".");
		const npi = rxInput("prescriber_npi");
		if (npi && npi.value.trim() && !NPI.test(npi.value.trim())) problems.push("The prescriber NPI is 10 digits.");
		const dob = rxInput("patient_dob");
		if (dob && dob.value && dob.value > (data.today || "")) problems.push("The patient's date of birth cannot be in the future.");
		RX_FIELDS.forEach((f) => rxInput(f.fieldname).setAttribute("aria-invalid", String(
			(!rxInput(f.fieldname).value.trim()) || (f.fieldname === "prescriber_npi" && !NPI.test(npi.value.trim())))));
		return problems;
	}

	// ------------------------------------------------------------ lines

	function addLine(line) {
		if (!isDraft()) {
			showError([state.order.name + " is submitted: its lines no longer change. Start a new order to add more."]);
			return;
		}
		const existing = state.lines.find((l) => l.item_code === line.item_code && l.warehouse === line.warehouse);
		if (existing) existing.qty += line.qty;
		else state.lines.push(Object.assign({}, line));
		state.dirty = true;
		renderLines(line);
		showRxFields();
		medgrid.notify(messages, "success", ["Added " + line.qty + " × " + (line.item_name || line.item_code) + " (" + warehouseLabel(line.warehouse) + ")."
			+ (line.requires_prescription ? " It needs a prescription: fill in the patient and prescriber above." : "")]);
	}

	function renderLines(highlight) {
		const tbody = $("mg-cart").querySelector("tbody");
		tbody.replaceChildren();
		if (!state.lines.length) {
			tbody.appendChild(h("tr", { class: "mg-cart-empty" }, h("td", { colspan: "4", class: "mg-empty" }, "No lines yet: add items from the catalog.")));
		}
		const locked = !isDraft();
		let total = 0;
		state.lines.forEach((line, index) => {
			const amount = line.qty * line.rate;
			total += amount;
			const qtyId = "mg-line-qty-" + index;
			const label = line.item_name || line.item_code;
			const qty = h("input", {
				type: "number", id: qtyId, min: "1", step: "1", value: String(line.qty), disabled: locked, class: "mg-qty",
				onchange: (event) => {
					const value = Number(event.target.value);
					if (value > 0) line.qty = value;
					state.dirty = true;
					renderLines();
				},
			});
			const over = !locked && line.available_qty && line.qty > line.available_qty;
			const row = h("tr", { "data-item-code": line.item_code, class: highlight && highlight.item_code === line.item_code && highlight.warehouse === line.warehouse ? "mg-row-added" : null },
				h("td", null, h("strong", null, label),
					line.requires_prescription ? h("span", { class: "mg-pill orange mg-rx-pill", title: "Needs a prescription" }, "Rx") : null,
					h("div", { class: "mg-help" }, h("span", { class: "mg-mono" }, line.item_code), " · ", warehouseLabel(line.warehouse))),
				h("td", null, h("label", { for: qtyId, class: "sr-only" }, "Quantity of " + label), qty,
					over ? h("div", { class: "mg-help mg-error-text" }, "Only " + medgrid.formatQty(line.available_qty) + " in stock") : null,
					locked ? null : h("button", {
					type: "button", class: "mg-btn mg-btn-sm mg-btn-danger mg-remove", "aria-label": "Remove " + label,
					onclick: () => {
						state.lines.splice(index, 1);
						state.dirty = true;
						renderLines();
						showRxFields();
					},
				}, "Remove")),
				h("td", { class: "mg-num" }, line.rate ? medgrid.formatMoney(line.rate) : "list price"),
				h("td", { class: "mg-num" }, line.rate ? medgrid.formatMoney(amount) : "—"));
			tbody.appendChild(row);
		});
		$("mg-cart-total").textContent = state.lines.length ? medgrid.formatMoney(total, state.order && state.order.currency) : "—";
	}

	// ------------------------------------------------------------ the stored order on the page

	/** Show a stored order: its fields, lines and the actions its status and the caller's rights allow. */
	async function showOrder(doc) {
		state.order = doc;
		state.dirty = false;
		const customer = $("mg-customer");
		if (!Array.from(customer.options).some((o) => o.value === doc.customer)) {
			customer.appendChild(h("option", { value: doc.customer }, doc.customer_name || doc.customer));
		}
		customer.value = doc.customer;
		$("mg-delivery-date").value = doc.delivery_date || "";
		fillAddresses(doc.shipping_address_name);
		RX_FIELDS.forEach((f) => (rxInput(f.fieldname).value = doc[f.fieldname] || ""));
		const details = await medgrid.catalog.itemDetails((doc.items || []).map((row) => row.item_code));
		state.lines = (doc.items || []).map((row) => ({
			item_code: row.item_code, item_name: row.item_name, warehouse: row.warehouse, qty: Number(row.qty),
			rate: Number(row.rate || 0), stock_uom: row.stock_uom || row.uom,
			requires_prescription: Boolean((details[row.item_code] || {}).requires_prescription),
		}));
		renderLines();
		showRxFields();
		updateControls();
	}

	function updateControls() {
		const doc = state.order;
		const draft = isDraft();
		const status = doc ? doc.status || (doc.docstatus === 1 ? "Submitted" : "Draft") : null;
		$("mg-page-title").textContent = doc ? (draft ? "Draft " : "Sales Order ") + doc.name : "New Sales Order";
		document.title = $("mg-page-title").textContent + " · MedGrid";
		HEADER_FIELDS.forEach((id) => ($(id).disabled = !draft));
		RX_FIELDS.forEach((f) => (rxInput(f.fieldname).disabled = !draft));
		$("mg-save-order").hidden = !draft;
		$("mg-save-order").disabled = !(doc ? data.canWrite : data.canCreate);
		$("mg-submit-order").hidden = !draft;
		$("mg-submit-order").disabled = !doc || !data.canSubmit;
		const submitted = doc && doc.docstatus === 1;
		const open = submitted && !["On Hold", "Closed", "Completed", "Cancelled"].includes(status);
		$("mg-hold-order").hidden = !(open && data.canWrite);
		$("mg-close-order").hidden = !(open && data.canWrite);
		$("mg-resume-order").hidden = !(submitted && ["On Hold", "Closed"].includes(status) && data.canWrite);
		$("mg-cancel-order").hidden = !(submitted && status !== "Closed" && data.canCancel);
		$("mg-cancel-confirm").hidden = true;
		$("mg-new-order").hidden = !doc;
		$("mg-order-state").replaceChildren(...(doc ? [medgrid.pill(status), " ", doc.name] : []));
	}

	async function openOrder(name) {
		const result = await medgrid.resource.get("Sales Order", name);
		if (!result.ok) {
			showError(result.status === 404 ? ["Sales Order " + name + " was not found."] : result.messages);
			return;
		}
		await showOrder(result.message || {});
		if (state.order.docstatus !== 0) track(state.order.name);
	}

	// ------------------------------------------------------------ save and submit

	function orderBody() {
		const body = {
			customer: $("mg-customer").value,
			delivery_date: $("mg-delivery-date").value,
			items: state.lines.map((l) => {
				const item = { item_code: l.item_code, qty: l.qty, warehouse: l.warehouse };
				if (l.rate) item.rate = l.rate;
				return item;
			}),
		};
		const address = $("mg-shipping-address").value;
		if (address) body.shipping_address_name = address;
		RX_FIELDS.forEach((f) => {
			const value = rxInput(f.fieldname).value.trim();
			if (value || state.order) body[f.fieldname] = value || null;
		});
		return body;
	}

	function validate() {
		const problems = [];
		if (!$("mg-customer").value) problems.push("Choose a customer.");
		if (!$("mg-delivery-date").value) problems.push("Choose a delivery date.");
		if (!state.lines.length) problems.push("Add at least one line from the catalog.");
		return problems.concat(rxProblems());
	}

	function saved(doc) {
		window.history.replaceState(null, "", "/sales-order?order=" + encodeURIComponent(doc.name));
		loadOrders();
		return showOrder(doc);
	}

	async function saveOrder() {
		const problems = validate();
		if (problems.length) return showError(problems);
		const button = $("mg-save-order");
		button.disabled = true;
		$("mg-order-state").textContent = "Saving…";
		const result = state.order
			? await medgrid.resource.update("Sales Order", state.order.name, orderBody())
			: await medgrid.resource.insert("Sales Order", orderBody());
		if (!result.ok) {
			updateControls();
			return showError(result.messages);
		}
		const doc = result.message || {};
		await saved(doc);
		medgrid.notify(messages, "success", ["Draft " + doc.name + " saved (total " + medgrid.formatMoney(doc.grand_total, doc.currency) + "). Submit it to send the lines to the vendors."]);
		$("mg-submit-order").focus();
	}

	async function submitOrder() {
		if (!state.order) return;
		const problems = state.dirty ? validate() : rxProblems();
		if (problems.length) return showError(problems);
		$("mg-submit-order").disabled = true;
		$("mg-order-state").textContent = "Submitting…";
		// unsaved edits go with the submit, in one save
		const body = Object.assign(state.dirty ? orderBody() : {}, { docstatus: 1 });
		const result = await medgrid.resource.update("Sales Order", state.order.name, body);
		if (!result.ok) {
			updateControls();
			return showError(result.messages);
		}
		const doc = result.message || {};
		await saved(doc);
		medgrid.notify(messages, "success", [doc.name + " submitted. Each line is on its way to the vendor that fulfils it; shipments appear below."]);
		track(doc.name);
	}

	async function setStatus(status, done) {
		const name = state.order.name;
		const result = await medgrid.call(UPDATE_STATUS, { status, name });
		if (!result.ok) return showError(result.messages);
		const fresh = await medgrid.resource.get("Sales Order", name);
		if (fresh.ok) await showOrder(fresh.message);
		loadOrders();
		medgrid.notify(messages, "success", [done.replace("{0}", name)]);
	}

	function askCancel() {
		const labels = Array.from($("mg-shipments").querySelectorAll("tbody tr[data-vendor] td:first-child")).map((td) => td.textContent);
		$("mg-cancel-question").textContent = "Cancel " + state.order.name + "? "
			+ (labels.length ? "MedGrid asks " + labels.join(", ") + " to cancel their part; a vendor without a cancel API is named below." : "Nothing has reached a vendor yet.");
		$("mg-cancel-confirm").hidden = false;
		$("mg-cancel-yes").focus();
	}

	async function cancelOrder() {
		const name = state.order.name;
		$("mg-cancel-yes").disabled = true;
		const result = await medgrid.resource.update("Sales Order", name, { docstatus: 2 });
		$("mg-cancel-yes").disabled = false;
		if (!result.ok) return showError(result.messages);
		await showOrder(result.message || {});
		loadOrders();
		medgrid.notify(messages, "success", [name + " cancelled. Each vendor's answer to the cancel shows under Shipments."]);
		track(name);
	}

	function newOrder() {
		window.location.assign("/sales-order");
	}

	// ------------------------------------------------------------ tracking

	function safeUrl(url) {
		try {
			const parsed = new URL(url, window.location.href);
			return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
		} catch (e) {
			return null;
		}
	}

	function renderShipments(shipments) {
		const tbody = $("mg-shipments").querySelector("tbody");
		tbody.replaceChildren();
		if (!shipments.length) {
			tbody.appendChild(h("tr", null, h("td", { colspan: "4", class: "mg-empty" }, "No vendor has this order yet.")));
		}
		shipments.forEach((s) => {
			const url = s.tracking_url && safeUrl(s.tracking_url);
			const number = s.tracking_number
				? (url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, s.tracking_number) : s.tracking_number)
				: "—";
			tbody.appendChild(h("tr", { "data-vendor": s.vendor },
				h("td", null, s.vendor_label || s.vendor),
				h("td", null, h("span", { "data-role": "status" }, medgrid.pill(s.status)),
					s.cancel_note ? h("div", { class: "mg-help", "data-role": "cancel-result", "data-result": s.cancel_result }, s.cancel_note) : null),
				h("td", null, s.carrier_label || s.carrier || "—"),
				h("td", { class: "mg-mono", "data-role": "tracking-number" }, number)));
		});
	}

	async function refreshTracking(name) {
		const result = await medgrid.call(PROGRESS, { sales_order: name }, { type: "GET" });
		if (!result.ok) {
			$("mg-tracking-updated").textContent = "Could not refresh: " + result.messages.join(" ");
			return false;
		}
		const shipments = (result.message && result.message.shipments) || [];
		renderShipments(shipments);
		$("mg-tracking-updated").textContent = "Last updated " + new Date().toLocaleTimeString() + ".";
		if (shipments.some((s) => s.cancel_result === "pending")) return false;
		return shipments.length > 0 && shipments.every((s) => FINAL.has(s.status));
	}

	function track(name) {
		$("mg-tracking").hidden = false;
		$("mg-tracking-order").textContent = name;
		window.clearTimeout(state.pollTimer);
		state.pollStarted = Date.now();
		const tick = async () => {
			const done = document.hidden ? false : await refreshTracking(name);
			if (done) {
				$("mg-tracking-updated").textContent += " Every shipment is final.";
				return;
			}
			if (Date.now() - state.pollStarted < POLL_LIMIT_MS) state.pollTimer = window.setTimeout(tick, POLL_MS);
			else $("mg-tracking-updated").textContent += " Reload the page to refresh again.";
		};
		tick();
	}

	// ------------------------------------------------------------ your orders

	async function loadOrders(page) {
		if (page !== undefined) state.ordersPage = Math.max(0, page);
		const status = $("mg-orders-status").value;
		const params = {
			fields: ["name", "customer", "customer_name", "status", "docstatus", "grand_total", "currency", "transaction_date"],
			order_by: "creation desc",
			limit_start: String(state.ordersPage * ORDERS_PAGE_LENGTH),
			// one row more than shown tells whether a next page exists
			limit_page_length: String(ORDERS_PAGE_LENGTH + 1),
		};
		if (status) params.filters = [["status", "=", status]];
		const result = await medgrid.resource.list("Sales Order", params);
		const tbody = $("mg-orders-table").querySelector("tbody");
		tbody.replaceChildren();
		if (!result.ok) {
			tbody.appendChild(h("tr", null, h("td", { colspan: "5", class: "mg-empty" }, "Could not load the orders: " + result.messages.join(" "))));
			return;
		}
		const rows = (result.message || []).slice(0, ORDERS_PAGE_LENGTH);
		const more = (result.message || []).length > ORDERS_PAGE_LENGTH;
		if (!rows.length) {
			tbody.appendChild(h("tr", null, h("td", { colspan: "5", class: "mg-empty" }, status ? "No order is " + status + "." : "No order yet.")));
		}
		rows.forEach((o) => tbody.appendChild(h("tr", { "data-order": o.name },
			h("td", null, h("a", { href: "/sales-order?order=" + encodeURIComponent(o.name) }, o.name)),
			h("td", null, o.customer_name || o.customer),
			h("td", null, o.transaction_date || ""),
			h("td", { "data-role": "status" }, medgrid.pill(o.status || (o.docstatus === 0 ? "Draft" : ""))),
			h("td", { class: "mg-num" }, medgrid.formatMoney(o.grand_total, o.currency)))));
		const pager = $("mg-orders-pager");
		pager.hidden = state.ordersPage === 0 && !more;
		pager.querySelector("[data-page=previous]").disabled = state.ordersPage === 0;
		pager.querySelector("[data-page=next]").disabled = !more;
		pager.querySelector("[data-role=page]").textContent = "Page " + (state.ordersPage + 1);
	}

	// ------------------------------------------------------------ start

	$("mg-customer").addEventListener("change", () => {
		fillAddresses();
		state.dirty = true;
	});
	["mg-delivery-date", "mg-shipping-address"].forEach((id) => $(id).addEventListener("change", () => (state.dirty = true)));
	RX_FIELDS.forEach((f) => rxInput(f.fieldname).addEventListener("input", () => {
		state.dirty = true;
		rxInput(f.fieldname).removeAttribute("aria-invalid");
	}));
	$("mg-save-order").addEventListener("click", saveOrder);
	$("mg-submit-order").addEventListener("click", submitOrder);
	$("mg-hold-order").addEventListener("click", () => setStatus("On Hold", "{0} is on hold. Resume it to carry on."));
	$("mg-close-order").addEventListener("click", () => setStatus("Closed", "{0} is closed."));
	// ERPNext re-opens a held or closed order by setting it back to "Draft": the status is derived again
	$("mg-resume-order").addEventListener("click", () => setStatus("Draft", "{0} resumed."));
	$("mg-cancel-order").addEventListener("click", askCancel);
	$("mg-cancel-yes").addEventListener("click", cancelOrder);
	$("mg-cancel-no").addEventListener("click", () => ($("mg-cancel-confirm").hidden = true));
	$("mg-new-order").addEventListener("click", newOrder);
	$("mg-orders-status").addEventListener("change", () => loadOrders(0));
	$("mg-orders-pager").querySelector("[data-page=previous]").addEventListener("click", () => loadOrders(state.ordersPage - 1));
	$("mg-orders-pager").querySelector("[data-page=next]").addEventListener("click", () => loadOrders(state.ordersPage + 1));
	fillAddresses();
	renderLines();
	updateControls();

	const browser = new medgrid.catalog.CatalogBrowser({
		form: $("mg-catalog-search"),
		warehouseSelect: $("mg-warehouse"),
		queryInput: $("mg-query"),
		status: $("mg-catalog-status"),
		table: $("mg-catalog-results"),
		wrap: $("mg-catalog-results-wrap"),
		pager: $("mg-catalog-pager"),
		user: data.user,
		onAdd: addLine,
		onError: showError,
	});
	browser.loadWarehouses().then(() => renderLines());
	loadOrders(0);
	if (data.trackedOrder) openOrder(data.trackedOrder);
})();

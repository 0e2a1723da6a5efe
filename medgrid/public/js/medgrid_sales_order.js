// /sales-order: order lines from the catalog browser, then POST /api/resource/Sales Order (draft),
// PUT {"docstatus": 1} (submit: the router dispatches each line), and the shipments of the order from
// medgrid.fulfillment_router.aggregate_shipments, refreshed while they are open.
(function () {
	"use strict";

	const h = (...args) => medgrid.h(...args);
	const data = window.medgrid_order_page || {};
	const $ = (id) => document.getElementById(id);
	const messages = $("mg-messages");
	const POLL_MS = 4000;
	const POLL_LIMIT_MS = 20 * 60 * 1000;
	const FINAL = new Set(["Delivered", "Completed", "Fulfilled", "Cancelled", "Refunded"]);

	const state = { lines: [], orderName: null, submitted: false, pollTimer: null, pollStarted: 0 };

	function showError(list) {
		medgrid.notify(messages, "error", list && list.length ? list : ["Something went wrong."]);
		messages.focus();
	}

	// ------------------------------------------------------------ order details

	function fillAddresses() {
		const select = $("mg-shipping-address");
		const customer = $("mg-customer").value;
		const addresses = (data.addresses || {})[customer] || [];
		select.replaceChildren();
		if (!addresses.length) {
			select.appendChild(h("option", { value: "" }, customer ? "No address on file (the customer's default applies)" : "Pick a customer first"));
		}
		addresses.forEach((a) => select.appendChild(h("option", { value: a.name }, a.label)));
	}

	// ------------------------------------------------------------ lines

	function addLine(line) {
		if (state.orderName) {
			showError(["This order is saved already. Start a new order to add more lines."]);
			return;
		}
		const existing = state.lines.find((l) => l.item_code === line.item_code && l.warehouse === line.warehouse);
		if (existing) existing.qty += line.qty;
		else state.lines.push(Object.assign({}, line));
		renderLines(line);
		medgrid.notify(messages, "success", ["Added " + line.qty + " × " + (line.item_name || line.item_code) + " (" + line.warehouse + ")."]);
	}

	function renderLines(highlight) {
		const tbody = $("mg-cart").querySelector("tbody");
		tbody.replaceChildren();
		if (!state.lines.length) {
			tbody.appendChild(h("tr", { class: "mg-cart-empty" }, h("td", { colspan: "6", class: "mg-empty" }, "No lines yet: add items from the catalog.")));
		}
		const locked = Boolean(state.orderName);
		let total = 0;
		state.lines.forEach((line, index) => {
			const amount = line.qty * line.rate;
			total += amount;
			const qtyId = "mg-line-qty-" + index;
			const label = line.item_name || line.item_code;
			const qty = h("input", {
				type: "number", id: qtyId, min: "1", step: "1", value: String(line.qty), disabled: locked,
				style: "max-width: 7em",
				onchange: (event) => {
					const value = Number(event.target.value);
					if (value > 0) line.qty = value;
					renderLines();
				},
			});
			const over = line.available_qty && line.qty > line.available_qty;
			const row = h("tr", { "data-item-code": line.item_code, class: highlight && highlight.item_code === line.item_code && highlight.warehouse === line.warehouse ? "mg-row-added" : null },
				h("td", null, h("strong", null, label), h("div", { class: "mg-help mg-mono" }, line.item_code)),
				h("td", null, line.warehouse),
				h("td", null, h("label", { for: qtyId, class: "sr-only" }, "Quantity of " + label), qty,
					over ? h("div", { class: "mg-help mg-error-text" }, "Only " + medgrid.formatQty(line.available_qty) + " in stock") : null),
				h("td", { class: "mg-num" }, line.rate ? medgrid.formatMoney(line.rate) : "price list"),
				h("td", { class: "mg-num" }, line.rate ? medgrid.formatMoney(amount) : "—"),
				h("td", null, locked ? null : h("button", {
					type: "button", class: "mg-btn mg-btn-sm mg-btn-danger", "aria-label": "Remove " + label,
					onclick: () => {
						state.lines.splice(index, 1);
						renderLines();
					},
				}, "Remove")));
			tbody.appendChild(row);
		});
		$("mg-cart-total").textContent = state.lines.length ? medgrid.formatMoney(total) : "—";
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
		return body;
	}

	function validate() {
		const problems = [];
		if (!$("mg-customer").value) problems.push("Choose a customer.");
		if (!$("mg-delivery-date").value) problems.push("Choose a delivery date.");
		if (!state.lines.length) problems.push("Add at least one line from the catalog.");
		return problems;
	}

	async function saveOrder() {
		const problems = validate();
		if (problems.length) return showError(problems);
		const button = $("mg-save-order");
		button.disabled = true;
		$("mg-order-state").textContent = "Saving…";
		const result = await medgrid.resource.insert("Sales Order", orderBody());
		if (!result.ok) {
			button.disabled = false;
			$("mg-order-state").textContent = "";
			return showError(result.messages);
		}
		const doc = result.message || {};
		state.orderName = doc.name;
		renderLines();
		["mg-customer", "mg-delivery-date", "mg-shipping-address"].forEach((id) => ($(id).disabled = true));
		$("mg-submit-order").disabled = !data.canSubmit;
		$("mg-new-order").hidden = false;
		$("mg-order-state").textContent = "Draft " + doc.name;
		medgrid.notify(messages, "success", ["Draft " + doc.name + " saved (total " + medgrid.formatMoney(doc.grand_total, doc.currency) + "). Submit it to send the lines to the vendors."]);
		$("mg-submit-order").focus();
	}

	async function submitOrder() {
		if (!state.orderName) return;
		const button = $("mg-submit-order");
		button.disabled = true;
		$("mg-order-state").textContent = "Submitting…";
		const result = await medgrid.resource.update("Sales Order", state.orderName, { docstatus: 1 });
		if (!result.ok) {
			button.disabled = false;
			$("mg-order-state").textContent = "Draft " + state.orderName;
			return showError(result.messages);
		}
		const doc = result.message || {};
		state.submitted = true;
		$("mg-order-state").textContent = doc.name + " · " + (doc.status || "Submitted");
		medgrid.notify(messages, "success", [doc.name + " submitted. Each line is on its way to the vendor that fulfils it; shipments appear below."]);
		window.history.replaceState(null, "", "/sales-order?order=" + encodeURIComponent(doc.name));
		track(doc.name);
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
			tbody.appendChild(h("tr", null, h("td", { colspan: "4", class: "mg-empty" }, "No vendor route yet.")));
		}
		shipments.forEach((s) => {
			const url = s.tracking_url && safeUrl(s.tracking_url);
			const number = s.tracking_number
				? (url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, s.tracking_number) : s.tracking_number)
				: "—";
			tbody.appendChild(h("tr", { "data-vendor": s.vendor },
				h("td", null, s.vendor_label || s.vendor),
				h("td", { "data-role": "status" }, medgrid.pill(s.status)),
				h("td", null, s.carrier || "—"),
				h("td", { class: "mg-mono", "data-role": "tracking-number" }, number)));
		});
	}

	async function refreshTracking(name) {
		const result = await medgrid.call("medgrid.fulfillment_router.aggregate_shipments", { sales_order: name }, { type: "GET" });
		if (!result.ok) {
			$("mg-tracking-updated").textContent = "Could not refresh: " + result.messages.join(" ");
			return false;
		}
		const shipments = (result.message && result.message.shipments) || [];
		renderShipments(shipments);
		$("mg-tracking-updated").textContent = "Last updated " + new Date().toLocaleTimeString() + ".";
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

	// ------------------------------------------------------------ start

	$("mg-customer").addEventListener("change", fillAddresses);
	$("mg-save-order").addEventListener("click", saveOrder);
	$("mg-submit-order").addEventListener("click", submitOrder);
	$("mg-new-order").addEventListener("click", newOrder);
	fillAddresses();
	renderLines();

	const browser = new medgrid.catalog.CatalogBrowser({
		form: $("mg-catalog-search"),
		warehouseSelect: $("mg-warehouse"),
		queryInput: $("mg-query"),
		status: $("mg-catalog-status"),
		table: $("mg-catalog-results"),
		wrap: $("mg-catalog-results-wrap"),
		user: data.user,
		onAdd: addLine,
		onError: showError,
	});
	browser.loadWarehouses();
	if (data.trackedOrder) track(data.trackedOrder);
})();

// Operations pages (medgrid/pages/backoffice.py): approval queue, mapping, vendor requests, order-flow dashboard, and the public
// vendor signup form. Plain browser JavaScript on top of medgrid_portal.js (medgrid.call, notify).
(function () {
	"use strict";

	const medgrid = window.medgrid;
	const messages = () => document.getElementById("mg-messages");
	const FLASH = "medgrid-backoffice-flash";

	function notify(kind, list) {
		medgrid.notify(messages(), kind, list);
	}

	// a message that survives the reload after a change (the page then shows the stored state)
	function reloadWith(text) {
		try {
			window.sessionStorage.setItem(FLASH, text);
		} catch (e) { /* private mode: no message, the reload still shows the result */ }
		window.location.reload();
	}

	function showFlash() {
		let text = null;
		try {
			text = window.sessionStorage.getItem(FLASH);
			window.sessionStorage.removeItem(FLASH);
		} catch (e) { text = null; }
		if (text && messages()) notify("success", [text]);
	}

	function busy(button, on) {
		if (!button) return;
		button.disabled = on;
		button.setAttribute("aria-busy", on ? "true" : "false");
	}

	// ------------------------------------------------------------------ approval queue
	function initApproval(root) {
		const reason = document.getElementById("mg-reason");
		const selected = () => Array.from(root.querySelectorAll("input[data-mg-select]:checked")).map((b) => b.value);
		const sync = () => {
			const count = selected().length;
			root.querySelectorAll("[data-mg-bulk]").forEach((button) => {
				button.disabled = count === 0;
				const label = button.dataset.mgBulk === "approve" ? "Approve selected" : "Reject selected";
				button.textContent = count ? label + " (" + count + ")" : label;
			});
		};
		async function act(action, names, button) {
			if (!names.length) return;
			const text = (reason.value || "").trim();
			if (action === "reject" && !text) {
				notify("error", ["Give a reason: the vendor sees it."]);
				reason.focus();
				return;
			}
			busy(button, true);
			const method = action === "approve" ? "medgrid.catalog_admin.approval.approve_items"
				: "medgrid.catalog_admin.approval.reject_items";
			const r = await medgrid.call(method, { names: JSON.stringify(names), reason: text });
			busy(button, false);
			if (!r.ok) {
				notify("error", r.messages);
				return;
			}
			reloadWith((action === "approve" ? "Approved: " : "Rejected: ") + names.join(", "));
		}
		root.addEventListener("change", (event) => {
			if (event.target.matches("[data-mg-select-all]")) {
				root.querySelectorAll("input[data-mg-select]").forEach((b) => { b.checked = event.target.checked; });
			}
			sync();
		});
		root.addEventListener("click", (event) => {
			const target = event.target.closest("button");
			if (!target) return;
			if (target.dataset.mgApprove) act("approve", [target.dataset.mgApprove], target);
			else if (target.dataset.mgReject) act("reject", [target.dataset.mgReject], target);
			else if (target.dataset.mgBulk) act(target.dataset.mgBulk, selected(), target);
		});
		sync();
	}

	// ------------------------------------------------------------------ mapping
	function download(filename, text) {
		const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
		const link = medgrid.h("a", { href: url, download: filename });
		document.body.appendChild(link);
		link.click();
		link.remove();
		window.setTimeout(() => URL.revokeObjectURL(url), 1000);
	}

	function initMapping(root) {
		async function save(input) {
			const value = input.value;
			if (value === input.dataset.mgSaved) return;
			const row = input.closest("tr");
			const cell = input.parentElement;
			const old = cell.querySelector(".mg-cell-error");
			if (old) old.remove();
			input.classList.remove("mg-invalid", "mg-saved");
			const r = await medgrid.call("medgrid.catalog_admin.mapping.save_mapping",
				{ item_code: row.dataset.item, fieldname: input.dataset.mgField, value });
			if (!r.ok) {
				input.classList.add("mg-invalid");
				input.setAttribute("aria-invalid", "true");
				cell.appendChild(medgrid.h("div", { class: "mg-cell-error", role: "alert" }, r.messages.join(" ")));
				return;
			}
			input.removeAttribute("aria-invalid");
			input.dataset.mgSaved = r.message.value;
			input.value = r.message.value;
			input.classList.add("mg-saved");
			const route = row.querySelector("[data-mg-route]");
			const problems = r.message.problems || [];
			route.replaceChildren(document.createTextNode(r.message.vendor_label || "—"));
			if (problems.length) route.appendChild(medgrid.h("ul", { class: "mg-problems" }, ...problems.map((p) => medgrid.h("li", {}, p))));
			row.classList.toggle("mg-row-problem", problems.length > 0 || !r.message.mapped);
		}
		root.addEventListener("change", (event) => {
			if (event.target.matches("input[data-mg-field]")) save(event.target);
		});
		root.addEventListener("keydown", (event) => {
			if (event.key === "Enter" && event.target.matches("input[data-mg-field]")) {
				event.preventDefault();
				save(event.target);
			}
		});
		const exportButton = document.querySelector("[data-mg-export]");
		if (exportButton) exportButton.addEventListener("click", async () => {
			busy(exportButton, true);
			const r = await medgrid.call("medgrid.catalog_admin.mapping.export_mapping", { vendor: exportButton.dataset.mgExport }, { type: "GET" });
			busy(exportButton, false);
			if (!r.ok) return notify("error", r.messages);
			download(r.message.filename, r.message.csv);
		});
		const importInput = document.querySelector("[data-mg-import]");
		if (importInput) importInput.addEventListener("change", async () => {
			const file = importInput.files && importInput.files[0];
			if (!file) return;
			const text = await file.text();
			importInput.value = "";
			const r = await medgrid.call("medgrid.catalog_admin.mapping.import_mapping", { csv_text: text });
			if (!r.ok) return notify("error", ["Nothing was imported."].concat(r.messages));
			reloadWith("Imported " + r.message.rows + " rows: " + r.message.updated + " updated, " + r.message.unchanged + " unchanged.");
		});
	}

	// ------------------------------------------------------------------ vendor requests
	function initRequests(root) {
		root.addEventListener("click", async (event) => {
			const button = event.target.closest("button");
			if (!button) return;
			const card = button.closest("[data-request]");
			const request = card && card.dataset.request;
			if (!request) return;
			let r;
			if (button.dataset.mgRequestApprove) {
				busy(button, true);
				r = await medgrid.call("medgrid.onboarding.requests.approve_request",
					{ request, vendor_key: card.querySelector("[data-mg-vendor-key]").value });
				busy(button, false);
				if (r.ok) return reloadWith("Approved: Vendor Profile " + r.message.vendor_profile + " and login " + r.message.user + " created, welcome mail sent.");
			} else if (button.dataset.mgRequestReject) {
				const reason = card.querySelector("[data-mg-request-reason]");
				if (!reason.value.trim()) {
					notify("error", ["Give a reason to reject the request."]);
					return reason.focus();
				}
				busy(button, true);
				r = await medgrid.call("medgrid.onboarding.requests.reject_request", { request, reason: reason.value });
				busy(button, false);
				if (r.ok) return reloadWith("Rejected: " + request);
			} else {
				return;
			}
			notify("error", r.messages);
		});
	}

	// ------------------------------------------------------------------ dashboard
	const COLOURS = { Queued: "#e8833a", Sending: "#2f80ed", Sent: "#16a34a", Retrying: "#e0b400", Failed: "#d24545", Cancelled: "#8b95a1" };
	const PALETTE = ["#2f80ed", "#16a34a", "#e8833a", "#9b51e0", "#d24545", "#00a3a3", "#8b95a1"];

	function initDashboard() {
		const source = document.getElementById("mg-flow-data");
		if (!source) return;
		const flow = JSON.parse(source.textContent);
		document.querySelectorAll("[data-mg-chart]").forEach((element) => {
			const series = flow[element.dataset.mgChart];
			if (!series || !series.datasets.length) {
				element.appendChild(medgrid.h("p", { class: "mg-chart-note" }, "Nothing in this period."));
				return;
			}
			if (!window.frappe || typeof window.frappe.Chart !== "function") {
				// the charting library is installed by scripts/bootstrap.sh (npm); the tables below still hold every number
				element.appendChild(medgrid.h("p", { class: "mg-chart-note" }, "Charts are not available (frappe-charts is not installed)."));
				return;
			}
			const colors = series.datasets.map((d, i) => COLOURS[d.key] || PALETTE[i % PALETTE.length]);
			const chart = new window.frappe.Chart(element, {
				type: element.dataset.mgChartType || "bar",
				height: 240,
				colors,
				animate: 0, // numbers to read, not to watch grow
				data: { labels: series.labels.map((d) => d.slice(5)), datasets: series.datasets.map((d) => ({ name: d.name, values: d.values })) },
				barOptions: { stacked: 1 },
				axisOptions: { xIsSeries: 1, xAxisMode: "tick" },
			});
			// frappe-charts 1.6 redraws on both its ResizeObserver and window resize: two redraws at once remove
			// each other's nodes (DOM errors). The observer alone follows every size change.
			if (chart.resizeObserver && chart.boundDrawFn) {
				window.removeEventListener("resize", chart.boundDrawFn);
				window.removeEventListener("orientationchange", chart.boundDrawFn);
			}
			element.dataset.mgChartDrawn = "1";
		});
	}

	// ------------------------------------------------------------------ signup
	function initSignup(form) {
		form.addEventListener("submit", async (event) => {
			event.preventDefault();
			const data = Object.fromEntries(new FormData(form).entries());
			const missing = ["company_name", "contact_name", "email"].filter((k) => !String(data[k] || "").trim());
			if (missing.length) {
				notify("error", ["Fill in: " + missing.map((k) => form.querySelector("[name=" + k + "]").labels[0].textContent.replace("*", "").trim()).join(", ")]);
				return form.querySelector("[name=" + missing[0] + "]").focus();
			}
			const button = form.querySelector("button[type=submit]");
			busy(button, true);
			const r = await medgrid.call("medgrid.onboarding.requests.submit_request", data);
			busy(button, false);
			if (!r.ok) return notify("error", r.messages);
			form.replaceWith(medgrid.h("div", { class: "mg-alert mg-alert-success", role: "status", id: "mg-signup-done" },
				medgrid.h("p", {}, r.message.message)));
		});
	}

	function init() {
		showFlash();
		const page = document.querySelector("[data-mg-page]");
		const kind = page && page.dataset.mgPage;
		if (kind === "approval") initApproval(page);
		if (kind === "mapping") initMapping(page);
		if (kind === "requests") initRequests(page);
		if (kind === "signup") initSignup(page);
		initDashboard();
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
	else init();
})();

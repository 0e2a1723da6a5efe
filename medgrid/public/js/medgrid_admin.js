// /medgrid-admin/*: Retry one row, or the selected rows, through the whitelisted method named on the
// region (medgrid.fulfillment_router.retry_dispatches or medgrid.pages.admin.retry_webhook_events),
// then re-read the region from the server until the retried rows settle.
(function () {
	"use strict";

	const messages = () => document.getElementById("mg-messages");
	const region = () => document.getElementById("mg-region");
	const OPEN = new Set(["Queued", "Sending", "Received"]);
	const REFRESH_MS = 1500;
	const REFRESH_TIMES = 20;

	function selected() {
		return Array.from(region().querySelectorAll("input[data-mg-select]:checked")).map((box) => box.value);
	}

	function syncBulkButton() {
		const button = region().querySelector("[data-mg-bulk-retry]");
		if (!button) return;
		const count = selected().length;
		button.disabled = count === 0;
		button.textContent = count ? "Retry selected (" + count + ")" : "Retry selected";
	}

	async function reloadRegion() {
		try {
			const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
			if (!response.ok) return false;
			const doc = new DOMParser().parseFromString(await response.text(), "text/html");
			const fresh = doc.getElementById("mg-region");
			if (!fresh) return false;
			region().replaceWith(document.importNode(fresh, true));
			syncBulkButton();
			return true;
		} catch (e) {
			return false;
		}
	}

	function stillOpen(names) {
		// a list row or the detail page's status pill
		return names.some((name) => {
			const row = region().querySelector('tr[data-name="' + CSS.escape(name) + '"]');
			const status = row ? row.dataset.status : (region().querySelector("[data-status]") || {}).dataset?.status;
			return OPEN.has(status);
		});
	}

	async function followUp(names) {
		for (let i = 0; i < REFRESH_TIMES; i++) {
			await new Promise((resolve) => window.setTimeout(resolve, i === 0 ? 300 : REFRESH_MS));
			if (!(await reloadRegion())) return;
			if (!stillOpen(names)) return;
		}
	}

	async function retry(names) {
		if (!names.length) return;
		const method = region().dataset.retryMethod;
		region().setAttribute("aria-busy", "true");
		medgrid.notify(messages(), "info", "Retrying " + names.length + (names.length === 1 ? " item…" : " items…"));
		const result = await medgrid.call(method, { names: JSON.stringify(names) });
		region().removeAttribute("aria-busy");
		if (!result.ok) {
			medgrid.notify(messages(), "error", result.messages);
			messages().focus();
			return;
		}
		const answer = result.message || {};
		const retried = answer.retried || [];
		const skipped = names.filter((n) => !retried.includes(n));
		const lines = [];
		if (retried.length) lines.push("Queued again: " + retried.map(labelOf).join(", ") + ". The status updates below as it runs.");
		if (skipped.length) lines.push("Not retried (not in a retryable status): " + skipped.map(labelOf).join(", ") + ".");
		medgrid.notify(messages(), retried.length ? "success" : "error", lines.length ? lines : ["Nothing to retry."]);
		await followUp(retried);
		if (retried.length) report(retried, lines);
	}

	/** A row's human label (vendor · order) where the page has one, else its name. */
	function labelOf(name) {
		const row = region().querySelector('tr[data-name="' + CSS.escape(name) + '"]');
		return (row && row.dataset.label) || name;
	}

	/** What each retried row's attempt did (when it ended, its result) and, for a failure, where to fix it. */
	function report(names, earlier) {
		const h = medgrid.h;
		let failed = false;
		const items = names.map((name) => {
			const row = region().querySelector('tr[data-name="' + CSS.escape(name) + '"]');
			const detail = row ? null : region();
			const status = row ? row.dataset.status : ((detail.querySelector("[data-status]") || {}).dataset || {}).status;
			const when = row ? row.dataset.attemptedAt : (detail.querySelector("#mg-last-attempt") || {}).textContent;
			const fix = row ? (row.dataset.fixUrl ? { url: row.dataset.fixUrl, label: row.dataset.fixLabel } : null)
				: (() => {
					const link = detail.querySelector("a[data-role=fix]");
					return link ? { url: link.getAttribute("href"), label: link.textContent } : null;
				})();
			const error = row ? ((row.querySelector(".mg-error-text") || {}).textContent || "") : ((detail.querySelector("#mg-last-error") || {}).textContent || "");
			if (status === "Failed" || status === "Retrying") failed = true;
			const words = labelOf(name) + ": " + (status || "unknown")
				+ (row && when ? " (attempt " + row.dataset.attempts + ", ended " + when + ")" : when ? " — " + when : "")
				+ (OPEN.has(status) ? " — still running; reload the page later." : ".")
				+ (error && (status === "Failed" || status === "Retrying") ? " " + error.trim().replace(/\.?$/, ".") : "");
			return h("p", { "data-retry-result": name, "data-status": status || "" }, words,
				fix ? [" ", h("a", { href: fix.url, "data-role": "fix" }, fix.label)] : null);
		});
		const box = h("div", { class: "mg-alert " + (failed ? "mg-alert-danger" : "mg-alert-success"), role: failed ? "alert" : "status" },
			earlier.map((text) => h("p", null, text)), h("p", null, "Retry finished:"), items);
		messages().replaceChildren(box);
	}

	document.addEventListener("click", (event) => {
		const one = event.target.closest("[data-mg-retry]");
		if (one) {
			retry([one.dataset.mgRetry]);
			return;
		}
		if (event.target.closest("[data-mg-bulk-retry]")) retry(selected());
	});

	document.addEventListener("change", (event) => {
		if (event.target.matches("input[data-mg-select-all]")) {
			region().querySelectorAll("input[data-mg-select]").forEach((box) => (box.checked = event.target.checked));
		}
		if (event.target.matches("input[data-mg-select], input[data-mg-select-all]")) syncBulkButton();
	});

	syncBulkButton();
})();

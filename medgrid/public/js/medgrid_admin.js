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
		if (retried.length) lines.push("Queued again: " + retried.join(", ") + ". The status updates below as it runs.");
		if (skipped.length) lines.push("Not retried (not in a retryable status): " + skipped.join(", ") + ".");
		medgrid.notify(messages(), retried.length ? "success" : "error", lines.length ? lines : ["Nothing to retry."]);
		await followUp(retried);
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

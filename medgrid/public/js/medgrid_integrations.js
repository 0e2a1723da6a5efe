// /portal/integrations: the connect / disconnect forms post to the whitelisted methods
// (medgrid.integrations.connect_shipstation, disconnect_shipstation, shopify_start_install) and the
// cards are re-read from the page afterwards, so the server renders every status.
(function () {
	"use strict";

	const messages = () => document.getElementById("mg-messages");

	function formArgs(form) {
		const args = {};
		new FormData(form).forEach((value, key) => {
			const text = typeof value === "string" ? value.trim() : value;
			if (text !== "") args[key] = text;
		});
		return args;
	}

	// Re-render the cards from a fresh copy of this page (one template, no client-side duplicate)
	async function refreshCards() {
		try {
			const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
			if (!response.ok) return;
			const doc = new DOMParser().parseFromString(await response.text(), "text/html");
			const fresh = doc.getElementById("mg-integrations");
			const current = document.getElementById("mg-integrations");
			if (!fresh || !current) return;
			// what the vendor typed stays (after a failed attempt it corrects one field); secrets are never kept
			current.querySelectorAll("input[id]:not([type=password]):not([type=hidden])").forEach((input) => {
				const twin = fresh.querySelector("#" + CSS.escape(input.id));
				if (twin && input.value) twin.value = input.value;
			});
			current.replaceWith(document.importNode(fresh, true));
		} catch (e) {
			// the message already told the user what happened; a reload shows the new state
		}
	}

	async function onSubmit(event) {
		const form = event.target.closest("form[data-mg-method]");
		if (!form) return;
		event.preventDefault();
		if (!form.reportValidity()) return;
		if (form.dataset.mgConfirm && !window.confirm(form.dataset.mgConfirm)) return;

		const buttons = form.querySelectorAll("button");
		buttons.forEach((b) => (b.disabled = true));
		form.setAttribute("aria-busy", "true");
		medgrid.notify(messages(), "info", "Working…");
		const result = await medgrid.call(form.dataset.mgMethod, formArgs(form));
		form.removeAttribute("aria-busy");
		buttons.forEach((b) => (b.disabled = false));

		const answer = result.message || {};
		if (!result.ok || answer.ok === false) {
			medgrid.notify(messages(), "error", result.messages.length ? result.messages : ["The request failed."]);
			// the card's "Last error" now carries this attempt's reason
			await refreshCards();
			messages().focus();
			return;
		}
		const redirectKey = form.dataset.mgRedirectKey;
		if (redirectKey && answer[redirectKey]) {
			medgrid.notify(messages(), "success", form.dataset.mgSuccess || "Redirecting…");
			window.location.assign(answer[redirectKey]);
			return;
		}
		medgrid.notify(messages(), "success", result.messages.concat([form.dataset.mgSuccess || "Done."]));
		form.querySelectorAll("[data-mg-clear]").forEach((input) => (input.value = ""));
		form.querySelectorAll("input[name=api_key]").forEach((input) => (input.value = ""));
		await refreshCards();
		messages().focus();
	}

	document.addEventListener("submit", onSubmit);
})();

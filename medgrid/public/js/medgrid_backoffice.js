// The portal's back-office pages: API Access (generate / rotate a key pair, the secret shown once with
// copy buttons) and Support (the request form). Both post to whitelisted methods through medgrid.call;
// everything the server answers is put in the page as text, never as HTML.
(function () {
	"use strict";

	const messages = () => document.getElementById("mg-messages");

	function fail(result) {
		medgrid.notify(messages(), "error", result.messages.length ? result.messages : ["The request failed."]);
		messages().focus();
	}

	// ------------------------------------------------------------------ API Access

	function showSecret(answer) {
		const panel = document.getElementById("mg-api-secret");
		const header = "Authorization: " + answer.authorization;
		document.getElementById("mg-api-key-value").value = answer.api_key;
		document.getElementById("mg-api-secret-value").value = answer.api_secret;
		document.getElementById("mg-api-header-value").value = header;
		const curl = document.getElementById("mg-api-curl");
		curl.textContent = 'curl -H "' + header + '" ' + curl.dataset.siteUrl +
			"/api/method/medgrid.catalog.list_warehouses";
		panel.hidden = false;
		const card = document.getElementById("mg-api-access");
		card.dataset.hasKey = "1";
		card.querySelector('[data-field="api_key"]').textContent = answer.api_key;
		card.querySelector('[data-field="rotated_on"]').textContent = "Just now";
		if (card.querySelector('[data-field="created_on"]').textContent.trim() === "—") {
			card.querySelector('[data-field="created_on"]').textContent = "Just now";
		}
		const button = document.getElementById("mg-api-generate");
		button.textContent = "Rotate secret";
		button.className = "mg-btn mg-btn-danger";
		button.dataset.confirm = "Rotate the secret? The current secret stops working immediately; " +
			"every integration using it must be updated.";
		document.getElementById("mg-api-secret-value").focus();
	}

	async function onGenerate(button) {
		if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
		button.disabled = true;
		medgrid.notify(messages(), "info", "Working…");
		const result = await medgrid.call("medgrid.portal.api_access.generate_api_key", { user: button.dataset.user });
		button.disabled = false;
		if (!result.ok || !result.message || !result.message.api_secret) return fail(result);
		medgrid.notify(messages(), "success", "New API secret issued. Copy it now: it will not be shown again.");
		showSecret(result.message);
	}

	async function onCopy(button) {
		const input = document.getElementById(button.dataset.copy);
		if (!input) return;
		let copied = false;
		try {
			await navigator.clipboard.writeText(input.value);
			copied = true;
		} catch (e) {
			// no clipboard permission (plain http): select the text so the user can copy it
			input.select();
			copied = document.execCommand && document.execCommand("copy");
		}
		const label = button.textContent;
		button.textContent = copied ? "Copied" : "Select and copy";
		window.setTimeout(() => (button.textContent = label), 2000);
	}

	// ------------------------------------------------------------------ Support

	async function onSupportSubmit(form) {
		if (!form.reportValidity()) return;
		const args = {};
		new FormData(form).forEach((value, key) => {
			const text = typeof value === "string" ? value.trim() : value;
			if (text !== "") args[key] = text;
		});
		const buttons = form.querySelectorAll("button");
		buttons.forEach((b) => (b.disabled = true));
		const result = await medgrid.call("medgrid.support.submit_request", args);
		buttons.forEach((b) => (b.disabled = false));
		if (!result.ok || !result.message) return fail(result);
		form.reset();
		medgrid.notify(messages(), "success", "Request " + result.message.name + " sent. We reply here.");
		messages().focus();
		window.setTimeout(() => window.location.assign("/portal/support?sent=" + encodeURIComponent(result.message.name)), 600);
	}

	document.addEventListener("click", (event) => {
		const generate = event.target.closest("#mg-api-generate");
		if (generate) return onGenerate(generate);
		const copy = event.target.closest("[data-copy]");
		if (copy) return onCopy(copy);
	});
	// ------------------------------------------------------------------ admin actions (payouts)

	// a form naming a whitelisted method: its fields are the arguments; the page is reloaded afterwards so
	// the server renders what changed
	async function onActionSubmit(form) {
		if (!form.reportValidity()) return;
		const args = {};
		new FormData(form).forEach((value, key) => {
			if (typeof value === "string" && value.trim() !== "") args[key] = value.trim();
		});
		const buttons = form.querySelectorAll("button");
		buttons.forEach((b) => (b.disabled = true));
		const result = await medgrid.call(form.dataset.mgBackoffice, args);
		buttons.forEach((b) => (b.disabled = false));
		if (!result.ok) return fail(result);
		const created = (result.message && result.message.created) || [];
		medgrid.notify(messages(), "success", (form.dataset.mgSuccess || "Done") + ": " +
			(created.length ? created.join(", ") : "nothing new to pay"));
		messages().focus();
		if (created.length) window.setTimeout(() => window.location.reload(), 800);
	}

	document.addEventListener("submit", (event) => {
		const support = event.target.closest("form#mg-support-form");
		const action = event.target.closest("form[data-mg-backoffice]");
		if (!support && !action) return;
		event.preventDefault();
		if (support) onSupportSubmit(support);
		else onActionSubmit(action);
	});
})();

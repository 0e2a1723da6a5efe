// User form: API Access → Generate Keys (frappe.core.doctype.user.user.generate_keys). As in Frappe, the new
// secret is shown once, in a message; the form then reloads and only the key stays visible.
frappe.ui.form.on("User", {
	refresh(frm) {
		if (frm.is_new()) return;
		const is_self = frm.doc.name === frappe.session.user;
		if (is_self || frappe.user.has_role("System Manager")) {
			frm.add_custom_button(__("Generate Keys"), () => frm.events.generate_keys(frm), __("API Access"));
		}
		if (frm.doc.api_key) {
			frm.set_intro(__("This user has an API key. Generating keys again replaces the secret: clients using the old one stop working."));
		}
	},
	generate_keys(frm) {
		const run = () => frappe.call({
			method: "frappe.core.doctype.user.user.generate_keys",
			args: { user: frm.doc.name },
			freeze: true,
			callback(r) {
				if (!r.message) return;
				const esc = frappe.utils.escape_html;
				frappe.msgprint({
					title: __("API Access"),
					indicator: "green",
					message: `<p>${esc(__("Copy the secret now: it is not shown again."))}</p>
						<table class="api-keys"><tr><th>${esc(__("API Key"))}</th><td><code class="api-key">${esc(r.message.api_key)}</code></td></tr>
						<tr><th>${esc(__("API Secret"))}</th><td><code class="api-secret">${esc(r.message.api_secret)}</code></td></tr></table>`,
				});
				frm.reload_doc();
			},
		});
		if (frm.doc.api_key) {
			frappe.confirm(__("Generate a new API secret for {0}? The old one stops working.", [frappe.utils.escape_html(frm.doc.name)]), run);
		} else {
			run();
		}
	},
});

// Exoceuticals Settings: connect the store through Shopify's OAuth install, and run the syncs now.
frappe.ui.form.on("Exoceuticals Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Connect store in Shopify"), () => {
			frappe.call({
				method: "medgrid.exoceuticals.start_install",
				freeze: true,
				callback: (r) => {
					if (!r.exc && r.message && r.message.authorize_url) {
						window.location.href = r.message.authorize_url;
					}
				},
			});
		}, __("Shopify"));
		for (const [label, method] of [[__("Sync catalog now"), "medgrid.exoceuticals.sync_catalog"],
			[__("Sync inventory now"), "medgrid.exoceuticals.sync_inventory"]]) {
			frm.add_custom_button(label, () => {
				frappe.call({
					method,
					freeze: true,
					freeze_message: __("Reading the store…"),
					callback: (r) => {
						if (r.exc || !r.message) return;
						const s = r.message;
						frappe.msgprint(__("Created {0}, updated {1}, unchanged {2}, skipped {3}, failed {4}",
							[s.created, s.updated, s.unchanged, s.skipped, s.failed]) +
							(s.complete ? "" : "<br>" + __("The run stopped early: see the Error Log.")));
						frm.reload_doc();
					},
				});
			}, __("Shopify"));
		}
	},
});

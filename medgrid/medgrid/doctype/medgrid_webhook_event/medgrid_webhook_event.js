// MedGrid Webhook Event form: apply a failed or unmatched event again; jump to the order's dispatches.
frappe.ui.form.on("MedGrid Webhook Event", {
	refresh(frm) {
		if (["Failed", "Unmatched"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => {
				frappe.call({
					method: "medgrid.pages.admin.retry_webhook_events",
					args: { names: [frm.doc.name] },
					freeze: true,
					callback: (r) => {
						if (!r.exc) {
							frappe.show_alert({ message: __("Event queued to be applied again"), indicator: "green" });
							frm.reload_doc();
						}
					},
				});
			}).addClass("btn-primary");
		}
		if (frm.doc.sales_order) {
			frm.add_custom_button(__("Dispatches"), () => {
				frappe.set_route("List", "Fulfillment Dispatch", { sales_order: frm.doc.sales_order });
			}, __("View"));
		}
	},
});

// Fulfillment Dispatch form: Retry a failed (or waiting) dispatch; links to the order and the portal view.
frappe.ui.form.on("Fulfillment Dispatch", {
	refresh(frm) {
		if (["Failed", "Retrying", "Queued"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () => {
				frappe.call({
					method: "medgrid.fulfillment_router.retry_dispatches",
					args: { names: [frm.doc.name] },
					freeze: true,
					callback: (r) => {
						if (!r.exc) {
							frappe.show_alert({ message: __("Dispatch queued again"), indicator: "green" });
							frm.reload_doc();
						}
					},
				});
			}).addClass("btn-primary");
		}
		if (frm.doc.last_error && frm.doc.status === "Failed") {
			frm.dashboard.set_headline_alert(
				`<div class="text-danger">${frappe.utils.escape_html(frm.doc.last_error).slice(0, 400)}</div>`);
		}
		frm.add_custom_button(__("Vendor log"), () => {
			frappe.set_route("List", "MedGrid Integration Log", {
				reference_doctype: "Sales Order", reference_name: frm.doc.sales_order, vendor: frm.doc.vendor,
			});
		}, __("View"));
		frm.add_custom_button(__("Webhook events"), () => {
			frappe.set_route("List", "MedGrid Webhook Event", { sales_order: frm.doc.sales_order, vendor: frm.doc.vendor });
		}, __("View"));
	},
});

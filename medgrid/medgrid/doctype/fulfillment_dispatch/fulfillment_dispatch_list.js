// Fulfillment Dispatch list: status colours (the portal's /medgrid-admin/dispatches uses the same) and a
// bulk "Retry" action for failed dispatches, as frappe/ecommerce_integrations' integration log does.
frappe.listview_settings["Fulfillment Dispatch"] = {
	add_fields: ["status", "vendor", "attempts"],
	get_indicator(doc) {
		const colours = {
			Queued: "orange", Sending: "blue", Sent: "green", Retrying: "yellow", Failed: "red", Cancelled: "gray",
		};
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.page.add_action_item(__("Retry"), () => {
			listview.call_for_selected_items("medgrid.fulfillment_router.retry_dispatches");
		});
	},
};

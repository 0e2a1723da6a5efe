// MedGrid Webhook Event list: status colours and a bulk "Retry" (apply again) for failed or unmatched events.
frappe.listview_settings["MedGrid Webhook Event"] = {
	add_fields: ["status", "vendor", "event_type"],
	get_indicator(doc) {
		const colours = { Received: "blue", Processed: "green", Ignored: "gray", Unmatched: "orange", Failed: "red" };
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.page.add_action_item(__("Retry"), () => {
			listview.call_for_selected_items("medgrid.pages.admin.retry_webhook_events");
		});
	},
};

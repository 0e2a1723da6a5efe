// MedGrid Integration Log list: status colours, as frappe/ecommerce_integrations' integration log.
frappe.listview_settings["MedGrid Integration Log"] = {
	add_fields: ["status", "vendor", "status_code"],
	get_indicator(doc) {
		const colours = { Success: "green", Error: "red", Rejected: "orange" };
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
};

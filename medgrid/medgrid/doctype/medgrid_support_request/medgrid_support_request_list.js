// MedGrid Support Request list: status colours (the portal's /portal/support uses the same).
frappe.listview_settings["MedGrid Support Request"] = {
	add_fields: ["status", "assigned_to", "requester"],
	get_indicator(doc) {
		const colours = { Open: "orange", "In Progress": "blue", Answered: "green", Closed: "gray" };
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
};

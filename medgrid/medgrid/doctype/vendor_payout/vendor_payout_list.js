// Vendor Payout list: status colours (the portal's /portal/payouts uses the same).
frappe.listview_settings["Vendor Payout"] = {
	add_fields: ["status", "total_amount", "vendor_profile"],
	get_indicator(doc) {
		const colours = { Draft: "gray", Approved: "blue", Paid: "green", Cancelled: "gray" };
		return [__(doc.status), colours[doc.status] || "gray", "status,=," + doc.status];
	},
};

// Vendor Payout form: the next step of Draft → Approved → Paid as a button (the controller checks each move,
// and a Paid payout needs its payment reference).
frappe.ui.form.on("Vendor Payout", {
	refresh(frm) {
		if (frm.is_new()) return;
		const move = (status) => {
			frm.set_value("status", status);
			frm.save();
		};
		if (frm.doc.status === "Draft") {
			frm.add_custom_button(__("Approve"), () => move("Approved"));
		}
		if (frm.doc.status === "Approved") {
			frm.add_custom_button(__("Mark Paid"), () => {
				if (!frm.doc.reference) {
					frappe.msgprint(__("Enter the Payment Reference first."));
					frm.scroll_to_field("reference");
					return;
				}
				move("Paid");
			});
		}
		if (["Draft", "Approved"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Cancel Payout"), () => {
				frappe.confirm(__("Cancel this payout? Its dispatches can be paid by a later payout."), () => move("Cancelled"));
			});
		}
	},
});

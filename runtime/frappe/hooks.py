"""Hooks of the frappe app itself (merged first, like any installed app's hooks)."""

app_name = "frappe"
app_title = "Frappe Framework"

# the standard users (Administrator, Guest) are hidden from, and closed to, everyone else
permission_query_conditions = {
    "User": "frappe.core.doctype.user.user.get_permission_query_conditions",
}
has_permission = {
    "User": "frappe.core.doctype.user.user.has_permission",
}

# scheduled backups: each hour, a backup set when enabled and due, keeping the newest backup_limit
scheduler_events = {
    "hourly_long": ["frappe.utils.backups.run_scheduled_backup"],
}

"""Field-type groups and standard columns shared by the document model (Frappe's names)."""

data_fieldtypes = (
    "Currency", "Int", "Long Int", "Float", "Percent", "Check", "Small Text", "Long Text", "Code",
    "Text Editor", "Markdown Editor", "HTML Editor", "Date", "Datetime", "Time", "Text", "Data", "Link",
    "Dynamic Link", "Password", "Select", "Rating", "Read Only", "Attach", "Attach Image", "Signature",
    "Color", "Barcode", "Geolocation", "Duration", "Icon", "Phone", "Autocomplete", "JSON",
)
float_like_fields = ("Float", "Currency", "Percent", "Duration")
datetime_fields = ("Datetime", "Date", "Time")
attachment_fieldtypes = ("Attach", "Attach Image")
no_value_fields = (
    "Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect", "Button", "Image",
    "Fold", "Heading",
)
display_fieldtypes = ("Section Break", "Column Break", "Tab Break", "HTML", "Button", "Image", "Fold", "Heading")
numeric_fieldtypes = ("Currency", "Int", "Long Int", "Float", "Percent", "Check")
table_fields = ("Table", "Table MultiSelect")
default_fields = ("doctype", "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
child_table_fields = ("parent", "parentfield", "parenttype")
optional_fields = ("_user_tags", "_comments", "_assign", "_liked_by", "_seen")
NON_CHILD_COLUMNS = ("_user_tags", "_comments", "_assign", "_liked_by")
CHILD_TABLE_COLUMNS = child_table_fields
log_types = ("Version", "Error Log", "Scheduled Job Log", "Activity Log", "Patch Log")

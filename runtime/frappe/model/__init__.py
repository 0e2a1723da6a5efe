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

# doctypes whose list queries are not narrowed field by field (Frappe's list); User is not among the
# exempt ones since Frappe 15.x: its API keys and login settings sit at permlevel 1
core_doctypes_list = (
    "DefaultValue", "DocType", "DocField", "DocPerm", "DocType Action", "DocType Link", "User", "Role",
    "Has Role", "Page", "Module Def", "Print Format", "Report", "Customize Form", "Customize Form Field",
    "Property Setter", "Custom Field", "Client Script",
)
CORE_DOCTYPES = frozenset(core_doctypes_list)


def get_permitted_fields(doctype: str, parenttype: str | None = None, user: str | None = None,
                         permission_type: str | None = None, *, ignore_virtual: bool = False) -> list[str]:
    """Columns of ``doctype`` that ``user`` may see in a list (Frappe's field-level read rules).

    The standard columns always; data fields only at the permlevels where one of the user's roles
    holds ``permission_type`` (select when the user may only select, else read) — for a child table,
    the parent's rules. A doctype without any permission rows shows everything.
    """
    import frappe

    meta = frappe.get_meta(doctype)
    valid_columns = meta.get_valid_columns()
    if doctype in CORE_DOCTYPES and doctype != "User":
        return list(valid_columns)
    if set(valid_columns).issubset(default_fields):
        return list(valid_columns)
    user = user or frappe.session.user
    if permission_type is None:
        permission_type = "select" if frappe.only_has_select_perm(doctype, user=user) else "read"
    rules_meta = frappe.get_meta(parenttype) if (meta.istable and parenttype) else meta
    if meta.istable and not parenttype:
        permitted = []
    elif not rules_meta.permissions:
        permitted = meta.get_fieldnames_with_value(with_virtual_fields=not ignore_virtual)
    else:
        permitted = meta.get_permitted_fieldnames(parenttype=parenttype, user=user, permission_type=permission_type,
                                                  with_virtual_fields=not ignore_virtual)
    # the standard and the optional (_user_tags, _comments…) columns are never withheld
    result = list(default_fields[1:]) + list(optional_fields)
    if meta.istable:
        result += list(child_table_fields)
    result += [f for f in permitted if f not in result]
    return result

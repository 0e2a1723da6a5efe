"""Naming and link helpers shared by Address and Contact."""

import re

import frappe


def next_free_name(doctype, base, separator="-"):
	"""Return `base`, or `base-N` with the next unused N when `base` is taken."""
	if not frappe.db.exists(doctype, base):
		return base
	pattern = re.compile(r"^" + re.escape(base + separator) + r"(\d+)$")
	taken = frappe.get_all(doctype, filters={"name": ("like", base + separator + "%")}, pluck="name")
	numbers = [int(m.group(1)) for m in (pattern.match(n) for n in taken) if m]
	return f"{base}{separator}{max(numbers, default=0) + 1}"


def set_link_titles(doc):
	"""Fill `link_title` of each Dynamic Link row with the linked record's title."""
	for link in doc.get("links") or []:
		if link.link_title or not (link.link_doctype and link.link_name):
			continue
		title_field = frappe.get_meta(link.link_doctype).get_title_field()
		title = frappe.db.get_value(link.link_doctype, link.link_name, title_field) if title_field else None
		link.link_title = title or link.link_name


def deduplicate_links(doc):
	"""Drop repeated (link_doctype, link_name) rows."""
	seen, keep = set(), []
	for link in doc.get("links") or []:
		key = (link.link_doctype, link.link_name)
		if key not in seen:
			seen.add(key)
			keep.append(link)
	if len(keep) != len(doc.get("links") or []):
		doc.set("links", keep)


def linked_parents(parenttype, link_doctype, link_name):
	"""Names of `parenttype` records (Address/Contact) linked to the given record."""
	return frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": parenttype, "link_doctype": link_doctype, "link_name": link_name},
		pluck="parent",
		order_by="creation asc",
	)


def delete_contact_and_address(doctype, name):
	"""On deleting a party: delete its own addresses/contacts, unlink the shared ones."""
	for parenttype in ("Address", "Contact"):
		for parent in set(linked_parents(parenttype, doctype, name)):
			record = frappe.get_doc(parenttype, parent)
			if len(record.links) <= 1:
				frappe.delete_doc(parenttype, parent, ignore_permissions=True)
			else:
				record.set("links", [l for l in record.links if not (l.link_doctype == doctype and l.link_name == name)])
				record.save(ignore_permissions=True)


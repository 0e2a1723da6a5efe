"""The document lifecycle: insert, save, submit, cancel, delete, hooks — in Frappe v15's order."""

from __future__ import annotations

import copy

import frappe
from frappe import _
from frappe.model import table_fields
from frappe.model.base_document import BaseDocument, get_controller
from frappe.model.docstatus import DocStatus
from frappe.utils import now_datetime

__all__ = ["Document", "get_doc", "get_controller", "copy_doc"]


def get_doc(*args, **kwargs):
    """Load a document by (doctype, name), a Single by doctype, or build one from a dict."""
    if args and isinstance(args[0], BaseDocument):
        return args[0]
    if args and isinstance(args[0], str):
        doctype = args[0]
        if len(args) < 2 and not kwargs.get("name"):
            if frappe.get_meta(doctype).issingle:
                args = (doctype, doctype)
            else:
                raise frappe.DoesNotExistError(doctype=doctype)
        controller = get_controller(doctype)
        return controller(*args, **kwargs)
    if args and isinstance(args[0], dict):
        values = args[0]
    elif kwargs:
        values = kwargs
    else:
        raise ValueError('First non keyword argument must be a string or dict')
    if not values.get("doctype"):
        raise ValueError('"doctype" is a required key')
    controller = get_controller(values["doctype"])
    return controller(values)


class Document(BaseDocument):
    """Frappe's Document: a parent row with its child tables and its lifecycle."""

    def __init__(self, *args, **kwargs):
        self.doctype = None
        self.name = None
        self.flags = frappe._dict()
        if args and isinstance(args[0], str):
            self.doctype = args[0]
            if len(args) == 1:
                self.name = self.doctype
            else:
                name = args[1]
                if isinstance(name, dict):
                    name = frappe.db.get_value(self.doctype, name, "name")
                    if name is None:
                        frappe.throw(_("{0} {1} not found").format(_(self.doctype), args[1]),
                                     frappe.DoesNotExistError(doctype=self.doctype))
                self.name = name
            stored = kwargs.get("_stored_rows")
            if stored is not None:
                self._fill_from_rows(*stored)
            else:
                self.load_from_db(for_update=kwargs.get("for_update"))
            return
        if args and isinstance(args[0], dict):
            kwargs = args[0]
        if kwargs:
            super().__init__(kwargs)
            self.init_child_tables()
            self.init_valid_columns()
        else:
            raise ValueError("Illegal arguments")

    @property
    def is_locked(self):
        return False

    def init_child_tables(self):
        for df in self.meta.get_table_fields():
            if self.__dict__.get(df.fieldname) is None:
                self.__dict__[df.fieldname] = []

    def init_valid_columns(self):
        for key in self.meta.get_valid_columns():
            if key not in self.__dict__:
                self.__dict__[key] = None
        if self.__dict__.get("docstatus") is None:
            self.docstatus = DocStatus.draft()
        if self.__dict__.get("idx") is None:
            self.idx = 0

    # ------------------------------------------------------------ loading

    def load_from_db(self, for_update=False):
        """(Re)load fields and child rows from the database."""
        meta = self.meta
        if meta.issingle:
            values = frappe.db.get_singles_dict(self.doctype)
            if not values:
                # never saved: a new document's values (owner, defaults), as Frappe starts a Single
                from frappe.model.create_new import get_new_doc

                values = get_new_doc(self.doctype, as_dict=True)
                for key in ("__islocal", "__unsaved", "doctype"):
                    values.pop(key, None)
                values = frappe._dict({k: v for k, v in values.items() if v is not None})
            d = frappe._dict({f: None for f in meta.get_valid_columns()})
            for df in meta.fields:
                if df.get("default") is not None and values.get(df.fieldname) is None and df.fieldname in d:
                    from frappe.database.database import _cast

                    d[df.fieldname] = _cast(df.fieldtype, df.default)
            d.update(values)
            d.name = self.doctype
            from frappe.utils import cint

            d.docstatus = cint(values.get("docstatus"))
            # tabSingles keeps text: idx comes back as the stored string ("0"), as in Frappe
            d.idx = values.get("idx", 0)
        else:
            sql = f"select * from `tab{self.doctype}` where `name`=%s"
            if for_update:
                sql += " for update"
            rows = frappe.db.sql(sql, (self.name,), as_dict=True)
            if not rows:
                frappe.throw(_("{0} {1} not found").format(_(self.doctype), self.name),
                             frappe.DoesNotExistError(doctype=self.doctype))
            d = rows[0]
        parent = self.doctype if meta.issingle else self.name
        children = {df.fieldname: frappe.db.sql(f"select * from `tab{df.options}` where `parent`=%s and "
                                                f"`parenttype`=%s and `parentfield`=%s order by `idx` asc",
                                                (parent, self.doctype, df.fieldname), as_dict=True)
                    for df in meta.get_table_fields()}
        self._fill_from_rows(d, children)
        if for_update and not meta.issingle and frappe.db.reads_repeat_under_lock:
            # read under the row lock: while nothing in this transaction writes these tables, they hold
            # these rows still, and this save's stored copy is built from them instead of read again
            self.__dict__["_rows_under_lock"] = (frappe.db.read_mark(), d, children)
        else:
            self.__dict__.pop("_rows_under_lock", None)
        return self

    def _fill_from_rows(self, d, children):
        """Set fields from the stored row ``d`` and child tables from ``children`` ({fieldname: rows}); the
        rows are copied, not kept."""
        saved_flags = self.flags
        super().__init__(d)
        self.flags = saved_flags
        for fieldname, rows in children.items():
            self.__dict__[fieldname] = []
            for row in rows:
                self.append(fieldname, row)
        self.init_valid_columns()

    def _rows_still_stored(self, tables):
        """The rows this document was loaded with under its row lock, if nothing in the transaction has
        written ``tables`` since (else None)."""
        loaded = self.__dict__.get("_rows_under_lock")
        if loaded is None:
            return None
        mark, d, children = loaded
        if not frappe.db.unwritten_since(mark, tables):
            return None
        return d, children

    def get_stored_copy(self):
        """The document as stored now: built from the rows it was loaded with under its row lock while they
        still stand, else read again (Frappe always reads again: the same rows, one query per table more)."""
        tables = [f"tab{self.doctype}"] + [f"tab{df.options}" for df in self.meta.get_table_fields()]
        rows = self._rows_still_stored(tables)
        if rows is not None:
            return frappe.get_doc(self.doctype, self.name, _stored_rows=rows)
        return frappe.get_doc(self.doctype, self.name)

    def reload(self):
        """Reload from the database, dropping in-memory changes."""
        self.load_from_db()
        return self

    # ------------------------------------------------------------ permissions

    def check_permission(self, permtype="read", permlevel=None):
        """Raise PermissionError unless the session user has ``permtype`` on this document."""
        if self.flags.ignore_permissions:
            return
        if not self.has_permission(permtype):
            self._handle_permission_failure(permtype)

    def _handle_permission_failure(self, perm_type):
        """A refusal on the doctype itself answers "No permission for <DocType>" (only that check's
        messages, no traceback); a refusal of this document asks for the right on it."""
        from frappe.permissions import check_doctype_permission

        parent_doctype = self.get("parenttype") if self.meta.istable else None
        check_doctype_permission(parent_doctype or self.doctype, perm_type)
        self.raise_no_permission_to(perm_type)

    def has_permission(self, permtype="read", *, debug=False, user=None) -> bool:
        """Whether the user has ``permtype`` on this document (the reasons of a refusal are
        msgprinted, as Frappe does)."""
        if self.flags.ignore_permissions:
            return True
        from frappe.permissions import has_permission

        return has_permission(self.doctype, permtype, self, user=user)

    def apply_fieldlevel_read_permissions(self):
        """Clear the fields at permlevels the session user may not read (Frappe's name; the REST and
        Desk read paths call it). See frappe.desk.form.utils."""
        from frappe.desk.form.utils import apply_fieldlevel_read_permissions

        apply_fieldlevel_read_permissions(self)

    def raise_no_permission_to(self, perm_type):
        doctype, name = self.doctype, self.name
        if self.meta.istable and self.get("parenttype"):
            doctype, name = self.parenttype, self.parent
        frappe.flags.error_message = _("You need the '{0}' permission on {1} {2} to perform this action.").format(
            _(perm_type), frappe.bold(_(doctype)), name or "")
        raise frappe.PermissionError

    # ------------------------------------------------------------ insert

    def insert(self, ignore_permissions=None, ignore_links=None, ignore_if_duplicate=False,
               ignore_mandatory=None, set_name=None, set_child_names=True):
        """Insert as a new document, running the insert hooks in Frappe's order."""
        if self.flags.in_print:
            return self
        self.flags.notifications_executed = []
        if ignore_permissions is not None:
            self.flags.ignore_permissions = ignore_permissions
        if ignore_links is not None:
            self.flags.ignore_links = ignore_links
        if ignore_mandatory is not None:
            self.flags.ignore_mandatory = ignore_mandatory

        self.set("__islocal", True)
        self._set_defaults()
        self.set_user_and_timestamp()
        self.set_docstatus()
        self.check_if_latest()
        self._fetch_link_values()
        self.check_permission("create")
        self.run_method("before_insert")
        self.set_new_name(set_name=set_name, set_child_names=set_child_names)
        self.set_parent_in_children()
        self.validate_higher_perm_levels()
        self.flags.in_insert = True
        self.run_before_save_methods()
        # links are checked after the controller's validate: the recorded site answers ERPNext's own
        # "Customer X not found" (404) before Frappe's "Could not find Customer" (417); the fetch_from
        # values were filled at Frappe's place above, so what the controller set stays
        self._validate_links(fetch=False)
        self._validate()
        self.set_docstatus()
        self.flags.in_insert = False

        if getattr(self.meta, "issingle", 0):
            self.update_single(self.get_valid_dict(ignore_virtual=True))
        else:
            self.db_insert(ignore_if_duplicate=ignore_if_duplicate)
        for d in self.get_all_children():
            d.db_insert()
        self.run_method("after_insert")
        self.flags.in_insert = True
        if self.get("amended_from"):
            self.validate_amended_from()
        self.run_post_save_methods()
        self.flags.in_insert = False
        self.set("__islocal", False)
        self.__dict__.pop("__islocal", None)
        self.__dict__.pop("__unsaved", None)
        return self

    def validate_amended_from(self):
        status = frappe.db.get_value(self.doctype, self.amended_from, "docstatus")
        if status != 2:
            frappe.throw(_("{0} {1} cannot be amended because it is not cancelled").format(
                _(self.doctype), self.amended_from))

    # ------------------------------------------------------------ save

    def save(self, *args, **kwargs):
        """Save (insert when new); submit/cancel follow from the docstatus transition."""
        return self._save(*args, **kwargs)

    def _save(self, ignore_permissions=None, ignore_version=None):
        if self.flags.in_print:
            return self
        self.flags.notifications_executed = []
        if ignore_permissions is not None:
            self.flags.ignore_permissions = ignore_permissions
        if self.get("__islocal") or not self.get("name"):
            return self.insert()

        # a stored copy left by a save that failed before its validate is not this save's
        self.__dict__.pop("_stored_copy_of_this_save", None)
        self._set_defaults()
        self.check_permission("write", "save")
        self.set_user_and_timestamp()
        self.set_docstatus()
        self.check_if_latest()
        self.set_parent_in_children()
        self.set_name_in_children()
        self.validate_higher_perm_levels()
        self._validate_links()
        self.run_before_save_methods()
        if self._action != "cancel":
            self._validate()
        if self._action == "update_after_submit":
            self.validate_update_after_submit()
        self.set_docstatus()

        if self.meta.issingle:
            self.update_single(self.get_valid_dict(ignore_virtual=True))
        else:
            self.db_update()
        self.update_children()
        self.run_post_save_methods()
        self.__dict__.pop("__unsaved", None)
        return self

    def update_children(self):
        """Write child rows; rows no longer in a table are deleted."""
        for df in self.meta.get_table_fields():
            # the names stored for this table when the document was loaded under its lock, if they still stand
            stored = self._rows_still_stored((f"tab{df.options}",))
            rows = self.get(df.fieldname) or []
            for d in rows:
                d.db_update()
            names = [d.name for d in rows if d.name]
            if stored is not None and {row.name for row in stored[1][df.fieldname]} <= set(names):
                continue  # no stored row left out: the DELETE would find nothing
            parent = self.name
            if names:
                placeholders = ", ".join(["%s"] * len(names))
                frappe.db.sql(f"delete from `tab{df.options}` where `parent`=%s and `parenttype`=%s and "
                              f"`parentfield`=%s and `name` not in ({placeholders})",
                              [parent, self.doctype, df.fieldname] + names)
            else:
                frappe.db.sql(f"delete from `tab{df.options}` where `parent`=%s and `parenttype`=%s and "
                              f"`parentfield`=%s", (parent, self.doctype, df.fieldname))

    def update_single(self, d):
        frappe.db.sql("delete from `tabSingles` where `doctype`=%s", (self.doctype,))
        from frappe.database.database import _single_value

        for field, value in d.items():
            if field in ("doctype", "name") or value is None:
                continue
            frappe.db.sql("insert into `tabSingles` (`doctype`, `field`, `value`) values (%s, %s, %s)",
                          (self.doctype, field, _single_value(value)))
        for df in self.meta.get_table_fields():
            frappe.db.sql(f"delete from `tab{df.options}` where `parent`=%s", (self.doctype,))
            for row in self.get(df.fieldname) or []:
                row.parent = self.doctype
                row.set("__islocal", True)
                row.db_insert()
        frappe.clear_document_cache(self.doctype, self.doctype)

    # ------------------------------------------------------------ docstatus

    def submit(self):
        """Submit (docstatus 0 → 1)."""
        return self._submit()

    def _submit(self):
        self.docstatus = DocStatus.submitted()
        return self.save()

    def cancel(self):
        """Cancel (docstatus 1 → 2)."""
        return self._cancel()

    def _cancel(self):
        self.docstatus = DocStatus.cancelled()
        return self.save()

    def delete(self, ignore_permissions=False, force=False, *, delete_permanently=False):
        """Delete this document (see frappe.delete_doc)."""
        frappe.delete_doc(self.doctype, self.name, ignore_permissions=ignore_permissions, flags=self.flags,
                          force=force, delete_permanently=delete_permanently)

    def set_docstatus(self, docstatus=None):
        if docstatus is not None:
            self.docstatus = docstatus
        if self.docstatus is None:
            self.docstatus = DocStatus.draft()
        for d in self.get_all_children():
            d.docstatus = self.docstatus

    def check_if_latest(self):
        """Refuse stale saves (TimestampMismatchError) and decide the action from docstatus."""
        self._action = "save"
        if self.get("__islocal"):
            self.check_docstatus_transition(0)
            return
        if self.meta.issingle:
            previous = {"modified": frappe.db.get_single_value(self.doctype, "modified") if False else None,
                        "docstatus": 0}
            self.check_docstatus_transition(0)
            return
        stored = self._rows_still_stored((f"tab{self.doctype}",))
        if stored is not None:
            rows = [stored[0]]  # loaded under the lock this transaction still holds: the row as it stands
        else:
            rows = frappe.db.sql(f"select `modified`, `docstatus` from `tab{self.doctype}` where `name`=%s "
                                 "for update", (self.name,), as_dict=True)
        if not rows:
            frappe.throw(_("Record does not exist"))
        previous = rows[0]
        modified = str(previous.modified)
        original = self.__dict__.get("_original_modified")
        if original and modified != str(original) and not self.flags.ignore_version_check:
            self.raise_timestamp_mismatch(previous.modified, original)
        self.check_docstatus_transition(previous.docstatus)

    def raise_timestamp_mismatch(self, db_modified=None, loaded_modified=None):
        frappe.msgprint(_("Error: Document has been modified after you have opened it") +
                        f" ({db_modified}, {loaded_modified}). " +
                        _("Please refresh to get the latest document."),
                        raise_exception=frappe.TimestampMismatchError)

    def check_docstatus_transition(self, to_docstatus):
        """Frappe's table of allowed docstatus changes (previous = DB value, new = self.docstatus)."""
        if not self.docstatus:
            self.docstatus = DocStatus.draft()
        if to_docstatus == 0:
            if self.docstatus == 0:
                self._action = "save"
            elif self.docstatus == 1:
                self._action = "submit"
                self.check_permission("submit")
            elif self.docstatus == 2:
                raise frappe.DocstatusTransitionError(
                    _("Cannot change docstatus from 0 (Draft) to 2 (Cancelled)"))
            else:
                raise frappe.ValidationError(_("Invalid docstatus"), self.docstatus)
        elif to_docstatus == 1:
            if self.docstatus == 1:
                self._action = "update_after_submit"
                self.check_permission("submit")
            elif self.docstatus == 2:
                self._action = "cancel"
                self.check_permission("cancel")
            elif self.docstatus == 0:
                raise frappe.DocstatusTransitionError(
                    _("Cannot change docstatus from 1 (Submitted) to 0 (Draft)"))
            else:
                raise frappe.ValidationError(_("Invalid docstatus"), self.docstatus)
        elif to_docstatus == 2:
            raise frappe.ValidationError(_("Cannot edit cancelled document"))

    # ------------------------------------------------------------ helpers of insert/save

    def set_user_and_timestamp(self):
        now = now_datetime()
        # check_if_latest compares the DB's modified with the one this copy was loaded with
        self._original_modified = self.modified
        self.modified = now
        self.modified_by = frappe.session.user
        # a new document is created now by the session user (whatever the client sent), except while
        # installing or migrating; a Single is never new, so it keeps no creation
        if self.is_new() and not (frappe.flags.in_install or frappe.flags.in_patch or frappe.flags.in_migrate):
            self.creation = now
            self.owner = self.modified_by
        for d in self.get_all_children():
            d.modified = now
            d.modified_by = frappe.session.user
            if not d.owner:
                d.owner = self.owner
            if not d.creation:
                d.creation = self.creation

    def _set_defaults(self):
        """Copy a new document's defaults into this one (when new) and into its new child rows,
        wherever they hold None; they come with ``__unsaved`` as in Frappe."""
        if frappe.flags.in_import:
            return
        from frappe.model.create_new import get_new_doc, update_if_missing

        if self.is_new():
            update_if_missing(self, get_new_doc(self.doctype, as_dict=True))
        for df in self.meta.get_table_fields():
            rows = self.get(df.fieldname)
            new_rows = [d for d in rows if d.is_new()] if isinstance(rows, list) else []
            if not new_rows:
                continue  # the defaults (":Company" ones read the database) would go to no row
            values = get_new_doc(df.options, parent_doc=self, parentfield=df.fieldname, as_dict=True)
            for d in new_rows:
                update_if_missing(d, values)

    def set_new_name(self, force=False, set_name=None, set_child_names=True):
        from frappe.model.naming import set_new_name

        if self.flags.name_set and not force:
            return
        if set_name:
            self.name = set_name
        else:
            set_new_name(self)
        if set_child_names:
            for d in self.get_all_children():
                set_new_name(d)
        self.flags.name_set = True

    def set_name_in_children(self):
        from frappe.model.naming import set_new_name

        for d in self.get_all_children():
            if not d.name:
                set_new_name(d)
                d.set("__islocal", True)

    def set_parent_in_children(self):
        for df in self.meta.get_table_fields():
            for i, d in enumerate(self.get(df.fieldname) or []):
                d.parent = self.name
                d.parenttype = self.doctype
                d.parentfield = df.fieldname
                if not d.idx:
                    d.idx = i + 1

    def validate_higher_perm_levels(self):
        """Reset fields above the user's write permlevel to their DB / default value."""
        if self.flags.ignore_permissions or frappe.flags.in_install or frappe.session.user == "Administrator":
            return
        high = self.meta.get_high_permlevel_fields()
        if not high:
            return
        allowed = set(self.meta.get_permlevel_access("write"))
        from frappe.model import display_fieldtypes

        # layout fields hold no value; a table is restored row by row from the saved document
        to_reset = [df for df in high if df.permlevel not in allowed and df.fieldtype not in display_fieldtypes]
        if not to_reset:
            return
        saved = None
        if not self.get("__islocal"):
            saved = self.get_stored_copy()
            # this save's doc_before_save is the same stored copy: load_doc_before_save takes it
            self.__dict__["_stored_copy_of_this_save"] = saved
        for df in to_reset:
            if saved is None:
                self.set(df.fieldname, [] if df.fieldtype in table_fields else df.get("default"))
            elif df.fieldtype in table_fields:
                self.set(df.fieldname, [row.as_dict() for row in saved.get(df.fieldname) or []])
            else:
                self.set(df.fieldname, saved.get(df.fieldname))

    def _fetch_link_values(self):
        """Fill the ``fetch_from`` fields of the links that exist (where Frappe validates links on
        insert, before the controller runs); invalid links are reported later by _validate_links."""
        if self.flags.ignore_links:
            return
        self._look_up_link_targets()
        self.get_invalid_links(is_submittable=self.meta.is_submittable)
        for d in self.get_all_children():
            d.get_invalid_links(is_submittable=self.meta.is_submittable)

    def _validate_links(self, fetch=True):
        if self.flags.ignore_links or self._action == "cancel":
            return
        self._look_up_link_targets()
        invalid, cancelled = self.get_invalid_links(is_submittable=self.meta.is_submittable, fetch=fetch)
        for d in self.get_all_children():
            r = d.get_invalid_links(is_submittable=self.meta.is_submittable, fetch=fetch)
            invalid.extend(r[0])
            cancelled.extend(r[1])
        if invalid:
            msg = ", ".join(each[2] for each in invalid)
            frappe.throw(_("Could not find {0}").format(msg), frappe.LinkValidationError)
        if cancelled:
            msg = ", ".join(each[2] for each in cancelled)
            frappe.throw(_("Cannot link cancelled document: {0}").format(msg), frappe.CancelledLinkError)

    def _look_up_link_targets(self):
        """Find the Link targets of the document and its rows in one statement and leave those found in the
        request's value cache, where each field's own check (``get_invalid_links``, one lookup per value as
        in Frappe) takes them; a value not found exactly as written is looked up by its check as before."""
        wanted = {}
        for doc in (self, *self.get_all_children()):
            for _df, value, doctype in doc.get_link_values():
                if isinstance(value, str):
                    wanted.setdefault(doctype, set()).add(value)
        from frappe.database.database import _value_cache_key

        db, selects, values, keys = frappe.db, [], [], []
        for doctype, names in wanted.items():
            try:
                meta = frappe.get_meta(doctype)
            except frappe.DoesNotExistError:
                continue
            if meta.issingle or meta.get("is_virtual") or meta.autoname == "autoincrement" \
                    or not db.table_exists(doctype):
                continue  # (an autoincrement name is a number column: its own check casts the value)
            fields = ["name", "docstatus"] if meta.is_submittable else ["name"]
            names = [n for n in names if _value_cache_key(doctype, {"name": n}, fields, True, None)
                     not in db.value_cache]
            if not names:
                continue
            # a number where the target keeps no docstatus (PostgreSQL cannot match a NULL column's text to smallint)
            selects.append(f"select {len(keys)} as `k`, `name`, {'`docstatus`' if meta.is_submittable else '-1'} "
                           f"as `docstatus` from `tab{doctype}` where `name` in ({', '.join(['%s'] * len(names))})")
            values.extend(sorted(names))
            keys.append((doctype, fields))
        if len(selects) < 2 and sum(len(n) for n in wanted.values()) < 2:
            return  # one lookup either way
        for k, name, docstatus in db.sql(" union all ".join(selects), values) if selects else ():
            doctype, fields = keys[int(k)]
            if name not in wanted[doctype]:
                continue  # matched by the collation (case, trailing spaces): its own check asks again
            row = frappe._dict(name=name)
            if len(fields) == 2:
                row.docstatus = int(docstatus)
            db.value_cache[_value_cache_key(doctype, {"name": name}, fields, True, None)] = row

    def run_before_save_methods(self):
        """before_validate, validate, before_save / before_submit / before_cancel / ..."""
        # has_value_changed / get_doc_before_save compare against the stored copy, as in Frappe
        self.load_doc_before_save()
        self.reset_values_if_no_permlevel_access = None
        if self.flags.ignore_validate:
            return
        if self._action == "save":
            self.run_method("before_validate")
            self.run_method("validate")
            self.run_method("before_save")
        elif self._action == "submit":
            self.run_method("before_validate")
            self.run_method("validate")
            self.run_method("before_submit")
        elif self._action == "cancel":
            self.run_method("before_cancel")
        elif self._action == "update_after_submit":
            self.run_method("before_update_after_submit")
        self.set_title_field()

    def set_title_field(self):
        pass

    def _validate(self):
        """Framework validation after the controller's: mandatory, selects, lengths, passwords."""
        self._validate_mandatory()
        self._validate_selects()
        self._validate_length()
        self._validate_non_negative()
        self._fix_numeric_types()
        for d in self.get_all_children():
            d._validate_selects()
            d._validate_length()
            d._validate_non_negative()
            d._fix_numeric_types()
        self._save_passwords()
        self.validate_set_only_once()

    def _validate_mandatory(self):
        if self.flags.ignore_mandatory:
            return
        missing = self._get_missing_mandatory_fields()
        for d in self.get_all_children():
            missing.extend(d._get_missing_mandatory_fields())
        if not missing:
            return
        for _fieldname, msg in missing:
            frappe.msgprint(msg)
        if frappe.flags.print_messages:
            print(self.as_json().encode("utf-8"))
        raise frappe.MandatoryError(
            "[{doctype}, {name}]: {fields}".format(fields=", ".join(each[0] for each in missing),
                                                   doctype=self.doctype, name=self.name))

    def validate_set_only_once(self):
        if self.get("__islocal"):
            return
        for df in self.meta.fields:
            if df.get("set_only_once"):
                db_value = frappe.db.get_value(self.doctype, self.name, df.fieldname)
                if db_value not in (None, "") and db_value != self.get(df.fieldname):
                    frappe.throw(_("Value cannot be changed for {0}").format(_(df.label)),
                                 frappe.CannotChangeConstantError)

    def _save_passwords(self):
        """Move Password values into ``__Auth`` (Fernet) and keep asterisks in the column."""
        from frappe.utils.password import remove_encrypted_password, set_encrypted_password

        for df in self.meta.get_password_fields():
            if self.flags.ignore_save_passwords is True or df.fieldname in (self.flags.ignore_save_passwords or []):
                continue
            value = self.get(df.fieldname)
            if value and not _is_masked(value):
                set_encrypted_password(self.doctype, self.name, value, df.fieldname)
                self.set(df.fieldname, "*" * len(value))
            elif not value and not self.get("__islocal"):
                remove_encrypted_password(self.doctype, self.name, df.fieldname)

    def get_password(self, fieldname="password", raise_exception=True):
        """The clear-text value of a Password field."""
        from frappe.utils.password import get_decrypted_password

        value = self.get(fieldname)
        if value and not _is_masked(value):
            return value
        return get_decrypted_password(self.doctype, self.name, fieldname, raise_exception=raise_exception)

    def validate_update_after_submit(self):
        """Fields without allow_on_submit cannot change on a submitted document."""
        if self.flags.ignore_validate_update_after_submit:
            return
        db_doc = frappe.get_doc(self.doctype, self.name)
        self._validate_update_after_submit(db_doc)
        db_rows = {d.name: d for d in db_doc.get_all_children()}
        for d in self.get_all_children():
            if d.is_new() and self.meta.get_field(d.parentfield).allow_on_submit:
                # a new row of an allow_on_submit table is not checked
                continue
            if d.name in db_rows:
                d._validate_update_after_submit(db_rows[d.name])

    def _validate_update_after_submit(self, db_doc):
        db_values = db_doc.as_dict()
        self_columns, db_columns = self.get_valid_dict(), db_doc.get_valid_dict()
        for key in self.as_dict():
            df = self.meta.get_field(key)
            if not df or df.allow_on_submit:
                continue
            db_value = db_values.get(key)
            if not (self.get(key) or db_value):
                continue
            if df.fieldtype in table_fields:
                # only the number of rows is compared here; the rows are checked one by one
                self_value, db_value = len(self.get(key) or []), len(db_value or [])
            else:
                self_value = self_columns[key] if key in self_columns else self.get(key)
                db_value = db_columns[key] if key in db_columns else db_value
                if df.fieldtype == "Check" and db_value is None:
                    db_value = 0
            if _comparable(self_value) != _comparable(db_value):
                frappe.throw(_("{0} Not allowed to change {1} after submission from {2} to {3}").format(
                    f"Row #{self.idx}:" if self.get("parent") else "",
                    frappe.bold(_(df.label or df.fieldname)), frappe.bold(db_value), frappe.bold(self_value)),
                    frappe.UpdateAfterSubmitError, title=_("Cannot Update After Submit"))

    def run_post_save_methods(self):
        """on_update (+ on_submit / on_cancel / on_update_after_submit), then on_change."""
        self._doc_before_save_cache = None
        if self._action == "save":
            self.run_method("on_update")
        elif self._action == "submit":
            self.run_method("on_update")
            self.run_method("on_submit")
        elif self._action == "cancel":
            self.run_method("on_cancel")
            self.check_no_back_links_exist()
        elif self._action == "update_after_submit":
            self.run_method("on_update_after_submit")
        frappe.clear_document_cache(self.doctype, self.name)
        self.run_method("on_change")

    def check_no_back_links_exist(self):
        pass

    # ------------------------------------------------------------ hooks

    def run_method(self, method, *args, **kwargs):
        """Controller method, then doc_events for the doctype, then doc_events['*']."""
        fn = getattr(self, method, None)
        result = None
        if fn and callable(fn):
            result = fn(*args, **kwargs)
        hooks = frappe.get_doc_hooks()
        for handler in hooks.get(self.doctype, {}).get(method, []) + hooks.get("*", {}).get(method, []):
            out = frappe.get_attr(handler)(self, method, *args, **kwargs)
            if isinstance(out, dict) and isinstance(result, dict):
                result.update(out)
            elif out is not None:
                result = out
        return result

    def hook(self, f):
        return f

    def run_trigger(self, method="on_update"):
        return self.run_method(method)

    def get_doc_before_save(self):
        return getattr(self, "_doc_before_save", None)

    def load_doc_before_save(self, *, raise_on_missing=False):
        self._doc_before_save = None
        stored = self.__dict__.pop("_stored_copy_of_this_save", None)
        if not self.is_new():
            if stored is not None:
                self._doc_before_save = stored
                return
            try:
                self._doc_before_save = self.get_stored_copy()
            except frappe.DoesNotExistError:
                frappe.clear_last_message()

    def has_value_changed(self, fieldname):
        previous = self.get_doc_before_save()
        return previous.get(fieldname) != self.get(fieldname) if previous else True

    def db_set(self, fieldname, value=None, update_modified=True, notify=False, commit=False):
        """Write fields straight to the DB (no validation), as ERPNext does for status fields."""
        if isinstance(fieldname, dict):
            self.update(fieldname)
        else:
            self.set(fieldname, value)
        if update_modified and (self.doctype, self.name) not in frappe.flags.currently_saving:
            self.modified = now_datetime()
            self.modified_by = frappe.session.user
        self.run_method("before_change")
        if self.name is None:
            return
        if self.meta.issingle:
            values = fieldname if isinstance(fieldname, dict) else {fieldname: value}
            frappe.db.set_value(self.doctype, self.doctype, values, update_modified=update_modified)
        else:
            values = dict(fieldname) if isinstance(fieldname, dict) else {fieldname: self.get(fieldname)}
            if update_modified:
                values["modified"] = self.modified
                values["modified_by"] = self.modified_by
            frappe.db.set_value(self.doctype, self.name, values, None, update_modified=False)
        self.run_method("on_change")
        if commit:
            frappe.db.commit()

    def db_get(self, fieldname):
        return frappe.db.get_value(self.doctype, self.name, fieldname)

    def notify_update(self):
        pass

    def add_comment(self, comment_type="Comment", text=None, comment_email=None, link_doctype=None,
                    link_name=None, comment_by=None):
        """Comments are not stored by the runtime (no Comment doctype); recorded in the log."""
        frappe.logger("frappe.comment").info("%s %s: %s", self.doctype, self.name, text)

    def add_seen(self, user=None):
        pass

    def add_viewed(self, user=None, force=False, unique_views=False):
        pass

    def get_title(self):
        return self.get(self.meta.get_title_field())

    def get_url(self):
        return f"/app/{frappe.scrub(self.doctype).replace('_', '-')}/{self.name}"

    def lock(self, timeout=None):
        pass

    def unlock(self):
        pass

    def queue_action(self, action, **kwargs):
        return getattr(self, action)(**kwargs)

    def get_signature(self):
        return frappe.generate_hash()

    def copy_attachments_from_amended_from(self):
        pass

    def is_child_table_same(self, fieldname):
        return True

    def __setup__(self):
        pass

    def clear_cache(self):
        frappe.clear_document_cache(self.doctype, self.name)


def _comparable(value):
    """Values as the update-after-submit check compares them (a date and its string are the same)."""
    import datetime

    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    return value


def _is_masked(value) -> bool:
    return isinstance(value, str) and value != "" and set(value) == {"*"}


def copy_doc(doc, ignore_no_copy=True):
    """A new, unsaved copy of ``doc`` (no_copy fields cleared)."""
    d = doc.as_dict() if not isinstance(doc, dict) else dict(doc)
    d = copy.deepcopy(d)
    for key in ("name", "creation", "modified", "modified_by", "owner", "amended_from", "_user_tags",
                "_comments", "_assign", "_liked_by", "_seen"):
        d.pop(key, None)
    d["docstatus"] = 0
    newdoc = frappe.get_doc(d)
    newdoc.set("__islocal", 1)
    meta = newdoc.meta
    if not ignore_no_copy:
        for df in meta.fields:
            if df.no_copy:
                newdoc.set(df.fieldname, None)
    for d in newdoc.get_all_children():
        d.name = None
        d.set("__islocal", 1)
    return newdoc

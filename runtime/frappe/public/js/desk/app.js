// MedGrid runtime Desk — the shell (top bar, "go to" search, user menu, workspace) and the router:
// Frappe's URL scheme /app, /app/<doctype-slug>, /app/<doctype-slug>/<name>, /app/<doctype-slug>/new, with history.
(function () {
	"use strict";

	const esc = frappe.utils.escape_html;
	const boot = frappe.boot;
	const doctypes = {};
	(boot.workspaces || []).forEach((ws) => ws.doctypes.forEach((d) => (doctypes[frappe.meta.slug(d.name)] = Object.assign({ workspace: ws.name }, d))));
	frappe.desk.doctype_of_slug = (slug) => (doctypes[slug] ? doctypes[slug].name : (boot.extra_routes || {})[slug] || null);
	// the pages (not doctypes) the boot lists for this user
	const pages = {};
	(boot.workspaces || []).forEach((ws) => (ws.pages || []).forEach((p) => (pages[p.name] = Object.assign({ workspace: ws.name }, p))));

	// ------------------------------------------------------------------ shell
	function make_shell() {
		const initials = (boot.user.full_name || boot.user.name).split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
		$("#body").html(`
			<header class="navbar" role="banner">
				<a class="navbar-brand" href="/app" data-route="">${esc(__("MedGrid"))}</a>
				<div class="awesomebar" role="search">
					<label class="sr-only" for="navbar-search">${esc(__("Search or type a command"))}</label>
					<input id="navbar-search" type="search" class="form-control" autocomplete="off" role="combobox"
						aria-expanded="false" aria-controls="awesomebar-results" placeholder="${esc(__("Search or go to (Ctrl+G)"))}">
					<ul id="awesomebar-results" class="link-dropdown" role="listbox" hidden></ul>
				</div>
				<div class="dropdown user-menu">
					<button type="button" class="btn avatar dropdown-toggle" aria-haspopup="true"
						aria-label="${esc(__("User menu of {0}", [boot.user.full_name]))}">${esc(initials)}</button>
					<div class="dropdown-menu dropdown-menu-right" role="menu" hidden>
						<div class="dropdown-header">${esc(boot.user.full_name)}<div class="small text-muted">${esc(boot.user.name)}</div></div>
						<a class="dropdown-item" role="menuitem" href="/app/user/${encodeURIComponent(boot.user.name)}" data-menu="settings">${esc(__("My Settings"))}</a>
						<a class="dropdown-item" role="menuitem" href="/app/user/${encodeURIComponent(boot.user.name)}#api_access" data-menu="api">${esc(__("API Access"))}</a>
						<a class="dropdown-item" role="menuitem" href="/me">${esc(__("My Account"))}</a>
						<button type="button" class="dropdown-item" role="menuitem" data-menu="logout">${esc(__("Log out"))}</button>
					</div>
				</div>
			</header>
			<div class="desk-container">
				<nav class="breadcrumbs" aria-label="${esc(__("Breadcrumbs"))}"></nav>
				<main id="page-container" class="page-container"></main>
			</div>`);
		const $menu = $(".user-menu .dropdown-menu");
		$(".user-menu .dropdown-toggle").on("click", () => $menu.attr("hidden", !$menu.attr("hidden")));
		$menu.on("click", "[data-menu=logout]", () => frappe.app.logout());
		$(document).on("click", (e) => {
			// close any open menu when clicking elsewhere
			$(".dropdown-menu").not($(e.target).closest(".dropdown").find(".dropdown-menu")).attr("hidden", true);
		});
		$(document).on("click", "a[href^='/app']", (e) => {
			if (e.ctrlKey || e.metaKey || e.shiftKey || e.defaultPrevented || e.button !== 0) return;
			e.preventDefault();
			$menu.attr("hidden", true);
			const url = new URL(e.currentTarget.href);
			frappe.set_route(url.pathname + url.search + url.hash);
		});
		make_awesomebar();
	}

	/** The "go to" bar: doctypes (list, new) and, for a typed name, the document in the open doctype. */
	function make_awesomebar() {
		const $input = $("#navbar-search");
		const $list = $("#awesomebar-results");
		let items = [];
		let active = -1;
		const render = () => {
			const text = ($input.val() || "").trim().toLowerCase();
			items = [];
			if (text) {
				Object.values(doctypes).forEach((d) => {
					if (!d.name.toLowerCase().includes(text)) return;
					items.push({ label: d.issingle ? __("Open {0}", [d.name]) : __("{0} List", [d.name]), route: ["List", d.name] });
					if (!d.issingle && frappe.perm_cache_can_create(d.name)) items.push({ label: __("New {0}", [d.name]), route: ["Form", d.name, "new"] });
				});
				const current = frappe.get_route();
				if (current[0] === "List" || current[0] === "Form") {
					const raw = ($input.val() || "").trim();
					items.push({ label: __("Open {0} {1}", [current[1], raw]), route: ["Form", current[1], raw] });
				}
			}
			items = items.slice(0, 12);
			active = items.length ? 0 : -1;
			$list.empty();
			items.forEach((item, i) => $(`<li role="option" id="awesomebar-opt-${i}"></li>`).toggleClass("active", i === active)
				.text(item.label).attr("data-index", i).appendTo($list));
			$list.attr("hidden", !items.length);
			$input.attr("aria-expanded", items.length ? "true" : "false");
		};
		const go = (index) => {
			const item = items[index];
			if (!item) return;
			$input.val("").trigger("blur");
			$list.attr("hidden", true);
			frappe.set_route(...item.route);
		};
		$input.on("input", render);
		$input.on("keydown", (e) => {
			if (e.key === "ArrowDown" || e.key === "ArrowUp") {
				e.preventDefault();
				if (!items.length) return;
				active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
				$list.children().removeClass("active").eq(active).addClass("active");
			} else if (e.key === "Enter") {
				e.preventDefault();
				go(active);
			} else if (e.key === "Escape") {
				$list.attr("hidden", true);
			}
		});
		$input.on("blur", () => setTimeout(() => $list.attr("hidden", true), 200));
		$list.on("mousedown", "li", (e) => {
			e.preventDefault();
			go(Number($(e.currentTarget).attr("data-index")));
		});
		$(document).on("keydown", (e) => {
			// Ctrl+S saves the open form, as in Frappe
			if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S") && window.cur_frm && $("#page-container .form-page").length
				&& !$(".desk-modal-backdrop:not([hidden])").length) {
				e.preventDefault();
				const frm = window.cur_frm;
				const action = cint(frm.doc.docstatus) === 1 ? "Update" : "Save";
				if (cint(frm.doc.docstatus) < 2 && frm.is_dirty()) frm.save(action).catch(() => null);
				return;
			}
			if (e.ctrlKey && (e.key === "g" || e.key === "G")) {
				e.preventDefault();
				$input.trigger("focus");
			}
		});
	}
	// whether "New X" is offered before the meta is loaded: any role of the user may create (from boot)
	frappe.perm_cache_can_create = (doctype) => {
		const meta = frappe.get_meta(doctype);
		return meta ? frappe.model.can_create(doctype) : !!(doctypes[frappe.meta.slug(doctype)] || {}).can_create;
	};

	function set_breadcrumbs(parts) {
		const $nav = $(".breadcrumbs").empty();
		parts.forEach(([label, href], i) => {
			if (i) $nav.append('<span class="sep" aria-hidden="true">/</span>');
			$nav.append(href ? $("<a></a>").attr("href", href).text(label) : $("<span></span>").text(label));
		});
	}

	frappe.desk.set_breadcrumbs = set_breadcrumbs;

	/** Navigation start → the first form or list painted (after the frame that shows it), for the browser tests. */
	frappe.desk.mark_first_paint = function () {
		if (frappe.desk.first_paint_pending || frappe.desk.first_paint_ms !== undefined) return;
		frappe.desk.first_paint_pending = true;
		requestAnimationFrame(() => setTimeout(() => {
			frappe.desk.first_paint_ms = performance.now();
		}, 0));
	};

	// ------------------------------------------------------------------ views
	function show_workspace() {
		set_breadcrumbs([[__("Home")]]);
		document.title = __("Home");
		const $page = $("#page-container").empty();
		const $ws = $(`<div class="workspace"><h3 class="title-text">${esc(__("Home"))}</h3><div class="workspace-grid"></div></div>`).appendTo($page);
		if (!(boot.workspaces || []).length) {
			$ws.append(`<p class="text-muted">${esc(__("Nothing to show: your roles give you no document types."))}</p>`);
		}
		(boot.workspaces || []).forEach((ws) => {
			const $card = $(`<section class="workspace-card" aria-label="${esc(__(ws.name))}"><h4>${esc(__(ws.name))}</h4><ul></ul></section>`)
				.appendTo($ws.find(".workspace-grid"));
			ws.doctypes.forEach((d) => {
				$card.find("ul").append(`<li><a href="/app/${esc(frappe.meta.slug(d.name))}">${esc(__(d.name))}</a></li>`);
			});
			(ws.pages || []).forEach((p) => {
				$card.find("ul").append(`<li><a href="/app/${esc(p.name)}">${esc(__(p.title))}</a></li>`);
			});
		});
	}

	function show_message(title, message) {
		set_breadcrumbs([[__("Home"), "/app"]]);
		$("#page-container").html(`<div class="page-message"><h3>${esc(title)}</h3><p class="text-muted">${esc(message)}</p>
			<a href="/app" class="btn btn-default btn-sm">${esc(__("Home"))}</a></div>`);
		document.title = title;
	}

	async function show_list(doctype, query) {
		const meta = await frappe.model.with_doctype(doctype);
		if (meta.issingle) return show_form(doctype, doctype);
		set_breadcrumbs([[__("Home"), "/app"], [__(doctype)]]);
		const listview = new frappe.views.ListView(doctype, $("#page-container"));
		frappe.desk.cur_list = listview;
		window.cur_list = listview;
		listview.make();
		const options = Object.assign({}, query || {}, frappe.route_options || {});
		frappe.route_options = null;
		listview.apply_route_filters(options);
		if (listview.settings.onload) listview.settings.onload(listview);
		await listview.refresh();
		return listview;
	}

	async function show_form(doctype, name) {
		// the document is asked for while the meta loads (two round trips at once, not one after the other)
		const cached_meta = frappe.get_meta(doctype);
		const is_local = name === "new" || ((locals[doctype] || {})[name] || {}).__islocal;
		const prefetch = !is_local && !cached_meta ? frappe.call({ method: "frappe.desk.form.load.getdoc", type: "GET",
			args: { doctype, name }, silent: true }) : null;
		if (prefetch) prefetch.catch(() => null);
		await frappe.model.with_doctype(doctype);
		const meta = frappe.get_meta(doctype);
		set_breadcrumbs(meta.issingle ? [[__("Home"), "/app"], [__(doctype)]]
			: [[__("Home"), "/app"], [__(doctype), "/app/" + frappe.meta.slug(doctype)], [name === "new" ? __("New") : name]]);
		const frm = new frappe.ui.form.Form(doctype, $("#page-container"));
		frappe.desk.forms[doctype] = frm;
		await frm.load(name, prefetch);
		return frm;
	}

	// ------------------------------------------------------------------ router
	/** The route as Frappe names it: [] (home), ["List", doctype], ["Form", doctype, name]. */
	frappe.get_route = function () {
		return frappe.desk.current_route || [];
	};
	frappe.get_route_str = () => frappe.get_route().join("/");

	function parse_path(pathname) {
		const parts = pathname.replace(/^\/app\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
		if (!parts.length || parts[0] === "home") return { route: [] };
		const doctype = frappe.desk.doctype_of_slug(parts[0]);
		if (!doctype && pages[parts[0]]) return { route: ["Page", parts[0]] };
		if (!doctype) return { route: ["unknown", parts[0]] };
		if (parts.length === 1 || (parts[1] === "view" && parts[2] === "list")) return { route: ["List", doctype] };
		return { route: ["Form", doctype, parts.slice(1).join("/")] };
	}

	function route_to_path(route) {
		if (!route.length) return "/app";
		const [view, doctype, name] = route;
		const slug = frappe.meta.slug(doctype);
		if (view === "List") return "/app/" + slug;
		if (doctype && frappe.model.is_single(doctype) || (doctypes[slug] && doctypes[slug].issingle)) return "/app/" + slug;
		return "/app/" + slug + "/" + encodeURIComponent(name);
	}

	function leave_ok() {
		const frm = window.cur_frm;
		if (frm && frm.doc && frm.is_dirty() && !frm.doc.__islocal && $("#page-container .form-page").length) {
			return window.confirm(__("You have unsaved changes in this form. Leave without saving?"));
		}
		return true;
	}

	/**
	 * frappe.set_route("List", doctype, {filters}) / ("Form", doctype, name) / ("/app/...") / ([...]) /
	 * (doctype-slug, name): pushes browser history and shows the view.
	 */
	frappe.set_route = function (...args) {
		if (args.length === 1 && Array.isArray(args[0])) args = args[0];
		let path;
		let query = "";
		if (args.length === 1 && typeof args[0] === "string" && (args[0].startsWith("/") || args[0].startsWith("app"))) {
			path = args[0].startsWith("/") ? args[0] : "/" + args[0];
		} else {
			const last = args[args.length - 1];
			if (last && typeof last === "object") {
				frappe.route_options = Object.assign(frappe.route_options || {}, last);
				args = args.slice(0, -1);
			}
			if (args[0] === "List" || args[0] === "Form") {
				path = route_to_path(args);
			} else if (args.length && frappe.desk.doctype_of_slug(frappe.meta.slug(args[0]))) {
				path = route_to_path(args.length > 1 ? ["Form", frappe.desk.doctype_of_slug(frappe.meta.slug(args[0])), args[1]]
					: ["List", frappe.desk.doctype_of_slug(frappe.meta.slug(args[0]))]);
			} else {
				path = "/app/" + args.map((a) => encodeURIComponent(a)).join("/");
			}
		}
		if (!leave_ok()) return Promise.resolve();
		const hash_at = path.indexOf("#");
		if (path.includes("?")) {
			[path, query] = path.split("?");
			query = "?" + query;
		}
		// the same URL again adds no history entry (Back must leave the page)
		if (location.pathname + location.search !== path + query) history.pushState({}, "", path + query);
		return frappe.app.route().then(() => {
			if (hash_at > -1) frappe.app.scroll_to_hash();
		});
	};

	frappe.desk.replace_route = function (path) {
		history.replaceState({}, "", path);
		frappe.desk.current_route = parse_path(location.pathname).route;
	};

	frappe.app = {
		async route() {
			const { route } = parse_path(location.pathname);
			frappe.desk.current_route = route;
			const query = Object.fromEntries(new URLSearchParams(location.search));
			$("body").attr("data-route", route.join("/")).attr("data-ready", "0");
			window.cur_frm = null;
			const started = performance.now();
			try {
				if (!route.length) show_workspace();
				else if (route[0] === "unknown") {
					show_message(__("Page not found"), __("There is no page {0} or you may not open it.", [route[1]]));
				} else if (route[0] === "Page") {
					set_breadcrumbs([[__("Home"), "/app"], [__(pages[route[1]].title)]]);
					await frappe.desk.pages[route[1]].render($("#page-container"));
				} else if (route[0] === "List") await show_list(route[1], query);
				else await show_form(route[1], route[2]);
			} catch (e) {
				console.error(e);
				const status = e.response && e.response.http_status;
				if (status === 403) show_message(__("Not Permitted"), __("You do not have enough permissions to open this page."));
				else if (status === 404) show_message(__("Not found"), __("{0} {1} does not exist.", [route[1], route[2] || ""]));
				else show_message(__("Something went wrong"), e.message || String(e));
			}
			frappe.desk.last_render_ms = performance.now() - started;
			// from navigation start to the first view complete (its scripts' onload/refresh done)
			if (frappe.desk.ready_ms === undefined) frappe.desk.ready_ms = performance.now();
			$("body").attr("data-ready", "1");
			if (location.hash) frappe.app.scroll_to_hash();
		},
		scroll_to_hash() {
			const id = location.hash.slice(1);
			const $field = $(`[data-fieldname="${CSS.escape(id)}"]`).first();
			const $target = $field.length ? $field : $(`[id="${CSS.escape(id)}"]`);
			if ($target.length) {
				// a section break has no control; its section does
				$target.get(0).scrollIntoView({ block: "start" });
			} else if (window.cur_frm && window.cur_frm.layout) {
				const section = window.cur_frm.layout.sections.find((s) => s.df.fieldname === id);
				if (section) {
					section.$section.attr("id", id).get(0).scrollIntoView({ block: "start" });
					section.$section.addClass("highlight");
				}
			}
		},
		logout() {
			if (!leave_ok()) return;
			// a shared computer keeps no meta of the user who left
			frappe.model.clear_meta_cache(false);
			frappe.call({ method: "logout", silent: true }).finally(() => (window.location.href = "/login"));
		},
	};

	window.addEventListener("popstate", () => {
		if (!leave_ok()) {
			history.pushState({}, "", frappe.desk.last_path || "/app");
			return;
		}
		frappe.app.route();
	});
	window.addEventListener("beforeunload", (e) => {
		const frm = window.cur_frm;
		if (frm && frm.doc && frm.is_dirty() && $("#page-container .form-page").length) {
			e.preventDefault();
			e.returnValue = "";
		}
	});

	$(function () {
		make_shell();
		frappe.app.route();
	});
})();

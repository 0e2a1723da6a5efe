// MedGrid portal pages: a small frappe.call-like client and the helpers every page shares.
// Plain browser JavaScript (no build step). Loaded from /assets/medgrid/js/medgrid_portal.js.
(function () {
	"use strict";

	const medgrid = (window.medgrid = window.medgrid || {});

	// ------------------------------------------------------------------ requests

	function csrfHeaders() {
		// Frappe puts the session's token in frappe.csrf_token; sessions made by /api/method/login have none
		const token = window.frappe && window.frappe.csrf_token;
		return token && token !== "None" ? { "X-Frappe-CSRF-Token": token } : {};
	}

	function textOf(html) {
		// server messages may carry markup (links, <b>); show their text only
		const doc = new DOMParser().parseFromString(String(html == null ? "" : html), "text/html");
		return (doc.body.textContent || "").trim();
	}

	// Frappe's `_server_messages`: a JSON list of JSON-encoded {message, title, indicator} objects
	function serverMessages(body) {
		if (!body || !body._server_messages) return [];
		try {
			return JSON.parse(body._server_messages)
				.map((raw) => {
					try {
						const parsed = JSON.parse(raw);
						return textOf(typeof parsed === "object" && parsed ? parsed.message : parsed);
					} catch (e) {
						return textOf(raw);
					}
				})
				.filter(Boolean);
		} catch (e) {
			return [];
		}
	}

	function fallbackMessage(status, body) {
		if (body && typeof body.message === "string" && body.message) return textOf(body.message);
		if (body && body.exception) return textOf(String(body.exception).split(": ").slice(1).join(": ") || body.exception);
		if (status === 401 || status === 403) return "You are not permitted to do this. Log in again or ask a MedGrid admin.";
		if (status === 404) return "Not found.";
		if (status === 429) return "Too many requests. Wait a moment and try again.";
		if (status >= 500) return "MedGrid could not complete the request (server error). Try again later.";
		return "The request failed (HTTP " + status + ").";
	}

	/** Send a request; resolves to {ok, status, data, message, messages, excType} and never rejects. */
	async function request(httpMethod, url, body) {
		const headers = Object.assign({ Accept: "application/json" }, csrfHeaders());
		const init = { method: httpMethod, headers, credentials: "same-origin" };
		if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		let response;
		try {
			response = await fetch(url, init);
		} catch (e) {
			return { ok: false, status: 0, data: null, message: null,
				messages: ["MedGrid could not be reached. Check your connection and try again."] };
		}
		let data = null;
		try {
			data = await response.json();
		} catch (e) {
			data = null;
		}
		const messages = serverMessages(data);
		if (!response.ok && !messages.length) messages.push(fallbackMessage(response.status, data));
		return {
			ok: response.ok,
			status: response.status,
			data,
			message: data ? (data.message !== undefined ? data.message : data.data) : null,
			messages,
			excType: data && data.exc_type,
		};
	}

	/** frappe.call's counterpart: POST JSON to /api/method/<method> (or GET with a query string). */
	medgrid.call = function (method, args, options) {
		const type = ((options && options.type) || "POST").toUpperCase();
		let url = "/api/method/" + method;
		if (type === "GET") {
			const query = new URLSearchParams();
			Object.entries(args || {}).forEach(([key, value]) => {
				if (value !== undefined && value !== null && value !== "") query.append(key, value);
			});
			const qs = query.toString();
			return request("GET", qs ? url + "?" + qs : url);
		}
		return request(type, url, args || {});
	};

	function resourceUrl(doctype, name) {
		return "/api/resource/" + encodeURIComponent(doctype) + (name ? "/" + encodeURIComponent(name) : "");
	}

	/** The document REST API (/api/resource), answers as {ok, message: data, …}. */
	medgrid.resource = {
		get: (doctype, name) => request("GET", resourceUrl(doctype, name)),
		list: (doctype, params) => {
			const query = new URLSearchParams();
			Object.entries(params || {}).forEach(([key, value]) => {
				query.append(key, typeof value === "string" ? value : JSON.stringify(value));
			});
			return request("GET", resourceUrl(doctype) + "?" + query.toString());
		},
		insert: (doctype, doc) => request("POST", resourceUrl(doctype), doc),
		update: (doctype, name, values) => request("PUT", resourceUrl(doctype, name), values),
	};

	// ------------------------------------------------------------------ DOM helpers

	/** Build an element: h("td", {class: "x"}, "text", otherNode). Text is never parsed as HTML. */
	medgrid.h = function (tag, attrs, ...children) {
		const el = document.createElement(tag);
		Object.entries(attrs || {}).forEach(([key, value]) => {
			if (value === undefined || value === null || value === false) return;
			if (key === "class") el.className = value;
			else if (key === "text") el.textContent = value;
			else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
			else if (key in el && typeof value !== "string") el[key] = value;
			else el.setAttribute(key, value === true ? "" : value);
		});
		children.flat().forEach((child) => {
			if (child === undefined || child === null || child === false) return;
			el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
		});
		return el;
	};

	/** Show messages in a container (role=status for success, role=alert for errors). */
	medgrid.notify = function (container, kind, messages) {
		if (!container) return;
		const list = (Array.isArray(messages) ? messages : [messages]).filter(Boolean);
		container.replaceChildren();
		if (!list.length) return;
		const box = medgrid.h("div", {
			class: "mg-alert mg-alert-" + (kind === "error" ? "danger" : kind === "success" ? "success" : "info"),
			role: kind === "error" ? "alert" : "status",
		}, list.map((text) => medgrid.h("p", null, text)));
		container.appendChild(box);
	};

	// ------------------------------------------------------------------ statuses

	// status → indicator colour, shared with the Desk list views (<doctype>_list.js)
	const COLOURS = {
		Queued: "orange", Sending: "blue", Sent: "green", Retrying: "yellow", Failed: "red", Cancelled: "gray",
		Received: "blue", Processed: "green", Ignored: "gray", Unmatched: "orange",
		Success: "green", Error: "red", Rejected: "orange",
		Connected: "green", Pending: "orange", Disconnected: "gray", "Not connected": "gray",
		Submitted: "blue", "Awaiting Shipment": "orange", Shipped: "blue", Delivered: "green",
		Completed: "green", Fulfilled: "green", Open: "orange", Processing: "orange", "Label Created": "blue",
		Synced: "blue", Refunded: "gray", "On Hold": "orange", Draft: "gray", "To Deliver and Bill": "orange",
	};
	medgrid.statusColour = (status) => COLOURS[status] || "gray";
	medgrid.pill = (status) => medgrid.h("span", { class: "mg-pill " + medgrid.statusColour(status) }, status || "—");

	medgrid.formatMoney = function (value, currency) {
		const number = Number(value || 0);
		try {
			return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(number);
		} catch (e) {
			return number.toFixed(2);
		}
	};
	medgrid.formatQty = (value) => {
		const number = Number(value || 0);
		return Number.isInteger(number) ? String(number) : number.toFixed(2);
	};
})();

// MedGrid runtime Desk — pages that are not doctypes (Frappe's "Page" routes, /app/<page_name>).
// Background Jobs: this site's queued / started / failed / finished jobs, a failed job's traceback,
// the scheduler's state (frappe.core.page.background_jobs.background_jobs.*, System Manager only).
(function () {
	"use strict";

	const esc = frappe.utils.escape_html;
	frappe.desk.pages = frappe.desk.pages || {};

	frappe.desk.pages.background_jobs = {
		title: __("Background Jobs"),
		roles: ["System Manager"],
		async render($page) {
			document.title = __("Background Jobs");
			const $wrapper = $(`<div class="page-jobs">
				<div class="page-head">
					<div class="title-area"><h3 class="title-text">${esc(__("Background Jobs"))}</h3>
						<span class="scheduler-status"></span></div>
					<div class="page-actions">
						<label class="sr-only" for="job-status-filter">${esc(__("Job status"))}</label>
						<select id="job-status-filter" class="form-control input-xs">
							${["all", "queued", "started", "failed", "finished"].map((s) =>
								`<option value="${s}">${esc(__(frappe.utils.to_title_case(s)))}</option>`).join("")}
						</select>
						<button type="button" class="btn btn-default btn-sm jobs-refresh">${esc(__("Refresh"))}</button>
						<button type="button" class="btn btn-danger btn-sm jobs-remove-failed">${esc(__("Remove Failed Jobs"))}</button>
					</div>
				</div>
				<div class="result jobs-result" aria-live="polite"></div>
			</div>`).appendTo($page.empty());
			const $result = $wrapper.find(".jobs-result");
			const load = async () => {
				$result.attr("aria-busy", "true");
				const [jobs, scheduler] = await Promise.all([
					frappe.xcall("frappe.core.page.background_jobs.background_jobs.get_info",
						{ job_status: $wrapper.find("#job-status-filter").val() }, "GET"),
					frappe.xcall("frappe.core.page.background_jobs.background_jobs.get_scheduler_status", {}, "GET"),
				]);
				$wrapper.find(".scheduler-status").html(frappe.desk.indicator_html(
					[__("Scheduler: {0}", [scheduler[0]]), scheduler[1]]));
				if (!jobs.length) {
					$result.html(`<div class="no-result text-muted">${esc(__("No jobs"))}</div>`);
				} else {
					$result.html(`<div class="list-scroll"><table class="list-table jobs-table">
						<thead><tr><th>${esc(__("Job"))}</th><th>${esc(__("Queue"))}</th><th>${esc(__("Status"))}</th>
							<th>${esc(__("Created"))}</th></tr></thead>
						<tbody>${jobs.map((job) => `<tr class="job-row" data-status="${esc(job.status)}">
							<td>${esc(job.job_name)}${job.exc_info ? `<details class="job-traceback"><summary>${esc(__("Traceback"))}</summary>
								<pre>${esc(job.exc_info)}</pre></details>` : ""}</td>
							<td>${esc(job.queue)}</td>
							<td>${frappe.desk.indicator_html([__(frappe.utils.to_title_case(job.status)), job.color])}</td>
							<td class="text-muted small">${esc(job.creation || "")}</td></tr>`).join("")}</tbody></table></div>`);
				}
				$result.attr("aria-busy", "false");
			};
			$wrapper.find("#job-status-filter").on("change", load);
			$wrapper.find(".jobs-refresh").on("click", load);
			$wrapper.find(".jobs-remove-failed").on("click", () => frappe.confirm(__("Remove all failed jobs of this site?"), async () => {
				await frappe.call({ method: "frappe.core.page.background_jobs.background_jobs.remove_failed_jobs", freeze: true });
				load();
			}));
			await load();
		},
	};
})();

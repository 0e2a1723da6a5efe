// Copy the browser builds of npm dependencies into git-ignored folders the site serves under /assets
// (medgrid/public/vendor/ → /assets/medgrid/vendor/, runtime/frappe/public/js/lib/ → /assets/frappe/js/lib/; no CDN). Run by `npm install` / `yarn install` (postinstall), including
// bench's `bench setup requirements --node`. The copies are not committed (.gitignore).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const FILES = [
	// [package, file inside the package, target folder under the repository]
	["frappe-charts", "dist/frappe-charts.min.umd.js", "medgrid/public/vendor/frappe-charts"],
	["frappe-charts", "LICENSE", "medgrid/public/vendor/frappe-charts"],
	// the runtime's Desk (runtime/frappe/www/app.py): the app's Desk scripts use jQuery's $, as Frappe's Desk has it
	["jquery", "dist/jquery.min.js", "runtime/frappe/public/js/lib"],
	["jquery", "LICENSE.txt", "runtime/frappe/public/js/lib"],
];

for (const [pkg, file, folder] of FILES) {
	const source = path.join(root, "node_modules", pkg, file);
	if (!fs.existsSync(source)) {
		if (file.startsWith("LICENSE")) continue; // not every release ships it
		console.error(`vendor_assets: ${pkg}/${file} is missing; run npm install first`);
		process.exit(1);
	}
	const target = path.join(root, folder);
	fs.mkdirSync(target, { recursive: true });
	fs.copyFileSync(source, path.join(target, path.basename(file)));
}

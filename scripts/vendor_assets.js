// Copy the browser builds of npm dependencies into medgrid/public/vendor/ so the site serves them as
// /assets/medgrid/vendor/... (no CDN). Run by `npm install` / `yarn install` (postinstall), including
// bench's `bench setup requirements --node`. The copies are not committed (.gitignore).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const FILES = [
	// [package, file inside the package, target folder under medgrid/public/vendor]
	["frappe-charts", "dist/frappe-charts.min.umd.js", "frappe-charts"],
	["frappe-charts", "LICENSE", "frappe-charts"],
];

for (const [pkg, file, folder] of FILES) {
	const source = path.join(root, "node_modules", pkg, file);
	if (!fs.existsSync(source)) {
		if (file === "LICENSE") continue; // not every release ships it
		console.error(`vendor_assets: ${pkg}/${file} is missing; run npm install first`);
		process.exit(1);
	}
	const target = path.join(root, "medgrid", "public", "vendor", folder);
	fs.mkdirSync(target, { recursive: true });
	fs.copyFileSync(source, path.join(target, path.basename(file)));
}

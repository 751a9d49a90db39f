// Writes queries/dashboard-filtered.sql from queries/dashboard.sql (see src/console/filtered-dashboard-sql.ts).
// Run after `npm run build`: node scripts/generate-dashboard-sql.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { filteredDashboardFile } from "../dist/src/console/filtered-dashboard-sql.js";

const plain = readFileSync(new URL("../queries/dashboard.sql", import.meta.url), "utf8");
writeFileSync(new URL("../queries/dashboard-filtered.sql", import.meta.url), filteredDashboardFile(plain));
console.log("wrote queries/dashboard-filtered.sql");

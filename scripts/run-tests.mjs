// Runs every compiled *.test.js under dist/ with node's test runner.
// File paths are passed explicitly because `node --test <dir>` differs between Node 20 and 22+.
//
//   node scripts/run-tests.mjs [filter …] [--exclude tier,tier]
//
// A filter keeps the files whose path contains it. Tiers are file-name suffixes: `x.spark.test.ts`
// (Python + Spark), `x.browser.test.ts` (Chromium) and `x.infra.test.ts` (Checkov, terraform apply against
// moto); `--exclude spark,browser,infra` leaves them out (CI runs them once, on one Node version). Suites skipped for a missing optional tool are summed up in one line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const excludeAt = args.indexOf("--exclude");
const excluded = excludeAt === -1 ? [] : (args[excludeAt + 1] ?? "").split(",").filter(Boolean);
const filter = args.filter((_, i) => excludeAt === -1 || (i !== excludeAt && i !== excludeAt + 1));
const files = collect("dist", [])
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .filter((f) => !excluded.some((tier) => f.endsWith(`.${tier}.test.js`)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under dist/");
  process.exit(1);
}
const logDir = mkdtempSync(join(tmpdir(), "clickstream-skips-"));
const skipLog = join(logDir, "skips.ndjson");
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { stdio: "inherit", env: { ...process.env, CLICKSTREAM_SKIP_LOG: skipLog } },
);
let skips = [];
try {
  skips = readFileSync(skipLog, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  // no skips logged
}
rmSync(logDir, { recursive: true, force: true });
if (skips.length > 0) {
  const byTool = new Map();
  for (const s of skips) byTool.set(s.tool, { enable: s.enable, n: (byTool.get(s.tool)?.n ?? 0) + 1 });
  const parts = [...byTool].map(
    ([tool, { enable, n }]) => `${n} test(s) need the ${tool} (enable: ${enable})`,
  );
  console.error(`\n\x1b[1;33m!!! SKIPPED: ${parts.join("; ")}\x1b[0m\n`);
}
if (excluded.length > 0) console.error(`run-tests: tiers left out on purpose: ${excluded.join(", ")}`);
process.exit(result.status ?? 1);

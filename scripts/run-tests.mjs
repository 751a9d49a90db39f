// Runs the compiled *.test.js under dist/ with node's test runner, by tier.
// File paths are passed explicitly because `node --test <dir>` differs between Node 20 and 22+.
//
//   node scripts/run-tests.mjs [filter …] [--tier t,t] [--exclude t,t]
//
// Tiers (`npm test` and CI run them all):
//   fast         in-process tests, no child processes or servers; the whole tier runs in under a minute
//                (`npm run test:fast`). A file joins it with a `// test tier: fast` line at its top.
//   integration  the default: real CLI processes, servers, S3 (s3rver), generated warehouses.
//   slow         kill loops and races that run many processes (`// test tier: slow`).
//   spark        `x.spark.test.ts`: Python + Spark (the Glue job), ruff.
//   browser      `x.browser.test.ts`: Chromium.
//   infra        `x.infra.test.ts`: Checkov, terraform apply against moto.
// A filter keeps the files whose path contains it. Suites skipped for a missing optional tool are summed
// up in one line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const tiers = ["fast", "integration", "slow", "spark", "browser", "infra"];
const suffixTiers = ["spark", "browser", "infra"];

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

/** A file's tier: its suffix, or the `// test tier: …` line among its first lines, or integration. */
function tierOf(file) {
  const suffix = suffixTiers.find((tier) => file.endsWith(`.${tier}.test.js`));
  if (suffix) return suffix;
  const head = readFileSync(file, "utf8").slice(0, 2000);
  const declared = /^\/\/ test tier: (\w+)/m.exec(head)?.[1];
  if (declared === undefined) return "integration";
  if (!tiers.includes(declared)) {
    console.error(`run-tests: ${file} declares an unknown tier "${declared}" (tiers: ${tiers.join(", ")})`);
    process.exit(1);
  }
  return declared;
}

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : (args[at + 1] ?? "").split(",").filter(Boolean);
};
const excluded = option("--exclude") ?? [];
const included = option("--tier");
for (const tier of [...excluded, ...(included ?? [])]) {
  if (!tiers.includes(tier)) {
    console.error(`run-tests: unknown tier "${tier}" (tiers: ${tiers.join(", ")})`);
    process.exit(1);
  }
}
const filter = args.filter(
  (arg, i) => !arg.startsWith("--") && !["--exclude", "--tier"].includes(args[i - 1]),
);
const counts = {};
const files = collect("dist", [])
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .map((file) => ({ file, tier: tierOf(file) }))
  .filter(({ tier }) => !excluded.includes(tier) && (included === undefined || included.includes(tier)))
  .map(({ file, tier }) => ((counts[tier] = (counts[tier] ?? 0) + 1), file))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files found under dist/");
  process.exit(1);
}
const logDir = mkdtempSync(join(tmpdir(), "clickstream-skips-"));
const skipLog = join(logDir, "skips.ndjson");
const result = spawnSync(
  process.execPath,
  // A hung test fails after 20 minutes instead of holding the run to CI's hard limit.
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--test-timeout=1200000", ...files],
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
const summary = tiers.filter((t) => counts[t]).map((t) => `${t} ${counts[t]}`);
console.error(`run-tests: files by tier: ${summary.join(", ")}`);
if (excluded.length > 0) console.error(`run-tests: tiers left out on purpose: ${excluded.join(", ")}`);
process.exit(result.status ?? 1);

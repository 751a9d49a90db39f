// Runs one transform in its own process and prints {report, maxRssBytes}, so the benchmark can read the
// run's own peak memory (DuckDB's included) without the benchmark's allocations mixed in.
import { parseConfig } from "../src/config/load-config.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import { runTransform } from "../src/transform/run-transform.js";

const [warehouse, now, mode] = process.argv.slice(2);
const config = parseConfig({}).transform;
const report = await runTransform({
  storage: new LocalStorage(warehouse!),
  config,
  workDir: warehouse!,
  now: new Date(now!),
  fullRefresh: mode === "full-refresh",
});
process.stdout.write(JSON.stringify({ report, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));

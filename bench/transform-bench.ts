import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { writeRawObjects } from "../src/generator/index.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import type { RunReport } from "../src/transform/run-report.js";
import { fmt, type BenchSection } from "./bench-section.js";

const exec = promisify(execFile);
const child = fileURLToPath(new URL("./transform-child.js", import.meta.url));
const NOW = "2026-12-01T00:00:00Z";

interface ChildResult {
  report: RunReport;
  maxRssBytes: number;
  wallMs: number;
}

async function transformInChild(
  warehouse: string,
  mode: "incremental" | "full-refresh",
): Promise<ChildResult> {
  const started = performance.now();
  const { stdout } = await exec(process.execPath, [child, warehouse, NOW, mode], { maxBuffer: 64 << 20 });
  return { ...(JSON.parse(stdout) as Omit<ChildResult, "wallMs">), wallMs: performance.now() - started };
}

/** The baseline: bare DuckDB, column projection only, no validation, no dedup, no sessions. */
async function bareDuckdb(warehouse: string, out: string): Promise<number> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  const started = performance.now();
  await connection.run(`COPY (
      SELECT event_id, user_id, session_id, event_type, timestamp, page_url, referrer, product_id, product_name,
             product_category, device_type, price, quantity,
             substr(timestamp, 1, 4) AS year, substr(timestamp, 6, 2) AS month, substr(timestamp, 9, 2) AS day
      FROM read_ndjson('${warehouse}/raw/**/*', columns = {
        event_id: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR', event_type: 'VARCHAR', timestamp: 'VARCHAR',
        page_url: 'VARCHAR', referrer: 'VARCHAR', product_id: 'VARCHAR', product_name: 'VARCHAR',
        product_category: 'VARCHAR', device_type: 'VARCHAR', price: 'DOUBLE', quantity: 'BIGINT'},
        ignore_errors = true)
    ) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month, day))`);
  const ms = performance.now() - started;
  connection.closeSync();
  db.closeSync();
  return ms;
}

async function generate(warehouse: string, events: number, days: number, dirtyRate: number, seed = 1) {
  return writeRawObjects(new LocalStorage(warehouse), {
    events,
    users: Math.max(1000, Math.floor(events / 20)),
    days,
    start: new Date("2026-11-01T00:00:00Z"),
    seed,
    dirtyRate,
    eventsPerObject: 50_000,
  });
}

/**
 * The transform against bare DuckDB on the same input, side by side: clean and dirty runs, an incremental
 * day on a 30-day warehouse against its full refresh, and peak RSS over ≥ 2 GB of raw input.
 */
export async function runTransformBench(options: { quick: boolean }): Promise<BenchSection> {
  const events = options.quick ? 20_000 : 1_000_000;
  const root = await mkdtemp(join(tmpdir(), "clickstream-transform-bench-"));
  const rows: BenchSection["rows"] = [];
  const notes: string[] = [];
  try {
    for (const dirtyRate of [0, 0.02]) {
      const warehouse = join(root, `w-${dirtyRate}`);
      const truth = await generate(warehouse, events, 30, dirtyRate);
      const baselineMs = await bareDuckdb(warehouse, join(root, `bare-${dirtyRate}`));
      const run = await transformInChild(warehouse, "incremental");
      const ratio = run.wallMs / baselineMs;
      const label = dirtyRate === 0 ? "clean" : `--dirty ${dirtyRate}`;
      const goal = dirtyRate === 0 ? 1.3 : 2;
      rows.push(
        {
          name: `baseline: bare DuckDB COPY, ${fmt.int(events)} events (${label})`,
          value: fmt.seconds(baselineMs),
        },
        {
          name: `clickstream transform (${label})`,
          value: `${fmt.seconds(run.wallMs)} = ${fmt.ratio(ratio)} baseline`,
          goal: `≤ ${goal}× baseline`,
          met: ratio <= goal,
        },
        {
          name: `  throughput (${label})`,
          value: `${fmt.int(events / (run.wallMs / 1000))} events/s, ${(truth.objectBytes / 1e6 / (run.wallMs / 1000)).toFixed(0)} MB/s`,
        },
      );
      if (run.report.records.read !== run.report.records.written + run.report.records.rejected) {
        notes.push(`COUNT MISMATCH in the ${label} run`);
      }
    }

    // Incremental: one new day on a 30-day warehouse, against the full refresh of all 30 days.
    const perDay = options.quick ? 1_000 : 30_000;
    const warehouse = join(root, "w-30days");
    await generate(warehouse, perDay * 30, 30, 0, 3);
    await transformInChild(warehouse, "incremental");
    const fullRefresh = await transformInChild(warehouse, "full-refresh");
    await writeRawObjects(new LocalStorage(warehouse), {
      events: perDay,
      users: 1000,
      days: 1,
      start: new Date("2026-12-01T00:00:00Z"),
      seed: 4,
      dirtyRate: 0,
      eventsPerObject: 50_000,
      arrival: new Date("2026-11-30T23:59:00Z"),
    });
    const incremental = await transformInChild(warehouse, "incremental");
    const share = incremental.wallMs / fullRefresh.wallMs;
    rows.push(
      {
        name: `full refresh of 30 days (${fmt.int(perDay * 30)} events)`,
        value: fmt.seconds(fullRefresh.wallMs),
      },
      {
        name: `incremental run adding day 31 (${fmt.int(perDay)} events)`,
        value: `${fmt.seconds(incremental.wallMs)} = ${(share * 100).toFixed(1)}% of the full refresh`,
        goal: "≤ 10%",
        met: share <= 0.1,
      },
    );
    const empty = await transformInChild(warehouse, "incremental");
    rows.push({
      name: "run with nothing new",
      value: fmt.seconds(empty.wallMs),
      goal: "about 1 s",
      met: empty.wallMs <= 1500,
    });

    // Peak memory over ≥ 2 GB of raw input (quick: a small stand-in).
    const bigEvents = options.quick ? 50_000 : 4_500_000;
    const big = join(root, "w-big");
    const bigTruth = await generate(big, bigEvents, 30, 0.02, 5);
    const bigRun = await transformInChild(big, "incremental");
    rows.push({
      name: `peak RSS, transform of ${fmt.mb(bigTruth.objectBytes)} raw (${fmt.int(bigEvents)} events)`,
      value: `${fmt.mb(bigRun.maxRssBytes)} in ${fmt.seconds(bigRun.wallMs)}`,
      goal: "≤ 1 GiB",
      met: bigRun.maxRssBytes <= 1024 ** 3,
    });
    notes.push(
      "Each transform runs in a child process (its wall time includes Node start-up, ~0.1 s); the baseline runs in-process.",
      "The machine has 2 cores; figures move by ±20% from run to run, ratios less.",
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { title: "transform (issue: foundation and the transform job)", rows, notes };
}

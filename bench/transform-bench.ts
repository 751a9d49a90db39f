import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { writeRawObjects } from "../src/generator/index.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import type { RunReport } from "../src/table/run-report.js";
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

const typedColumns = `{
  event_id: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR', event_type: 'VARCHAR', timestamp: 'VARCHAR',
  page_url: 'VARCHAR', referrer: 'VARCHAR', product_id: 'VARCHAR', product_name: 'VARCHAR',
  product_category: 'VARCHAR', device_type: 'VARCHAR', price: 'DOUBLE', quantity: 'BIGINT'}`;

/**
 * The baselines: bare DuckDB over the same raw objects. `logical` does the transform's logical work and
 * nothing else (typed read, dedup by event_id, the session sequence, partitioned zstd Parquet), the
 * issue's limit for this work on this engine; `projection` only reads and writes.
 */
async function bareDuckdb(warehouse: string, out: string, kind: "logical" | "projection"): Promise<number> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  const started = performance.now();
  const read = `read_ndjson('${warehouse}/raw/**/*', columns = ${typedColumns}, ignore_errors = true)`;
  const partition = `strftime(event_time, '%Y') AS year, strftime(event_time, '%m') AS month, strftime(event_time, '%d') AS day`;
  const select =
    kind === "projection"
      ? `SELECT *, substr(timestamp, 1, 4) AS year, substr(timestamp, 6, 2) AS month, substr(timestamp, 9, 2) AS day FROM ${read}`
      : `SELECT *, row_number() OVER (PARTITION BY session_id ORDER BY event_time, event_id) AS event_sequence
         FROM (SELECT *, try_cast(timestamp AS TIMESTAMP) AS event_time, ${partition} FROM ${read})
         QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time) = 1`;
  await connection.run(
    `COPY (${select}) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month, day), OVERWRITE)`,
  );
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
 * The transform against bare DuckDB doing the same logical work on the same input (whole command, Node
 * start-up included), clean and dirty, and its peak memory over ≥ 2 GB of raw input.
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
      const label = dirtyRate === 0 ? "clean" : `--dirty ${dirtyRate}`;
      const projectionMs = await bareDuckdb(warehouse, join(root, `projection-${dirtyRate}`), "projection");
      const logicalMs = await bareDuckdb(warehouse, join(root, `logical-${dirtyRate}`), "logical");
      const run = await transformInChild(warehouse, "incremental");
      const ratio = run.wallMs / logicalMs;
      const goal = dirtyRate === 0 ? 1.3 : 2;
      rows.push(
        { name: `baseline: bare DuckDB, projection-only COPY (${label})`, value: fmt.seconds(projectionMs) },
        {
          name: `baseline: bare DuckDB, the same logical work (${label})`,
          value: `${fmt.seconds(logicalMs)} = ${fmt.ratio(logicalMs / projectionMs)} the projection`,
        },
        {
          name: `clickstream transform, ${fmt.int(events)} events (${label})`,
          value: `${fmt.seconds(run.wallMs)} = ${fmt.ratio(ratio)} logical, ${fmt.ratio(run.wallMs / projectionMs)} projection`,
          goal: `≤ ${goal}× logical`,
          met: ratio <= goal,
        },
        {
          name: `  throughput (${label})`,
          value: `${fmt.int(events / (run.wallMs / 1000))} events/s, ${(truth.objectBytes / 1e6 / (run.wallMs / 1000)).toFixed(0)} MB/s`,
        },
      );
      const steps = Object.entries(run.report.stepsMs ?? {}).map(
        ([step, ms]) => `${step} ${fmt.seconds(ms)}`,
      );
      notes.push(`Where the ${label} run's time went: ${steps.join(", ")}.`);
      if (run.report.records.read !== run.report.records.written + run.report.records.rejected) {
        notes.push(`COUNT MISMATCH in the ${label} run`);
      }
    }

    // Peak memory over ≥ 2 GB of raw input (quick: a small stand-in).
    const bigEvents = options.quick ? 50_000 : 4_500_000;
    const big = join(root, "w-big");
    const bigTruth = await generate(big, bigEvents, 30, 0.02, 5);
    const bigRun = await transformInChild(big, "incremental");
    rows.push({
      name: `peak RSS, transform of ${fmt.mb(bigTruth.objectBytes)} raw (${fmt.int(bigEvents)} events)`,
      value: `${fmt.mb(bigRun.maxRssBytes)} in ${fmt.seconds(bigRun.wallMs)}`,
      goal: "≤ 800 MB",
      met: bigRun.maxRssBytes <= 800e6,
    });
    // One plain object far bigger than a judge batch (a backfill export): read whole, in pieces.
    const oneEvents = options.quick ? 50_000 : 1_000_000;
    const one = join(root, "w-one-object");
    const oneTruth = await writeRawObjects(new LocalStorage(one), {
      events: oneEvents,
      users: Math.max(1000, Math.floor(oneEvents / 20)),
      days: 1,
      start: new Date("2026-11-01T00:00:00Z"),
      seed: 7,
      dirtyRate: 0,
      eventsPerObject: oneEvents,
    });
    const oneRun = await transformInChild(one, "incremental");
    const oneRecords = oneRun.report.records;
    rows.push({
      name: `one plain object of ${fmt.mb(oneTruth.objectBytes)} (${fmt.int(oneEvents)} events): records read = written + rejected, peak RSS`,
      value: `${fmt.int(oneRecords.read)} = ${fmt.int(oneRecords.written)} + ${fmt.int(oneRecords.rejected)}; ${fmt.mb(oneRun.maxRssBytes)} in ${fmt.seconds(oneRun.wallMs)}`,
      goal: "every event read; ≤ 800 MB",
      met: oneRecords.read === oneEvents && oneRun.maxRssBytes <= 800e6,
    });
    notes.push(
      "Each transform runs in a child process (its wall time includes Node start-up); the baselines run in-process.",
      "The machine has 2 cores; figures move by ±20% from run to run, ratios less.",
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { title: "transform: the whole command against bare DuckDB on the same input", rows, notes };
}

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { writeRawObjects } from "../src/generator/index.js";
import { defaultPython } from "../src/spark/spark-job-runner.js";
import { LocalStorage } from "../src/storage/local-storage.js";
import type { RunReport } from "../src/table/run-report.js";
import { fmt, type BenchSection } from "./bench-section.js";

const exec = promisify(execFile);
const bin = fileURLToPath(new URL("../../bin/clickstream", import.meta.url));
const NOW = "2026-12-01T00:00:00Z";

/** One whole `clickstream transform` command (Node start-up, and for Spark the JVM, included). */
async function transform(
  engine: "local" | "spark",
  warehouse: string,
): Promise<{ ms: number; report: RunReport }> {
  const started = performance.now();
  const { stdout } = await exec(
    bin,
    ["transform", "--engine", engine, "--warehouse", warehouse, "--now", NOW, "--json"],
    { maxBuffer: 64 << 20 },
  );
  return { ms: performance.now() - started, report: JSON.parse(stdout) as RunReport };
}

/**
 * Informational: the Glue job's code under local Spark (`transform --engine spark`, local[2]) against
 * `--engine local` on the same 200k events, as a ratio measured in the same run.
 */
export async function runSparkBench(options: { quick: boolean }): Promise<BenchSection> {
  const events = options.quick ? 10_000 : 200_000;
  if (!existsSync(defaultPython)) {
    return {
      title: "Glue job on local Spark vs --engine local (informational)",
      rows: [{ name: "skipped", value: "the Python side is missing: run npm run setup:python" }],
    };
  }
  const root = await mkdtemp(join(tmpdir(), "clickstream-spark-bench-"));
  try {
    const local = join(root, "local");
    const spark = join(root, "spark");
    await writeRawObjects(new LocalStorage(local), {
      events,
      users: Math.max(1000, Math.floor(events / 20)),
      days: 7,
      start: new Date("2026-11-20T00:00:00Z"),
      seed: 1,
      dirtyRate: 0.02,
      eventsPerObject: 20_000,
    });
    await cp(join(local, "raw"), join(spark, "raw"), { recursive: true });
    const baseline = await transform("local", local);
    const job = await transform("spark", spark);
    const same =
      job.report.records.written === baseline.report.records.written &&
      job.report.records.rejected === baseline.report.records.rejected;
    return {
      title: `Glue job on local Spark vs --engine local (${fmt.int(events)} events, 2% dirty, informational)`,
      rows: [
        { name: "baseline: transform --engine local", value: fmt.seconds(baseline.ms) },
        {
          name: "transform --engine spark (local[2], JVM start included)",
          value: `${fmt.seconds(job.ms)} = ${fmt.ratio(job.ms / baseline.ms)} baseline`,
        },
        {
          name: "same records written and rejected",
          value: `${same ? "yes" : "NO"} (${fmt.int(job.report.records.written)} written, ${fmt.int(job.report.records.rejected)} rejected)`,
        },
      ],
      notes: [
        "Spark here is one local JVM with two cores; in Glue the same code runs on G.1X workers, where the per-record Python framing spreads over executors.",
      ],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { RunLock, runLockPath } from "../table/run-lock.js";
import type { RunReport } from "../table/run-report.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/** The checkout: dist/src/spark/ → three folders up. */
const checkout = fileURLToPath(new URL("../../../", import.meta.url));

/** The local runner of the Glue job (glue/clickstream_local.py) and the virtualenv that has pyspark. */
export const localRunnerScript = join(checkout, "glue", "clickstream_local.py");
export const defaultPython = process.env.CLICKSTREAM_PYTHON ?? join(checkout, ".venv", "bin", "python");

/** The runner's exit code for "pyspark or Java is missing"; its failure lines start with this prefix. */
const exitUnavailable = 3;
const errorPrefix = "clickstream-spark-error: ";

/** The run report of the Glue job: the local engine's fields plus the engine that wrote it. */
export interface SparkRunReport extends RunReport {
  engine: "spark" | "glue";
  jobName: string | null;
}

export interface SparkRunOptions {
  /** The warehouse folder; its sub-folders stand in for the buckets. */
  readonly warehouseDir: string;
  /** The rules' settings (future tolerance, categories) and the lock wait, as for the local engine. */
  readonly config: TransformConfig;
  readonly now?: Date;
  readonly fullRefresh?: boolean;
  /** A Python with pyspark (default: the checkout's .venv, or $CLICKSTREAM_PYTHON). */
  readonly python?: string;
}

/**
 * `clickstream transform --engine spark`: the Glue job's own code on local Spark (`local[2]`) over a
 * warehouse folder, as one child process (one JVM) per run. Takes the local engine's run lock around
 * it, so the two engines never run at once on one warehouse, and refuses a warehouse the local engine
 * has transformed (its state is not the job's ledger: running both would reprocess raw objects).
 */
export async function runSparkJob(options: SparkRunOptions): Promise<SparkRunReport> {
  const warehouse = resolve(options.warehouseDir);
  const started = new Date();
  const runId = `${started.toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const lock = await RunLock.acquire(runLockPath(warehouse), runId, options.config.lockWaitMs);
  try {
    await refuseLocalEngineWarehouse(warehouse);
    await runChild(options, warehouse, runId);
    const reportPath = join(warehouse, stateKeys.glue.runReport(runId));
    return JSON.parse(await readFile(reportPath, "utf8")) as SparkRunReport;
  } finally {
    await lock.release();
  }
}

/** Files under `_state/transform/` other than the lock, run reports and last-run.json: the local engine's state. */
export async function localEngineState(warehouse: string): Promise<string[]> {
  // Without the prefix's trailing slash: entries are cut at root.length + 1.
  const root = join(warehouse, stateKeys.transform.prefix).replace(/\/$/, "");
  const found: string[] = [];
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return found;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const relative = join(entry.parentPath, entry.name).slice(root.length + 1);
    const top = relative.split("/")[0]!;
    if (top === "runs" || top === "last-run.json" || top.startsWith("lock")) continue;
    found.push(`${stateKeys.transform.prefix}${relative}`);
  }
  return found.sort();
}

async function refuseLocalEngineWarehouse(warehouse: string): Promise<void> {
  const state = await localEngineState(warehouse);
  if (state.length > 0) {
    throw new ClickstreamError(
      "CS_ERR_ENGINE_MISMATCH",
      `${warehouse} was transformed by --engine local (${state[0]}); --engine spark keeps its own record of processed objects under _state/glue/`,
    );
  }
}

/** Runs glue/clickstream_local.py; Spark's log goes to _state/glue/logs/<run id>.log. */
async function runChild(options: SparkRunOptions, warehouse: string, runId: string): Promise<void> {
  const python = options.python ?? defaultPython;
  if (!existsSync(python)) {
    throw new ClickstreamError(
      "CS_ERR_SPARK_UNAVAILABLE",
      `pyspark is not installed: run npm run setup:python (${python} does not exist)`,
    );
  }
  const { futureToleranceMs, eventCategories, otherCategory } = options.config;
  const args = [
    localRunnerScript,
    "--warehouse",
    warehouse,
    "--run-id",
    runId,
    "--rules",
    JSON.stringify({ futureToleranceMs, eventCategories, otherCategory }),
  ];
  if (options.now) args.push("--now", options.now.toISOString());
  if (options.fullRefresh) args.push("--full-refresh");

  const logDir = join(warehouse, stateKeys.glue.logsPrefix);
  await mkdir(logDir, { recursive: true });
  const logPath = join(logDir, `${runId}.log`);
  const log = createWriteStream(logPath);
  let lastError: string | undefined;
  let tail = "";
  const { code, spawnError } = await new Promise<{ code: number | null; spawnError?: Error }>((done) => {
    const child = spawn(python, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    });
    const collect = (chunk: Buffer): void => {
      log.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-64 * 1024);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (error) => done({ code: null, spawnError: error }));
    child.on("close", (exitCode) => done({ code: exitCode }));
  });
  await new Promise<void>((done) => log.end(done));
  for (const line of tail.split("\n"))
    if (line.startsWith(errorPrefix)) lastError = line.slice(errorPrefix.length);
  if (spawnError) {
    throw new ClickstreamError(
      "CS_ERR_SPARK_UNAVAILABLE",
      `pyspark is not installed: run npm run setup:python (${python}: ${spawnError.message})`,
      { cause: spawnError },
    );
  }
  if (code === exitUnavailable) throw new ClickstreamError("CS_ERR_SPARK_UNAVAILABLE", lastError);
  if (code !== 0) {
    const why = lastError ?? tail.trim().split("\n").slice(-3).join(" / ");
    throw new ClickstreamError("CS_ERR_SPARK_JOB_FAILED", `${why} (Spark's log: ${logPath})`);
  }
}

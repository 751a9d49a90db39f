import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { ClickstreamError } from "../../errors/clickstream-error.js";
import type { RunReport } from "../../table/run-report.js";
import type { TransformProgress } from "../../transform/run-transform.js";
import {
  action,
  assertWarehouseExists,
  configOption,
  storageFromOptions,
  storageOptions,
  warehouseOption,
  withExamples,
  type StorageFlags,
} from "../cli-support.js";
import { loadConfig } from "../../config/load-config.js";
import { formatBytes, plural } from "../../format/human-format.js";
import { instantFlag, integerFlag } from "../flag-parsers.js";
import { terminalValue, writeTerminal } from "../../terminal/terminal-text.js";

interface TransformFlags extends StorageFlags {
  warehouse?: string;
  engine: "local" | "spark" | "glue";
  now?: Date;
  fullRefresh?: boolean;
  reconcile?: boolean;
  json?: boolean;
  waitMs?: number;
}

/** `clickstream transform`: the local twin of the Glue job. */
export function transformCommand(): Command {
  const command = new Command("transform")
    .description(
      "Transform new raw objects into validated, deduplicated Parquet under transformed/ (rejects go to errors/ with a reason).",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .addOption(
      new Option(
        "--engine <engine>",
        "local: DuckDB on this machine; spark: the Glue job's code on local Spark (needs npm run setup:python); glue: the deployed AWS Glue job",
      )
        .choices(["local", "spark", "glue"])
        .default("local"),
    )
    .option(
      "--now <iso-8601>",
      "pin the processing time (processed_timestamp and the future-timestamp check)",
      instantFlag("--now"),
    )
    .option("--full-refresh", "reprocess every raw object from scratch instead of only new ones")
    .option(
      "--reconcile",
      "list every sealed raw day folder again for objects uploaded into it late (on S3 runs do it every transform.reconcileEveryMs; locally every run checks each folder's time)",
    )
    .option("--json", "print the run report as JSON on stdout")
    .addOption(
      new Option("--wait-ms <ms>", "wait this long for another running transform to finish").argParser(
        integerFlag("--wait-ms"),
      ),
    );
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (flags: TransformFlags) => {
      if (flags.engine === "glue") {
        // The Glue job keeps its own bookmarks and runs one at a time in AWS: these local-only flags
        // would be silently meaningless there, so they are refused.
        for (const [flag, set] of [
          ["--full-refresh", flags.fullRefresh],
          ["--reconcile", flags.reconcile],
          ["--wait-ms", flags.waitMs !== undefined],
          ["--storage", flags.storage !== undefined],
        ] as const) {
          if (set)
            throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `${flag} does not apply to --engine glue`);
        }
        const { transformOnGlue } = await import("../../aws/cli-engines.js");
        return transformOnGlue(flags);
      }
      const now = flags.now;
      if (flags.engine === "spark") return transformOnSpark(flags, now);
      const { config, storage } = await storageFromOptions(
        flags,
        flags.waitMs === undefined ? {} : { transform: { lockWaitMs: flags.waitMs } },
      );
      const progress = flags.json || !process.stderr.isTTY ? undefined : new TransformProgressBar();
      // Loaded on use: DuckDB costs every other command's start-up otherwise.
      const { runTransform } = await import("../../transform/run-transform.js");
      const report = await runTransform({
        storage,
        config: config.transform,
        workDir: config.warehouse.dir,
        fullRefresh: flags.fullRefresh ?? false,
        reconcile: flags.reconcile ?? false,
        ...(now ? { now } : {}),
        ...(progress ? { onProgress: (event: TransformProgress) => progress.update(event) } : {}),
      });
      progress?.stop();
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else writeTerminal(process.stdout, formatSummary(report));
    }),
  );
  return withExamples(command, [
    "clickstream transform",
    "clickstream transform --warehouse ./warehouse --json",
    "clickstream transform --now 2026-11-25T12:00:00Z --full-refresh",
    "clickstream transform --storage s3 --endpoint http://127.0.0.1:9000   # buckets on an S3-compatible server",
    "clickstream transform --engine spark           # the Glue job's code on local Spark (npm run setup:python first)",
    "clickstream transform --engine glue            # run the deployed Glue job (reads terraform-outputs.json)",
  ]);
}

/** The Glue job's code on local Spark, over the warehouse folder (its sub-folders stand in for the buckets). */
async function transformOnSpark(flags: TransformFlags, now: Date | undefined): Promise<void> {
  const config = loadConfig({
    file: flags.config,
    overrides: {
      warehouse: { dir: flags.warehouse, storage: flags.storage },
      ...(flags.waitMs === undefined ? {} : { transform: { lockWaitMs: flags.waitMs } }),
    },
  });
  if (config.warehouse.storage === "s3") {
    throw new ClickstreamError(
      "CS_ERR_INVALID_ARGUMENT",
      "--engine spark reads a local warehouse folder (Spark here has no S3 connector); use --engine glue for S3",
    );
  }
  assertWarehouseExists(config);
  if (!flags.json && process.stderr.isTTY) process.stderr.write("starting Spark (local[2])…\n");
  const { runSparkJob } = await import("../../spark/spark-job-runner.js");
  const report = await runSparkJob({
    warehouseDir: config.warehouse.dir,
    config: config.transform,
    fullRefresh: flags.fullRefresh ?? false,
    ...(now ? { now } : {}),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else writeTerminal(process.stdout, formatSummary(report));
}

/** The transform's live bar on a terminal: raw objects read, then one line per later phase. */
class TransformProgressBar {
  private bar: cliProgress.SingleBar | undefined;

  update(event: TransformProgress): void {
    if (event.phase === "read") {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: "reading raw objects [{bar}] {value}/{total} objects, {read}", hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(event.objectsTotal, 0, { read: formatBytes(0) });
      }
      this.bar.update(event.objectsDone, { read: formatBytes(event.bytesRead) });
    } else {
      this.stop();
      process.stderr.write(
        `${event.phase === "validate" ? "validating and deduplicating" : event.phase === "write" ? "writing Parquet" : "committing"}…\n`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function formatSummary(report: RunReport): string {
  if (report.status === "no_new_data") {
    return [
      `transform ${report.runId}: no new raw objects; nothing changed (${report.durationMs} ms)`,
      ...attentionLines(report),
      "",
    ].join("\n");
  }
  const lines = [
    `transform ${report.runId}${report.fullRefresh ? " (full refresh)" : ""}: ${plural(report.objectsProcessed, "raw object")} in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  records read ${report.records.read} = written ${report.records.written} + rejected ${report.records.rejected}`,
  ];
  const reasons = Object.entries(report.rejectedByReason).filter(([, n]) => n > 0);
  if (reasons.length > 0)
    lines.push(`  rejected by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(", ")}`);
  const unknown = Object.entries(report.unknownFields);
  if (unknown.length > 0)
    lines.push(`  unknown fields dropped: ${unknown.map(([f, n]) => `${terminalValue(f)} ${n}`).join(", ")}`);
  lines.push(
    `  partitions written: ${report.partitionsWritten.length}${report.rowsRewritten ? ` (${plural(report.rowsRewritten, "existing row")} rewritten)` : ""}`,
    `  bytes read ${formatBytes(report.bytesRead)}, written ${formatBytes(report.bytesWritten)}`,
  );
  for (const key of report.errorObjects) lines.push(`  rejects: ${terminalValue(key)}`);
  lines.push(...attentionLines(report));
  return `${lines.join("\n")}\n`;
}

/** What the operator should know even when nothing else happened: late uploads, entries not read. */
function attentionLines(report: RunReport): string[] {
  const lines: string[] = [];
  const late = report.lateObjects;
  if (late && late.found > 0)
    lines.push(
      `  found ${plural(late.found, "object")} uploaded late into sealed day folder${late.folders.length === 1 ? "" : "s"} ${late.folders.map(terminalValue).join(", ")}: processed`,
    );
  const notFiles = report.notFiles;
  if (notFiles && notFiles.count > 0)
    lines.push(
      `  not read: ${plural(notFiles.count, "entry", "entries")} in raw/ that ${notFiles.count === 1 ? "is" : "are"} not a regular file (symbolic link, FIFO): ${notFiles.keys.slice(0, 5).map(terminalValue).join(", ")}${notFiles.count > 5 ? ", …" : ""}`,
    );
  return lines;
}

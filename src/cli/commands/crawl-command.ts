import { Command, Option } from "commander";
import type { CrawlReport } from "../../catalog/crawler.js";
import {
  action,
  configOption,
  storageFromOptions,
  storageOptions,
  warehouseOption,
  withExamples,
  type StorageFlags,
} from "../cli-support.js";
import { formatBytes, plural } from "../../format/human-format.js";
import { terminalValue, writeTerminal } from "../../terminal/terminal-text.js";

interface CrawlFlags extends StorageFlags {
  engine: "local" | "glue";
  database?: string;
  json?: boolean;
}

/** `clickstream crawl`: the local Glue crawler over transformed/. */
export function crawlCommand(): Command {
  const command = new Command("crawl")
    .description(
      "Crawl transformed/ like a Glue crawler: read Parquet footers, create or update the table and its partitions in the catalog (_state/catalog/).",
    )
    .addOption(warehouseOption())
    .addOption(configOption())
    .option("--database <name>", "catalog database (default: catalog.databaseName, clickstream_db)")
    .option("--json", "print what changed as JSON")
    .addOption(
      new Option(
        "--engine <engine>",
        "local: crawl the warehouse here; glue: start the deployed Glue crawler",
      )
        .choices(["local", "glue"])
        .default("local"),
    );
  for (const option of storageOptions()) command.addOption(option);
  command.action(
    action(async (opts: CrawlFlags) => {
      if (opts.engine === "glue") {
        const { crawlOnGlue } = await import("../../aws/cli-engines.js");
        return crawlOnGlue(opts);
      }
      const { config, storage } = await storageFromOptions(opts, {
        catalog: { databaseName: opts.database },
      });
      // Loaded on use: DuckDB costs every other command's start-up otherwise.
      const { runCrawler } = await import("../../catalog/crawler.js");
      const report = await runCrawler({ storage, config });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else writeTerminal(process.stdout, describeCrawl(report));
    }),
  );
  return withExamples(command, [
    "clickstream crawl",
    "clickstream crawl --warehouse ./warehouse --json",
    "clickstream crawl --database analytics_db",
    "clickstream crawl --engine glue     # start the deployed Glue crawler and wait for it",
  ]);
}

/** A human summary of a crawl report. */
export function describeCrawl(report: CrawlReport): string {
  // Names come from the data (folders, Parquet columns): one line each, their control characters escaped.
  const v = terminalValue;
  const list = (names: readonly string[]): string => names.map(v).join(", ");
  const lines = [`database ${v(report.database)}${report.databaseCreated ? " (created)" : ""}`];
  if (report.tables.length === 0) lines.push("  no tables: transformed/ holds no Parquet files yet");
  for (const t of report.tables) {
    lines.push(
      `  table ${v(t.name)}: ${t.action}; ${plural(t.files, "file")}, ${plural(t.rows, "row")}, ${formatBytes(t.bytes)}`,
      ...(t.partitionsAdded.length ? [`    partitions added: ${list(t.partitionsAdded)}`] : []),
      ...(t.partitionsUpdated.length ? [`    partitions updated: ${list(t.partitionsUpdated)}`] : []),
      ...(t.partitionsMissing.length
        ? [`    partitions with no files left (kept, DeleteBehavior LOG): ${list(t.partitionsMissing)}`]
        : []),
      ...(t.action !== "created" && t.columnsAdded.length
        ? [`    columns added: ${t.columnsAdded.map((c) => `${v(c.Name)} ${v(c.Type)}`).join(", ")}`]
        : []),
      ...t.columnsWidened.map((w) => `    column ${v(w.name)} widened: ${v(w.from)} → ${v(w.to)}`),
      ...t.typeConflicts.map(
        (c) =>
          `    WARNING column ${v(c.name)}: files have ${v(c.fileType)}, incompatible with the table's ${v(c.tableType)} (kept); files: ${list(c.files)}`,
      ),
      ...(t.columnsMissing.length
        ? [`    columns in no file any more (kept, DeleteBehavior LOG): ${list(t.columnsMissing)}`]
        : []),
    );
  }
  for (const s of report.skippedObjects) lines.push(`  skipped ${v(s.key)}: ${v(s.reason)}`);
  return `${lines.join("\n")}\n`;
}

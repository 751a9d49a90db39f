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
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : describeCrawl(report));
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
  const lines = [`database ${report.database}${report.databaseCreated ? " (created)" : ""}`];
  if (report.tables.length === 0) lines.push("  no tables: transformed/ holds no Parquet files yet");
  for (const t of report.tables) {
    lines.push(
      `  table ${t.name}: ${t.action}; ${plural(t.files, "file")}, ${plural(t.rows, "row")}, ${formatBytes(t.bytes)}`,
      ...(t.partitionsAdded.length ? [`    partitions added: ${t.partitionsAdded.join(", ")}`] : []),
      ...(t.partitionsUpdated.length ? [`    partitions updated: ${t.partitionsUpdated.join(", ")}`] : []),
      ...(t.partitionsMissing.length
        ? [`    partitions with no files left (kept, DeleteBehavior LOG): ${t.partitionsMissing.join(", ")}`]
        : []),
      ...(t.action !== "created" && t.columnsAdded.length
        ? [`    columns added: ${t.columnsAdded.map((c) => `${c.Name} ${c.Type}`).join(", ")}`]
        : []),
      ...t.columnsWidened.map((w) => `    column ${w.name} widened: ${w.from} → ${w.to}`),
      ...t.typeConflicts.map(
        (c) =>
          `    WARNING column ${c.name}: files have ${c.fileType}, incompatible with the table's ${c.tableType} (kept); files: ${c.files.join(", ")}`,
      ),
      ...(t.columnsMissing.length
        ? [`    columns in no file any more (kept, DeleteBehavior LOG): ${t.columnsMissing.join(", ")}`]
        : []),
    );
  }
  for (const s of report.skippedObjects) lines.push(`  skipped ${s.key}: ${s.reason}`);
  return `${lines.join("\n")}\n`;
}

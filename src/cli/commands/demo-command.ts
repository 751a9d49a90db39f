import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import type { FirehoseTarget } from "../../aws/firehose-target.js";
import { loadConfig } from "../../config/load-config.js";
import { parseQueryFile, pickStatement } from "../../query/query-file.js";
import { formatResult } from "../../query/result-formatter.js";
import { createStorage } from "../../storage/create-storage.js";
import { defaultStreamName, rawKeyPrefix } from "../../storage/warehouse-layout.js";
import { action, warehouseOption, withExamples } from "../cli-support.js";
import { planDemoWipe, recordDemoFiles, wipeDemoFiles } from "../demo-warehouse.js";
import { integerFlag } from "../flag-parsers.js";
import { plural } from "../../format/human-format.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

const packageRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const sampleFile = join(packageRoot, "sample-data", "sample_events.json");
const queriesFile = join(packageRoot, "queries", "athena_queries.sql");
/** The sample story happens on this UTC day, the last of the generated history. */
const demoDay = "2026-11-24";
/** Days of generated history ending on `demoDay`: two weeks, so the dashboard's week has one to compare with. */
const historyDays = 14;
const historyStart = new Date(Date.parse(`${demoDay}T00:00:00Z`) - (historyDays - 1) * 86_400_000);

interface DemoFlags {
  warehouse?: string;
  events: number;
  seed: number;
}

/** `clickstream demo` (and `npm start`): the whole pipeline, end to end, on one machine. */
export function demoCommand(): Command {
  const command = new Command("demo")
    .description(
      "Run the whole pipeline end to end: start a collector, send the sample events and two generated weeks through the Firehose API, transform, crawl, and print the headline queries.",
    )
    .addOption(warehouseOption())
    .addOption(
      new Option("--events <n>", "generated events to send besides the sample")
        .argParser(integerFlag("--events"))
        .default(20_000),
    )
    .addOption(new Option("--seed <n>", "generator seed").argParser(integerFlag("--seed")).default(2026))
    .action(action(async (flags: DemoFlags) => runDemo(flags)));
  return withExamples(command, ["npm start", "clickstream demo --warehouse /tmp/demo --events 100000"]);
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const warehouse = resolve(flags.warehouse ?? "./warehouse");
  await prepareWarehouse(warehouse);
  try {
    await runStages(warehouse, flags);
  } finally {
    // All the folder now holds is the demo's (it held no file when the demo began): a rerun deletes that.
    await recordDemoFiles(warehouse);
  }
}

/** Collector, send, transform, crawl, queries, and what to try next, in a warehouse of the demo's own. */
async function runStages(warehouse: string, flags: DemoFlags): Promise<void> {
  // The pipeline's stages, loaded on use (DuckDB, fastify and the AWS SDK would cost every other
  // command's start-up otherwise).
  const [
    { assertAllSent, sendToFirehose },
    { runCrawler },
    { defaultWalDir, startCollector },
    { generateEventLines },
    { openQueryEngine },
    { runTransform },
  ] = await Promise.all([
    import("../../aws/firehose-target.js"),
    import("../../catalog/crawler.js"),
    import("../../collector/collector-server.js"),
    import("../../generator/event-generator.js"),
    import("../../query/query-engine.js"),
    import("../../transform/run-transform.js"),
  ]);
  const config = loadConfig({ overrides: { warehouse: { dir: warehouse } } });
  const storage = createStorage(config);
  const say = (line: string): void => writeTerminal(process.stdout, `${line}\n`);
  const began = Date.now();

  say(`Clickstream demo — warehouse ${warehouse}\n`);
  const collector = await startCollector({
    storage,
    walDir: defaultWalDir(warehouse),
    host: "127.0.0.1",
    port: 0,
    logger: false,
  });
  say(`1. collector listening on ${collector.url} (Firehose API and /v1/events)`);
  const target: FirehoseTarget = {
    endpoint: collector.url,
    region: "us-east-1",
    stream: defaultStreamName,
    credentials: { accessKeyId: "demo", secretAccessKey: "demo" },
  };
  try {
    const sample = JSON.parse(await readFile(sampleFile, "utf8")) as unknown[];
    const sampleCounts = await sendToFirehose(
      target,
      sample.map((event) => `${JSON.stringify(event)}\n`),
      { progress: false },
    );
    assertAllSent(sampleCounts);
    say(`2. sent ${sampleCounts.sent} sample events (sample-data/sample_events.json) with PutRecordBatch`);
    const lines = generateEventLines({
      events: flags.events,
      users: Math.max(50, Math.floor(flags.events / 40)),
      days: historyDays,
      start: historyStart,
      seed: flags.seed,
      dirtyRate: 0.01,
    });
    const generated = (function* () {
      for (let next = lines.next(); !next.done; next = lines.next()) yield `${next.value}\n`;
    })();
    const counts = await sendToFirehose(target, generated, { total: flags.events });
    say(
      `   sent ${counts.sent} generated events for ${historyStart.toISOString().slice(0, 10)} … ${demoDay} (1% carry a defect on purpose)`,
    );
    for (const [code, n] of Object.entries(counts.failures)) {
      say(`   ${n} refused by the collector (${code}), as Firehose would: ${counts.lastError ?? ""}`);
    }
    await collector.flush();
  } finally {
    await collector.close();
  }
  // Recorded now too, so that a demo stopped during the transform leaves a record of its raw objects.
  const rawObjects = (await recordDemoFiles(warehouse)).filter((f) => f.path.startsWith(rawKeyPrefix));
  say(`3. collector flushed ${rawObjects.length} raw object(s) into raw/ (Firehose naming, by arrival date)`);

  const report = await runTransform({ storage, config: config.transform, workDir: warehouse });
  const rejected = Object.entries(report.rejectedByReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  say(
    `4. transform: read ${report.records.read} = written ${report.records.written} + rejected ${report.records.rejected}` +
      (rejected ? ` (${rejected})` : ""),
  );
  say(`   Parquet partitions: ${report.partitionsWritten.join(", ")}`);

  const crawl = await runCrawler({ storage, config });
  const table = crawl.tables[0];
  say(
    `5. crawl: table ${crawl.database}.${table?.name ?? "transformed"} ${table?.action ?? ""} with ${plural(table?.partitionsAdded.length ?? 0, "new partition")}\n`,
  );

  const relative = flags.warehouse ?? "./warehouse";
  const statements = parseQueryFile(await readFile(queriesFile, "utf8"));
  // "Today" in these queries is the sample's day, not the wall clock's: said, and each query printed with the
  // command that reproduces it (the same pin, `--now`), so running it by hand gives the same rows.
  const now = `${demoDay}T23:59:00Z`;
  say(`The queries below run with "now" pinned to ${now}, the sample's day (current_date = ${demoDay}).`);
  say(`Without --now, "today" is the wall clock's day and Query 1 finds no rows.\n`);
  const engine = await openQueryEngine({ storage, config, now });
  try {
    for (const name of ["1", "2", "5"]) {
      const statement = pickStatement(statements, name);
      say(`-- Query ${statement.number}: ${statement.title}`);
      say(
        `-- reproduce: npx clickstream query --warehouse ${shellWord(relative)} --now ${now} --file queries/athena_queries.sql --name ${name}`,
      );
      say(formatResult(await engine.run(statement.sql), "table"));
    }
  } finally {
    engine.close();
  }

  say(`Done in ${((Date.now() - began) / 1000).toFixed(1)} s. The data is in ${warehouse}:`);
  say(`  raw/           raw JSON, as Firehose writes it`);
  say(`  transformed/   the clean table, Parquet by event date`);
  say(
    `  errors/        ${plural(report.records.rejected, "rejected record")}, each with its reason and original text`,
  );
  say(`  _state/        bookmarks, run reports, the catalog`);
  say(`\nTry next:`);
  say(
    `  npx clickstream query --warehouse ${relative} "SELECT event_category, count(*) AS events FROM transformed GROUP BY 1"`,
  );
  say(
    `  npx clickstream query --warehouse ${relative} --file queries/athena_queries.sql --name "Daily revenue"`,
  );
  say(
    `  npx clickstream console --warehouse ${relative}    # dashboard and SQL workbench on http://127.0.0.1:4574/`,
  );
  say(
    `  npx clickstream serve --warehouse ${relative}      # then: npx clickstream send sample-data/sample_events.json`,
  );
  say(
    `  npx clickstream transform --warehouse ${relative} --json && npx clickstream crawl --warehouse ${relative}`,
  );
}

/** A path as one shell word: quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A fresh folder: a previous demo's files are deleted, exactly those its record names, and only when the
 * folder holds nothing else (demo-warehouse.ts).
 */
async function prepareWarehouse(warehouse: string): Promise<void> {
  await wipeDemoFiles(warehouse, await planDemoWipe(warehouse));
  await recordDemoFiles(warehouse);
}

import { Command, Option } from "commander";
import { loadConfig } from "../../config/load-config.js";
import { ClickstreamError } from "../../errors/clickstream-error.js";
import {
  assertAllSent,
  describeSend,
  localFirehoseEndpoint,
  resolveFirehoseTarget,
  sendToFirehose,
} from "../../aws/firehose-target.js";
import { generateEventLines, type GenerationSummary } from "../../generator/event-generator.js";
import { writeNdjsonFile, writeNdjsonStream } from "../../generator/ndjson-file-writer.js";
import { writeRawObjects, type RawFramingOption } from "../../generator/raw-object-writer.js";
import { createStorage } from "../../storage/create-storage.js";
import { defaultStreamName } from "../../storage/warehouse-layout.js";
import { action, configOption, warehouseOption, withExamples } from "../cli-support.js";
import { instantFlag, integerFlag, numberFlag, urlFlag } from "../flag-parsers.js";
import { formatBytes, plural } from "../../format/human-format.js";
import { writeTerminal } from "../../terminal/terminal-text.js";

interface GenerateFlags {
  events: number;
  users: number;
  days: number;
  start: Date;
  seed: number;
  dirty: number;
  variantRate?: number;
  output?: string;
  warehouse?: string;
  config?: string;
  gzip: boolean;
  framing: RawFramingOption;
  eventsPerObject?: number;
  objects?: number;
  stream: string;
  arrival?: Date;
  json: boolean;
  send?: boolean;
  endpoint?: string;
  region?: string;
  firehose?: boolean;
  outputs?: string;
}

/** `clickstream generate`: synthetic clickstream into an NDJSON file or the warehouse's raw/ bucket. */
export function generateCommand(): Command {
  const command = new Command("generate")
    .description(
      "Generate realistic synthetic clickstream (sessions walking the shop funnel), deterministic for a seed. " +
        "Writes an NDJSON file with --output, otherwise raw objects into the warehouse's raw/ bucket laid out as " +
        "Kinesis Firehose would. --dirty injects every reject reason of the data contract at that rate and the " +
        "printed summary is the exact ground truth the transform must reproduce.",
    )
    .option("--events <n>", "records to generate", integerFlag("--events"), 10_000)
    .option("--users <n>", "size of the user population", integerFlag("--users", { min: 1 }), 1_000)
    .option("--days <n>", "spread events over this many days", integerFlag("--days", { min: 1 }), 1)
    .addOption(
      new Option("--start <date>", "first day (UTC), YYYY-MM-DD or an ISO-8601 instant")
        .argParser(instantFlag("--start", { dateOnly: true }))
        .default(new Date("2026-11-24T00:00:00Z"), "2026-11-24"),
    )
    .option("--seed <n>", "PRNG seed: same seed and flags → byte-identical output", integerFlag("--seed"), 1)
    .option(
      "--dirty <rate>",
      "fraction of records (0..1) carrying exactly one defect",
      numberFlag("--dirty", 0, 1),
      0,
    )
    .option(
      "--variant-rate <rate>",
      "fraction of valid records in unusual shapes the transform must normalise (default: the --dirty rate)",
      numberFlag("--variant-rate", 0, 1),
    )
    .option("--output <file>", "write one NDJSON file instead of raw objects ('-' for stdout)")
    .addOption(warehouseOption())
    .addOption(configOption())
    .option("--gzip", "gzip the output (objects get the .gz suffix Firehose uses)", false)
    .addOption(
      new Option("--framing <framing>", "record layout inside raw objects (--output: ndjson or crlf)")
        .choices(["ndjson", "crlf", "concatenated", "array", "mixed"])
        .default("ndjson"),
    )
    .option(
      "--events-per-object <n>",
      "records per raw object (default 10000)",
      integerFlag("--events-per-object", { min: 1 }),
    )
    .option(
      "--objects <n>",
      "number of raw objects (overrides --events-per-object)",
      integerFlag("--objects", { min: 1 }),
    )
    .option("--stream <name>", "delivery stream name in raw object names", defaultStreamName)
    .option(
      "--arrival <iso>",
      "arrival time in raw object names (default: latest event time in each object)",
      instantFlag("--arrival", { dateOnly: true }),
    )
    .option("--json", "print the generation summary (ground truth) as JSON", false)
    .option("--send", "stream the events to a Firehose endpoint (PutRecordBatch) instead of writing them")
    .option(
      "--endpoint <url>",
      `with --send: Firehose endpoint (default ${localFirehoseEndpoint})`,
      urlFlag("--endpoint"),
    )
    .option(
      "--region <region>",
      "with --send: AWS region (default us-east-1, or terraform's with --firehose)",
    )
    .option("--firehose", "with --send: real AWS Firehose, stream and region from terraform-outputs.json")
    .option("--outputs <file>", "Terraform outputs file read by --firehose", "terraform-outputs.json")
    .action(action(async (flags: GenerateFlags) => runGenerate(flags)));
  return withExamples(command, [
    "clickstream generate --events 100000 --users 2000 --days 7 --seed 42",
    "clickstream generate --events 1000000 --output events.ndjson",
    "clickstream generate --events 50000 --dirty 0.02 --framing mixed --json",
    "clickstream generate --events 1000 --output - | head -3",
    "clickstream generate --events 200000 --days 30 --start 2026-10-01 --gzip --events-per-object 5000",
    "clickstream generate --events 100000 --send                 # through a running `clickstream serve`",
  ]);
}

async function runGenerate(flags: GenerateFlags): Promise<void> {
  const start = flags.start;
  const options = {
    events: flags.events,
    users: flags.users,
    days: flags.days,
    start,
    seed: flags.seed,
    dirtyRate: flags.dirty,
    ...(flags.variantRate === undefined ? {} : { variantRate: flags.variantRate }),
  };
  const began = performance.now();

  if (flags.send) {
    const target = await resolveFirehoseTarget({
      endpoint: flags.endpoint,
      region: flags.region,
      firehose: flags.firehose,
      outputs: flags.outputs,
      stream: flags.stream === defaultStreamName && flags.firehose ? undefined : flags.stream,
    });
    const lines = generateEventLines(options);
    const records = (function* () {
      // Firehose concatenates records as sent: a newline per record keeps the objects line-delimited.
      for (let next = lines.next(); !next.done; next = lines.next()) yield `${next.value}\n`;
    })();
    const counts = await sendToFirehose(target, records, { total: flags.events });
    writeTerminal(process.stdout, describeSend(target, counts));
    assertAllSent(counts);
    return;
  }

  if (flags.output !== undefined) {
    if (flags.framing !== "ndjson" && flags.framing !== "crlf") {
      throw new ClickstreamError(
        "CS_ERR_INVALID_ARGUMENT",
        "--output writes NDJSON: use --framing ndjson or crlf",
      );
    }
    const crlf = flags.framing === "crlf";
    if (flags.output === "-") {
      if (flags.gzip) throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "--gzip cannot write to stdout");
      // A reader that stops early (`| head`) closes the pipe: that ends the output, it is not a failure.
      const ignore = (): void => undefined;
      process.stdout.on("error", ignore);
      let summary: GenerationSummary;
      try {
        summary = await writeNdjsonStream(process.stdout, { ...options, crlf });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EPIPE") return;
        throw error;
      } finally {
        process.stdout.off("error", ignore);
      }
      // stdout carries the data: the summary goes to stderr.
      if (flags.json) process.stderr.write(JSON.stringify(summary, null, 2) + "\n");
      return;
    }
    const result = await writeNdjsonFile(flags.output, { ...options, crlf, gzip: flags.gzip });
    const { path, fileBytes, ...summary } = result;
    report(flags.json, summary, `${path} (${formatBytes(fileBytes)})`, began);
    return;
  }

  const config = loadConfig({ file: flags.config, overrides: { warehouse: { dir: flags.warehouse } } });
  const storage = createStorage(config);
  const result = await writeRawObjects(storage, {
    ...options,
    gzip: flags.gzip,
    framing: flags.framing,
    stream: flags.stream,
    arrival: flags.arrival ?? "event-time",
    ...(flags.objects === undefined ? {} : { objects: flags.objects }),
    ...(flags.eventsPerObject === undefined ? {} : { eventsPerObject: flags.eventsPerObject }),
  });
  const { keys, objectBytes, ...summary } = result;
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ ...summary, objects: keys.length, objectBytes, keys }, null, 2) + "\n",
    );
    return;
  }
  report(
    false,
    summary,
    `${plural(keys.length, "object")} under ${config.warehouse.dir}/raw/ (${formatBytes(objectBytes)})`,
    began,
  );
}

function report(json: boolean, summary: GenerationSummary, where: string, began: number): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return;
  }
  const seconds = (performance.now() - began) / 1000;
  const rejected = Object.entries(summary.rejectedByReason);
  const lines = [
    `generated ${plural(summary.events, "record")} → ${where} in ${seconds.toFixed(1)} s`,
    `  valid (to be written by transform): ${summary.valid.toLocaleString("en-US")}`,
  ];
  if (rejected.length > 0) {
    lines.push(`  to be rejected: ${rejected.map(([reason, n]) => `${reason} ${n}`).join(", ")}`);
  }
  const unknown = Object.entries(summary.unknownFields);
  if (unknown.length > 0) lines.push(`  unknown fields: ${unknown.map(([f, n]) => `${f} ${n}`).join(", ")}`);
  writeTerminal(process.stdout, lines.join("\n") + "\n");
}

import { readFile } from "node:fs/promises";
import { Presets, SingleBar } from "cli-progress";
import { Command, Option } from "commander";
import type { SendCounts } from "../../aws/firehose-sender.js";
import { ClickstreamError } from "../../errors/clickstream-error.js";
import { defaultStreamName } from "../../storage/warehouse-layout.js";
import { action, parseIntFlag, withExamples } from "../cli-support.js";

interface SendFlags {
  endpoint?: string;
  stream?: string;
  region?: string;
  firehose?: boolean;
  outputs: string;
  concurrency: number;
  progress: boolean;
}

const localEndpoint = "http://127.0.0.1:4573";

/** `clickstream send FILE…`: PutRecordBatch through the official AWS SDK, to the collector or to real Firehose. */
export function sendCommand(): Command {
  const command = new Command("send")
    .description(
      "Send event files (JSON array or NDJSON, optionally gzipped) to a Firehose delivery stream with PutRecordBatch: the local collector by default, real AWS with --firehose",
    )
    .argument("<files...>", "event files: JSON array, NDJSON, or either gzipped")
    .addOption(
      new Option("--endpoint <url>", `Firehose endpoint (default ${localEndpoint}; AWS's with --firehose)`),
    )
    .addOption(
      new Option(
        "--stream <name>",
        `delivery stream (default ${defaultStreamName}, or terraform's with --firehose)`,
      ),
    )
    .addOption(
      new Option("--region <region>", "AWS region (default us-east-1, or terraform's with --firehose)"),
    )
    .addOption(
      new Option(
        "--firehose",
        "send to real AWS Firehose: stream and region from terraform-outputs.json, AWS credentials from the usual chain",
      ),
    )
    .addOption(
      new Option("--outputs <file>", "Terraform outputs file read by --firehose").default(
        "terraform-outputs.json",
      ),
    )
    .addOption(
      new Option("--concurrency <n>", "PutRecordBatch calls in flight")
        .argParser(parseIntFlag("--concurrency", 1))
        .default(4),
    )
    .addOption(new Option("--no-progress", "no progress bar"))
    .action(
      action(async (files: string[], flags: SendFlags) => {
        const target = flags.firehose ? await awsTarget(flags) : localTarget(flags);
        // Loaded here so other commands start without the AWS SDK.
        const { FirehoseClient } = await import("@aws-sdk/client-firehose");
        const { countEventFileRecords, readEventFile, sendRecords } =
          await import("../../aws/firehose-sender.js");
        const client = new FirehoseClient({
          region: target.region,
          maxAttempts: 1, // sendRecords does its own retries (whole calls and failed records)
          ...(target.endpoint ? { endpoint: target.endpoint } : {}),
          ...(target.credentials ? { credentials: target.credentials } : {}),
        });
        const bar =
          flags.progress && process.stderr.isTTY
            ? new SingleBar(
                {
                  format: "sending [{bar}] {percentage}% | {value}/{total} records | {failed} failed",
                  stream: process.stderr,
                  hideCursor: true,
                },
                Presets.shades_classic,
              )
            : undefined;
        if (bar) bar.start(await countEventFileRecords(files), 0, { failed: 0 });
        let counts: SendCounts;
        try {
          counts = await sendRecords(client, target.stream, readFiles(files, readEventFile), {
            concurrency: flags.concurrency,
            onProgress: (c) => bar?.update(c.sent + c.failed, { failed: c.failed }),
          });
        } finally {
          bar?.stop();
          client.destroy();
        }
        process.stdout.write(
          `sent ${counts.sent} records to ${target.stream} (${target.endpoint ?? `AWS ${target.region}`}), ${counts.failed} failed, ${counts.calls} PutRecordBatch calls\n`,
        );
        if (counts.failed > 0) {
          const reasons = Object.entries(counts.failures)
            .map(([code, n]) => `${code}: ${n}`)
            .join(", ");
          throw new ClickstreamError(
            "CS_ERR_SEND_FAILED",
            `${counts.failed} of ${counts.sent + counts.failed} records failed (${reasons}); last error: ${counts.lastError ?? "none"}`,
          );
        }
      }),
    );
  return withExamples(command, [
    "clickstream send sample-data/sample_events.json",
    "clickstream send events.ndjson.gz --endpoint http://127.0.0.1:4573 --stream clickstream-pipeline-stream",
    "clickstream send day1.ndjson day2.ndjson --firehose",
  ]);
}

async function* readFiles(
  files: string[],
  read: (path: string) => AsyncGenerator<string>,
): AsyncGenerator<string> {
  for (const file of files) yield* read(file);
}

interface Target {
  endpoint?: string;
  region: string;
  stream: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

function localTarget(flags: SendFlags): Target {
  return {
    endpoint: flags.endpoint ?? localEndpoint,
    region: flags.region ?? "us-east-1",
    stream: flags.stream ?? defaultStreamName,
    // The SDK insists on signing; the collector checks signatures only when access keys are configured.
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
    },
  };
}

async function awsTarget(flags: SendFlags): Promise<Target> {
  let outputs: Record<string, { value?: unknown } | undefined> = {};
  if (!flags.stream || !flags.region) {
    try {
      outputs = JSON.parse(await readFile(flags.outputs, "utf8")) as typeof outputs;
    } catch (error) {
      throw new ClickstreamError("CS_ERR_SEND_NO_OUTPUTS", `${flags.outputs}: ${(error as Error).message}`);
    }
  }
  const stream = flags.stream ?? outputs.firehose_stream_name?.value;
  const region = flags.region ?? outputs.region?.value;
  if (typeof stream !== "string" || typeof region !== "string")
    throw new ClickstreamError(
      "CS_ERR_SEND_NO_OUTPUTS",
      `${flags.outputs} lacks firehose_stream_name.value or region.value`,
    );
  return { stream, region, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) };
}

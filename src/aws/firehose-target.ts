import { readFile } from "node:fs/promises";
import { Presets, SingleBar } from "cli-progress";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { defaultStreamName } from "../storage/warehouse-layout.js";
import type { SendCounts } from "./firehose-sender.js";

/** Where `send`, `generate --send` and `demo` deliver: the local collector, or a real Firehose stream. */
export interface FirehoseTarget {
  endpoint?: string;
  region: string;
  stream: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface FirehoseTargetFlags {
  endpoint?: string | undefined;
  stream?: string | undefined;
  region?: string | undefined;
  /** Real AWS: stream and region from the Terraform outputs file. */
  firehose?: boolean | undefined;
  outputs?: string | undefined;
}

export const localFirehoseEndpoint = "http://127.0.0.1:4573";

export async function resolveFirehoseTarget(flags: FirehoseTargetFlags): Promise<FirehoseTarget> {
  return flags.firehose ? awsTarget(flags) : localTarget(flags);
}

function localTarget(flags: FirehoseTargetFlags): FirehoseTarget {
  return {
    endpoint: flags.endpoint ?? localFirehoseEndpoint,
    region: flags.region ?? "us-east-1",
    stream: flags.stream ?? defaultStreamName,
    // The SDK insists on signing; the collector checks signatures only when access keys are configured.
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
    },
  };
}

async function awsTarget(flags: FirehoseTargetFlags): Promise<FirehoseTarget> {
  const file = flags.outputs ?? "terraform-outputs.json";
  let outputs: Record<string, { value?: unknown } | undefined> = {};
  if (!flags.stream || !flags.region) {
    try {
      outputs = JSON.parse(await readFile(file, "utf8")) as typeof outputs;
    } catch (error) {
      throw new ClickstreamError("CS_ERR_SEND_NO_OUTPUTS", `${file}: ${(error as Error).message}`);
    }
  }
  const stream = flags.stream ?? outputs.firehose_stream_name?.value;
  const region = flags.region ?? outputs.region?.value;
  if (typeof stream !== "string" || typeof region !== "string")
    throw new ClickstreamError(
      "CS_ERR_SEND_NO_OUTPUTS",
      `${file} lacks firehose_stream_name.value or region.value`,
    );
  return { stream, region, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) };
}

/**
 * Streams records to the target with PutRecordBatch through the official SDK (loaded on demand), with a
 * progress bar on a TTY when `total` is known. Every record is counted as sent or failed.
 */
export async function sendToFirehose(
  target: FirehoseTarget,
  records: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
  options: { total?: number | undefined; concurrency?: number; progress?: boolean } = {},
): Promise<SendCounts> {
  const { FirehoseClient } = await import("@aws-sdk/client-firehose");
  const { sendRecords } = await import("./firehose-sender.js");
  const client = new FirehoseClient({
    region: target.region,
    maxAttempts: 1, // sendRecords does its own retries (whole calls and failed records)
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  });
  const bar =
    options.progress !== false && process.stderr.isTTY && options.total !== undefined
      ? new SingleBar(
          {
            format: "sending [{bar}] {percentage}% | {value}/{total} records | {failed} failed",
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(options.total ?? 0, 0, { failed: 0 });
  let counts: SendCounts;
  try {
    counts = await sendRecords(client, target.stream, records, {
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      onProgress: (c) => bar?.update(c.sent + c.failed, { failed: c.failed }),
    });
  } finally {
    bar?.stop();
    client.destroy();
  }
  return counts;
}

/** Throws CS_ERR_SEND_FAILED when any record failed for good. */
export function assertAllSent(counts: SendCounts): void {
  if (counts.failed > 0) {
    const reasons = Object.entries(counts.failures)
      .map(([code, n]) => `${code}: ${n}`)
      .join(", ");
    throw new ClickstreamError(
      "CS_ERR_SEND_FAILED",
      `${counts.failed} of ${counts.sent + counts.failed} records failed (${reasons}); last error: ${counts.lastError ?? "none"}`,
    );
  }
}

export function describeSend(target: FirehoseTarget, counts: SendCounts): string {
  return `sent ${counts.sent} records to ${target.stream} (${target.endpoint ?? `AWS ${target.region}`}), ${counts.failed} failed, ${counts.calls} PutRecordBatch calls\n`;
}

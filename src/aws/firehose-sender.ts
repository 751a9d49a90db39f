import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  PutRecordBatchCommand,
  type FirehoseClient,
  type PutRecordBatchResponseEntry,
} from "@aws-sdk/client-firehose";
import { arrayElementTexts, compactJson } from "../collector/json-span-scanner.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";

/** AWS's PutRecordBatch limits; they cannot be raised. */
const putRecordBatchLimits = {
  maxRecords: 500,
  maxBytes: 4 * 1024 * 1024, // 4 MiB of decoded data per call
  maxRecordBytes: 1_024_000,
} as const;

export interface SendOptions {
  /** Attempts per record (first try included) before it counts as failed. Default 8. */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per attempt with full jitter, capped at 10 s. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Batches in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Called after each batch with the running counts. */
  readonly onProgress?: (counts: SendCounts) => void;
  readonly signal?: AbortSignal;
}

export interface SendCounts {
  /** Records acknowledged by Firehose (a RecordId came back). */
  sent: number;
  /** Records given up on: too large, refused as invalid, or still failing after every attempt. */
  failed: number;
  /** Failed records by error code (`RecordTooLarge`, `InvalidArgumentException`, `ServiceUnavailableException`, …). */
  failures: Record<string, number>;
  /** PutRecordBatch calls made, retries included. */
  calls: number;
  /** Last error message seen, for the final report. */
  lastError?: string;
}

const RETRYABLE_RECORD_ERRORS = new Set([
  "ServiceUnavailableException",
  "InternalFailure",
  "ThrottlingException",
]);

/**
 * Streams records to a delivery stream with PutRecordBatch: batches within AWS's limits, resends only
 * the records a response marks as failed (with exponential backoff and jitter), retries whole calls on
 * 5xx / throttling / network errors, and counts everything: `sent + failed` equals the records read.
 * Each record is sent as given; callers add a trailing `\n` if they want newline-delimited objects on AWS
 * (the local collector adds a missing one itself).
 */
export async function sendRecords(
  client: FirehoseClient,
  streamName: string,
  records: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: SendOptions = {},
): Promise<SendCounts> {
  const counts: SendCounts = { sent: 0, failed: 0, failures: {}, calls: 0 };
  const concurrency = options.concurrency ?? 4;
  const inFlight = new Set<Promise<void>>();
  const fail = (code: string, n: number, message?: string): void => {
    counts.failed += n;
    counts.failures[code] = (counts.failures[code] ?? 0) + n;
    if (message) counts.lastError = message;
  };
  const launch = async (batch: Uint8Array[]): Promise<void> => {
    const promise = sendBatch(client, streamName, batch, options, counts, fail).then(() => {
      inFlight.delete(promise);
      options.onProgress?.(counts);
    });
    inFlight.add(promise);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  for await (const record of records) {
    const data = typeof record === "string" ? Buffer.from(record, "utf8") : record;
    if (data.length > putRecordBatchLimits.maxRecordBytes) {
      fail(
        "RecordTooLarge",
        1,
        `a record of ${data.length} bytes exceeds ${putRecordBatchLimits.maxRecordBytes}`,
      );
      continue;
    }
    if (
      batch.length === putRecordBatchLimits.maxRecords ||
      batchBytes + data.length > putRecordBatchLimits.maxBytes
    ) {
      await launch(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(data);
    batchBytes += data.length;
  }
  if (batch.length > 0) await launch(batch);
  await Promise.all(inFlight);
  return counts;
}

async function sendBatch(
  client: FirehoseClient,
  streamName: string,
  records: Uint8Array[],
  options: SendOptions,
  counts: SendCounts,
  fail: (code: string, n: number, message?: string) => void,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 100;
  let pending = records;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(backoff(attempt - 1, baseDelayMs), options.signal);
    let entries: PutRecordBatchResponseEntry[];
    try {
      counts.calls++;
      const response = await client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: streamName,
          Records: pending.map((Data) => ({ Data })),
        }),
        { abortSignal: options.signal },
      );
      entries = response.RequestResponses ?? [];
    } catch (error) {
      const e = error as { name?: string; message?: string; $fault?: string; $retryable?: unknown };
      const retryable =
        e.$fault === "server" ||
        e.$retryable !== undefined ||
        e.name === "ServiceUnavailableException" ||
        e.name === "ThrottlingException" ||
        isNetworkError(error);
      if (!retryable || attempt >= maxAttempts || options.signal?.aborted) {
        fail(e.name ?? "Error", pending.length, e.message);
        return;
      }
      counts.lastError = e.message;
      continue;
    }
    const retry: Uint8Array[] = [];
    for (let i = 0; i < pending.length; i++) {
      const entry = entries[i];
      if (entry?.RecordId) {
        counts.sent++;
        continue;
      }
      const code = entry?.ErrorCode ?? "MissingResponseEntry";
      if (RETRYABLE_RECORD_ERRORS.has(code) && attempt < maxAttempts) retry.push(pending[i]!);
      else fail(code, 1, entry?.ErrorMessage);
    }
    pending = retry;
  }
}

/** Exponential backoff with full jitter: a random delay in [0, base·2^n], at most 10 s. */
function backoff(retry: number, baseDelayMs: number): number {
  return Math.random() * Math.min(10_000, baseDelayMs * 2 ** retry);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function isNetworkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "ECONNREFUSED" || code === "EPIPE" || code === "ETIMEDOUT";
}

/**
 * The records of event files, one per event, each ending with `\n`: a JSON array (each element as
 * written, the whitespace between its tokens removed: never re-serialised, which would round 64-bit ids)
 * or NDJSON (lines as they are, blank lines skipped), either optionally gzipped
 * (detected by its magic bytes, whatever the name).
 */
export async function* readEventFile(path: string): AsyncGenerator<string> {
  const head = Buffer.alloc(2);
  let firstChar: string | undefined;
  const handle = await open(path, "r").catch((error: unknown) => {
    throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `cannot read ${path}: ${(error as Error).message}`);
  });
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const gzipped = startsWithGzipMagic(head);
  const stream = (): Readable => {
    const file = createReadStream(path);
    return gzipped ? file.pipe(createGunzip()) : file;
  };
  // Peek at the first non-blank character to tell an array from NDJSON.
  for await (const chunk of stream()) {
    const text = (chunk as Buffer).toString("utf8").trimStart();
    if (text.length > 0) {
      firstChar = text[0];
      break;
    }
  }
  if (firstChar === undefined) return;
  if (firstChar === "[") {
    const chunks: Buffer[] = [];
    for await (const chunk of stream()) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8").trim();
    try {
      JSON.parse(text); // validates only: the elements are sent as written (json-span-scanner.ts)
    } catch (error) {
      throw new ClickstreamError(
        "CS_ERR_INVALID_ARGUMENT",
        `${path} is not valid JSON: ${(error as Error).message}`,
      );
    }
    for (const item of arrayElementTexts(text)) yield compactJson(item) + "\n";
    return;
  }
  const lines = createInterface({ input: stream(), crlfDelay: Infinity });
  for await (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.length > 0) yield trimmed + "\n";
  }
}

/** Counts the records of event files without keeping them (for a progress bar's total). */
export async function countEventFileRecords(paths: readonly string[]): Promise<number> {
  let n = 0;
  for (const path of paths) for await (const _record of readEventFile(path)) n++;
  return n;
}

import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { CollectorRequestError } from "./collector-request-error.js";
import type { CollectorCore } from "./collector-core.js";
import type { DeliveryStream } from "./delivery-stream.js";
import { firehoseLimits } from "./firehose-api.js";

const gunzipAsync = promisify(gunzip);

/** Media types `POST /v1/events` reads; `text/plain` is what `navigator.sendBeacon(url, string)` sends. */
const acceptedTypes = new Set([
  "application/json",
  "application/x-ndjson",
  "application/ndjson",
  "text/plain",
]);

export interface EventsResponse {
  accepted: number;
  rejected: { index: number; error: string; message: string }[];
}

/**
 * `POST /v1/events`: one JSON object, a JSON array of objects, or NDJSON (one object per line).
 * Each accepted event is re-serialised compactly, so it is exactly one line in the raw object whatever
 * whitespace or newlines the client sent. `index` in `rejected` is the event's 0-based position
 * (array element, or non-blank NDJSON line).
 */
export async function handleEvents(
  core: CollectorCore,
  stream: DeliveryStream,
  request: { contentType: string | undefined; contentEncoding: string | undefined; body: Buffer },
): Promise<EventsResponse> {
  const mediaType = request.contentType?.split(";")[0]?.trim().toLowerCase();
  if (!mediaType || !acceptedTypes.has(mediaType))
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE",
      `Content-Type ${JSON.stringify(request.contentType ?? "")} is not accepted; send application/json, application/x-ndjson or text/plain`,
    );
  const body = await decode(request.body, request.contentEncoding, core.config.maxBodyBytes);
  const { events, rejected } = parseEvents(body.toString("utf8"));

  const lines: string[] = [];
  for (const { index, value } of events) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      rejected.push({
        index,
        error: "not_an_object",
        message: `event ${index} is ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not a JSON object`,
      });
      continue;
    }
    const line = JSON.stringify(value) + "\n";
    if (
      line.length > firehoseLimits.maxRecordBytes / 3 &&
      Buffer.byteLength(line) > firehoseLimits.maxRecordBytes
    ) {
      rejected.push({
        index,
        error: "record_too_large",
        message: `event ${index} is ${Buffer.byteLength(line)} bytes, over the limit of ${firehoseLimits.maxRecordBytes}`,
      });
      continue;
    }
    lines.push(line);
  }
  rejected.sort((a, b) => a.index - b.index);
  for (const r of rejected) {
    core.metrics.recordsRejected.inc({ api: "events", reason: r.error });
    core.recent.rejected("events", r.error, r.message);
  }
  if (lines.length > 0)
    await core.ingest(stream, Buffer.from(lines.join(""), "utf8"), lines.length, "events");
  return { accepted: lines.length, rejected };
}

async function decode(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const name = encoding?.trim().toLowerCase();
  if (!name || name === "identity") return body;
  if (name !== "gzip" && name !== "x-gzip")
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding ${JSON.stringify(encoding)} is not accepted; send gzip or no encoding`,
    );
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw new CollectorRequestError(
        "CS_ERR_COLLECTOR_BODY_TOO_LARGE",
        `gzip body decodes to more than ${maxBytes} bytes`,
      );
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_BAD_REQUEST",
      `body is not valid gzip: ${(error as Error).message}`,
    );
  }
}

interface ParsedEvents {
  events: { index: number; value: unknown }[];
  rejected: { index: number; error: string; message: string }[];
}

function parseEvents(text: string): ParsedEvents {
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw badRequest("body is empty; send a JSON object, an array of objects or NDJSON");
  const first = trimmed[0];
  if (first === "[") {
    const value = parseWhole(trimmed, "body is not a valid JSON array");
    return { events: (value as unknown[]).map((v, index) => ({ index, value: v })), rejected: [] };
  }
  if (first !== "{")
    throw badRequest(
      `body starts with ${JSON.stringify(first)}; expected a JSON object, an array of objects or NDJSON`,
    );
  // One object, or NDJSON when the whole body is not one JSON document but has several lines.
  try {
    return { events: [{ index: 0, value: JSON.parse(trimmed) }], rejected: [] };
  } catch (error) {
    if (!trimmed.includes("\n")) throw badRequest(`body is not valid JSON: ${(error as Error).message}`);
  }
  const events: ParsedEvents["events"] = [];
  const rejected: ParsedEvents["rejected"] = [];
  let index = 0;
  const rawLines = trimmed.split("\n");
  for (let lineNo = 0; lineNo < rawLines.length; lineNo++) {
    const line = rawLines[lineNo]!.trim();
    if (line.length === 0) continue;
    try {
      events.push({ index, value: JSON.parse(line) });
    } catch (error) {
      rejected.push({
        index,
        error: "malformed_json",
        message: `line ${lineNo + 1} of the (trimmed) body: ${(error as Error).message}`,
      });
    }
    index++;
  }
  if (events.length === 0)
    throw badRequest(`body is neither JSON nor NDJSON: ${rejected[0]?.message ?? "no events"}`);
  return { events, rejected };
}

function parseWhole(text: string, problem: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`${problem}: ${(error as Error).message}`);
  }
}

function badRequest(message: string): CollectorRequestError {
  return new CollectorRequestError("CS_ERR_COLLECTOR_BAD_REQUEST", message);
}

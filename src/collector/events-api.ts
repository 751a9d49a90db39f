import { isUtf8 } from "node:buffer";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { limits } from "../contract/data-contract.js";
import { CollectorRequestError } from "./collector-request-error.js";
import type { CollectorCore } from "./collector-core.js";
import type { DeliveryStream } from "./delivery-stream.js";
import { firehoseLimits } from "./firehose-api.js";
import { arrayElementTexts, compactJson } from "./json-span-scanner.js";
import { deviceTypeOf, withDeviceType } from "./user-agent-device.js";

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
 * Each accepted event is stored as the client wrote it, only the whitespace between its tokens removed
 * (so it is exactly one line in the raw object): parsing validates it, and is never written back, which
 * would round 64-bit ids, keep the last of a repeated key and rewrite numbers (json-span-scanner.ts).
 * An event without `device_type` sent by a browser gets the one its User-Agent names (user-agent-device.ts),
 * as its first member, the rest of its text untouched.
 * `index` in `rejected` is the event's 0-based position (array element, or non-blank NDJSON line).
 */
export async function handleEvents(
  core: CollectorCore,
  stream: DeliveryStream,
  request: {
    contentType: string | undefined;
    contentEncoding: string | undefined;
    /** `User-Agent` and `Sec-CH-UA-Mobile`, for the device type of events that carry none. */
    userAgent?: string | undefined;
    mobileHint?: string | undefined;
    body: Buffer;
  },
): Promise<EventsResponse> {
  const mediaType = request.contentType?.split(";")[0]?.trim().toLowerCase();
  if (!mediaType || !acceptedTypes.has(mediaType))
    throw new CollectorRequestError(
      "CS_ERR_COLLECTOR_UNSUPPORTED_MEDIA_TYPE",
      `Content-Type ${JSON.stringify(request.contentType ?? "")} is not accepted; send application/json, application/x-ndjson or text/plain`,
    );
  const body = await decode(request.body, request.contentEncoding, core.config.maxBodyBytes);
  const { events, rejected } = parseEvents(body);
  const device = deviceTypeOf(request.userAgent, request.mobileHint);

  const lines: string[] = [];
  for (const { index, value, text } of events) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      rejected.push({
        index,
        error: "not_an_object",
        message: `event ${index} is ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not a JSON object`,
      });
      continue;
    }
    // A depth limit is an input limit (the contract's `limits.maxNestingDepth`: beyond it JSON engines
    // downstream disagree or overflow their stack); the event is refused on its own.
    if (nestingDepth(value, limits.maxNestingDepth) > limits.maxNestingDepth) {
      rejected.push({
        index,
        error: "nesting_too_deep",
        message: `event ${index} nests objects or arrays more than ${limits.maxNestingDepth} levels deep`,
      });
      continue;
    }
    const compact = compactJson(text);
    const line =
      (device && !Object.hasOwn(value, "device_type") ? withDeviceType(compact, device) : compact) + "\n";
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
    core.refused("events", r.error, r.message);
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
  /** Each event's parsed value (to validate) and its text as sent (to store). */
  events: { index: number; value: unknown; text: string }[];
  rejected: { index: number; error: string; message: string }[];
}

/**
 * Invalid UTF-8 is never replaced silently: an NDJSON line holding it is rejected (`invalid_utf8`) and the
 * other lines accepted; a JSON document (one object or an array), whose elements cannot be told apart in
 * bytes that do not decode, is refused whole with 400.
 */
function parseEvents(body: Buffer): ParsedEvents {
  if (isUtf8(body)) return parseText(body.toString("utf8"));
  const start = body.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (body[start] === 0x7b /* { */ && body.includes(0x0a)) {
    const lines = splitLines(body);
    const good = lines.filter((l) => isUtf8(l.bytes));
    if (good.length < lines.length && good.length > 0) {
      const parsed = parseText(good.map((l) => l.bytes.toString("utf8")).join("\n"));
      // Put the good lines back at their own positions among all non-blank lines.
      const indexOf = good.filter((l) => l.bytes.toString("utf8").trim() !== "").map((l) => l.index);
      const events = parsed.events.map((e) => ({ ...e, index: indexOf[e.index]! }));
      const rejected = parsed.rejected.map((r) => ({ ...r, index: indexOf[r.index]! }));
      for (const line of lines.filter((l) => !isUtf8(l.bytes))) {
        rejected.push({
          index: line.index,
          error: "invalid_utf8",
          message: `line ${line.lineNo} is not valid UTF-8 (the event was not stored)`,
        });
      }
      return { events, rejected };
    }
  }
  const offset = firstInvalidUtf8(body);
  throw badRequest(`body is not valid UTF-8 (byte ${offset}); send UTF-8 JSON or NDJSON`);
}

/** The non-blank lines of a body with their event index (0-based among non-blank lines) and line number. */
function splitLines(body: Buffer): { bytes: Buffer; index: number; lineNo: number }[] {
  const out: { bytes: Buffer; index: number; lineNo: number }[] = [];
  let start = 0;
  let lineNo = 0;
  let index = 0;
  while (start <= body.length) {
    const end = body.indexOf(0x0a, start);
    const bytes = body.subarray(start, end === -1 ? body.length : end);
    lineNo++;
    if (bytes.some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d))
      out.push({ bytes, index: index++, lineNo });
    if (end === -1) break;
    start = end + 1;
  }
  return out;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const [low, high] =
      b === 0xe0
        ? [0xa0, 0xbf]
        : b === 0xed
          ? [0x80, 0x9f]
          : b === 0xf0
            ? [0x90, 0xbf]
            : b === 0xf4
              ? [0x80, 0x8f]
              : [0x80, 0xbf];
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** Depth of nested objects and arrays (an object of scalars is 1), without recursion; stops once past `max`. */
function nestingDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > max) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

function parseText(text: string): ParsedEvents {
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw badRequest("body is empty; send a JSON object, an array of objects or NDJSON");
  const first = trimmed[0];
  if (first === "[") {
    const values = parseWhole(trimmed, "body is not a valid JSON array") as unknown[];
    const texts = arrayElementTexts(trimmed);
    if (texts.length !== values.length)
      throw new Error(`span scanner found ${texts.length} array elements, JSON.parse ${values.length}`);
    return { events: values.map((value, index) => ({ index, value, text: texts[index]! })), rejected: [] };
  }
  if (first !== "{")
    throw badRequest(
      `body starts with ${JSON.stringify(first)}; expected a JSON object, an array of objects or NDJSON`,
    );
  // One object, or NDJSON when the whole body is not one JSON document but has several lines.
  try {
    return { events: [{ index: 0, value: JSON.parse(trimmed), text: trimmed }], rejected: [] };
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
      events.push({ index, value: JSON.parse(line), text: line });
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

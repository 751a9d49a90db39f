/**
 * The test oracle: an independent re-implementation of the per-record rules, written from the contract
 * (contract/data-contract.json for the facts, docs/data-contract.md for the meaning of each field kind),
 * not from either engine's code. It has its own strict JSON parser that keeps number literals and value
 * texts, so integer ids beyond 2^53 and properties "as written" are judged exactly. It must pass every
 * golden vector (test/generator/contract-checker.test.ts), and the generator's ground truth is checked
 * against it record by record.
 */
import { contract, limits, minEventTimeMs, type InputField } from "../../src/contract/data-contract.js";

export type Verdict = { outcome: "valid"; eventId: string } | { outcome: string; eventId?: undefined };

/** A parsed JSON value that remembers its exact text (and a number its literal). */
type Json =
  | { type: "string"; value: string; text: string }
  | { type: "number"; text: string }
  | { type: "boolean"; value: boolean; text: string }
  | { type: "null"; text: string }
  | { type: "object"; members: [string, Json][]; text: string }
  | { type: "array"; items: Json[]; text: string };

class JsonError extends Error {}

/** RFC 8259, strictly: no NaN, trailing commas, leading zeros, raw control characters or lone surrogates. */
function parseStrict(text: string): Json {
  let i = 0;
  const blank = (): void => {
    while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
  };
  const fail = (): never => {
    throw new JsonError(`bad JSON at ${i}`);
  };
  const str = (): string => {
    if (text[i] !== '"') fail();
    let out = "";
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail();
      if (c === '"') {
        i++;
        break;
      }
      if (c! < " ") fail();
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u") {
          const unit = (at: number): number => {
            const hex = text.slice(at, at + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
            return parseInt(hex, 16);
          };
          const u = unit(i + 2);
          i += 6;
          if (u >= 0xd800 && u <= 0xdbff) {
            // A high surrogate must be followed by an escaped low one: anything else is not UTF-8 text.
            if (text[i] !== "\\" || text[i + 1] !== "u") fail();
            const low = unit(i + 2);
            if (low < 0xdc00 || low > 0xdfff) fail();
            out += String.fromCharCode(u, low);
            i += 6;
          } else if (u >= 0xdc00 && u <= 0xdfff) fail();
          else out += String.fromCharCode(u);
        } else fail();
      } else {
        out += c;
        i++;
      }
    }
    return out;
  };
  const value = (): Json => {
    blank();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const members: [string, Json][] = [];
      blank();
      if (text[i] === "}") i++;
      else
        for (;;) {
          blank();
          const key = str();
          blank();
          if (text[i] !== ":") fail();
          i++;
          members.push([key, value()]);
          blank();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] !== "}") fail();
          i++;
          break;
        }
      return { type: "object", members, text: text.slice(start, i) };
    }
    if (c === "[") {
      i++;
      const items: Json[] = [];
      blank();
      if (text[i] === "]") i++;
      else
        for (;;) {
          items.push(value());
          blank();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] !== "]") fail();
          i++;
          break;
        }
      return { type: "array", items, text: text.slice(start, i) };
    }
    if (c === '"') {
      const s = str();
      return { type: "string", value: s, text: text.slice(start, i) };
    }
    for (const [word, v] of [
      ["true", { type: "boolean", value: true, text: "true" }],
      ["false", { type: "boolean", value: false, text: "false" }],
      ["null", { type: "null", text: "null" }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
    return { type: "number", text: m![0] };
  };
  const v = value();
  blank();
  if (i !== text.length) fail();
  return v;
}

/** First occurrence of a key, as the contract reads repeated keys. */
const member = (o: Json & { type: "object" }, key: string): Json | undefined =>
  o.members.find(([k]) => k === key)?.[1];

const ws = new Set(contract.whitespace);
const trim = (s: string): string => {
  let a = 0;
  let b = s.length;
  while (a < b && ws.has(s[a]!)) a++;
  while (b > a && ws.has(s[b - 1]!)) b--;
  return s.slice(a, b);
};
/** A JSON integer literal within 64 bits (-2^63 .. 2^64-1). */
const isInt64 = (v: Json): boolean =>
  v.type === "number" &&
  /^-?(0|[1-9][0-9]*)$/.test(v.text) &&
  BigInt(v.text) >= -(2n ** 63n) &&
  BigInt(v.text) <= 2n ** 64n - 1n;
const isNothing = (v: Json | undefined): boolean => v === undefined || v.type === "null";

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})[T ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,9}))?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;

/**
 * A JSON number literal as an exact fraction units / scale (scale a power of ten). Only for literals whose
 * exponent is small (callers check the double's magnitude first).
 */
function exactDecimal(text: string): { units: bigint; scale: bigint } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  const fraction = m[3] ?? "";
  let exponent = Number(m[4] ?? 0) - fraction.length;
  let units = BigInt(m[2]! + fraction);
  if (m[1] === "-") units = -units;
  if (exponent >= 0) return { units: units * 10n ** BigInt(exponent), scale: 1n };
  if (exponent < -2000) exponent = -2000; // 1e-428 and friends: a tiny non-zero value stays non-zero
  return { units, scale: 10n ** BigInt(-exponent) };
}

/** Parses a contract timestamp to epoch ms, or undefined when it does not parse. */
function parseTimestamp(v: Json): number | undefined {
  if (v.type === "number") {
    const n = Number(v.text);
    if (!Number.isFinite(n)) return undefined;
    // Far outside the accepted range a double's answer serves; inside it, the literal decides exactly.
    if (Math.abs(n) > 1e15) return n >= 1e11 ? Math.floor(n) : Math.floor(n * 1000);
    const { units, scale } = exactDecimal(v.text);
    const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
    const ms = units >= 10n ** 11n * scale ? floorDiv(units, scale) : floorDiv(units * 1000n, scale);
    return Number(ms);
  }
  if (v.type !== "string") return undefined;
  const m = isoPattern.exec(trim(v.value));
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(base);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, "0").slice(0, 3)) : 0;
  let offsetMin = 0;
  if (m[8] && m[8] !== "Z") {
    const sign = m[8].startsWith("-") ? -1 : 1;
    offsetMin = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
  }
  return base + ms - offsetMin * 60_000;
}

type FieldVerdict = { fault: "missing" | "invalid" | "bad_timestamp" | "out_of_range" } | { value: unknown };

const numericString = /^[ \t\n\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\f\r]*$/;
const integerString = /^[ \t\n\f\r]*[+-]?[0-9]+[ \t\n\f\r]*$/;

/** The contract's field kinds, read from docs/data-contract.md and contract/data-contract.json's fieldKinds. */
function judgeField(field: InputField, v: Json | undefined, maxMs: number): FieldVerdict {
  const blankString = v?.type === "string" && trim(v.value) === "";
  const emptyString = v?.type === "string" && v.value === "";
  switch (field.kind) {
    case "id":
      if (isNothing(v) || blankString) return field.required ? { fault: "missing" } : { value: null };
      if (v!.type === "string") return { value: trim(v!.value) };
      if (isInt64(v!)) return { value: BigInt((v as { text: string }).text).toString() };
      return { fault: "invalid" };
    case "event_type":
      if (isNothing(v) || blankString) return { fault: "missing" };
      return v!.type === "string" ? { value: trim(v!.value).toLowerCase() } : { fault: "invalid" };
    case "timestamp": {
      if (isNothing(v) || blankString) return { fault: "missing" };
      const ms = parseTimestamp(v!);
      if (ms === undefined) return { fault: "bad_timestamp" };
      if (ms < minEventTimeMs || ms > maxMs) return { fault: "out_of_range" };
      return { value: ms };
    }
    case "text":
      if (isNothing(v)) return { value: null };
      if (v!.type === "string") return { value: v!.value === "" ? null : v!.value };
      if (isInt64(v!)) return { value: BigInt((v as { text: string }).text).toString() };
      return { fault: "invalid" };
    case "lowercase_text":
      if (isNothing(v)) return { value: null };
      return v!.type === "string" ? { value: v!.value.toLowerCase() || null } : { fault: "invalid" };
    case "price": {
      if (isNothing(v) || emptyString) return { value: null };
      let n: number;
      if (v!.type === "number") n = Number(v!.text);
      else if (v!.type === "string" && numericString.test(v!.value)) n = Number(v!.value.trim());
      else return { fault: "invalid" };
      return Number.isFinite(n) && n >= 0 ? { value: n } : { fault: "invalid" };
    }
    case "quantity": {
      if (isNothing(v) || emptyString) return { value: null };
      let q: number;
      if (v!.type === "number") {
        q = Number(v!.text);
        if (!Number.isFinite(q) || !Number.isInteger(q)) return { fault: "invalid" };
        // Whole as written: 1e-428 and 2.0000000000000001 are doubles 0 and 2, but not whole numbers.
        const { units, scale } = exactDecimal(v!.text);
        if (units % scale !== 0n) return { fault: "invalid" };
      } else if (v!.type === "string" && integerString.test(v!.value)) q = Number(v!.value.trim());
      else return { fault: "invalid" };
      return q >= 0 && q <= limits.maxQuantity ? { value: q } : { fault: "invalid" };
    }
    case "properties": {
      if (isNothing(v)) return { value: null };
      if (v!.type !== "object") return { fault: "invalid" };
      const seen = new Set<string>();
      const entries: [string, string][] = [];
      for (const [key, value] of v!.members) {
        if (seen.has(key)) continue;
        seen.add(key);
        if (value.type === "null") continue;
        entries.push([key, value.type === "string" ? value.value : value.text]);
      }
      return { value: entries.length > 0 ? entries : null };
    }
  }
}

export interface OracleRow {
  readonly values: Record<string, unknown>;
  readonly unknownFields: string[];
}

/** One record's verdict: a row of contract values, or a reject with its reason and field. */
export function judgeRecord(
  record: string | Buffer,
  nowMs: number,
  futureToleranceMs = limits.defaultFutureToleranceMs,
): { row: OracleRow } | { reason: string; field: string | null } {
  const bytes = typeof record === "string" ? Buffer.from(record) : record;
  if (bytes.length > limits.maxRecordBytes) return { reason: "record_too_large", field: null };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { reason: "malformed_json", field: null };
  }
  let parsed: Json;
  try {
    parsed = parseStrict(text);
  } catch {
    return { reason: "malformed_json", field: null };
  }
  if (parsed.type !== "object") return { reason: "not_an_object", field: null };
  const values: Record<string, unknown> = {};
  for (const field of contract.inputFields) {
    const verdict = judgeField(field, member(parsed, field.name), nowMs + futureToleranceMs);
    if ("fault" in verdict) {
      const reason = {
        missing: "missing_field",
        invalid: "invalid_field",
        bad_timestamp: "invalid_timestamp",
        out_of_range: "timestamp_out_of_range",
      }[verdict.fault];
      return { reason, field: field.name };
    }
    values[field.name] = verdict.value;
  }
  const known = new Set([...contract.inputFields.map((f) => f.name), ...contract.droppedFields]);
  const unknownFields = [...new Set(parsed.members.map(([k]) => k))].filter((k) => !known.has(k)).sort();
  return { row: { values, unknownFields } };
}

/** Checks records one by one, remembering event_ids for duplicate detection. */
export class ContractChecker {
  readonly seen = new Set<string>();
  readonly counts: Record<string, number> = {};
  readonly unknownFields: Record<string, number> = {};
  valid = 0;

  constructor(private readonly nowMs: number) {}

  check(record: string | Buffer): Verdict {
    const verdict = this.judge(record);
    if (verdict.outcome === "valid") this.valid++;
    else this.counts[verdict.outcome] = (this.counts[verdict.outcome] ?? 0) + 1;
    return verdict;
  }

  private judge(record: string | Buffer): Verdict {
    const result = judgeRecord(record, this.nowMs);
    if ("reason" in result) return { outcome: result.reason };
    const eventId = result.row.values.event_id as string;
    if (this.seen.has(eventId)) return { outcome: "duplicate" };
    this.seen.add(eventId);
    for (const key of result.row.unknownFields) this.unknownFields[key] = (this.unknownFields[key] ?? 0) + 1;
    return { outcome: "valid", eventId };
  }
}

/** Splits a raw object's bytes into records the way the contract frames them (for well-formed generator output). */
export function splitObject(body: Buffer): Buffer[] {
  let bytes = body;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const text = bytes.toString("latin1");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    return (JSON.parse(Buffer.from(text, "latin1").toString("utf8")) as unknown[]).map((element) =>
      Buffer.from(JSON.stringify(element)),
    );
  }
  if (text.includes("\n")) {
    return text
      .split("\n")
      .map((line) => line.replace(/\r$/, ""))
      .filter((line) => line.length > 0)
      .map((line) => Buffer.from(line, "latin1"));
  }
  // Concatenated objects: cut at each top-level `}` (strings tracked so braces inside them don't count).
  const out: Buffer[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      out.push(Buffer.from(text.slice(start, i + 1), "latin1"));
      start = i + 1;
    }
  }
  return out;
}

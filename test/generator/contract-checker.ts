/**
 * An independent re-implementation of the record rules of the data contract (issue 2, sections 4–5),
 * written from the contract text, not from the generator's code, so tests can check the generator's
 * ground truth record by record.
 */

export type Verdict = { outcome: "valid"; eventId: string } | { outcome: string; eventId?: undefined };

const maxRecordBytes = 1_024_000;
const minTimeMs = Date.UTC(2000, 0, 1);
const requiredFields = ["event_id", "user_id", "event_type", "timestamp"];
const knownFields = new Set([
  "event_id",
  "user_id",
  "session_id",
  "event_type",
  "timestamp",
  "page_url",
  "referrer",
  "product_id",
  "product_name",
  "product_category",
  "device_type",
  "price",
  "quantity",
  "user_agent",
  "ip_address",
  "additional_data",
]);
const isoPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a contract timestamp to epoch ms, or undefined when it does not parse. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    return value >= 1e11 ? value : value * 1000;
  }
  if (typeof value !== "string") return undefined;
  const m = isoPattern.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(base).getUTCDate() !== day) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, "0").slice(0, 3)) : 0;
  let offsetMin = 0;
  if (m[8] && m[8] !== "Z") {
    const sign = m[8].startsWith("-") ? -1 : 1;
    offsetMin = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6)));
  }
  return base + ms - offsetMin * 60_000;
}

const isBlank = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === "string" && v.trim() === "");
const idText = (v: unknown): string | undefined =>
  typeof v === "string" ? v.trim() : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : undefined;

function numeric(v: unknown, integral: boolean): boolean {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && (!integral || Number.isInteger(n));
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
    const bytes = typeof record === "string" ? Buffer.from(record) : record;
    if (bytes.length > maxRecordBytes) return { outcome: "record_too_large" };
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      return { outcome: "malformed_json" };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { outcome: "malformed_json" };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { outcome: "not_an_object" };
    const r = value as Record<string, unknown>;
    for (const field of requiredFields) if (isBlank(r[field])) return { outcome: "missing_field" };
    const eventId = idText(r.event_id);
    if (eventId === undefined || idText(r.user_id) === undefined) return { outcome: "invalid_field" };
    if (r.session_id != null && idText(r.session_id) === undefined) return { outcome: "invalid_field" };
    if (typeof r.event_type !== "string") return { outcome: "invalid_field" };
    for (const f of [
      "page_url",
      "referrer",
      "product_id",
      "product_name",
      "product_category",
      "device_type",
    ]) {
      if (r[f] != null && typeof r[f] !== "string") return { outcome: "invalid_field" };
    }
    if (r.price != null && !numeric(r.price, false)) return { outcome: "invalid_field" };
    if (r.quantity != null && !numeric(r.quantity, true)) return { outcome: "invalid_field" };
    const time = parseTimestamp(r.timestamp);
    if (time === undefined) return { outcome: "invalid_timestamp" };
    if (time < minTimeMs || time > this.nowMs + 24 * 3_600_000) return { outcome: "timestamp_out_of_range" };
    if (this.seen.has(eventId)) return { outcome: "duplicate" };
    this.seen.add(eventId);
    for (const key of Object.keys(r)) {
      if (!knownFields.has(key)) this.unknownFields[key] = (this.unknownFields[key] ?? 0) + 1;
    }
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

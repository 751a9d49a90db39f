import type { RejectReason } from "../contract/data-contract.js";

/**
 * The defect classes and valid variants the generator injects. A defect makes exactly one thing wrong
 * with an otherwise clean event, so each record has one unambiguous reject reason (section 5 of the
 * contract). A variant is a shape the transform must normalise and accept.
 */

/** Where a record goes: line framings (ndjson, crlf) can carry anything; the others only whole JSON values. */
export type RecordScope = "line" | "concatenated" | "array";

/** The event a defect or variant is applied to, as the clean generator produced it. */
export interface CleanEvent {
  /** Compact JSON text of the clean event; always ends with `}}` (additional_data is the last member). */
  readonly text: string;
  readonly timeMs: number;
  readonly hasPrice: boolean;
  readonly hasQuantity: boolean;
}

/** Source of integer event ids that are unique within a generation (and very unlikely to repeat across seeds). */
export interface IntegerIds {
  next(): number;
}

interface DefectOutput {
  readonly text: string;
  /** Set when the record is not valid UTF-8 (only in binary mode). */
  readonly raw?: Buffer;
  /** The field at fault, for missing_field / invalid_field. */
  readonly field?: string;
}

export interface DefectKind {
  /** Stable name, `reason:detail`, counted in GenerationSummary.defects. */
  readonly name: string;
  readonly reason: RejectReason;
  build(event: CleanEvent, binary: boolean): DefectOutput;
}

/** Which reasons each framing can represent without changing how the rest of the object parses. */
export function reasonAllowedIn(reason: RejectReason, scope: RecordScope): boolean {
  switch (reason) {
    case "malformed_json":
    case "record_too_large":
      // A broken record in a framing without newlines would swallow its neighbours (the transform resumes
      // only at a newline); a 1 MB element inside an array has no well-defined record text.
      return scope === "line";
    case "not_an_object":
      // Scalars back to back (`42` `7`) would merge in concatenated framing.
      return scope !== "concatenated";
    default:
      return true;
  }
}

const edit = (event: CleanEvent, mutate: (record: Record<string, unknown>) => void): string => {
  const record = JSON.parse(event.text) as Record<string, unknown>;
  mutate(record);
  return JSON.stringify(record);
};

const setField = (reason: RejectReason, field: string, value: unknown, detail: string): DefectKind => ({
  name: `${reason}:${field}:${detail}`,
  reason,
  build: (event) => ({ text: edit(event, (r) => void (r[field] = value)), field }),
});

const requiredFields = ["event_id", "user_id", "event_type", "timestamp"] as const;
const missingModes = [
  ["absent", undefined],
  ["null", null],
  ["empty", ""],
  ["blank", "   "],
] as const;

/** Bytes that are not UTF-8: a lead byte followed by ASCII. */
const badUtf8 = Buffer.from([0xc3, 0x28]);

/** The record size limit plus some slack, so the record is clearly over 1,000 KiB. */
const tooLargeRecordBytes = 1_030_000;
let padding = "";

/** Sub-kinds per reason, cycled in order so every detail occurs. Duplicate is handled by the generator. */
export const defectKinds: Readonly<
  Record<Exclude<RejectReason, "duplicate" | "unreadable_object">, readonly DefectKind[]>
> = {
  malformed_json: [
    {
      name: "malformed_json:truncated",
      reason: "malformed_json",
      build: (e) => ({ text: e.text.slice(0, Math.floor(e.text.length * 0.6)) }),
    },
    {
      name: "malformed_json:invalid_utf8",
      reason: "malformed_json",
      build: (e, binary) => {
        // In text mode (no bytes) the record degrades to another malformed shape with the same reason.
        const cut = e.text.indexOf('","session_id"');
        if (!binary) return { text: `${e.text.slice(0, cut)}" "session_id"${e.text.slice(cut + 14)}` };
        const raw = Buffer.concat([
          Buffer.from(e.text.slice(0, cut)),
          badUtf8,
          Buffer.from(e.text.slice(cut)),
        ]);
        return { text: raw.toString("utf8"), raw };
      },
    },
    {
      name: "malformed_json:single_quotes",
      reason: "malformed_json",
      build: (e) => ({ text: e.text.replace(/"/g, "'") }),
    },
    {
      name: "malformed_json:log_line",
      reason: "malformed_json",
      build: () => ({
        text: '203.0.113.9 - - [05/Nov/2026:10:15:30 +0000] "GET /products/prod_0042 HTTP/1.1" 200 5120',
      }),
    },
    {
      name: "malformed_json:missing_comma",
      reason: "malformed_json",
      build: (e) => ({ text: e.text.replace('","user_id"', '" "user_id"') }),
    },
  ],
  not_an_object: ["42", '"page_view"', "null", "true", "3.5"].map((text) => ({
    name: `not_an_object:${text}`,
    reason: "not_an_object" as const,
    build: () => ({ text }),
  })),
  missing_field: missingModes.flatMap(([mode, value], m) =>
    requiredFields.map((_, f) => {
      // Walk fields fastest so the first four occurrences already cover all four fields.
      const field = requiredFields[(f + m) % requiredFields.length]!;
      return {
        name: `missing_field:${field}:${mode}`,
        reason: "missing_field" as const,
        build: (e: CleanEvent) => ({
          text: edit(e, (r) => {
            if (value === undefined) delete r[field];
            else r[field] = value;
          }),
          field,
        }),
      };
    }),
  ),
  invalid_field: [
    setField("invalid_field", "price", "abc", "non_numeric_string"),
    setField("invalid_field", "quantity", 1.5, "fraction"),
    setField("invalid_field", "user_id", { id: 7 }, "object"),
    setField("invalid_field", "event_id", 1.5, "float"),
    setField("invalid_field", "price", -1, "negative"),
    setField("invalid_field", "quantity", "x", "non_numeric_string"),
    setField("invalid_field", "device_type", 42, "number"),
    setField("invalid_field", "session_id", true, "boolean"),
    setField("invalid_field", "quantity", -2, "negative"),
    setField("invalid_field", "price", true, "boolean"),
    setField("invalid_field", "quantity", "2.5", "fraction_string"),
    setField("invalid_field", "event_id", false, "boolean"),
  ],
  invalid_timestamp: [
    setField("invalid_timestamp", "timestamp", "yesterday", "word"),
    setField("invalid_timestamp", "timestamp", "2026-13-45T99:00:00Z", "impossible_date"),
    setField("invalid_timestamp", "timestamp", true, "boolean"),
    setField("invalid_timestamp", "timestamp", "2026-11-05T25:61:00Z", "impossible_time"),
  ],
  timestamp_out_of_range: [
    setField("timestamp_out_of_range", "timestamp", "1999-12-31T23:59:59Z", "before_2000"),
    setField("timestamp_out_of_range", "timestamp", "2099-01-01T00:00:00Z", "far_future"),
    setField("timestamp_out_of_range", "timestamp", 946_684_799_000, "epoch_ms_before_2000"),
    setField("timestamp_out_of_range", "timestamp", "1970-01-01T00:00:00.000Z", "epoch_zero"),
    setField("timestamp_out_of_range", "timestamp", 4_102_444_800, "epoch_s_2100"),
  ],
  record_too_large: [
    {
      name: "record_too_large:huge_additional_data",
      reason: "record_too_large",
      build: (e) => {
        if (padding.length === 0) padding = "x".repeat(tooLargeRecordBytes);
        // Still a valid event in every other respect: only its size is wrong.
        return { text: `${e.text.slice(0, -2)},"debug_dump":"${padding}"}}` };
      },
    },
  ],
};

/** A valid-but-unusual shape the transform must normalise and accept. */
export interface VariantKind {
  readonly name: string;
  /** The unknown field this variant adds (counted in GenerationSummary.unknownFields), if any. */
  readonly unknownField?: string;
  applies(event: CleanEvent): boolean;
  build(event: CleanEvent, ids: IntegerIds): string;
}

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** ISO-8601 wall-clock text of an instant shifted by `offsetMinutes`, with `digits` fraction digits. */
function isoText(timeMs: number, offsetMinutes: number, digits: number, separator: string): string {
  const d = new Date(timeMs + offsetMinutes * 60_000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const fraction = digits === 0 ? "" : `.${pad(d.getUTCMilliseconds(), 3).padEnd(digits, "0")}`;
  return `${date}${separator}${time}${fraction}`;
}

function offsetSuffix(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

const timestampVariant = (name: string, value: (timeMs: number) => string | number): VariantKind => ({
  name,
  applies: () => true,
  build: (e) => edit(e, (r) => void (r.timestamp = value(e.timeMs))),
});

const always = (): boolean => true;

/** Valid variants, cycled in order. */
export const variantKinds: readonly VariantKind[] = [
  timestampVariant("timestamp:python_isoformat", (t) => isoText(t, 0, 6, "T") + "+00:00"),
  timestampVariant("timestamp:offset_plus_0200", (t) => isoText(t, 120, 3, "T") + offsetSuffix(120)),
  timestampVariant("timestamp:space_separator", (t) => isoText(t, 0, 3, " ") + "Z"),
  timestampVariant("timestamp:no_zone", (t) => isoText(t, 0, 3, "T")),
  timestampVariant("timestamp:epoch_ms", (t) => t),
  timestampVariant("timestamp:epoch_s", (t) => Math.floor(t / 1000)),
  timestampVariant("timestamp:no_fraction", (t) => isoText(t, 0, 0, "T") + "Z"),
  timestampVariant("timestamp:nanoseconds", (t) => isoText(t, 0, 9, "T") + "Z"),
  timestampVariant("timestamp:offset_minus_0530", (t) => isoText(t, -330, 3, "T") + offsetSuffix(-330)),
  {
    name: "event_id:integer",
    applies: always,
    // Never equal to a uuid-shaped id (those are not digits only).
    build: (e, ids) => edit(e, (r) => void (r.event_id = ids.next())),
  },
  {
    name: "event_id:padded",
    applies: always,
    build: (e) => edit(e, (r) => void (r.event_id = `  ${String(r.event_id)} `)),
  },
  {
    name: "user_id:integer",
    applies: always,
    build: (e) => edit(e, (r) => void (r.user_id = Number(String(r.user_id).replace(/\D/g, "")))),
  },
  {
    name: "price:numeric_string",
    applies: (e) => e.hasPrice,
    build: (e) => edit(e, (r) => void (r.price = String(r.price))),
  },
  {
    name: "quantity:integer_string",
    applies: (e) => e.hasQuantity,
    build: (e) => edit(e, (r) => void (r.quantity = String(r.quantity))),
  },
  {
    name: "event_type:spaces_upper_case",
    applies: always,
    build: (e) => edit(e, (r) => void (r.event_type = ` ${String(r.event_type).toUpperCase()} `)),
  },
  {
    name: "device_type:upper_case",
    applies: always,
    build: (e) => edit(e, (r) => void (r.device_type = String(r.device_type).toUpperCase())),
  },
  {
    name: "unknown_field:experiment_id",
    unknownField: "experiment_id",
    applies: always,
    build: (e) => edit(e, (r) => void (r.experiment_id = "exp_checkout_v2")),
  },
  {
    name: "unknown_field:app_version",
    unknownField: "app_version",
    applies: always,
    build: (e) => edit(e, (r) => void (r.app_version = "4.12.0")),
  },
  {
    name: "optional:empty_referrer",
    applies: always,
    build: (e) => edit(e, (r) => void (r.referrer = "")),
  },
  {
    name: "optional:empty_product_name",
    applies: (e) => e.hasPrice,
    build: (e) => edit(e, (r) => void (r.product_name = "")),
  },
  {
    name: "optional:no_session_id",
    applies: always,
    build: (e) => edit(e, (r) => delete r.session_id),
  },
];

import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * The data contract, loaded from its one home, contract/data-contract.json, which the Glue job and the
 * tests load too. Nothing here restates a rule: field order, kinds, reasons, categories, columns and
 * limits all come from the file. The TypeScript names below (RejectReason, FieldKind) are what this
 * engine's code refers to; loading fails when the file and the code disagree on them.
 */

/** Reject reasons this engine's code produces by name; the file must list exactly these. */
export const rejectReasonCodes = [
  "malformed_json",
  "not_an_object",
  "missing_field",
  "invalid_field",
  "invalid_timestamp",
  "timestamp_out_of_range",
  "record_too_large",
  "duplicate",
  "unreadable_object",
] as const;
export type RejectReason = (typeof rejectReasonCodes)[number];

/** Field kinds this engine knows how to judge. */
const fieldKinds = [
  "id",
  "event_type",
  "timestamp",
  "text",
  "lowercase_text",
  "price",
  "quantity",
  "properties",
] as const;
export type FieldKind = (typeof fieldKinds)[number];

const contractSchema = z
  .object({
    $comment: z.string(),
    version: z.number().int(),
    limits: z
      .object({
        maxRecordBytes: z.number().int().positive(),
        maxObjectBytes: z.number().int().positive(),
        maxCompressionRatio: z.number().positive(),
        maxDecompressedBytes: z.number().int().positive(),
        minEventTime: z.iso.datetime(),
        defaultFutureToleranceMs: z.number().int().nonnegative(),
        maxQuantity: z.number().int().positive(),
        maxRejectRawChars: z.number().int().positive(),
        maxUnknownFieldNames: z.number().int().positive(),
        maxNestingDepth: z.number().int().positive(),
      })
      .strict(),
    limitNotes: z.record(z.string(), z.string()),
    whitespace: z.string().min(1),
    inputFields: z.array(
      z.object({ name: z.string(), kind: z.enum(fieldKinds), required: z.boolean() }).strict(),
    ),
    fieldKinds: z.record(z.enum(fieldKinds), z.string()),
    droppedFields: z.array(z.string()),
    reasons: z.array(
      z.object({ code: z.enum(rejectReasonCodes), message: z.string(), when: z.string() }).strict(),
    ),
    duplicateAcrossRunsMessage: z.string(),
    eventCategories: z.record(z.string(), z.string()),
    otherCategory: z.string(),
    columns: z.array(
      z.object({ name: z.string(), duckdb: z.string(), athena: z.string(), spark: z.string() }).strict(),
    ),
    parquet: z.object({ compression: z.literal("zstd"), timestamps: z.string() }).strict(),
    partitionKeys: z.array(
      z
        .object({ name: z.string(), athena: z.literal("string"), from: z.string(), format: z.string() })
        .strict(),
    ),
    rejectFields: z.array(z.string()),
    sessions: z
      .object({
        $comment: z.string(),
        folder: z.string(),
        order: z.tuple([z.literal("event_time"), z.literal("event_id")]),
        partitionFrom: z.literal("start_time"),
        columns: z.array(
          z
            .object({
              name: z.string(),
              duckdb: z.string(),
              athena: z.string(),
              spark: z.string(),
              rule: z.string(),
            })
            .strict(),
        ),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const codes = c.reasons.map((r) => r.code);
    if (codes.length !== rejectReasonCodes.length || rejectReasonCodes.some((r) => !codes.includes(r))) {
      ctx.addIssue({ code: "custom", message: `reasons must be exactly ${rejectReasonCodes.join(", ")}` });
    }
    for (const kind of fieldKinds) {
      if (!(kind in c.fieldKinds)) ctx.addIssue({ code: "custom", message: `fieldKinds lacks ${kind}` });
    }
  });

export type DataContract = z.infer<typeof contractSchema>;
export type InputField = DataContract["inputFields"][number];
export type ColumnSpec = DataContract["columns"][number];
export type SessionColumnSpec = DataContract["sessions"]["columns"][number];

/** Where the contract file lives (the repository's contract/ folder, beside dist/). */
const contractPath = new URL("../../../contract/data-contract.json", import.meta.url);

function loadContract(): DataContract {
  const parsed = contractSchema.safeParse(JSON.parse(readFileSync(contractPath, "utf8")));
  if (!parsed.success) {
    // A broken contract file is a bug of this checkout, not a user error.
    throw new Error(`contract/data-contract.json is invalid: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The contract, loaded once. */
export const contract: DataContract = loadContract();

/** Limits, by name (record size, object size, quantity, …). */
export const limits = contract.limits;

/** Earliest accepted event time, epoch milliseconds. */
export const minEventTimeMs = Date.parse(contract.limits.minEventTime);

/** The columns of `transformed`, in order. */
export const transformedColumns: readonly ColumnSpec[] = contract.columns;

/** The columns of `sessions`, in order (each with its rule, in the contract). */
export const sessionColumns: readonly SessionColumnSpec[] = contract.sessions.columns;

/** Partition keys of `transformed` (zero-padded strings in folder names, as the Glue crawler types them). */
export const partitionKeys: readonly string[] = contract.partitionKeys.map((k) => k.name);

/** Every field the contract knows: input fields, then the ones dropped on purpose. */
export const knownFields: readonly string[] = [
  ...contract.inputFields.map((f) => f.name),
  ...contract.droppedFields,
];

/** The human message of a reason as the contract writes it, `{name}` placeholders unfilled (the SQL fills them). */
export function reasonTemplate(code: RejectReason): string {
  return contract.reasons.find((r) => r.code === code)!.message;
}

/** The human message of a reason, with `{name}` placeholders filled in. */
export function reasonMessage(code: RejectReason, values: Record<string, string | number> = {}): string {
  return fillTemplate(reasonTemplate(code), values);
}

function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/**
 * The columns of the `transformed` table, in order, with their DuckDB and Athena types.
 * docs/data-contract.md is the prose version; the Glue job (glue/) writes the same columns.
 * Partition columns (year, month, day: zero-padded strings) live in the folder names, not in the files.
 */
export interface ColumnSpec {
  readonly name: string;
  readonly duckdbType: string;
  readonly athenaType: string;
}

export const transformedColumns: readonly ColumnSpec[] = [
  { name: "event_id", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "user_id", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "session_id", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "event_type", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "event_category", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "timestamp", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "event_time", duckdbType: "TIMESTAMP", athenaType: "timestamp" },
  { name: "event_date", duckdbType: "DATE", athenaType: "date" },
  { name: "hour", duckdbType: "INTEGER", athenaType: "int" },
  { name: "page_url", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "referrer", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "product_id", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "product_name", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "product_category", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "device_type", duckdbType: "VARCHAR", athenaType: "string" },
  { name: "price", duckdbType: "DOUBLE", athenaType: "double" },
  { name: "quantity", duckdbType: "BIGINT", athenaType: "bigint" },
  { name: "has_product_data", duckdbType: "BOOLEAN", athenaType: "boolean" },
  { name: "has_price_data", duckdbType: "BOOLEAN", athenaType: "boolean" },
  { name: "event_sequence", duckdbType: "BIGINT", athenaType: "bigint" },
  { name: "is_session_start", duckdbType: "BOOLEAN", athenaType: "boolean" },
  { name: "processed_timestamp", duckdbType: "TIMESTAMP", athenaType: "timestamp" },
];

/** Partition keys of `transformed`, strings as the Glue crawler types them. */
export const partitionKeys = ["year", "month", "day"] as const;

/** Fields the pipeline drops on purpose (personal data and free-form payloads). */
export const droppedFields = ["user_agent", "ip_address", "additional_data"] as const;

/** Reason codes of rejected records (errors/), identical in the local and the Glue engine. */
export const rejectReasons = [
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
export type RejectReason = (typeof rejectReasons)[number];

/** Firehose's per-record limit, applied to raw records too. */
export const maxRecordBytes = 1_024_000;

import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";

/** Athena prints timestamps with millisecond precision: `2026-11-05 14:03:07.123`. */
function timestampText(micros: bigint): string {
  const millis = micros >= 0n ? micros / 1000n : (micros - 999n) / 1000n;
  const date = new Date(Number(millis));
  if (Number.isNaN(date.getTime())) return micros > 0n ? "infinity" : "-infinity";
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/** A DuckDB value as a plain JSON-compatible value (see QueryResult). */
export function plainValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBTimestampTZValue) return `${timestampText(value.micros)} UTC`;
  if (value instanceof DuckDBTimestampValue) return timestampText(value.micros);
  if (value instanceof DuckDBTimestampMillisecondsValue) return timestampText(value.millis * 1000n);
  if (value instanceof DuckDBTimestampSecondsValue) return timestampText(value.seconds * 1_000_000n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return timestampText(value.nanos / 1000n);
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(plainValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, plainValue(v)]));
  }
  if (value instanceof DuckDBMapValue) {
    return Object.fromEntries(value.entries.map((e) => [String(plainValue(e.key)), plainValue(e.value)]));
  }
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString("base64");
  return String(value);
}

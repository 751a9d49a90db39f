import { quotedIdentifier, quotedString } from "@duckdb/node-api";
import { sessionColumns } from "../contract/data-contract.js";

/**
 * The sessions table's rules (contract/data-contract.json, `sessions.columns`) as SQL. A session row is
 * built by one merge over "partial rows": each accepted event is the row of a one-event session, and a
 * row the table already holds is one more partial row, so a run folds its new events into existing
 * sessions with the same aggregate that builds them from nothing. First and last are by
 * (start_time, first_event_id) and (end_time, last_event_id), the (event_time, event_id) order that
 * numbers event_sequence; `arg_min_null` keeps the first event's value even when it is NULL.
 */
interface ColumnRule {
  /** The column for one event (a relation with the events table's columns). */
  readonly fromEvent: string;
  /**
   * How partial rows of one session merge: the value of the first or last row, the min, max or sum, or
   * an expression over the merged columns (`derived`).
   */
  readonly merge: "first" | "last" | "min" | "max" | "sum" | { readonly derived: string };
}

const countOf = (eventType: string): ColumnRule => ({
  fromEvent: `(event_type = '${eventType}')::BIGINT`,
  merge: "sum",
});

const rules: Readonly<Record<string, ColumnRule>> = {
  session_id: { fromEvent: "session_id", merge: { derived: "session_id" } },
  visitor_id: { fromEvent: "coalesce(properties['anonymous_id'], user_id)", merge: "first" },
  user_id: { fromEvent: "user_id", merge: "last" },
  start_time: { fromEvent: "event_time", merge: "min" },
  end_time: { fromEvent: "event_time", merge: "max" },
  duration_ms: {
    fromEvent: "0::BIGINT",
    merge: { derived: "date_diff('millisecond', start_time, end_time)" },
  },
  first_event_id: { fromEvent: "event_id", merge: "first" },
  last_event_id: { fromEvent: "event_id", merge: "last" },
  events: { fromEvent: "1::BIGINT", merge: "sum" },
  page_views: countOf("page_view"),
  product_views: countOf("product_view"),
  add_to_carts: countOf("add_to_cart"),
  checkout_starts: countOf("checkout_start"),
  purchases: countOf("purchase"),
  entry_page: { fromEvent: "page_url", merge: "first" },
  exit_page: { fromEvent: "page_url", merge: "last" },
  referrer: { fromEvent: "referrer", merge: "first" },
  device_type: { fromEvent: "device_type", merge: "first" },
  converted: { fromEvent: "event_type = 'purchase'", merge: { derived: "purchases > 0" } },
  revenue: {
    fromEvent: "CASE WHEN event_type = 'purchase' THEN coalesce(price * quantity, 0) ELSE 0 END::DOUBLE",
    merge: "sum",
  },
  is_bounce: { fromEvent: "true", merge: { derived: "events = 1" } },
  processed_timestamp: {
    fromEvent: "(SELECT processed_timestamp FROM run_clock)",
    merge: { derived: "(SELECT processed_timestamp FROM run_clock)" },
  },
};

const missing = sessionColumns.filter((c) => !(c.name in rules)).map((c) => c.name);
const extra = Object.keys(rules).filter((name) => !sessionColumns.some((c) => c.name === name));
if (missing.length > 0 || extra.length > 0) {
  throw new Error(
    `session-rows-sql.ts and the contract's sessions columns differ: missing ${missing.join(", ") || "none"}, extra ${extra.join(", ") || "none"}`,
  );
}

/** The partial row of each event of a relation (the session's columns, in the contract's order). */
export function eventPartialRowsSql(events: string): string {
  const columns = sessionColumns
    .map((c) => `(${rules[c.name]!.fromEvent})::${c.duckdb} AS ${quotedIdentifier(c.name)}`)
    .join(", ");
  return `(SELECT ${columns} FROM ${events} WHERE session_id IS NOT NULL)`;
}

const named = (merge: ColumnRule["merge"]) =>
  sessionColumns.filter((c) => rules[c.name]!.merge === merge).map((c) => quotedIdentifier(c.name));

/**
 * Session rows merged from a relation of partial rows: one row per session_id. The first row's and the
 * last row's columns are taken as one struct each (one aggregate state per session, not one per column:
 * what keeps a run over millions of sessions within the transform's memory), then unpacked.
 */
export function mergedSessionsSql(partialRows: string): string {
  const struct = (columns: string[]) =>
    `{${columns.map((c) => `${quotedString(c.replaceAll('"', ""))}: ${c}`).join(", ")}}`;
  const inner = [
    "session_id",
    `arg_min_null(${struct(named("first"))}, (start_time, first_event_id)) AS first_row`,
    `arg_max_null(${struct(named("last"))}, (end_time, last_event_id)) AS last_row`,
    ...named("min").map((c) => `min(${c}) AS ${c}`),
    ...named("max").map((c) => `max(${c}) AS ${c}`),
    ...named("sum").map((c) => `sum(${c}) AS ${c}`),
  ].join(", ");
  const columns = sessionColumns
    .map((c) => {
      const merge = rules[c.name]!.merge;
      const name = quotedIdentifier(c.name);
      const value =
        merge === "first"
          ? `first_row[${quotedString(c.name)}]`
          : merge === "last"
            ? `last_row[${quotedString(c.name)}]`
            : typeof merge === "object"
              ? merge.derived
              : name;
      return `(${value})::${c.duckdb} AS ${name}`;
    })
    .join(", ");
  return `(SELECT ${columns} FROM (SELECT ${inner} FROM ${partialRows} GROUP BY session_id))`;
}

/** The contract's sessions columns, quoted, in order. */
export const sessionColumnListSql = sessionColumns.map((c) => quotedIdentifier(c.name)).join(", ");

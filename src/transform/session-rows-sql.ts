import { quotedIdentifier } from "@duckdb/node-api";
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
  /** The column over a group of partial rows of one session. */
  readonly merge: string;
}

const first = (column: string) => `arg_min_null(${column}, (start_time, first_event_id))`;
const last = (column: string) => `arg_max_null(${column}, (end_time, last_event_id))`;
const countOf = (eventType: string) => ({
  fromEvent: `(event_type = '${eventType}')::BIGINT`,
  merge: "", // filled below: the sum of the column
});

const rules: Readonly<Record<string, ColumnRule>> = {
  session_id: { fromEvent: "session_id", merge: "session_id" },
  visitor_id: {
    fromEvent: "coalesce(properties['anonymous_id'], user_id)",
    merge: first("visitor_id"),
  },
  user_id: { fromEvent: "user_id", merge: last("user_id") },
  start_time: { fromEvent: "event_time", merge: "min(start_time)" },
  end_time: { fromEvent: "event_time", merge: "max(end_time)" },
  duration_ms: {
    fromEvent: "0::BIGINT",
    merge: "date_diff('millisecond', min(start_time), max(end_time))::BIGINT",
  },
  first_event_id: { fromEvent: "event_id", merge: first("first_event_id") },
  last_event_id: { fromEvent: "event_id", merge: last("last_event_id") },
  events: { fromEvent: "1::BIGINT", merge: "" },
  page_views: countOf("page_view"),
  product_views: countOf("product_view"),
  add_to_carts: countOf("add_to_cart"),
  checkout_starts: countOf("checkout_start"),
  purchases: countOf("purchase"),
  entry_page: { fromEvent: "page_url", merge: first("entry_page") },
  exit_page: { fromEvent: "page_url", merge: last("exit_page") },
  referrer: { fromEvent: "referrer", merge: first("referrer") },
  device_type: { fromEvent: "device_type", merge: first("device_type") },
  converted: { fromEvent: "event_type = 'purchase'", merge: "sum(purchases) > 0" },
  revenue: {
    fromEvent: "CASE WHEN event_type = 'purchase' THEN coalesce(price * quantity, 0) ELSE 0 END::DOUBLE",
    merge: "",
  },
  is_bounce: { fromEvent: "true", merge: "sum(events) = 1" },
  processed_timestamp: {
    fromEvent: "(SELECT processed_timestamp FROM run_clock)",
    merge: "(SELECT processed_timestamp FROM run_clock)",
  },
};

const missing = sessionColumns.filter((c) => !(c.name in rules)).map((c) => c.name);
const extra = Object.keys(rules).filter((name) => !sessionColumns.some((c) => c.name === name));
if (missing.length > 0 || extra.length > 0) {
  throw new Error(
    `session-rows-sql.ts and the contract's sessions columns differ: missing ${missing.join(", ") || "none"}, extra ${extra.join(", ") || "none"}`,
  );
}

const mergeOf = (name: string, spec: { duckdb: string }): string => {
  const rule = rules[name]!;
  return rule.merge === "" ? `sum(${quotedIdentifier(name)})::${spec.duckdb}` : rule.merge;
};

/** The partial row of each event of a relation (the session's columns, in the contract's order). */
export function eventPartialRowsSql(events: string): string {
  const columns = sessionColumns
    .map((c) => `(${rules[c.name]!.fromEvent})::${c.duckdb} AS ${quotedIdentifier(c.name)}`)
    .join(", ");
  return `(SELECT ${columns} FROM ${events} WHERE session_id IS NOT NULL)`;
}

/** Session rows merged from a relation of partial rows: one row per session_id. */
export function mergedSessionsSql(partialRows: string): string {
  const columns = sessionColumns
    .map((c) => `(${mergeOf(c.name, c)})::${c.duckdb} AS ${quotedIdentifier(c.name)}`)
    .join(", ");
  return `(SELECT ${columns} FROM ${partialRows} GROUP BY session_id)`;
}

/** The contract's sessions columns, quoted, in order. */
export const sessionColumnListSql = sessionColumns.map((c) => quotedIdentifier(c.name)).join(", ");

import type { ScanProfile } from "./explain-plan.js";

/**
 * A query's answer in a plain shape shared by the local engine and Athena (src/aws converts Athena's
 * ResultSet into it): column names with Athena type names (`varchar`, `bigint`, `double`, `boolean`,
 * `date`, `timestamp`, …) and rows of JSON-compatible values: numbers are numbers, NULL is null,
 * timestamps are `YYYY-MM-DD HH:MM:SS.mmm` strings (Athena's text form), dates `YYYY-MM-DD`.
 */
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  /** What the query read, from the run itself: only from an engine opened with `profileScans`. */
  scanProfile?: ScanProfile;
}

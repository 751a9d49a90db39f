import type { QueryResult } from "./query-result.js";
import { spreadsheetSafeCsv } from "./spreadsheet-safe-csv.js";
import { terminalValue } from "../terminal/terminal-text.js";

export type ResultFormat = "table" | "json" | "csv";
export const resultFormats: readonly ResultFormat[] = ["table", "json", "csv"];

export interface FormatOptions {
  /** CSV only: cells that would start a spreadsheet formula get a leading `'` (spreadsheet-safe-csv.ts). */
  spreadsheetSafe?: boolean | undefined;
}

/** Renders a result as an aligned text table, a JSON array of row objects, or RFC 4180 CSV. */
export function formatResult(result: QueryResult, format: ResultFormat, options: FormatOptions = {}): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(toObjects(result), null, 2)}\n`;
    case "csv":
      return options.spreadsheetSafe ? spreadsheetSafeCsv(toCsv(result)) : toCsv(result);
    case "table":
      return toTable(result);
  }
}

/** Rows as objects keyed by column name (a later duplicate name gets a `_2` suffix so nothing is lost). */
export function toObjects(result: QueryResult): Record<string, unknown>[] {
  const names = uniqueNames(result.columns.map((c) => c.name));
  return result.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])));
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}

/** Text of a value in CSV and table output; NULL is the empty field (CSV) or `NULL` (table). */
function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** RFC 4180: CRLF line ends, fields with `"`, `,`, CR or LF quoted, quotes doubled. Header row first. */
function toCsv(result: QueryResult): string {
  const lines = [result.columns.map((c) => c.name), ...result.rows];
  return lines.map(csvRecord).join("");
}

/** One CSV record of RFC 4180, CRLF included: the header (column names) or a row. */
function csvRecord(values: readonly unknown[]): string {
  const field = (value: unknown): string => {
    const s = text(value);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${values.map(field).join(",")}\r\n`;
}

/**
 * Bytes a row takes once serialised, as the result cap counts it: the larger of its CSV record (what
 * athena-results/ keeps and downloads send) and its JSON array with the comma after it (what the
 * console's /api/query sends). A NULL or '' inside a list is small as a value, not as text.
 */
export function serialisedRowBytes(row: readonly unknown[]): number {
  return Math.max(
    Buffer.byteLength(csvRecord(row), "utf8"),
    Buffer.byteLength(JSON.stringify(row), "utf8") + 1,
  );
}

const numericTypes = /^(tinyint|smallint|integer|bigint|real|double|decimal)/;

function toTable(result: QueryResult): string {
  // The table is for a terminal: names and values show their control characters as escapes.
  const header = result.columns.map((c) => terminalValue(c.name));
  const body = result.rows.map((row) =>
    row.map((v) => (v === null || v === undefined ? "NULL" : terminalValue(text(v)))),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const right = result.columns.map((c) => numericTypes.test(c.type));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const count = `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return [line(header), rule, ...body.map(line), count].join("\n") + "\n";
}

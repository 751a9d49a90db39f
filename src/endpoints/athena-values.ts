/**
 * Query results in Athena's wire notation: `ColumnInfo` with Athena's type names, precision and scale,
 * values as Athena prints them (`1.0` for a whole double, `[a, b]`, `{k=v}`), NULL as an absent
 * VarCharValue, and Athena's result CSV (a header, every non-NULL value quoted).
 */

export interface ColumnInfo {
  CatalogName: string;
  SchemaName: string;
  TableName: string;
  Name: string;
  Label: string;
  Type: string;
  Precision: number;
  Scale: number;
  Nullable: "NOT_NULL" | "NULLABLE" | "UNKNOWN";
  CaseSensitive: boolean;
}

/** Athena's precision per type (what its JDBC/ODBC drivers report), for types without their own. */
const precisions: Record<string, number> = {
  varchar: 2147483647,
  char: 2147483647,
  varbinary: 2147483647,
  json: 2147483647,
  bigint: 19,
  integer: 10,
  smallint: 5,
  tinyint: 3,
  double: 17,
  real: 7,
  boolean: 0,
  date: 0,
  timestamp: 3,
  "timestamp with time zone": 3,
  time: 3,
};

/** ColumnInfo of a result column whose type the engine names as Athena does (`decimal(10,2)`, `array(varchar)`). */
export function columnInfo(name: string, type: string): ColumnInfo {
  const base = /^(timestamp with time zone|[a-z]+)/.exec(type)?.[1] ?? type;
  const decimal = /^decimal\((\d+),\s*(\d+)\)/.exec(type);
  return {
    CatalogName: "hive",
    SchemaName: "",
    TableName: "",
    Name: name,
    Label: name,
    Type: base,
    Precision: decimal ? Number(decimal[1]) : (precisions[base] ?? 0),
    Scale: decimal ? Number(decimal[2]) : 0,
    Nullable: "UNKNOWN",
    CaseSensitive: base === "varchar" || base === "char",
  };
}

/** A value as Athena's text (undefined for NULL). */
function athenaText(value: unknown, type: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  return text(value, type);
}

function text(value: unknown, type: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number")
    return Number.isInteger(value) && /^(double|real)/.test(type) ? `${value}.0` : String(value);
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value)) {
    const inner = /^array\((.*)\)$/.exec(type)?.[1] ?? "";
    return `[${value.map((v) => text(v, inner)).join(", ")}]`;
  }
  if (typeof value === "object") {
    const inner = /^map\([^,]+,\s*(.*)\)$/.exec(type)?.[1] ?? "";
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${text(v, inner)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** One result row as Athena's text cells, undefined for NULL: what GetQueryResults pages and the CSV holds. */
export type Cells = (string | undefined)[];

/** A result's rows as Athena's text cells. */
export function athenaCells(columns: readonly { type: string }[], rows: readonly unknown[][]): Cells[] {
  return rows.map((row) => columns.map((c, i) => athenaText(row[i], c.type)));
}

/** Athena's result CSV: header, then rows; every non-NULL value (and every name) quoted, NULL empty. */
export function athenaCsv(columns: readonly { name: string }[], cells: readonly Cells[]): string {
  const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
  const lines = [columns.map((c) => quote(c.name)).join(",")];
  for (const row of cells) lines.push(row.map((t) => (t === undefined ? "" : quote(t))).join(","));
  return `${lines.join("\n")}\n`;
}

/** The records of an Athena result CSV (header included): an empty unquoted field is NULL, `""` is ''. */
export function parseAthenaCsv(text: string): Cells[] {
  const records: Cells[] = [];
  let record: Cells = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error("unterminated quoted field in a result CSV");
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      record.push(value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== "," && text[end] !== "\n") end++;
      const raw = text.slice(i, end);
      record.push(raw === "" ? undefined : raw);
      i = end;
    }
    if (text[i] === ",") {
      i++;
      if (i >= text.length || text[i] === "\n") record.push(undefined);
    }
    if (i >= text.length || text[i] === "\n") {
      records.push(record);
      record = [];
      i++;
    }
  }
  return records;
}

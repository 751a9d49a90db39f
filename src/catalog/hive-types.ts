/**
 * Glue/Hive column types → DuckDB types: the query engine casts catalogued columns back when it
 * builds its views (the other direction is duckdb-type-names.ts).
 */

/** DuckDB type for a Glue type (the inverse of glueTypeOf for the types it produces). */
export function duckdbTypeOf(glueType: string): string {
  const t = glueType.trim().toLowerCase();
  const simple: Record<string, string> = {
    string: "VARCHAR",
    varchar: "VARCHAR",
    char: "VARCHAR",
    boolean: "BOOLEAN",
    tinyint: "TINYINT",
    smallint: "SMALLINT",
    int: "INTEGER",
    integer: "INTEGER",
    bigint: "BIGINT",
    float: "FLOAT",
    double: "DOUBLE",
    date: "DATE",
    timestamp: "TIMESTAMP",
    binary: "BLOB",
  };
  if (simple[t]) return simple[t];
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`;
  if (t.startsWith("array<") && t.endsWith(">")) return `${duckdbTypeOf(t.slice(6, -1))}[]`;
  if (t.startsWith("map<") && t.endsWith(">")) {
    const [k, v] = splitTopLevel(t.slice(4, -1));
    return `MAP(${duckdbTypeOf(k ?? "")}, ${duckdbTypeOf(v ?? "")})`;
  }
  if (t.startsWith("struct<") && t.endsWith(">")) {
    const fields = splitTopLevel(t.slice(7, -1)).map((field) => {
      const colon = field.indexOf(":");
      return `"${field.slice(0, colon).replaceAll('"', '""')}" ${duckdbTypeOf(field.slice(colon + 1))}`;
    });
    return `STRUCT(${fields.join(", ")})`;
  }
  return "VARCHAR";
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "<" || c === "(") depth++;
    else if (c === ">" || c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** Numeric widening order: a column may move up this list (int → bigint → double), never down. */
const numericRank: Record<string, number> = {
  tinyint: 1,
  smallint: 2,
  int: 3,
  bigint: 4,
  float: 5,
  double: 6,
};

/**
 * The type that holds both `a` and `b` when one widens to the other (int + bigint → bigint,
 * bigint + double → double), or undefined when they are incompatible (string vs bigint).
 */
export function widenedType(a: string, b: string): string | undefined {
  if (a === b) return a;
  const ra = numericRank[a];
  const rb = numericRank[b];
  if (ra === undefined || rb === undefined) return undefined;
  if ((a === "float" && rb === 4) || (b === "float" && ra === 4)) return "double";
  return ra >= rb ? a : b;
}

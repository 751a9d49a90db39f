import type { DuckDBConnection } from "@duckdb/node-api";
import { ClickstreamError } from "../errors/clickstream-error.js";
import {
  athenaFunctionNames,
  parserQualifiedFunctions,
  stateFunctions,
  tableFunctions,
} from "./function-allow-list.js";
import { positionOf } from "./sql-tokenizer.js";

/** What a query may reach, checked on DuckDB's own parse of the statement. */
export interface ParsedQueryPolicy {
  /** Functions a query may call (lower case). */
  functions: ReadonlySet<string>;
  /** Functions a query may use as a table (`UNNEST`). */
  tableFunctions: ReadonlySet<string>;
  /** Functions that reach files or engine state: refused as forbidden rather than unsupported. */
  stateFunctions: ReadonlySet<string>;
  /** Catalog tables (views) a query may read, lower case, and the database and catalog they live in. */
  tables: ReadonlySet<string>;
  database: string;
  catalog: string;
  /** Tables of other databases (CTAS tables of the local Athena endpoint), as `database.table`, lower case. */
  otherTables?: ReadonlySet<string>;
}

type Node = Record<string, unknown>;

/**
 * Functions that reach files or engine state, for an early refusal with the right code: every table
 * function, table macro and pragma this DuckDB has (so new ones are covered), and the listed scalars,
 * less the Athena functions that share a name (histogram is an aggregate too).
 */
export async function stateFunctionNames(connection: DuckDBConnection): Promise<ReadonlySet<string>> {
  const reader = await connection.runAndReadAll(
    "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro', 'pragma')",
  );
  return new Set(
    [...reader.getRowsJS().map((r) => String(r[0]).toLowerCase()), ...stateFunctions].filter(
      (f) => !athenaFunctionNames.has(f) && !tableFunctions.includes(f),
    ),
  );
}

// Expression classes of DuckDB's parse tree that a query may contain (PARAMETER: a `?` whose value is
// bound). DEFAULT and anything new are refused until someone looks at them.
const expressionClasses = new Set([
  "BETWEEN",
  "CASE",
  "CAST",
  "COLUMN_REF",
  "COMPARISON",
  "CONJUNCTION",
  "CONSTANT",
  "FUNCTION",
  "LAMBDA",
  "LAMBDA_REF",
  "OPERATOR",
  "PARAMETER",
  "POSITIONAL_REFERENCE",
  "STAR",
  "SUBQUERY",
  "WINDOW",
]);
// Table references: no SHOW/DESCRIBE/SUMMARIZE, PIVOT or column-data sources.
const tableRefTypes = new Set([
  "BASE_TABLE",
  "JOIN",
  "SUBQUERY",
  "EXPRESSION_LIST",
  "EMPTY",
  "TABLE_FUNCTION",
]);
const queryNodeTypes = new Set(["SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"]);
// DuckDB's own catalogs and schemas: reading them exposes the engine (settings, view definitions, paths).
const systemNames = new Set(["system", "temp", "main", "memory", "information_schema", "pg_catalog"]);
// A name DuckDB could take for a file (a replacement scan needs a dot or a path separator).
const plainName = /^[a-z_][a-z0-9_$]*$/;

/**
 * The second line of defence, independent of our tokenizer: DuckDB parses the statement
 * (json_serialize_sql, the SQL bound as a value) and every node of its parse tree is checked against the
 * policy: only queries; every function call on the allow-list and unqualified; tables only the catalog's
 * views (or the query's own CTEs); no table function but UNNEST; no construct we have not looked at.
 */
export async function checkParsedQuery(
  connection: DuckDBConnection,
  sql: string,
  policy: ParsedQueryPolicy,
): Promise<void> {
  await checkParsedQueries(connection, [{ sql, policy }]);
}

/** Several checks in one round trip to DuckDB (a query and its rewrite), in order. */
export async function checkParsedQueries(
  connection: DuckDBConnection,
  checks: readonly { sql: string; policy: ParsedQueryPolicy }[],
): Promise<void> {
  const columns = checks.map((_, i) => `json_serialize_sql($${i + 1}::VARCHAR)`).join(", ");
  const result = await connection.runAndReadAll(
    `SELECT ${columns}`,
    checks.map((c) => c.sql),
  );
  const row = result.getRowsJS()[0] ?? [];
  checks.forEach((check, i) => checkParse(JSON.parse(String(row[i])) as Node, check.policy, check.sql));
}

function checkParse(parsed: Node, policy: ParsedQueryPolicy, sql: string): void {
  if (parsed.error) {
    const message = String(parsed.error_message);
    if (/only SELECT statements/i.test(message)) {
      throw new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", "only queries are allowed");
    }
    // DuckDB gives the offset apart from its message ("syntax error at end of input" names none): put it
    // in front as line:column, the form every other syntax error here has, so the fix's promise holds.
    const offset = Number(parsed.position);
    const at =
      Number.isInteger(offset) && offset >= 0 && offset <= sql.length ? `${positionOf(sql, offset)}: ` : "";
    const end = /at end of input/i.test(message)
      ? " (the statement stops before it is complete: a missing operand, closing parenthesis or clause)"
      : "";
    throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", `${at}${message}${end}`);
  }
  const statements = parsed.statements as Node[];
  if (statements.length !== 1) {
    throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", `expected one statement, got ${statements.length}`);
  }
  const cteNames = new Set<string>();
  collectCteNames(statements, cteNames);
  checkNode(statements[0], { policy, cteNames });
}

interface Context {
  policy: ParsedQueryPolicy;
  cteNames: Set<string>;
}

function collectCteNames(node: unknown, names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCteNames(item, names);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const cteMap = (node as Node).cte_map as { map?: { key: string }[] } | undefined;
  for (const entry of cteMap?.map ?? []) names.add(entry.key.toLowerCase());
  for (const value of Object.values(node)) collectCteNames(value, names);
}

function checkNode(node: unknown, context: Context): void {
  if (Array.isArray(node)) {
    for (const item of node) checkNode(item, context);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Node;
  if (typeof n.class === "string") checkExpression(n, context);
  else if (typeof n.type === "string" && n.type.endsWith("_NODE")) {
    if (!queryNodeTypes.has(n.type))
      throw new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", `${n.type} is not a query`);
  } else if (typeof n.type === "string" && "sample" in n) checkTableRef(n, context);
  for (const value of Object.values(n)) checkNode(value, context);
}

function checkExpression(n: Node, { policy }: Context): void {
  const cls = n.class as string;
  if (!expressionClasses.has(cls)) {
    throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `${cls.toLowerCase()} expressions`);
  }
  if (cls === "FUNCTION" || cls === "WINDOW") checkFunction(n, policy);
}

function checkFunction(n: Node, policy: ParsedQueryPolicy): void {
  const name = String(n.function_name).toLowerCase();
  const schema = String(n.schema ?? "").toLowerCase();
  const catalog = String(n.catalog ?? "").toLowerCase();
  const shown = [catalog, schema, name].filter(Boolean).join(".");
  // The parser itself writes `main.` before the functions of some syntax (EXTRACT → main.date_part).
  const parserWritten = schema === "main" && parserQualifiedFunctions.includes(name);
  if (catalog !== "" || (schema !== "" && !parserWritten)) {
    throw new ClickstreamError(
      "CS_ERR_QUERY_FORBIDDEN",
      `function ${shown}: function names cannot be qualified with a schema or catalog`,
    );
  }
  if (policy.functions.has(name) || policy.tableFunctions.has(name)) return;
  if (policy.stateFunctions.has(name)) {
    throw new ClickstreamError(
      "CS_ERR_QUERY_FORBIDDEN",
      `function ${shown} is not allowed (it reaches files or engine state; tables are read through the catalog)`,
    );
  }
  throw new ClickstreamError(
    "CS_ERR_QUERY_UNSUPPORTED",
    `function ${shown} is not an Athena function the local engine serves (docs/query.md lists them)`,
  );
}

function checkTableRef(n: Node, context: Context): void {
  const type = n.type as string;
  if (!tableRefTypes.has(type)) {
    const what = type === "SHOW_REF" ? "DESCRIBE/SHOW/SUMMARIZE inside a query" : type.toLowerCase();
    throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", what);
  }
  const { policy } = context;
  if (type === "TABLE_FUNCTION") {
    const fn = n.function as Node;
    if (fn?.class !== "FUNCTION") throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", "table function");
    const name = String(fn.function_name).toLowerCase();
    if (!policy.tableFunctions.has(name)) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_FORBIDDEN",
        `table function ${name} is not allowed (only catalog tables are readable; files are read through the catalog)`,
      );
    }
    return;
  }
  if (type === "BASE_TABLE") checkTable(n, context);
}

function checkTable(n: Node, { policy, cteNames }: Context): void {
  const catalog = String(n.catalog_name ?? "").toLowerCase();
  const schema = String(n.schema_name ?? "").toLowerCase();
  const table = String(n.table_name ?? "");
  const name = table.toLowerCase();
  const shown = [catalog, schema, table].filter(Boolean).join(".");
  if (catalog === "" && schema === "" && cteNames.has(name) && plainName.test(name)) return;
  if (!plainName.test(name)) {
    throw new ClickstreamError(
      "CS_ERR_QUERY_FORBIDDEN",
      `reading a file by path (${table}) is not allowed; query the catalog tables`,
    );
  }
  if (systemNames.has(catalog) || systemNames.has(schema)) {
    throw new ClickstreamError(
      "CS_ERR_QUERY_FORBIDDEN",
      `${shown}: DuckDB's own catalog is not readable; query the catalog tables`,
    );
  }
  if (catalog !== "" && catalog !== policy.catalog) {
    throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `catalog ${catalog}`);
  }
  if (schema !== "" && schema !== policy.database) {
    if (policy.otherTables?.has(`${schema}.${name}`)) return;
    throw new ClickstreamError("CS_ERR_CATALOG_NOT_FOUND", `database ${schema}`);
  }
  if (!policy.tables.has(name)) {
    throw new ClickstreamError(
      "CS_ERR_CATALOG_NOT_FOUND",
      `table ${table} (run \`clickstream crawl\`, or check the name with SHOW TABLES)`,
    );
  }
}

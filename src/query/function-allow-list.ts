import { mappedFunctions } from "./athena-dialect.js";
import { athenaMacroNames } from "./athena-macros.js";

/**
 * The functions a query may call, as an allow-list: everything else DuckDB has (file readers, settings,
 * logging, profiling, `query()`, …) is refused however it is spelled. Names are lower case, as DuckDB's
 * parser reports them (it folds quoted names too).
 */

/**
 * Athena (Trino) functions DuckDB has under the same name with the same answers: they pass through the
 * rewrite untouched. Functions Athena has under a name DuckDB answers differently are mapped by the
 * rewrite (athena-dialect.ts) instead, and those DuckDB lacks are not here.
 */
const passThroughFunctions: readonly string[] = [
  // aggregates and window functions
  "any_value",
  "arbitrary",
  "array_agg",
  "avg",
  "bool_and",
  "bool_or",
  "corr",
  "count",
  "count_if",
  "covar_pop",
  "covar_samp",
  "cume_dist",
  "dense_rank",
  "first_value",
  "geometric_mean",
  "histogram",
  "kurtosis",
  "lag",
  "last_value",
  "lead",
  "max",
  "max_by",
  "min",
  "min_by",
  "nth_value",
  "ntile",
  "percent_rank",
  "rank",
  "regr_intercept",
  "regr_slope",
  "row_number",
  "skewness",
  "stddev",
  "stddev_pop",
  "stddev_samp",
  "sum",
  "var_pop",
  "var_samp",
  "variance",
  // math
  "abs",
  "acos",
  "asin",
  "atan",
  "atan2",
  "cbrt",
  "ceil",
  "ceiling",
  "cos",
  "cosh",
  "degrees",
  "exp",
  "floor",
  "ln",
  "log",
  "log10",
  "log2",
  "mod",
  "pi",
  "pow",
  "power",
  "radians",
  "random",
  "round",
  "sign",
  "sin",
  "sqrt",
  "tan",
  "tanh",
  "to_base",
  // strings
  "chr",
  "concat_ws",
  "from_base64",
  "from_hex",
  "length",
  "lower",
  "lpad",
  "ltrim",
  "replace",
  "reverse",
  "rpad",
  "rtrim",
  "split",
  "starts_with",
  "strpos",
  "substr",
  "substring",
  "to_base64",
  "to_hex",
  "translate",
  "trim",
  "upper",
  "url_decode",
  "url_encode",
  "regexp_extract_all",
  // date and time
  "day",
  "hour",
  "millisecond",
  "minute",
  "month",
  "quarter",
  "second",
  "timezone_hour",
  "timezone_minute",
  "week",
  "year",
  // arrays, maps, JSON
  "array_distinct",
  "array_intersect",
  "array_position",
  "array_sort",
  "filter",
  "flatten",
  "json_array_length",
  "json_extract",
  "map",
  "map_concat",
  "map_entries",
  "map_from_entries",
  "map_keys",
  "map_values",
  // conditional and other
  "nullif",
  "typeof",
  "uuid",
];

/**
 * Functions DuckDB's parser writes for SQL syntax: `a + b`, `LIKE`, `ARRAY[…]`, `EXTRACT(… FROM …)`,
 * `POSITION(… IN …)`, `SUBSTRING(… FROM … FOR …)`, `TRIM(LEADING …)`, `AT TIME ZONE`, `ROW(…)`,
 * `count(*)`, `INTERVAL '1' DAY`, `current_timestamp`.
 */
const syntaxFunctions: readonly string[] = [
  "+",
  "-",
  "*",
  "/",
  "%",
  "||",
  "~~",
  "!~~",
  "like_escape",
  "not_like_escape",
  "list_value",
  "date_part",
  "position",
  "timezone",
  "row",
  "count_star",
  "now",
  "to_years",
  "to_months",
  "to_days",
  "to_hours",
  "to_minutes",
  "to_seconds",
  "to_milliseconds",
  "trunc",
];

/** The functions DuckDB's parser writes qualified as `main.…` (a user may not qualify any name). */
export const parserQualifiedFunctions: readonly string[] = [
  "date_part",
  "like_escape",
  "list_value",
  "ltrim",
  "map",
  "not_like_escape",
  "position",
  "row",
  "rtrim",
  "substring",
  "timezone",
  "trim",
];

/** DuckDB functions the rewrite produces for mapped Athena functions (besides the TEMP macros). */
const rewriteTargetFunctions: readonly string[] = [
  "array_to_string",
  "date_sub",
  "date_trunc",
  "dayofyear",
  "epoch",
  "greatest",
  "isodow",
  "isoyear",
  "json_extract_string",
  "least",
  "len",
  "list_contains",
  "quantile_disc",
  "regexp_matches",
  "regexp_replace",
  "strftime",
  "strptime",
  "to_timestamp",
  "to_weeks",
];

/** The only function a query may use as a table (`CROSS JOIN UNNEST(…)`): it reads no file. */
export const tableFunctions: readonly string[] = ["unnest"];

/**
 * DuckDB functions that reach files or engine state even when called as a scalar, refused with
 * CS_ERR_QUERY_FORBIDDEN rather than "unsupported" (every table function, table macro and pragma is
 * added from duckdb_functions() when the engine starts). The allow-list, not this list, is what keeps
 * them out; this only picks the error code and lets the token guard refuse early with a position.
 */
export const stateFunctions: readonly string[] = [
  "current_query",
  "current_setting",
  "currval",
  "getenv",
  "getvariable",
  "json_deserialize_sql",
  "json_execute_serialized_sql",
  "json_serialize_plan",
  "json_serialize_sql",
  "nextval",
  "pg_sleep",
  "setseed",
  "sleep_ms",
  "write_log",
];

/** What a user's Athena SQL may call: pass-through, syntax and mapped names. */
export const athenaFunctionNames: ReadonlySet<string> = new Set([
  ...passThroughFunctions,
  ...syntaxFunctions,
  ...mappedFunctions,
]);

/** What the rewritten DuckDB SQL may call: pass-through, syntax, rewrite targets and the TEMP macros. */
export const engineFunctionNames: ReadonlySet<string> = new Set([
  ...passThroughFunctions,
  ...syntaxFunctions,
  ...rewriteTargetFunctions,
  ...athenaMacroNames,
]);

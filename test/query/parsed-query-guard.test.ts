// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { mappedFunctions, rewriteAthena } from "../../src/query/athena-dialect.js";
import { athenaMacroNames, athenaMacros } from "../../src/query/athena-macros.js";
import { lockDown } from "../../src/query/duckdb-lockdown.js";
import {
  athenaFunctionNames,
  engineFunctionNames,
  stateFunctions,
  tableFunctions,
} from "../../src/query/function-allow-list.js";
import {
  checkParsedQuery,
  stateFunctionNames,
  type ParsedQueryPolicy,
} from "../../src/query/parsed-query-guard.js";
import { tokenize } from "../../src/query/sql-tokenizer.js";
import { tempDir } from "../support/temp-dir.js";

// The parse-tree guard on its own, without the token guard in front: DuckDB parses, the policy decides.
let instance: DuckDBInstance;
let connection: DuckDBConnection;
let policy: ParsedQueryPolicy;
let athena: ParsedQueryPolicy;
before(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  for (const macro of athenaMacros) await connection.run(macro);
  const state = await stateFunctionNames(connection);
  const common = {
    tableFunctions: new Set(tableFunctions),
    stateFunctions: state,
    tables: new Set(["transformed"]),
    database: "clickstream_db",
    catalog: "awsdatacatalog",
  };
  policy = { ...common, functions: engineFunctionNames };
  athena = { ...common, functions: athenaFunctionNames };
});
after(() => {
  connection?.closeSync();
  instance?.closeSync();
});

const passes = (sql: string, p = policy): Promise<void> => checkParsedQuery(connection, sql, p);
async function refuses(sql: string, code: string, pattern?: RegExp, p = policy): Promise<void> {
  await assert.rejects(
    checkParsedQuery(connection, sql, p),
    (error: ClickstreamError) => {
      assert.equal(error.code, code, `${sql}: ${error.message}`);
      if (pattern) assert.match(error.message, pattern, sql);
      return true;
    },
    sql,
  );
}

async function duckdbFunctions(): Promise<{ name: string; type: string }[]> {
  const reader = await connection.runAndReadAll(
    "SELECT DISTINCT function_name, function_type FROM duckdb_functions()",
  );
  return reader.getRowsJS().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
}

describe("the allow-list closes the class", () => {
  test("every DuckDB function outside the allow-list is refused, as a scalar and as a table, quoted", async () => {
    const all = await duckdbFunctions();
    const outside = all.filter(
      (f) => !engineFunctionNames.has(f.name.toLowerCase()) && !tableFunctions.includes(f.name),
    );
    assert.ok(outside.length > 500, `${outside.length} functions outside the allow-list`);
    for (const { name, type } of outside) {
      const quoted = `"${name.replaceAll('"', '""').toUpperCase()}"`;
      const spellings = [`SELECT ${quoted}(1)`];
      if (type === "table" || type === "table_macro") spellings.push(`SELECT * FROM ${quoted}(1)`);
      for (const sql of spellings) {
        await assert.rejects(
          passes(sql),
          (e: ClickstreamError) => ["CS_ERR_QUERY_FORBIDDEN", "CS_ERR_QUERY_UNSUPPORTED"].includes(e.code),
          sql,
        );
      }
    }
  });

  test("functions that reach files or state are forbidden (not merely unsupported)", async () => {
    for (const name of [
      "enable_logging",
      "write_log",
      "current_setting",
      "duckdb_settings",
      "query",
      "query_table",
      "enable_profiling",
      "read_parquet",
      "parquet_metadata",
      "glob",
      "getvariable",
      "json_execute_serialized_sql",
    ]) {
      await refuses(`SELECT * FROM "${name}"('x')`, "CS_ERR_QUERY_FORBIDDEN", new RegExp(name, "i"));
      await refuses(`SELECT "${name.toUpperCase()}"('x')`, "CS_ERR_QUERY_FORBIDDEN", new RegExp(name, "i"));
    }
  });

  test("qualified calls are refused even for allowed names", async () => {
    for (const sql of [
      "SELECT system.main.lower('A')",
      "SELECT main.lower('A')",
      'SELECT "system"."main"."current_setting"(\'threads\')',
      "SELECT temp.main.athena_split_part('a,b', ',', 1)",
      "SELECT * FROM system.main.unnest([1])",
    ]) {
      await assert.rejects(
        passes(sql),
        (e: ClickstreamError) =>
          e.code === "CS_ERR_QUERY_FORBIDDEN" && /qualified|not allowed/.test(e.message),
        sql,
      );
    }
  });

  test("Athena SQL may not call the rewrite's DuckDB targets or macros directly", async () => {
    await passes("SELECT date_parse('2026', '%Y')", athena);
    for (const name of ["strptime", "strftime", "athena_split_part", "list_contains"]) {
      await refuses(`SELECT ${name}('a', 'b')`, "CS_ERR_QUERY_UNSUPPORTED", new RegExp(name), athena);
    }
  });
});

describe("tables", () => {
  test("only catalog views and the query's own CTEs are readable", async () => {
    await passes("SELECT * FROM transformed");
    await passes('SELECT * FROM "Transformed"');
    await passes("SELECT * FROM clickstream_db.transformed");
    await passes("SELECT * FROM awsdatacatalog.clickstream_db.transformed");
    await passes("WITH recent AS (SELECT 1 AS x) SELECT * FROM recent");
    await passes(
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    );
    await refuses("SELECT * FROM clicks", "CS_ERR_CATALOG_NOT_FOUND", /clicks/);
    await refuses("SELECT * FROM other_db.transformed", "CS_ERR_CATALOG_NOT_FOUND", /other_db/);
    await refuses("SELECT * FROM cat.clickstream_db.transformed", "CS_ERR_CATALOG_NOT_FOUND", /cat/);
  });

  test("DuckDB's own catalog and files by path are refused", async () => {
    for (const sql of [
      "SELECT * FROM duckdb_settings",
      "SELECT * FROM system.main.duckdb_views",
      "SELECT * FROM information_schema.tables",
      "SELECT * FROM pg_catalog.pg_class",
      "SELECT * FROM temp.main.x",
      "SELECT * FROM '/etc/passwd'",
      "SELECT * FROM E'/etc/passwd'",
      "SELECT * FROM $$x.parquet$$",
      'SELECT * FROM "x.parquet"',
      'WITH "x.csv" AS (SELECT 1) SELECT * FROM "x.csv"',
    ]) {
      await assert.rejects(
        passes(sql),
        (e: ClickstreamError) => ["CS_ERR_QUERY_FORBIDDEN", "CS_ERR_CATALOG_NOT_FOUND"].includes(e.code),
        sql,
      );
    }
    await refuses("SELECT * FROM '/etc/passwd'", "CS_ERR_QUERY_FORBIDDEN", /by path/);
    await refuses("SELECT * FROM system.main.duckdb_views", "CS_ERR_QUERY_FORBIDDEN", /own catalog/);
  });

  test("constructs outside plain queries are refused", async () => {
    await refuses("SELECT * FROM (DESCRIBE transformed)", "CS_ERR_QUERY_UNSUPPORTED", /DESCRIBE/);
    await refuses("SELECT * FROM (SHOW ALL TABLES)", "CS_ERR_QUERY_UNSUPPORTED");
    await refuses("SELECT * FROM (PIVOT transformed ON x USING sum(y))", "CS_ERR_QUERY_FORBIDDEN");
    await refuses("SELECT 'a' COLLATE nocase", "CS_ERR_QUERY_UNSUPPORTED", /collate/);
    await passes("SELECT ? AS bound FROM transformed WHERE day = ?");
    await refuses("COPY transformed TO 'x.csv'", "CS_ERR_QUERY_FORBIDDEN");
    await refuses("SELECT 1; SELECT 2", "CS_ERR_QUERY_SYNTAX", /one statement/);
    await refuses("SELECT FROM FROM", "CS_ERR_QUERY_SYNTAX");
  });
});

describe("the lists themselves", () => {
  test("every allowed name exists in DuckDB (or is one of our macros); none is a table function or pragma", async () => {
    const all = await duckdbFunctions();
    const known = new Set([...all.map((f) => f.name), ...athenaMacroNames]);
    const tabular = new Set(all.filter((f) => ["table", "pragma"].includes(f.type)).map((f) => f.name));
    for (const name of engineFunctionNames) {
      assert.ok(known.has(name), `${name} is not a DuckDB function`);
      assert.ok(!tabular.has(name), `${name} is a DuckDB table function or pragma`);
      assert.ok(!stateFunctions.includes(name), `${name} is listed as reaching state`);
    }
  });

  // One call per mapped Athena function (the unsupported ones are refused by the rewrite with a hint).
  const samples: Record<string, string> = {
    date_parse: "date_parse('2026-11-05', '%Y-%m-%d')",
    date_format: "date_format(TIMESTAMP '2026-11-05 00:00:00', '%Y')",
    date_diff: "date_diff('day', DATE '2026-11-01', DATE '2026-11-05')",
    date_add:
      "date_add('week', 1, DATE '2026-11-01'), date_add('quarter', 1, DATE '2026-11-01'), date_add('millisecond', 1, DATE '2026-11-01')",
    date_trunc: "date_trunc('month', DATE '2026-11-05')",
    from_iso8601_timestamp: "from_iso8601_timestamp('2026-11-05T00:00:00Z')",
    from_iso8601_date: "from_iso8601_date('2026-11-05')",
    to_iso8601: "to_iso8601(DATE '2026-11-05')",
    from_unixtime: "from_unixtime(0)",
    to_unixtime: "to_unixtime(TIMESTAMP '2026-11-05 00:00:00')",
    now: "now()",
    concat: "concat('a', 'b')",
    approx_distinct: "approx_distinct(1)",
    approx_percentile: "approx_percentile(1, 0.5)",
    split_part: "split_part('a,b', ',', 1)",
    regexp_like: "regexp_like('a', 'a')",
    regexp_extract: "regexp_extract('a1', '\\d')",
    regexp_replace: "regexp_replace('a1', '\\d', 'x')",
    url_extract_host: "url_extract_host('https://a.b/c')",
    url_extract_path: "url_extract_path('https://a.b/c')",
    url_extract_parameter: "url_extract_parameter('https://a.b/c?x=1', 'x')",
    url_extract_protocol: "url_extract_protocol('https://a.b/c')",
    url_extract_port: "url_extract_port('https://a.b:8/c')",
    url_extract_query: "url_extract_query('https://a.b/c?x=1')",
    url_extract_fragment: "url_extract_fragment('https://a.b/c#f')",
    element_at: "element_at(ARRAY[1], 1)",
    cardinality: "cardinality(ARRAY[1])",
    day_of_week: "day_of_week(DATE '2026-11-05')",
    dow: "dow(DATE '2026-11-05')",
    day_of_year: "day_of_year(DATE '2026-11-05')",
    doy: "doy(DATE '2026-11-05')",
    week_of_year: "week_of_year(DATE '2026-11-05')",
    year_of_week: "year_of_week(DATE '2026-11-05')",
    yow: "yow(DATE '2026-11-05')",
    json_extract_scalar: "json_extract_scalar('{\"a\":1}', '$.a')",
    array_join: "array_join(ARRAY['a'], ',')",
    contains: "contains(ARRAY[1], 1)",
    truncate: "truncate(1.5)",
    rand: "rand()",
    greatest: "greatest(1, 2)",
    least: "least(1, 2)",
  };

  test("every mapped Athena function's rewrite calls only allowed functions", async () => {
    const refusedByRewrite = [
      "format_datetime",
      "parse_datetime",
      "at_timezone",
      "with_timezone",
      "approx_set",
      "merge",
      "numeric_histogram",
      "qdigest_agg",
      "tdigest_agg",
    ];
    assert.deepEqual(
      [...mappedFunctions].sort(),
      [...Object.keys(samples), ...refusedByRewrite].sort(),
      "a sample for every mapped function",
    );
    for (const [name, call] of Object.entries(samples)) {
      const sql = `SELECT ${call}`;
      await passes(sql, athena);
      const rewritten = rewriteAthena(sql, tokenize(sql), { now: new Date(0), partitionKeys: new Set() });
      await passes(rewritten);
      await connection.run(rewritten).catch((error: unknown) => {
        assert.fail(`${name}: ${rewritten}: ${String(error)}`);
      });
    }
  });
});

describe("DuckDB locked down (the last layer, with no guard in front)", () => {
  test("only the given files open; no SET undoes it", async () => {
    const dir = await tempDir();
    const own = await DuckDBInstance.create(":memory:", { temp_directory: join(dir, "tmp") });
    const c = await own.connect();
    try {
      const served = join(dir, "served.csv");
      const other = join(dir, "other.csv");
      await writeFile(served, "a\n1\n");
      await writeFile(other, "a\n2\n");
      await lockDown(c, [served]);
      assert.deepEqual((await c.runAndReadAll(`SELECT a FROM read_csv('${served}')`)).getRowsJS(), [[1n]]);
      for (const sql of [
        `SELECT a FROM read_csv('${other}')`,
        `SELECT * FROM glob('${dir}/*')`,
        `COPY (SELECT 1) TO '${join(dir, "out.csv")}'`,
        `ATTACH '${join(dir, "x.duckdb")}' AS x`,
        "SET enable_external_access = true",
        "SET allowed_paths = ['/etc/passwd']",
        "RESET lock_configuration",
      ]) {
        await assert.rejects(c.run(sql), /Permission|disabled|locked|configuration/i, sql);
      }
    } finally {
      c.closeSync();
      own.closeSync();
    }
  });
});

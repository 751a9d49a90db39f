// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { openQueryEngine, type QueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, partitionOf, writeTransformedFixture } from "../support/transformed-fixture.js";

// Hostile statements against a real engine over a real warehouse: every spelling the review used, and
// more. None may run, none may leave a file behind, and the engine must keep answering afterwards.
const events = generateEvents({ seed: 5, startDate: "2026-11-03", days: 3, users: 10 });
let dir: string;
let engine: QueryEngine;
let filesBefore: string[];
const config = parseConfig({ warehouse: { dir: "unused" }, query: { duckdbThreads: 1 } });

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

before(async () => {
  dir = await tempDir();
  const storage = new LocalStorage(dir);
  // Day 05 stays out of the catalog: its files exist but are not readable through a query.
  await writeTransformedFixture(
    storage,
    events.filter((e) => partitionOf(e).day !== "05"),
  );
  await runCrawler({ storage, config });
  await writeTransformedFixture(
    storage,
    events.filter((e) => partitionOf(e).day === "05"),
  );
  engine = await openQueryEngine({ storage, config });
  filesBefore = await filesUnder(dir);
});
after(() => engine?.close());

const refused = (code: string) => (error: ClickstreamError) => {
  assert.equal(error.code, code, error.message);
  return true;
};

describe("functions that change engine state or reach files are refused however they are spelled", () => {
  const uncatalogued = (): string => `${dir}/transformed/year=2026/month=11/day=05/part-0.parquet`;
  const statements = (): string[] => [
    // The review's spellings.
    `SELECT * FROM "enable_logging"(storage='file', storage_path='${dir}/transformed/x')`,
    `SELECT "write_log"('x')`,
    `SELECT "current_setting"('allowed_directories')`,
    `SELECT * FROM "duckdb_settings"()`,
    `SELECT * FROM "query"('SELECT 42')`,
    `SELECT * FROM "enable_profiling"()`,
    `SELECT count(*) FROM "read_parquet"('${uncatalogued()}')`,
    // Case, quoting and qualification.
    `SELECT * FROM "ENABLE_LOGGING"()`,
    `SELECT * FROM Enable_Logging()`,
    `SELECT "Current_Setting"('threads')`,
    `SELECT * FROM "query_table"('transformed')`,
    `SELECT * FROM system.main.read_parquet('${uncatalogued()}')`,
    `SELECT * FROM "system"."main"."read_parquet"('${uncatalogued()}')`,
    `SELECT main.current_setting('threads')`,
    `SELECT system.main.current_setting('threads')`,
    `SELECT "main"."getvariable"('x')`,
    `SELECT awsdatacatalog.clickstream_db.lower('x')`,
    `SELECT * FROM glob('${dir}/*')`,
    `SELECT * FROM "GLOB"('${dir}/*')`,
    `SELECT * FROM parquet_metadata('${uncatalogued()}')`,
    `SELECT * FROM "parquet_schema"('${uncatalogued()}')`,
    `SELECT * FROM read_csv_auto('${dir}/_state/catalog/databases/clickstream_db.json')`,
    `SELECT * FROM "read_text"('/etc/hostname')`,
    `SELECT json_execute_serialized_sql('{}')`,
    `SELECT * FROM "json_execute_serialized_sql"('{}')`,
    `SELECT getvariable('x')`,
    `SELECT setseed(0.5)`,
    `SELECT * FROM checkpoint()`,
    `SELECT * FROM duckdb_logs`,
    `SELECT * FROM "duckdb_secrets"()`,
    `SELECT * FROM disable_logging()`,
    `SELECT * FROM truncate_duckdb_logs()`,
    `SELECT * FROM pragma_database_list`,
    `SELECT * FROM duckdb_views`,
    `SELECT * FROM information_schema.tables`,
    `SELECT * FROM system.main.duckdb_settings`,
    `SELECT * FROM (DESCRIBE transformed)`,
    `SELECT * FROM (SUMMARIZE transformed)`,
    `SELECT * FROM (FROM duckdb_settings())`,
    // Files by path, in every string form.
    `SELECT * FROM '${uncatalogued()}'`,
    `SELECT * FROM E'${uncatalogued()}'`,
    `SELECT * FROM $$${uncatalogued()}$$`,
    `SELECT * FROM $p$${uncatalogued()}$p$`,
    `SELECT * FROM "${uncatalogued()}"`,
    `SELECT * FROM transformed, '${uncatalogued()}'`,
    // Text a broken tokenizer takes for a literal or comment, hiding the call behind it.
    `SELECT E'\\'', current_setting('threads') --'`,
    `SELECT e'\\\\', "current_setting"('threads') --'`,
    `SELECT $$ ' $$, current_setting('threads') --'`,
    `SELECT $t$ ' $t$, current_setting('threads') --'`,
    `SELECT 1 /* /* */ ' */, current_setting('threads') --'`,
    `SELECT 1 --x\r, current_setting('threads')`,
    `SELECT 1 \`, current_setting('threads') --\``,
    // Statements.
    `CALL "enable_logging"()`,
    `PRAGMA enable_profiling`,
    `SET enable_external_access = true`,
    `SET lock_configuration = false`,
    `RESET allowed_paths`,
    `COPY (SELECT 1) TO '${dir}/transformed/x.csv'`,
    `ATTACH '${dir}/x.duckdb' AS x`,
    `INSTALL httpfs`,
    `LOAD httpfs`,
    `EXPORT DATABASE '${dir}/export'`,
    `EXPLAIN SELECT * FROM "read_text"('/etc/hostname')`,
    `EXPLAIN ANALYZE SELECT "current_setting"('threads')`,
    `WITH x AS (SELECT 1) SELECT * FROM "query"('SELECT 1')`,
    `SELECT * FROM (SELECT * FROM "read_blob"('/etc/hostname'))`,
    `SELECT (SELECT "current_setting"('threads'))`,
    `SELECT list_transform([1], lambda x: "current_setting"('threads'))`,
  ];

  test("each statement is refused with CS_ERR_QUERY_FORBIDDEN (or is unknown to the catalog)", async () => {
    for (const sql of statements()) {
      await assert.rejects(
        engine.run(sql),
        (error: ClickstreamError) => {
          assert.ok(
            ["CS_ERR_QUERY_FORBIDDEN", "CS_ERR_QUERY_UNSUPPORTED", "CS_ERR_CATALOG_NOT_FOUND"].includes(
              error.code,
            ),
            `${sql}: ${error.code} ${error.message}`,
          );
          return true;
        },
        sql,
      );
    }
  });

  test("functions that reach files or state are named as forbidden", async () => {
    for (const sql of [
      `SELECT "current_setting"('threads')`,
      `SELECT * FROM "enable_logging"()`,
      `SELECT E'\\'', current_setting('threads') --'`,
      `SELECT main.lower('x')`,
      `SELECT * FROM '${uncatalogued()}'`,
      `SELECT * FROM system.main.duckdb_settings`,
    ]) {
      await assert.rejects(engine.run(sql), refused("CS_ERR_QUERY_FORBIDDEN"), sql);
    }
  });

  test("nothing was written, and the engine still answers from the catalogued partitions only", async () => {
    assert.deepEqual(await filesUnder(dir), filesBefore);
    const visible = events.filter((e) => partitionOf(e).day !== "05").length;
    assert.deepEqual((await engine.run("SELECT count(*) FROM transformed")).rows, [[visible]]);
  });
});

describe("Athena functions stay available", () => {
  test("histogram() is an aggregate, not a table function", async () => {
    const result = await engine.run("SELECT histogram(event_type) AS h FROM transformed WHERE day = '03'");
    const expected: Record<string, number> = {};
    for (const e of events.filter((x) => partitionOf(x).day === "03"))
      expected[e.event_type] = (expected[e.event_type] ?? 0) + 1;
    assert.deepEqual(result.rows, [[expected]]);
  });

  test("quoted and mixed-case names of allowed functions resolve as DuckDB resolves them", async () => {
    assert.deepEqual(
      (await engine.run(`SELECT "LOWER"('A'), Upper('b'), "Date_Format"(DATE '2026-11-05', '%Y')`)).rows,
      [["a", "B", "2026"]],
    );
  });

  test("string forms DuckDB accepts are read as strings, not code", async () => {
    assert.deepEqual(
      (await engine.run(`SELECT E'it\\'s', $$current_setting('x')$$, $q$ ' $q$, 'a''b' /* /* */ */ -- x`))
        .rows,
      [["it's", "current_setting('x')", " ' ", "a'b"]],
    );
  });

  test("a function DuckDB has but Athena does not is unsupported, named", async () => {
    await assert.rejects(
      engine.run("SELECT strftime(DATE '2026-11-05', '%Y')"),
      (error: ClickstreamError) =>
        error.code === "CS_ERR_QUERY_UNSUPPORTED" && /strftime/.test(error.message),
    );
  });

  test("CTEs, subqueries, UNNEST, windows, VALUES and EXPLAIN pass", async () => {
    const sql = `WITH t AS (SELECT event_type, count(*) AS n FROM transformed GROUP BY 1)
      SELECT x, (SELECT max(n) FROM t) AS top, row_number() OVER (ORDER BY x) AS r
      FROM (VALUES (1), (2)) AS v(x) CROSS JOIN UNNEST(ARRAY['a']) AS u(y)`;
    assert.equal((await engine.run(sql)).rows.length, 2);
    assert.ok((await engine.run(`EXPLAIN ${sql}`)).rows.length > 0);
  });
});

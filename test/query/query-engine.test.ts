// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CatalogStore } from "../../src/catalog/catalog-store.js";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { openQueryEngine, type QueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { transformedColumns } from "../../src/contract/data-contract.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, partitionOf, writeTransformedFixture } from "../support/transformed-fixture.js";

const events = generateEvents({ seed: 11, startDate: "2026-11-03", days: 4, users: 20 });
const countOn = (day: string): number => events.filter((e) => partitionOf(e).day === day).length;
let storage: LocalStorage;
let engine: QueryEngine;
let keys: string[];
const config = parseConfig({ warehouse: { dir: "unused" }, query: { duckdbThreads: 2 } });

before(async () => {
  storage = new LocalStorage(await tempDir());
  keys = await writeTransformedFixture(storage, events, { filesPerDay: 2 });
  await runCrawler({ storage, config });
  engine = await openQueryEngine({ storage, config, now: "2026-11-06T10:00:00.000Z" });
});
after(() => engine?.close());

const one = async (sql: string): Promise<unknown[]> => (await engine.run(sql)).rows[0]!;
async function rejects(sql: string, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(engine.run(sql), (error: ClickstreamError) => {
    assert.equal(error.code, code, `${sql}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe("table resolution and catalog visibility", () => {
  test("transformed, clickstream_db.transformed and awsdatacatalog.clickstream_db.transformed resolve", async () => {
    for (const name of [
      "transformed",
      "clickstream_db.transformed",
      '"awsdatacatalog"."clickstream_db"."transformed"',
    ]) {
      assert.deepEqual(await one(`SELECT count(*) FROM ${name}`), [events.length], name);
    }
  });

  test("an unknown table fails with CS_ERR_CATALOG_NOT_FOUND", async () => {
    await rejects("SELECT * FROM clicks", "CS_ERR_CATALOG_NOT_FOUND", /clicks/);
  });

  test("only catalogued partitions are visible; MSCK REPAIR TABLE adds the new ones", async () => {
    const local = new LocalStorage(await tempDir());
    await writeTransformedFixture(
      local,
      events.filter((e) => partitionOf(e).day !== "06"),
    );
    await runCrawler({ storage: local, config });
    await writeTransformedFixture(
      local,
      events.filter((e) => partitionOf(e).day === "06"),
    );
    const own = await openQueryEngine({ storage: local, config });
    try {
      const visible = events.length - countOn("06");
      assert.deepEqual((await own.run("SELECT count(*) AS n FROM transformed")).rows, [[visible]]);
      assert.deepEqual((await own.run("SELECT count(*) FROM transformed WHERE day = '06'")).rows, [[0]]);
      const repaired = await own.run("MSCK REPAIR TABLE transformed");
      assert.deepEqual(repaired.rows, [["year=2026/month=11/day=06", "added"]]);
      assert.deepEqual((await own.run("SELECT count(*) FROM transformed")).rows, [[events.length]]);
      const partitions = await own.run("SHOW PARTITIONS transformed");
      assert.equal(partitions.rows.length, 4);
      assert.deepEqual((await own.run("MSCK REPAIR TABLE clickstream_db.transformed")).rows, []);
    } finally {
      own.close();
    }
  });
});

describe("partition pruning", () => {
  test("a query filtered on year/month/day reads only that partition's files (DuckDB profile)", async () => {
    const day05 = keys.filter((k) => k.includes("/day=05/")).sort();
    assert.equal(day05.length, 2);
    const pruned = await engine.profile(
      "SELECT count(*), sum(price) FROM transformed WHERE year = '2026' AND month = '11' AND day = '05'",
    );
    assert.equal(pruned.fileCount, 2);
    assert.deepEqual([...pruned.filesRead].sort(), day05);
    const sizes = await Promise.all(day05.map(async (k) => (await storage.stat("transformed", k))!.size));
    assert.equal(pruned.bytesOfFilesRead, sizes[0]! + sizes[1]!);
    const full = await engine.profile("SELECT count(*), sum(price) FROM transformed");
    assert.equal(full.fileCount, keys.length);
    assert.ok(pruned.bytesOfFilesRead > 0 && pruned.bytesOfFilesRead < full.bytesOfFilesRead / 2);
    // The answer of the pruned query is still right.
    assert.deepEqual(
      await one("SELECT count(*) FROM transformed WHERE year = '2026' AND month = '11' AND day = '05'"),
      [countOn("05")],
    );
  });

  test("a range on the string partition keys prunes too", async () => {
    const profile = await engine.profile("SELECT count(*) FROM transformed WHERE day >= '05'");
    assert.equal(profile.fileCount, 4);
    assert.deepEqual([...profile.filesRead].sort(), keys.filter((k) => /day=0[56]\//.test(k)).sort());
  });
});

describe("Athena semantics where DuckDB differs", () => {
  test("integer division is integer division, truncating toward zero", async () => {
    assert.deepEqual(await one("SELECT 7 / 2, -7 / 2, 7 / 2.0, CAST(7 AS DOUBLE) / 2"), [3, -3, 3.5, 3.5]);
  });

  test("partition keys are strings: comparing them with numbers fails as in Athena", async () => {
    await rejects("SELECT count(*) FROM transformed WHERE month = 11", "CS_ERR_QUERY_TYPE_MISMATCH", /month/);
    await rejects("SELECT count(*) FROM transformed WHERE 5 < day", "CS_ERR_QUERY_TYPE_MISMATCH", /day/);
    await rejects(
      "SELECT count(*) FROM transformed WHERE year IN (2026)",
      "CS_ERR_QUERY_TYPE_MISMATCH",
      /year/,
    );
    assert.deepEqual(await one("SELECT typeof(year), min(day), max(day) FROM transformed GROUP BY 1"), [
      "VARCHAR",
      "03",
      "06",
    ]);
    // month(x) the function is not the partition key.
    assert.deepEqual(await one("SELECT month(event_time) = 11 FROM transformed LIMIT 1"), [true]);
  });

  test("NULLs sort last for ASC and DESC (Trino's default)", async () => {
    const sql = (dir: string): string => `SELECT x FROM (VALUES (2), (NULL), (1)) AS t(x) ORDER BY x ${dir}`;
    assert.deepEqual((await engine.run(sql("ASC"))).rows, [[1], [2], [null]]);
    assert.deepEqual((await engine.run(sql("DESC"))).rows, [[2], [1], [null]]);
  });

  test("timestamps have millisecond precision", async () => {
    assert.deepEqual(
      await one(
        "SELECT date_parse('2026-11-05T14:03:07.123456Z', '%Y-%m-%dT%H:%i:%s.%fZ'), max(event_time) FROM transformed",
      ),
      [
        "2026-11-05 14:03:07.123",
        [...events]
          .map((e) => e.event_time)
          .sort()
          .at(-1)!
          .replace("T", " ")
          .replace("Z", ""),
      ],
    );
  });

  test("concat is NULL when any argument is NULL; split_part and regexp_extract give NULL when nothing is there", async () => {
    assert.deepEqual(
      await one(
        "SELECT concat('a', 'b', 'c'), concat('a', NULL), split_part('a,b', ',', 5), regexp_extract('abc', 'x')",
      ),
      ["abc", null, null, null],
    );
  });

  test("TABLESAMPLE takes a percentage, as in Trino", async () => {
    assert.deepEqual(await one("SELECT count(*) FROM transformed TABLESAMPLE BERNOULLI (100)"), [
      events.length,
    ]);
    assert.deepEqual(await one("SELECT count(*) FROM transformed TABLESAMPLE SYSTEM (0)"), [0]);
  });

  test("date_diff counts whole units like Trino, not boundaries", async () => {
    assert.deepEqual(
      await one(
        "SELECT date_diff('day', TIMESTAMP '2026-11-01 23:00:00', TIMESTAMP '2026-11-02 01:00:00'), date_diff('second', TIMESTAMP '2026-11-01 00:00:00.900', TIMESTAMP '2026-11-01 00:00:02.100')",
      ),
      [0, 1],
    );
  });
});

describe("Athena functions", () => {
  test("date and time functions", async () => {
    const row = await one(`SELECT
      date_format(TIMESTAMP '2026-11-05 14:03:07.123', '%Y-%m-%d %H:%i:%s'),
      date_add('day', 3, TIMESTAMP '2026-11-05 10:00:00'),
      date_add('hour', -2, TIMESTAMP '2026-11-05 10:00:00'),
      date_trunc('hour', TIMESTAMP '2026-11-05 10:42:00'),
      from_iso8601_timestamp('2026-11-05T14:03:07.123Z'),
      to_iso8601(TIMESTAMP '2026-11-05 14:03:07.123'),
      to_iso8601(DATE '2026-11-05'),
      from_unixtime(1700000000),
      to_unixtime(TIMESTAMP '2023-11-14 22:13:20'),
      current_date,
      year(TIMESTAMP '2026-11-05 14:03:07'), month(DATE '2026-11-05'), day(DATE '2026-11-05'), hour(TIMESTAMP '2026-11-05 14:03:07'),
      day_of_week(DATE '2026-11-08')`);
    assert.deepEqual(row, [
      "2026-11-05 14:03:07",
      "2026-11-08 10:00:00.000",
      "2026-11-05 08:00:00.000",
      "2026-11-05 10:00:00.000",
      "2026-11-05 14:03:07.123 UTC",
      "2026-11-05T14:03:07.123",
      "2026-11-05",
      "2023-11-14 22:13:20.000 UTC",
      1700000000,
      "2026-11-06",
      2026,
      11,
      5,
      14,
      7,
    ]);
  });

  test("string, regex and URL functions", async () => {
    const row = await one(`SELECT
      lpad('7', 3, '0'), split_part('a/b/c', '/', 2), regexp_like('product_view', '^product'),
      regexp_extract('order-123-x', '(\\d+)'), regexp_extract('order-123-x', 'order-(\\d+)', 1),
      regexp_replace('a1b22', '\\d+', '#'),
      url_extract_host('https://www.google.com/search?q=shoes&src=ad#top'),
      url_extract_path('https://www.google.com/search?q=shoes&src=ad#top'),
      url_extract_parameter('https://www.google.com/search?q=shoes&src=ad#top', 'src'),
      url_extract_parameter('https://www.google.com/search?q=shoes', 'missing'),
      url_extract_host('/relative/path'),
      'date_parse(current_date) -- not code'`);
    assert.deepEqual(row, [
      "007",
      "b",
      true,
      "123",
      "123",
      "a#b#",
      "www.google.com",
      "/search",
      "ad",
      null,
      null,
      "date_parse(current_date) -- not code",
    ]);
  });

  test("aggregates, arrays, maps and windows over aggregates", async () => {
    const byType = new Map<string, number>();
    for (const e of events) byType.set(e.event_type, (byType.get(e.event_type) ?? 0) + 1);
    const result = await engine.run(`SELECT event_type, COUNT(*) AS n, SUM(COUNT(*)) OVER () AS total,
        count_if(price IS NOT NULL) AS priced, approx_distinct(user_id) AS users, arbitrary(event_category) IS NOT NULL AS has_category
      FROM transformed GROUP BY event_type ORDER BY event_type`);
    assert.deepEqual(
      result.columns.map((c) => c.type),
      ["varchar", "bigint", "bigint", "bigint", "bigint", "boolean"],
    );
    for (const [type, n, total, priced, users] of result.rows as [string, number, number, number, number][]) {
      const list = events.filter((e) => e.event_type === type);
      assert.equal(n, byType.get(type));
      assert.equal(total, events.length);
      assert.equal(priced, list.filter((e) => e.price !== null).length);
      assert.equal(users, new Set(list.map((e) => e.user_id)).size);
    }
    assert.deepEqual(
      await one(`SELECT approx_percentile(x, 0.5), try_cast('x1' AS integer), try_cast('12' AS integer),
        element_at(ARRAY[10, 20, 30], 2), element_at(ARRAY[10, 20, 30], -1), element_at(MAP(ARRAY['a'], ARRAY[1]), 'a'),
        cardinality(ARRAY[1, 2, 3]) FROM (VALUES (1), (2), (3), (4), (5)) AS t(x)`),
      [3, null, 12, 20, 30, 1, 3],
    );
  });

  test("constructs without a mapping fail with a message naming them", async () => {
    await rejects(
      "SELECT format_datetime(event_time, 'yyyy') FROM transformed",
      "CS_ERR_QUERY_UNSUPPORTED",
      /format_datetime/,
    );
    await rejects("SELECT no_such_function(1)", "CS_ERR_QUERY_UNSUPPORTED", /no_such_function/);
    await rejects("SELECT date_parse('x', '%U')", "CS_ERR_QUERY_UNSUPPORTED", /%U/);
    await rejects(
      "SELECT date_parse('x', event_type) FROM transformed",
      "CS_ERR_QUERY_UNSUPPORTED",
      /non-literal format/,
    );
    await rejects("SELECT date_add('fortnight', 1, current_date)", "CS_ERR_QUERY_UNSUPPORTED", /fortnight/);
    await rejects(
      "SELECT approx_percentile(price, 1, 0.5) FROM transformed",
      "CS_ERR_QUERY_UNSUPPORTED",
      /weights/,
    );
    await rejects("SHOW CREATE TABLE transformed", "CS_ERR_QUERY_UNSUPPORTED", /SHOW CREATE/);
    await rejects(
      "SELEC 1",
      "CS_ERR_QUERY_SYNTAX",
      /line 1:1: mismatched input .SELEC. \(did you mean SELECT\?\)/,
    );
    await rejects("  DROP TABLE transformed", "CS_ERR_QUERY_FORBIDDEN", /DROP/);
    await rejects("SELECT * FROM transformed WHERE", "CS_ERR_QUERY_SYNTAX");
    await rejects("SELECT 'unterminated", "CS_ERR_QUERY_SYNTAX", /unterminated string/);
  });
});

describe("catalog statements", () => {
  test("SHOW DATABASES, SHOW TABLES, DESCRIBE, SHOW COLUMNS, SHOW PARTITIONS", async () => {
    assert.deepEqual((await engine.run("SHOW DATABASES")).rows, [["clickstream_db"]]);
    assert.deepEqual((await engine.run("SHOW SCHEMAS LIKE 'click*'")).rows, [["clickstream_db"]]);
    assert.deepEqual((await engine.run("SHOW TABLES")).rows, [["transformed"]]);
    assert.deepEqual((await engine.run("SHOW TABLES IN clickstream_db 'trans*'")).rows, [["transformed"]]);
    assert.deepEqual((await engine.run("SHOW TABLES LIKE 'nothing*'")).rows, []);
    const described = await engine.run("DESCRIBE transformed");
    assert.deepEqual(
      described.columns.map((c) => c.name),
      ["col_name", "data_type", "comment"],
    );
    assert.deepEqual(
      described.rows.find((r) => r[0] === "hour"),
      ["hour", "int", ""],
    );
    assert.deepEqual(described.rows.at(-1), ["day", "string", "Partition Key"]);
    assert.equal(described.rows.length, transformedColumns.length + 3);
    assert.deepEqual(
      described.rows.find((r) => r[0] === "properties"),
      ["properties", "map<string,string>", ""],
    );
    const columns = await engine.run("SHOW COLUMNS FROM clickstream_db.transformed");
    assert.equal(columns.rows[0]![0], "event_id");
    assert.deepEqual((await engine.run("SHOW PARTITIONS transformed")).rows, [
      ["year=2026/month=11/day=03"],
      ["year=2026/month=11/day=04"],
      ["year=2026/month=11/day=05"],
      ["year=2026/month=11/day=06"],
    ]);
    await rejects("DESCRIBE other_db.transformed", "CS_ERR_CATALOG_NOT_FOUND", /other_db/);
  });

  test("in another database (dbt's, awswrangler's): SHOW TABLES IN, DESCRIBE db.t, SHOW COLUMNS FROM t IN db; SHOW TABLES stays the pipeline's", async () => {
    const store = new CatalogStore(storage);
    await store.putDatabase({ Name: "analytics", CreateTime: "2026-11-06T00:00:00.000Z", Parameters: {} });
    const transformed = (await store.getTable("clickstream_db", "transformed"))!;
    await store.putTable({
      ...transformed,
      Name: "by_type",
      DatabaseName: "analytics",
      TableType: "VIRTUAL_VIEW",
      StorageDescriptor: {
        ...transformed.StorageDescriptor,
        Location: "",
        Columns: [
          { Name: "event_type", Type: "string" },
          { Name: "n", Type: "bigint" },
        ],
      },
      PartitionKeys: [],
      ViewOriginalText: "SELECT event_type, count(*) AS n FROM clickstream_db.transformed GROUP BY 1",
    });
    const other = await openQueryEngine({ storage, config });
    try {
      assert.deepEqual((await other.run("SHOW TABLES")).rows, [["transformed"]]);
      assert.deepEqual((await other.run("SHOW TABLES IN analytics")).rows, [["by_type"]]);
      assert.deepEqual((await other.run("DESCRIBE analytics.by_type")).rows, [
        ["event_type", "string", ""],
        ["n", "bigint", ""],
      ]);
      for (const sql of [
        "SHOW COLUMNS FROM by_type IN analytics",
        'SHOW COLUMNS IN "awsdatacatalog"."analytics"."by_type"',
      ])
        assert.deepEqual((await other.run(sql)).rows, [["event_type"], ["n"]], sql);
      assert.deepEqual((await other.run("SHOW DATABASES")).rows, [["analytics"], ["clickstream_db"]]);
      await assert.rejects(other.run("DESCRIBE by_type"), /CS_ERR_CATALOG_NOT_FOUND|not found/);
      await assert.rejects(other.run("DESCRIBE analytics.transformed"), /analytics\.transformed/);
      await assert.rejects(other.run("SHOW COLUMNS FROM analytics.by_type IN analytics"), /named twice/);
    } finally {
      other.close();
      await store.deleteDatabase("analytics");
    }
  });
});

describe("safe by default", () => {
  const forbidden: [string, RegExp][] = [
    ["INSERT INTO transformed VALUES (1)", /INSERT/],
    ["CREATE TABLE x AS SELECT * FROM transformed", /CREATE/],
    ["DROP VIEW transformed", /DROP/],
    ["DELETE FROM transformed", /DELETE/],
    ["UPDATE transformed SET price = 0", /UPDATE/],
    ["COPY (SELECT * FROM transformed) TO '/tmp/out.csv'", /COPY/],
    ["ATTACH '/tmp/x.duckdb' AS x", /ATTACH/],
    ["INSTALL httpfs", /INSTALL/],
    ["LOAD httpfs", /LOAD/],
    ["SET enable_external_access = true", /SET/],
    ["RESET lock_configuration", /RESET/],
    ["PRAGMA enable_profiling", /PRAGMA/],
    ["CALL duckdb_settings()", /CALL/],
    ["EXPORT DATABASE '/tmp/db'", /EXPORT/],
    ["UNLOAD (SELECT 1) TO 's3://b/x' WITH (format = 'CSV')", /UNLOAD/],
    ["SELECT * FROM read_csv('/etc/passwd')", /read_csv/],
    ["SELECT * FROM read_csv_auto('/etc/passwd')", /read_csv_auto/],
    ["SELECT * FROM read_text('/etc/passwd')", /read_text/],
    ["SELECT * FROM read_blob('/etc/passwd')", /read_blob/],
    ["SELECT * FROM glob('/*')", /glob/],
    ["SELECT * FROM read_json('/etc/hosts')", /read_json/],
    ["SELECT * FROM read_parquet('transformed/year=2026/month=11/day=05/part-0.parquet')", /read_parquet/],
    ["SELECT * FROM parquet_scan('x.parquet')", /parquet_scan/],
    ["SELECT * FROM '/etc/passwd'", /file by path/],
    ["SELECT * FROM transformed t, 'other.parquet'", /file by path/],
    ['SELECT * FROM "/etc/passwd"', /file by path/],
    ['SELECT count(*) FROM "transformed/year=2026/month=11/day=05/part-0.parquet"', /file by path/],
    ["WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", /INSERT/],
    ["SELECT * FROM query('SELECT 1')", /query/],
    ["SELECT * FROM duckdb_settings()", /duckdb_settings/],
    ["SELECT getenv('HOME')", /getenv/],
    ["SELECT current_setting('enable_external_access')", /current_setting/],
    ["EXPLAIN COPY (SELECT 1) TO '/tmp/x'", /EXPLAIN/],
  ];
  for (const [sql, pattern] of forbidden) {
    test(`refuses ${sql}`, async () => {
      await rejects(sql, "CS_ERR_QUERY_FORBIDDEN", pattern);
    });
  }

  test("a second statement cannot ride along", async () => {
    await rejects("SELECT 1; DROP VIEW transformed", "CS_ERR_QUERY_SYNTAX", /one statement/);
    assert.deepEqual(await one("SELECT count(*) FROM transformed"), [events.length]);
  });

  test("text that only looks dangerous inside literals and comments is fine", async () => {
    assert.deepEqual(await one("SELECT 'COPY read_csv(''/etc/passwd'')' /* ATTACH */ AS s -- INSTALL"), [
      "COPY read_csv('/etc/passwd')",
    ]);
  });

  test("a query over the time limit is interrupted and the engine stays usable", async () => {
    const slow = await openQueryEngine({
      storage,
      config: parseConfig({ query: { timeoutMs: 300, duckdbThreads: 1 } }),
    });
    try {
      const started = Date.now();
      await assert.rejects(
        slow.run(
          "SELECT count(*) FROM transformed a, transformed b, transformed c, transformed d WHERE a.price * b.hour > c.price * d.hour",
        ),
        (error: ClickstreamError) => error.code === "CS_ERR_QUERY_TIMEOUT" && /300 ms/.test(error.message),
      );
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual((await slow.run("SELECT count(*) FROM transformed")).rows, [[events.length]]);
    } finally {
      slow.close();
    }
  });

  test("a result over the row cap is refused, not truncated", async () => {
    const capped = await openQueryEngine({ storage, config: parseConfig({ query: { maxResultRows: 10 } }) });
    try {
      await assert.rejects(
        capped.run("SELECT event_id FROM transformed"),
        (error: ClickstreamError) =>
          error.code === "CS_ERR_QUERY_TOO_MANY_ROWS" && /10 rows/.test(error.message),
      );
      assert.equal((await capped.run("SELECT event_id FROM transformed LIMIT 10")).rows.length, 10);
    } finally {
      capped.close();
    }
  });
});

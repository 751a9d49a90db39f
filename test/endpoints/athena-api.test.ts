import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  BatchGetNamedQueryCommand,
  GetDatabaseCommand,
  GetDataCatalogCommand,
  GetNamedQueryCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  GetWorkGroupCommand,
  ListDatabasesCommand,
  ListNamedQueriesCommand,
  ListDataCatalogsCommand,
  ListTableMetadataCommand,
  ListWorkGroupsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecution,
} from "@aws-sdk/client-athena";
import { GetTableCommand } from "@aws-sdk/client-glue";
import { parseQueryFile } from "../../src/query/query-file.js";
import {
  asAthena,
  finishedQuery,
  names,
  rejects,
  startEndpointsFixture,
  startQuery,
  type EndpointsFixture,
} from "./endpoints-fixture.js";

const queriesFile = fileURLToPath(new URL("../../../queries/athena_queries.sql", import.meta.url));
let f: EndpointsFixture;
before(async () => {
  f = await startEndpointsFixture();
});
after(() => f.stop());

const start = (sql: string, extra?: Partial<{ WorkGroup: string; OutputLocation: string }>) =>
  startQuery(f.athena, sql, extra);
const finished = (id: string): Promise<QueryExecution> => finishedQuery(f.athena, id);

/** Every row of a result, paged with MaxResults, as VarCharValues (undefined = NULL). */
async function allRows(
  id: string,
  maxResults?: number,
): Promise<{ rows: (string | undefined)[][]; pages: number }> {
  const rows: (string | undefined)[][] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: maxResults, NextToken: token }),
    );
    pages++;
    rows.push(...page.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue)));
    token = page.NextToken;
  } while (token);
  return { rows, pages };
}

describe("Athena query executions through @aws-sdk/client-athena", () => {
  test("start, poll, results: the engine's rows, Athena's types, the header row, NULL absent, the CSV", async () => {
    const sql =
      "SELECT event_type, count(*) AS n, round(avg(price), 4) AS avg_price, max(event_date) AS last_day FROM transformed GROUP BY 1 ORDER BY 1";
    const id = await start(sql);
    const e = await finished(id);
    assert.equal(e.Status!.State, "SUCCEEDED", e.Status!.StateChangeReason);
    assert.equal(e.StatementType, "DML");
    assert.equal(e.WorkGroup, names.workgroup);
    assert.equal(e.QueryExecutionContext!.Database, names.database);
    assert.equal(e.EngineVersion!.EffectiveEngineVersion, "Athena engine version 3");
    const scanned = e.Statistics!.DataScannedInBytes!;
    assert.ok(scanned > 0);
    assert.equal(scanned, (await f.engineProfile(sql)).bytesOfFilesRead, "what EXPLAIN ANALYZE says it read");
    // One day of three: the run's own profile sees the partitions pruned.
    const oneDay = "SELECT count(*) FROM transformed WHERE day = '04'";
    const pruned = (await finished(await start(oneDay))).Statistics!.DataScannedInBytes!;
    assert.ok(pruned > 0 && pruned < scanned, `${pruned} of ${scanned} bytes`);
    assert.equal(pruned, (await f.engineProfile(oneDay)).bytesOfFilesRead);
    assert.ok(e.Statistics!.TotalExecutionTimeInMillis! >= e.Statistics!.EngineExecutionTimeInMillis!);
    assert.equal(
      e.ResultConfiguration!.OutputLocation,
      `s3://${names.resultsBucket}/athena-results/${id}.csv`,
    );

    const page = await f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    const info = page.ResultSet!.ResultSetMetadata!.ColumnInfo!;
    assert.deepEqual(
      info.map((c) => [c.Name, c.Type, c.Precision, c.Scale]),
      [
        ["event_type", "varchar", 2147483647, 0],
        ["n", "bigint", 19, 0],
        ["avg_price", "double", 17, 0],
        ["last_day", "date", 0, 0],
      ],
    );
    assert.equal(page.NextToken, undefined);
    const rows = page.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue));
    assert.deepEqual(rows[0], ["event_type", "n", "avg_price", "last_day"]);
    const expected = await f.engineRun(sql);
    assert.deepEqual(rows.slice(1), asAthena(expected));
    const nullRow = page.ResultSet!.Rows!.find((r) => r.Data![0]!.VarCharValue === "page_view")!;
    assert.deepEqual(nullRow.Data![2], {}, "NULL is a Datum without VarCharValue");

    const csv = (await f.storage.readBytes("athena-results", `athena-results/${id}.csv`)).toString("utf8");
    const lines = csv.trimEnd().split("\n");
    assert.equal(lines[0], '"event_type","n","avg_price","last_day"');
    assert.equal(lines.length, expected.rows.length + 1);
    assert.match(
      lines.find((l) => l.startsWith('"page_view"'))!,
      /^"page_view","\d+",,"2026-11-05"$/,
    );
  });

  test("paging: MaxResults pages of one execution, header counted on the first, never re-run", async () => {
    // random() differs on every run: equal pages prove the rows come from the one execution.
    const sql = "SELECT event_id, random() AS r FROM transformed ORDER BY event_id";
    const id = await start(sql);
    assert.equal((await finished(id)).Status!.State, "SUCCEEDED");
    const whole = await allRows(id);
    const paged = await allRows(id, 7);
    assert.deepEqual(paged.rows, whole.rows);
    const total = f.events.length + 1;
    assert.equal(whole.rows.length, total);
    assert.equal(paged.pages, Math.ceil(total / 7));
    await rejects(
      f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1001 })),
      "InvalidRequestException",
    );
  });

  test("a NextToken of another query, an unknown id, a syntax error, a missing workgroup: InvalidRequestException", async () => {
    const a = await start("SELECT event_id FROM transformed ORDER BY 1");
    const b = await start("SELECT user_id FROM transformed ORDER BY 1");
    await finished(a);
    await finished(b);
    const first = await f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: a, MaxResults: 5 }));
    assert.ok(first.NextToken);
    await rejects(
      f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: b, NextToken: first.NextToken })),
      "InvalidRequestException",
      /NextToken/,
    );
    await rejects(
      f.athena.send(
        new GetQueryExecutionCommand({ QueryExecutionId: "00000000-0000-0000-0000-000000000000" }),
      ),
      "InvalidRequestException",
      /not found/,
    );
    await rejects(
      f.athena.send(new StartQueryExecutionCommand({ QueryString: "SELECT * FROM transformed WHERE" })),
      "InvalidRequestException",
      /syntax/i,
    );
    await rejects(start("SELECT 1", { WorkGroup: "nope" }), "InvalidRequestException", /WorkGroup nope/);
    await rejects(
      start("SELECT 1", { OutputLocation: "s3://someone-elses-bucket/" }),
      "InvalidRequestException",
      /results bucket/,
    );
  });

  test("a query refused by the engine's guard fails with AthenaError (category USER), nothing read", async () => {
    const id = await start("SELECT * FROM read_csv('/etc/passwd')");
    const e = await finished(id);
    assert.equal(e.Status!.State, "FAILED");
    assert.equal(e.Status!.AthenaError!.ErrorCategory, 2);
    assert.ok(e.Status!.StateChangeReason);
    await rejects(
      f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id })),
      "InvalidRequestException",
      /FAILED/,
    );
  });

  test("SHOW is DDL with no header row; StopQueryExecution cancels a running query", async () => {
    const show = await start("SHOW TABLES");
    const e = await finished(show);
    assert.equal(e.Status!.State, "SUCCEEDED", e.Status!.StateChangeReason);
    assert.equal(e.StatementType, "DDL");
    assert.deepEqual((await allRows(show)).rows, [["transformed"]]);

    const slow = await start(
      "SELECT count(*) FROM transformed a, transformed b, transformed c, transformed d, transformed e",
    );
    const running = await f.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: slow }));
    assert.equal(running.QueryExecution!.Status!.State, "RUNNING");
    await rejects(
      f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: slow })),
      "InvalidRequestException",
      /Query has not yet finished\. Current state: RUNNING/,
    );
    await f.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: slow }));
    const stopped = await finished(slow);
    assert.equal(stopped.Status!.State, "CANCELLED");
    await rejects(
      f.athena.send(new GetQueryResultsCommand({ QueryExecutionId: slow })),
      "InvalidRequestException",
    );
  });
});

describe("Athena metadata through @aws-sdk/client-athena", () => {
  test("workgroups with EngineVersion, the data catalog, databases", async () => {
    const groups = await f.athena.send(new ListWorkGroupsCommand({}));
    assert.deepEqual(
      groups.WorkGroups!.map((w) => w.Name),
      [names.workgroup, "primary"],
    );
    const { WorkGroup } = await f.athena.send(new GetWorkGroupCommand({ WorkGroup: names.workgroup }));
    assert.equal(WorkGroup!.Configuration!.EngineVersion!.EffectiveEngineVersion, "Athena engine version 3");
    assert.equal(WorkGroup!.Configuration!.EnforceWorkGroupConfiguration, false);
    assert.equal(
      WorkGroup!.Configuration!.ResultConfiguration!.OutputLocation,
      `s3://${names.resultsBucket}/athena-results/`,
    );
    const catalogs = await f.athena.send(new ListDataCatalogsCommand({}));
    assert.deepEqual(catalogs.DataCatalogsSummary, [{ CatalogName: "AwsDataCatalog", Type: "GLUE" }]);
    const { DataCatalog } = await f.athena.send(new GetDataCatalogCommand({ Name: "AwsDataCatalog" }));
    assert.equal(DataCatalog!.Type, "GLUE");
    const dbs = await f.athena.send(new ListDatabasesCommand({ CatalogName: "AwsDataCatalog" }));
    assert.deepEqual(
      dbs.DatabaseList!.map((d) => d.Name),
      [names.database],
    );
    const db = await f.athena.send(
      new GetDatabaseCommand({ CatalogName: "AwsDataCatalog", DatabaseName: names.database }),
    );
    assert.equal(db.Database!.Name, names.database);
    await rejects(
      f.athena.send(new GetDatabaseCommand({ CatalogName: "AwsDataCatalog", DatabaseName: "nope" })),
      "MetadataException",
    );
  });

  test("table metadata with columns and partition keys", async () => {
    const list = await f.athena.send(
      new ListTableMetadataCommand({ CatalogName: "AwsDataCatalog", DatabaseName: names.database }),
    );
    assert.deepEqual(
      list.TableMetadataList!.map((t) => t.Name),
      ["transformed"],
    );
    const { TableMetadata: t } = await f.athena.send(
      new GetTableMetadataCommand({
        CatalogName: "AwsDataCatalog",
        DatabaseName: names.database,
        TableName: "transformed",
      }),
    );
    assert.equal(t!.TableType, "EXTERNAL_TABLE");
    assert.deepEqual(
      t!.PartitionKeys!.map((k) => [k.Name, k.Type]),
      [
        ["year", "string"],
        ["month", "string"],
        ["day", "string"],
      ],
    );
    const described = await f.engineRun("SELECT * FROM transformed LIMIT 0");
    assert.deepEqual(
      t!.Columns!.map((c) => c.Name),
      described.columns.map((c) => c.name).filter((n) => !["year", "month", "day"].includes(n)),
    );
    await rejects(
      f.athena.send(
        new GetTableMetadataCommand({
          CatalogName: "AwsDataCatalog",
          DatabaseName: names.database,
          TableName: "nope",
        }),
      ),
      "MetadataException",
    );
  });

  test("named queries: the sections of queries/athena_queries.sql, as infra/athena.tf creates them", async () => {
    const text = readFileSync(queriesFile, "utf8");
    const sections = parseQueryFile(text).filter((q) => q.number !== undefined);
    const { NamedQueryIds } = await f.athena.send(
      new ListNamedQueriesCommand({ WorkGroup: names.workgroup }),
    );
    assert.equal(NamedQueryIds!.length, sections.length);
    const none = await f.athena.send(new ListNamedQueriesCommand({}));
    assert.deepEqual(none.NamedQueryIds, [], "the primary workgroup has none");
    const batch = await f.athena.send(
      new BatchGetNamedQueryCommand({ NamedQueryIds: [...NamedQueryIds!, "nope"] }),
    );
    assert.deepEqual(
      batch.NamedQueries!.map((q) => q.Name),
      sections.map((q) => `${Number(q.number)}. ${q.title}`),
    );
    assert.deepEqual(
      batch.UnprocessedNamedQueryIds!.map((u) => u.NamedQueryId),
      ["nope"],
    );
    const { NamedQuery } = await f.athena.send(
      new GetNamedQueryCommand({ NamedQueryId: NamedQueryIds![0]! }),
    );
    assert.equal(NamedQuery!.Database, names.database);
    assert.doesNotMatch(NamedQuery!.QueryString!, /^-- Query/);
    const id = await start(NamedQuery!.QueryString!);
    const e = await finished(id);
    assert.equal(e.Status!.State, "SUCCEEDED", e.Status!.StateChangeReason);
    const expected = await f.engineRun(NamedQuery!.QueryString!.replace(/;\s*$/, ""));
    assert.deepEqual((await allRows(id)).rows.slice(1), asAthena(expected));
    await rejects(
      f.athena.send(new GetNamedQueryCommand({ NamedQueryId: "nope" })),
      "InvalidRequestException",
    );
  });
});

describe("ExecutionParameters", () => {
  test("literals bound to the ? placeholders in order, never pasted; a non-literal is refused", async () => {
    const sql = "SELECT count(*) AS n FROM transformed WHERE event_type = ? AND hour >= ?";
    const run = async (params: string[]): Promise<string | undefined> => {
      const { QueryExecutionId } = await f.athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: names.database },
          WorkGroup: names.workgroup,
          ExecutionParameters: params,
        }),
      );
      const e = await finished(QueryExecutionId!);
      assert.equal(e.Status!.State, "SUCCEEDED", e.Status!.StateChangeReason);
      const { ResultSet } = await f.athena.send(new GetQueryResultsCommand({ QueryExecutionId }));
      return ResultSet!.Rows![1]!.Data![0]!.VarCharValue;
    };
    const expected = await f.engineRun(
      "SELECT count(*) AS n FROM transformed WHERE event_type = 'page_view' AND hour >= 3",
    );
    assert.ok(Number(expected.rows[0]![0]) > 0);
    assert.equal(await run(["'page_view'", "3"]), String(expected.rows[0]![0]));
    // A quote inside a string literal stays part of the value: the statement's text never changes.
    assert.equal(await run(["'page_view'' OR ''1''=''1'", "0"]), "0");
    await rejects(
      f.athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: names.workgroup,
          ExecutionParameters: ["page_view", "3"],
        }),
      ),
      "InvalidRequestException",
      /not a literal/,
    );
  });
});

describe("Athena writes (CREATE/DROP DATABASE, CTAS, DROP TABLE/VIEW) in other databases; clickstream_db read-only", () => {
  const ddl = async (sql: string): Promise<QueryExecution> => finished(await start(sql));

  test("CREATE DATABASE, DROP DATABASE in other databases; writes to clickstream_db fail with a clear error", async () => {
    const created = await ddl("CREATE DATABASE IF NOT EXISTS `analytics` COMMENT 'mine'");
    assert.equal(created.Status!.State, "SUCCEEDED", created.Status!.StateChangeReason);
    assert.equal(created.StatementType, "DDL");
    const { ResultSet } = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: created.QueryExecutionId }),
    );
    assert.deepEqual(ResultSet!.Rows, []);
    const { DatabaseList } = await f.athena.send(new ListDatabasesCommand({ CatalogName: "AwsDataCatalog" }));
    assert.deepEqual(DatabaseList!.map((d) => [d.Name, d.Description]).sort(), [
      ["analytics", "mine"],
      [names.database, DatabaseList!.find((d) => d.Name === names.database)!.Description],
    ]);
    assert.equal((await ddl("CREATE SCHEMA IF NOT EXISTS analytics")).Status!.State, "SUCCEEDED");
    const again = await ddl("CREATE DATABASE analytics");
    assert.equal(again.Status!.State, "FAILED");
    assert.match(again.Status!.StateChangeReason!, /already exists/);

    for (const sql of [
      "CREATE TABLE clickstream_db.t AS SELECT 1 AS x",
      "CREATE VIEW v AS SELECT 1 AS x",
      "DROP TABLE transformed",
      "DROP DATABASE clickstream_db CASCADE",
    ]) {
      const e = await ddl(sql);
      assert.equal(e.Status!.State, "FAILED", sql);
      assert.match(e.Status!.StateChangeReason!, /clickstream_db is read-only here/, sql);
      assert.equal(e.Status!.AthenaError!.ErrorCategory, 2, "a user error");
    }
    // CREATE VIEW: recorded as Athena records a view, served by the engine, checked by its guard.
    const viewSql = "SELECT event_type, count(*) AS n FROM clickstream_db.transformed GROUP BY 1";
    const view = await ddl(`CREATE VIEW analytics.counts AS ${viewSql}`);
    assert.equal(view.Status!.State, "SUCCEEDED", view.Status!.StateChangeReason);
    const viewed = await ddl("SELECT * FROM analytics.counts ORDER BY 1");
    assert.equal(viewed.Status!.State, "SUCCEEDED", viewed.Status!.StateChangeReason);
    const { ResultSet: vs } = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: viewed.QueryExecutionId }),
    );
    assert.deepEqual(
      vs!.Rows!.slice(1).map((r) => r.Data!.map((d) => d.VarCharValue)),
      asAthena(await f.engineRun(`${viewSql} ORDER BY 1`)),
    );
    const { TableMetadata: vm } = await f.athena.send(
      new GetTableMetadataCommand({
        CatalogName: "AwsDataCatalog",
        DatabaseName: "analytics",
        TableName: "counts",
      }),
    );
    assert.equal(vm!.TableType, "VIRTUAL_VIEW");
    assert.match(
      (await ddl(`CREATE VIEW analytics.counts AS ${viewSql}`)).Status!.StateChangeReason!,
      /already exists/,
    );
    assert.equal(
      (await ddl(`CREATE OR REPLACE VIEW analytics.counts AS ${viewSql} HAVING count(*) > 5`)).Status!.State,
      "SUCCEEDED",
    );
    const forbidden = await ddl("CREATE VIEW analytics.bad AS SELECT * FROM read_csv('/etc/passwd')");
    assert.equal(forbidden.Status!.State, "FAILED", "the engine's guard refuses the view's query");
    assert.equal((await ddl("DROP VIEW analytics.counts")).Status!.State, "SUCCEEDED");
    assert.equal((await ddl("DROP TABLE IF EXISTS analytics.nothing")).Status!.State, "SUCCEEDED");

    // CTAS: the query on the engine (its guard), the rows as Parquet in a folder of the results bucket of
    // their own, the table in the catalog, a manifest listing the file.
    const select =
      "SELECT event_type, count(*) AS n, max(price) AS top FROM transformed GROUP BY 1 ORDER BY 1";
    const ctas = await ddl(`CREATE TABLE analytics.by_type WITH (format = 'PARQUET') AS ${select}`);
    assert.equal(ctas.Status!.State, "SUCCEEDED", ctas.Status!.StateChangeReason);
    assert.equal(ctas.SubstatementType, "CREATE_TABLE_AS_SELECT");
    const manifest = /^s3:\/\/([^/]+)\/(.+)$/.exec(ctas.Statistics!.DataManifestLocation!)!;
    assert.equal(manifest[1], names.resultsBucket);
    const files = (await f.storage.readBytes("athena-results", manifest[2]!))
      .toString("utf8")
      .trim()
      .split("\n");
    assert.deepEqual(files, [
      `s3://${names.resultsBucket}/athena-results/tables/${ctas.QueryExecutionId}/${ctas.QueryExecutionId}_00000.parquet`,
    ]);
    const { TableMetadata } = await f.athena.send(
      new GetTableMetadataCommand({
        CatalogName: "AwsDataCatalog",
        DatabaseName: "analytics",
        TableName: "by_type",
      }),
    );
    assert.deepEqual(
      TableMetadata!.Columns!.map((c) => [c.Name, c.Type]),
      [
        ["event_type", "string"],
        ["n", "bigint"],
        ["top", "double"],
      ],
    );
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    const parquet = f.storage.localPath(
      "athena-results",
      files[0]!.replace(`s3://${names.resultsBucket}/`, ""),
    )!;
    const written = await duck.runAndReadAll(`SELECT * FROM read_parquet('${parquet}') ORDER BY 1`);
    // getRowsJson gives a BIGINT as text.
    assert.deepEqual(
      written.getRowsJson(),
      (await f.engineRun(select)).rows.map(([type, n, top]) => [type, String(n), top]),
    );
    duck.closeSync();
    // The table is queryable, qualified with its database, through the same engine.
    const back = await ddl("SELECT event_type, n, top FROM analytics.by_type ORDER BY 1");
    assert.equal(back.Status!.State, "SUCCEEDED", back.Status!.StateChangeReason);
    const { ResultSet: rs } = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: back.QueryExecutionId }),
    );
    assert.deepEqual(
      rs!.Rows!.slice(1).map((r) => r.Data!.map((d) => d.VarCharValue)),
      asAthena(await f.engineRun(select)),
    );
    const local = await f.engineRun("SELECT count(*) AS n FROM analytics.by_type");
    assert.equal(local.rows[0]![0], rs!.Rows!.length - 1, "clickstream query's engine serves it too");
    const exists = await ddl(`CREATE TABLE analytics.by_type AS ${select}`);
    assert.match(exists.Status!.StateChangeReason!, /already exists/);
    assert.equal(
      (await ddl(`CREATE TABLE IF NOT EXISTS analytics.by_type AS ${select}`)).Status!.State,
      "SUCCEEDED",
    );
    const outside = await ddl(
      `CREATE TABLE analytics.x WITH (external_location = 's3://${names.resultsBucket}/transformed/x/') AS SELECT 1 AS x`,
    );
    assert.match(outside.Status!.StateChangeReason!, /must be under s3:/);
    const refused = await ddl("CREATE TABLE analytics.y AS SELECT * FROM read_csv('/etc/passwd')");
    assert.equal(refused.Status!.State, "FAILED", "the engine's guard refuses the query as for a SELECT");

    // Catalog-qualified names, as dbt-athena writes them; a query with another database as its context.
    const three = await ddl(`CREATE TABLE "awsdatacatalog"."analytics"."by_type2" AS ${select}`);
    assert.equal(three.Status!.State, "SUCCEEDED", three.Status!.StateChangeReason);
    const { QueryExecutionId: inContext } = await f.athena.send(
      new StartQueryExecutionCommand({
        QueryString: "SELECT count(*) FROM analytics.by_type2",
        QueryExecutionContext: { Database: "analytics" },
        WorkGroup: names.workgroup,
      }),
    );
    const contextRun = await finished(inContext!);
    assert.equal(contextRun.Status!.State, "SUCCEEDED", contextRun.Status!.StateChangeReason);
    assert.equal((await ddl("DROP TABLE awsdatacatalog.analytics.by_type2")).Status!.State, "SUCCEEDED");
    const notEmpty = await ddl("DROP DATABASE analytics");
    assert.match(notEmpty.Status!.StateChangeReason!, /not empty/);
    assert.equal((await ddl("DROP TABLE analytics.by_type")).Status!.State, "SUCCEEDED");
    assert.equal((await ddl("DROP DATABASE analytics")).Status!.State, "SUCCEEDED");
    assert.equal((await ddl("DROP DATABASE IF EXISTS analytics")).Status!.State, "SUCCEEDED");
    const gone = await f.athena.send(new ListDatabasesCommand({ CatalogName: "AwsDataCatalog" }));
    assert.deepEqual(
      gone.DatabaseList!.map((d) => d.Name),
      [names.database],
    );
    await rejects(start("CREATE DATABASE `bad name`"), "InvalidRequestException");
  });

  test("dbt-athena's table DDL: CTAS WITH (table_type='hive', is_external=true, external_location, format), ALTER TABLE … SET TBLPROPERTIES", async () => {
    assert.equal((await ddl("create schema if not exists `dbt_like`")).Status!.State, "SUCCEEDED");
    const location = `s3://${names.resultsBucket}/athena-results/dbt/tables/dbt_like/sessions`;
    const ctas = await ddl(
      `create table "awsdatacatalog"."dbt_like"."sessions" with (table_type='hive', is_external=true,external_location='${location}', format='parquet') as select session_id, count(*) as events from clickstream_db.transformed group by 1`,
    );
    assert.equal(ctas.Status!.State, "SUCCEEDED", ctas.Status!.StateChangeReason);
    const { Table } = await f.glue.send(new GetTableCommand({ DatabaseName: "dbt_like", Name: "sessions" }));
    assert.equal(Table!.StorageDescriptor!.Location, `${location}/`);
    assert.equal(Table!.VersionId, "1");
    assert.equal(Table!.Parameters!.classification, "parquet");

    const altered = await ddl(
      "alter table `dbt_like`.`sessions` set tblproperties ('classification' = 'parquet', 'owner' = 'dbt')",
    );
    assert.equal(altered.Status!.State, "SUCCEEDED", altered.Status!.StateChangeReason);
    assert.equal(altered.StatementType, "DDL");
    const { Table: after } = await f.glue.send(
      new GetTableCommand({ DatabaseName: "dbt_like", Name: "sessions" }),
    );
    assert.equal(after!.Parameters!.owner, "dbt");
    assert.equal(after!.Parameters!.parquet_compression, "ZSTD", "the other properties kept");
    assert.equal(after!.VersionId, "2");
    assert.deepEqual(
      after!.StorageDescriptor!.Columns!.map((c) => c.Name),
      ["session_id", "events"],
    );

    assert.equal((await ddl("CREATE VIEW dbt_like.v AS SELECT 1 AS x")).Status!.State, "SUCCEEDED");
    for (const [sql, reason] of [
      [
        "create table dbt_like.managed with (is_external=false, table_type='hive') as select 1 as x",
        /NOT_SUPPORTED: is_external=false/,
      ],
      [
        "alter table clickstream_db.transformed set tblproperties ('a' = 'b')",
        /clickstream_db is read-only here/,
      ],
      ["alter table dbt_like.nothing set tblproperties ('a' = 'b')", /TABLE_NOT_FOUND/],
      ["alter table dbt_like.v set tblproperties ('a' = 'b')", /is a view/],
      ["alter table dbt_like.sessions rename to dbt_like.s2", /NOT_SUPPORTED: ALTER TABLE RENAME TO/],
    ] as const) {
      const e = await ddl(sql);
      assert.equal(e.Status!.State, "FAILED", sql);
      assert.match(e.Status!.StateChangeReason!, reason, sql);
      assert.equal(e.Status!.AthenaError!.ErrorCategory, 2, "a user error");
    }
    await rejects(
      start("alter table dbt_like.sessions set tblproperties ('a' = 'b'"),
      "InvalidRequestException",
      /must end with \)/,
    );
    await rejects(
      start("alter table dbt_like.sessions set tblproperties (a = 'b')"),
      "InvalidRequestException",
      /a quoted string is missing/,
    );
    assert.equal((await ddl("DROP TABLE dbt_like.sessions")).Status!.State, "SUCCEEDED");
    assert.equal((await ddl("DROP DATABASE dbt_like CASCADE")).Status!.State, "SUCCEEDED");
  });
});

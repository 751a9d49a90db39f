import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  BatchCreatePartitionCommand,
  BatchDeletePartitionCommand,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTableCommand,
  SearchTablesCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-glue";
import { names, rejects, startEndpointsFixture, type EndpointsFixture } from "./endpoints-fixture.js";

let f: EndpointsFixture;
before(async () => {
  f = await startEndpointsFixture();
});
after(() => f.stop());

const tableInput = {
  Name: "Daily_Counts",
  TableType: "EXTERNAL_TABLE",
  Parameters: { classification: "parquet" },
  StorageDescriptor: {
    Columns: [
      { Name: "event_type", Type: "string" },
      { Name: "n", Type: "bigint" },
    ],
    Location: "s3://my-bucket/daily_counts/",
    InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    SerdeInfo: { SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
  },
  PartitionKeys: [{ Name: "dt", Type: "string" }],
};

describe("the Data Catalog's write side through @aws-sdk/client-glue", () => {
  test("CreateDatabase, CreateTable, UpdateTable, partitions, SearchTables, DeleteTable, DeleteDatabase", async () => {
    await f.glue.send(
      new CreateDatabaseCommand({ DatabaseInput: { Name: "analytics", Description: "mine" } }),
    );
    await rejects(
      f.glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: "analytics" } })),
      "AlreadyExistsException",
    );
    const { DatabaseList } = await f.glue.send(new GetDatabasesCommand({}));
    assert.deepEqual(DatabaseList!.map((d) => d.Name).sort(), ["analytics", names.database]);

    await f.glue.send(new CreateTableCommand({ DatabaseName: "analytics", TableInput: tableInput }));
    await rejects(
      f.glue.send(new CreateTableCommand({ DatabaseName: "analytics", TableInput: tableInput })),
      "AlreadyExistsException",
    );
    const { Table } = await f.glue.send(
      new GetTableCommand({ DatabaseName: "analytics", Name: "daily_counts" }),
    );
    assert.equal(Table!.Name, "daily_counts", "names are lower-cased, as Glue does");
    assert.deepEqual(
      Table!.StorageDescriptor!.Columns!.map((c) => [c.Name, c.Type]),
      [
        ["event_type", "string"],
        ["n", "bigint"],
      ],
    );
    assert.equal(Table!.VersionId, "1");

    await f.glue.send(
      new UpdateTableCommand({
        DatabaseName: "analytics",
        TableInput: {
          ...tableInput,
          StorageDescriptor: {
            ...tableInput.StorageDescriptor,
            Columns: [...tableInput.StorageDescriptor.Columns, { Name: "users", Type: "bigint" }],
          },
        },
      }),
    );
    const updated = (
      await f.glue.send(new GetTableCommand({ DatabaseName: "analytics", Name: "daily_counts" }))
    ).Table!;
    assert.equal(updated.StorageDescriptor!.Columns!.length, 3);
    assert.equal(updated.VersionId, "2");

    const created = await f.glue.send(
      new BatchCreatePartitionCommand({
        DatabaseName: "analytics",
        TableName: "daily_counts",
        PartitionInputList: [
          {
            Values: ["2026-11-03"],
            StorageDescriptor: { Location: "s3://my-bucket/daily_counts/dt=2026-11-03/" },
          },
          { Values: ["2026-11-04"] },
        ],
      }),
    );
    assert.deepEqual(created.Errors, []);
    const again = await f.glue.send(
      new BatchCreatePartitionCommand({
        DatabaseName: "analytics",
        TableName: "daily_counts",
        PartitionInputList: [{ Values: ["2026-11-04"] }],
      }),
    );
    assert.deepEqual(
      again.Errors!.map((e) => e.ErrorDetail!.ErrorCode),
      ["AlreadyExistsException"],
    );
    const parts = await f.glue.send(
      new GetPartitionsCommand({
        DatabaseName: "analytics",
        TableName: "daily_counts",
        Expression: "dt > '2026-11-03'",
      }),
    );
    assert.deepEqual(
      parts.Partitions!.map((p) => p.Values),
      [["2026-11-04"]],
    );
    await f.glue.send(
      new BatchDeletePartitionCommand({
        DatabaseName: "analytics",
        TableName: "daily_counts",
        PartitionsToDelete: [{ Values: ["2026-11-04"] }],
      }),
    );
    const left = await f.glue.send(
      new GetPartitionsCommand({ DatabaseName: "analytics", TableName: "daily_counts" }),
    );
    assert.deepEqual(
      left.Partitions!.map((p) => p.Values),
      [["2026-11-03"]],
    );

    const search = await f.glue.send(new SearchTablesCommand({ SearchText: "daily" }));
    assert.deepEqual(
      search.TableList!.map((t) => `${t.DatabaseName}.${t.Name}`),
      ["analytics.daily_counts"],
    );
    const byDb = await f.glue.send(
      new SearchTablesCommand({ Filters: [{ Key: "DatabaseName", Value: names.database }] }),
    );
    assert.deepEqual(
      byDb.TableList!.map((t) => t.Name),
      ["transformed"],
    );
    assert.match(
      byDb.TableList![0]!.StorageDescriptor!.Location!,
      /^s3:\/\/clickstream-pipeline-transformed-/,
    );

    await f.glue.send(new DeleteTableCommand({ DatabaseName: "analytics", Name: "daily_counts" }));
    await rejects(
      f.glue.send(new GetTableCommand({ DatabaseName: "analytics", Name: "daily_counts" })),
      "EntityNotFoundException",
    );
    await f.glue.send(new DeleteDatabaseCommand({ Name: "analytics" }));
    assert.deepEqual(
      ((await f.glue.send(new GetDatabasesCommand({}))).DatabaseList ?? []).map((d) => d.Name),
      [names.database],
    );
  });

  test("the pipeline's database is written only by its crawler: AccessDeniedException, nothing changed", async () => {
    await rejects(
      f.glue.send(new CreateTableCommand({ DatabaseName: names.database, TableInput: tableInput })),
      "AccessDeniedException",
    );
    await rejects(
      f.glue.send(new DeleteTableCommand({ DatabaseName: names.database, Name: "transformed" })),
      "AccessDeniedException",
    );
    await rejects(f.glue.send(new DeleteDatabaseCommand({ Name: names.database })), "AccessDeniedException");
    await rejects(
      f.glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: names.database } })),
      "AlreadyExistsException",
    );
    await rejects(
      f.glue.send(new CreateTableCommand({ DatabaseName: "nowhere", TableInput: tableInput })),
      "EntityNotFoundException",
    );
    await rejects(
      f.glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: "../escape" } })),
      "InvalidInputException",
    );
    const { Table } = await f.glue.send(
      new GetTableCommand({ DatabaseName: names.database, Name: "transformed" }),
    );
    assert.equal(Table!.Name, "transformed");
  });

  test("a view recorded through Glue is served only when its SQL passes the engine's guard", async () => {
    await f.glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: "views" } }));
    const view = (name: string, sql: string) =>
      f.glue.send(
        new CreateTableCommand({
          DatabaseName: "views",
          TableInput: {
            Name: name,
            TableType: "VIRTUAL_VIEW",
            ViewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify({ originalSql: sql })).toString("base64")} */`,
            StorageDescriptor: { Columns: [] },
          },
        }),
      );
    await view("ok", "SELECT count(*) AS n FROM clickstream_db.transformed");
    await view("evil", "SELECT * FROM read_csv('/etc/passwd')");
    const ok = await f.engineRun("SELECT n FROM views.ok");
    assert.equal(ok.rows[0]![0], f.events.length);
    await assert.rejects(f.engineRun("SELECT * FROM views.evil"), { code: "CS_ERR_CATALOG_NOT_FOUND" });
    await f.glue.send(new DeleteDatabaseCommand({ Name: "views" }));
  });
});

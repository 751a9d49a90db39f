import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetQueryResultsCommand, GetTableMetadataCommand, type QueryExecution } from "@aws-sdk/client-athena";
import { GetPartitionsCommand, GetTableCommand } from "@aws-sdk/client-glue";
import { CatalogStore } from "../../src/catalog/catalog-store.js";
import { hiveEscapePathName, writeCtasTable } from "../../src/endpoints/athena-ctas.js";
import type { Storage } from "../../src/storage/storage.js";
import {
  asAthena,
  finishedQuery,
  names,
  rejects,
  startEndpointsFixture,
  startQuery,
  type EndpointsFixture,
} from "./endpoints-fixture.js";

let f: EndpointsFixture;
before(async () => {
  f = await startEndpointsFixture();
});
after(() => f.stop());

const run = async (sql: string): Promise<QueryExecution> =>
  finishedQuery(f.athena, await startQuery(f.athena, sql));

async function succeeded(sql: string): Promise<QueryExecution> {
  const e = await run(sql);
  assert.equal(e.Status!.State, "SUCCEEDED", `${sql}: ${e.Status!.StateChangeReason}`);
  return e;
}

/** The data rows (no header) of a DML result, as VarCharValues. */
async function rows(e: QueryExecution): Promise<(string | undefined)[][]> {
  const out: (string | undefined)[][] = [];
  let token: string | undefined;
  do {
    const page = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: e.QueryExecutionId, NextToken: token }),
    );
    out.push(...page.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue)));
    token = page.NextToken;
  } while (token);
  return out.slice(1);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of f.storage.list("athena-results", prefix)) out.push(info.key);
  return out.sort();
}

describe("partitioned CTAS (WITH partitioned_by = ARRAY[…])", () => {
  const select =
    "SELECT event_id, event_type, price, event_date, device_type FROM transformed WHERE event_type IN ('purchase', 'search')";

  test("Hive folders, typed partition keys in the catalog, rows equal to the query, pruning, DROP", async () => {
    await succeeded("CREATE DATABASE IF NOT EXISTS parts");
    const ctas = await succeeded(
      `CREATE TABLE parts.events WITH (format = 'PARQUET', partitioned_by = ARRAY['event_date', 'device_type']) AS ${select}`,
    );
    const prefix = `athena-results/tables/${ctas.QueryExecutionId}/`;

    // The files: one per partition, Hive-style folders, the partition columns not in them.
    const expected = await f.engineRun(
      "SELECT DISTINCT CAST(event_date AS varchar) AS d, device_type FROM transformed WHERE event_type IN ('purchase', 'search') ORDER BY 1, 2",
    );
    const folders = expected.rows.map(
      ([d, device]) =>
        `event_date=${String(d)}/device_type=${device === null ? "__HIVE_DEFAULT_PARTITION__" : String(device)}/`,
    );
    const files = await keysUnder(prefix);
    assert.deepEqual(
      files.map((k) => k.slice(prefix.length, k.lastIndexOf("/") + 1)),
      [...folders].sort(),
    );
    const manifest = /^s3:\/\/[^/]+\/(.+)$/.exec(ctas.Statistics!.DataManifestLocation!)![1]!;
    assert.deepEqual(
      (await f.storage.readBytes("athena-results", manifest)).toString("utf8").trim().split("\n").sort(),
      files.map((k) => `s3://${names.resultsBucket}/${k}`),
    );

    // The catalog: Columns without the keys, PartitionKeys with their Glue types, one partition per folder.
    const { Table } = await f.glue.send(new GetTableCommand({ DatabaseName: "parts", Name: "events" }));
    assert.deepEqual(
      Table!.StorageDescriptor!.Columns!.map((c) => [c.Name, c.Type]),
      [
        ["event_id", "string"],
        ["event_type", "string"],
        ["price", "double"],
      ],
    );
    assert.deepEqual(
      Table!.PartitionKeys!.map((c) => [c.Name, c.Type]),
      [
        ["event_date", "date"],
        ["device_type", "string"],
      ],
    );
    const { Partitions } = await f.glue.send(
      new GetPartitionsCommand({ DatabaseName: "parts", TableName: "events" }),
    );
    assert.equal(Partitions!.length, folders.length);
    for (const p of Partitions!) {
      const folder = `event_date=${p.Values![0]}/device_type=${p.Values![1]}/`;
      assert.ok(folders.includes(folder), folder);
      assert.equal(p.StorageDescriptor!.Location, `s3://${names.resultsBucket}/${prefix}${folder}`);
    }
    const { Partitions: oneDay } = await f.glue.send(
      new GetPartitionsCommand({
        DatabaseName: "parts",
        TableName: "events",
        Expression: `event_date = '${String(expected.rows[0]![0])}'`,
      }),
    );
    assert.ok(oneDay!.length > 0 && oneDay!.length < Partitions!.length);
    const { TableMetadata } = await f.athena.send(
      new GetTableMetadataCommand({
        CatalogName: "AwsDataCatalog",
        DatabaseName: "parts",
        TableName: "events",
      }),
    );
    assert.deepEqual(
      TableMetadata!.PartitionKeys!.map((c) => [c.Name, c.Type]),
      [
        ["event_date", "date"],
        ["device_type", "string"],
      ],
    );
    const shown = await succeeded("SHOW PARTITIONS parts.events");
    const { ResultSet } = await f.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: shown.QueryExecutionId }),
    );
    assert.equal(ResultSet!.Rows!.length, folders.length);

    // Rows: through the endpoint and through `clickstream query`'s engine, equal to the source query's.
    const order = " ORDER BY event_id";
    const source = asAthena(await f.engineRun(`${select}${order}`));
    assert.deepEqual(await rows(await succeeded(`SELECT * FROM parts.events${order}`)), source);
    const engine = await f.engineRun(`SELECT * FROM parts.events${order}`);
    assert.deepEqual(asAthena(engine), source);
    assert.deepEqual(
      engine.columns.map((c) => [c.name, c.type]),
      [
        ["event_id", "varchar"],
        ["event_type", "varchar"],
        ["price", "double"],
        ["event_date", "date"],
        ["device_type", "varchar"],
      ],
    );
    // A typed key compares as its type (no varchar-vs-number refusal); NULL is the default partition.
    assert.deepEqual(
      await rows(await succeeded("SELECT count(*) FROM parts.events WHERE device_type IS NULL")),
      asAthena(
        await f.engineRun(
          "SELECT count(*) FROM transformed WHERE event_type IN ('purchase', 'search') AND device_type IS NULL",
        ),
      ),
    );

    // Pruning: a filter on a partition key reads only that partition's files.
    const all = await succeeded("SELECT count(*) FROM parts.events");
    const day = await succeeded(
      `SELECT count(*) FROM parts.events WHERE event_date = DATE '${String(expected.rows[0]![0])}'`,
    );
    const allBytes = all.Statistics!.DataScannedInBytes!;
    const dayBytes = day.Statistics!.DataScannedInBytes!;
    assert.ok(dayBytes > 0 && dayBytes < allBytes, `${dayBytes} < ${allBytes}`);
    let dayFileBytes = 0;
    for await (const info of f.storage.list(
      "athena-results",
      `${prefix}event_date=${String(expected.rows[0]![0])}/`,
    ))
      dayFileBytes += info.size;
    assert.equal(dayBytes, dayFileBytes);

    // DROP TABLE: the table and its partitions leave the catalog.
    await succeeded("DROP TABLE parts.events");
    await rejects(
      f.glue.send(new GetPartitionsCommand({ DatabaseName: "parts", TableName: "events" })),
      "EntityNotFoundException",
    );
    assert.deepEqual((await new CatalogStore(f.storage).getPartitions("parts", "events")).Partitions, []);
  });

  test("Athena's errors: key order, unknown key, more than 100 partitions, bucketing; nothing left behind", async () => {
    await succeeded("CREATE DATABASE IF NOT EXISTS parts");
    for (const [sql, reason] of [
      [
        `CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['event_type']) AS ${select}`,
        /HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order as the table properties: \[event_type\]/,
      ],
      [
        `CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['device_type', 'event_date']) AS ${select}`,
        /HIVE_COLUMN_ORDER_MISMATCH/,
      ],
      [
        `CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['nope']) AS ${select}`,
        /INVALID_TABLE_PROPERTY: Partition columns \[nope\] not present in schema/,
      ],
      [
        "CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['event_id']) AS SELECT price, event_id FROM transformed",
        /HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions\/buckets/,
      ],
      [
        "CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['event_id']) AS SELECT event_id FROM transformed",
        /only partition columns/,
      ],
      [
        `CREATE TABLE parts.bad WITH (bucketed_by = ARRAY['event_id'], bucket_count = 4) AS ${select}`,
        /NOT_SUPPORTED: bucketed CTAS/,
      ],
    ] as const) {
      const e = await run(sql);
      assert.equal(e.Status!.State, "FAILED", sql);
      assert.match(e.Status!.StateChangeReason!, reason, sql);
      assert.equal(e.Status!.AthenaError!.ErrorCategory, 2, "a user error");
      await rejects(
        f.glue.send(new GetTableCommand({ DatabaseName: "parts", Name: "bad" })),
        "EntityNotFoundException",
      );
      assert.deepEqual(await keysUnder(`athena-results/tables/${e.QueryExecutionId}/`), [], sql);
    }
    await rejects(
      startQuery(f.athena, `CREATE TABLE parts.bad WITH (partitioned_by = ARRAY['a' 'b']) AS ${select}`),
      "InvalidRequestException",
      /must end with \]/,
    );
  });

  test("partition values escaped as Hive escapes path characters; WITH NO DATA records the keys and no partition", async () => {
    await succeeded("CREATE DATABASE IF NOT EXISTS parts");
    assert.equal(hiveEscapePathName("a/b:c d%=?#"), "a%2Fb%3Ac d%25%3D%3F%23");
    const ctas = await succeeded(
      "CREATE TABLE parts.odd WITH (partitioned_by = ARRAY['k']) AS SELECT * FROM (VALUES (1, 'a/b:c d'), (2, ''), (3, 'a/b:c d')) AS t(n, k)",
    );
    const prefix = `athena-results/tables/${ctas.QueryExecutionId}/`;
    assert.deepEqual(
      (await keysUnder(prefix)).map((k) => k.slice(prefix.length, k.lastIndexOf("/"))),
      ["k=__HIVE_DEFAULT_PARTITION__", "k=a%2Fb%3Ac d"],
    );
    assert.deepEqual(await rows(await succeeded("SELECT n, k FROM parts.odd ORDER BY n")), [
      ["1", "a/b:c d"],
      ["2", undefined],
      ["3", "a/b:c d"],
    ]);
    // Keys of other types: folders in Athena's notation, read back as their types.
    const typed = await succeeded(
      "CREATE TABLE parts.typed WITH (partitioned_by = ARRAY['b', 'n', 'ts']) AS SELECT * FROM (VALUES (1, true, 7, TIMESTAMP '2026-11-03 10:15:00'), (2, false, 8, TIMESTAMP '2026-11-04 00:00:00')) AS t(x, b, n, ts)",
    );
    const typedPrefix = `athena-results/tables/${typed.QueryExecutionId}/`;
    assert.deepEqual(
      (await keysUnder(typedPrefix)).map((k) => k.slice(typedPrefix.length, k.lastIndexOf("/"))),
      ["b=false/n=8/ts=2026-11-04 00%3A00%3A00.000", "b=true/n=7/ts=2026-11-03 10%3A15%3A00.000"],
    );
    const typedRows = await f.engineRun("SELECT * FROM parts.typed WHERE n = 7 AND b");
    assert.deepEqual(
      typedRows.columns.map((c) => c.type),
      ["integer", "boolean", "integer", "timestamp"],
    );
    assert.deepEqual(asAthena(typedRows), [["1", "true", "7", "2026-11-03 10:15:00.000"]]);
    await succeeded(
      `CREATE TABLE parts.empty WITH (partitioned_by = ARRAY['event_date']) AS ${select.replace(", device_type", "")} WITH NO DATA`,
    );
    const { Table } = await f.glue.send(new GetTableCommand({ DatabaseName: "parts", Name: "empty" }));
    assert.deepEqual(Table!.PartitionKeys, [{ Name: "event_date", Type: "date" }]);
    const { Partitions } = await f.glue.send(
      new GetPartitionsCommand({ DatabaseName: "parts", TableName: "empty" }),
    );
    assert.deepEqual(Partitions, []);
    assert.deepEqual(await rows(await succeeded("SELECT count(*) FROM parts.empty")), [["0"]]);
  });

  test("a write that fails halfway leaves no table, no partitions and none of its files", async () => {
    await succeeded("CREATE DATABASE IF NOT EXISTS parts");
    let moves = 0;
    // The storage of the fixture, whose second file move fails (a full disk, a lost connection).
    const failing = new Proxy(f.storage, {
      get(target, property) {
        if (property === "moveFileIn")
          return async (...args: Parameters<Storage["moveFileIn"]>) => {
            if (++moves === 2) throw new Error("disk full");
            return target.moveFileIn(...args);
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const prefix = "athena-results/tables/halfway/";
    await assert.rejects(
      writeCtasTable({
        storage: failing,
        bucket: names.resultsBucket,
        target: { db: "parts", name: "halfway" },
        prefix,
        queryId: "halfway",
        resultKey: "athena-results/halfway.csv",
        result: await f.engineRun(select),
        withData: true,
        partitionedBy: ["event_date", "device_type"],
      }),
      /disk full/,
    );
    assert.equal(moves, 2, "one file was in place when the second failed");
    assert.deepEqual(await keysUnder(prefix), []);
    const store = new CatalogStore(f.storage);
    assert.equal(await store.getTable("parts", "halfway"), undefined);
    assert.deepEqual((await store.getPartitions("parts", "halfway")).Partitions, []);
  });
});

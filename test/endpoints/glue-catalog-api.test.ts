import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  BatchGetPartitionCommand,
  GetDatabaseCommand,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  GetTableVersionCommand,
  GetTableVersionsCommand,
  type Partition,
} from "@aws-sdk/client-glue";
import { CatalogStore } from "../../src/catalog/catalog-store.js";
import { partitionOf } from "../support/transformed-fixture.js";
import { names, rejects, startEndpointsFixture, type EndpointsFixture } from "./endpoints-fixture.js";

let f: EndpointsFixture;
before(async () => {
  f = await startEndpointsFixture();
});
after(() => f.stop());

async function partitions(
  expression?: string,
  maxResults?: number,
): Promise<{ values: string[][]; locations: string[]; pages: number }> {
  const all: Partition[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await f.glue.send(
      new GetPartitionsCommand({
        DatabaseName: names.database,
        TableName: "transformed",
        Expression: expression,
        MaxResults: maxResults,
        NextToken: token,
      }),
    );
    pages++;
    all.push(...page.Partitions!);
    token = page.NextToken;
  } while (token);
  return {
    values: all.map((p) => p.Values!),
    locations: all.map((p) => p.StorageDescriptor!.Location!),
    pages,
  };
}

describe("Glue Data Catalog through @aws-sdk/client-glue", () => {
  test("databases and tables as the crawler catalogued them", async () => {
    const dbs = await f.glue.send(new GetDatabasesCommand({}));
    assert.deepEqual(
      dbs.DatabaseList!.map((d) => d.Name),
      [names.database],
    );
    assert.ok(dbs.DatabaseList![0]!.CreateTime instanceof Date);
    const db = await f.glue.send(new GetDatabaseCommand({ Name: names.database }));
    assert.equal(db.Database!.Name, names.database);
    const tables = await f.glue.send(new GetTablesCommand({ DatabaseName: names.database }));
    assert.deepEqual(
      tables.TableList!.map((t) => t.Name),
      ["transformed"],
    );
    const filtered = await f.glue.send(
      new GetTablesCommand({ DatabaseName: names.database, Expression: "nothing.*" }),
    );
    assert.deepEqual(filtered.TableList, []);
    const { Table } = await f.glue.send(
      new GetTableCommand({ DatabaseName: names.database, Name: "transformed" }),
    );
    const stored = await new CatalogStore(f.storage).getTable(names.database, "transformed");
    assert.deepEqual(Table!.StorageDescriptor!.Columns, stored!.StorageDescriptor.Columns);
    assert.deepEqual(
      Table!.PartitionKeys!.map((k) => k.Name),
      ["year", "month", "day"],
    );
    assert.equal(Table!.UpdateTime!.toISOString(), new Date(stored!.UpdateTime).toISOString());
    // Locations as the local S3 serves them (the catalog itself keeps file:// URIs).
    assert.match(stored!.StorageDescriptor.Location, /^file:\/\//);
    assert.equal(
      Table!.StorageDescriptor!.Location,
      "s3://clickstream-pipeline-transformed-000000000000-us-east-1/transformed/",
    );
  });

  test("GetPartitions: every partition, an Expression over the keys, MaxResults with NextToken", async () => {
    const days = [...new Set(f.events.map((e) => JSON.stringify(Object.values(partitionOf(e)))))].sort();
    const all = await partitions();
    assert.deepEqual(all.values.map((v) => JSON.stringify(v)).sort(), days);
    const paged = await partitions(undefined, 1);
    assert.equal(paged.pages, days.length);
    assert.deepEqual(paged.values, all.values);
    const one = await partitions("year = '2026' AND month = '11' AND day = '04'");
    assert.deepEqual(one.values, [["2026", "11", "04"]]);
    assert.equal(
      one.locations[0],
      "s3://clickstream-pipeline-transformed-000000000000-us-east-1/transformed/year=2026/month=11/day=04/",
    );
    const range = await partitions("day BETWEEN '04' AND '05' AND NOT (day = '05')");
    assert.deepEqual(range.values, [["2026", "11", "04"]]);
    const list = await partitions("day IN ('03', '05') OR month > '11'");
    assert.deepEqual(list.values.map((v) => v[2]).sort(), ["03", "05"]);
    const like = await partitions("day LIKE '0%' AND year <> '2025'");
    assert.equal(like.values.length, days.length);
  });

  test("bad input: an expression that does not parse, a key that is not one, a foreign NextToken, missing entities", async () => {
    await rejects(
      f.glue.send(
        new GetPartitionsCommand({
          DatabaseName: names.database,
          TableName: "transformed",
          Expression: "day = ",
        }),
      ),
      "InvalidInputException",
    );
    await rejects(
      f.glue.send(
        new GetPartitionsCommand({
          DatabaseName: names.database,
          TableName: "transformed",
          Expression: "hour = 1",
        }),
      ),
      "InvalidInputException",
      /not a partition key/,
    );
    const first = await f.glue.send(
      new GetPartitionsCommand({ DatabaseName: names.database, TableName: "transformed", MaxResults: 1 }),
    );
    await rejects(
      f.glue.send(
        new GetPartitionsCommand({
          DatabaseName: names.database,
          TableName: "transformed",
          Expression: "day = '04'",
          NextToken: first.NextToken,
        }),
      ),
      "InvalidInputException",
      /NextToken/,
    );
    await rejects(
      f.glue.send(new GetTableCommand({ DatabaseName: names.database, Name: "nope" })),
      "EntityNotFoundException",
    );
    await rejects(f.glue.send(new GetDatabaseCommand({ Name: "nope" })), "EntityNotFoundException");
  });

  test("BatchGetPartition returns the partitions that exist; GetTableVersions the catalog's one version", async () => {
    const batch = await f.glue.send(
      new BatchGetPartitionCommand({
        DatabaseName: names.database,
        TableName: "transformed",
        PartitionsToGet: [
          { Values: ["2026", "11", "05"] },
          { Values: ["2026", "11", "03"] },
          { Values: ["1999", "01", "01"] },
        ],
      }),
    );
    assert.deepEqual(batch.Partitions!.map((p) => p.Values!.join("-")).sort(), ["2026-11-03", "2026-11-05"]);
    const versions = await f.glue.send(
      new GetTableVersionsCommand({ DatabaseName: names.database, TableName: "transformed" }),
    );
    assert.equal(versions.TableVersions!.length, 1);
    assert.equal(versions.TableVersions![0]!.Table!.Name, "transformed");
    const version = await f.glue.send(
      new GetTableVersionCommand({
        DatabaseName: names.database,
        TableName: "transformed",
        VersionId: versions.TableVersions![0]!.VersionId,
      }),
    );
    assert.equal(version.TableVersion!.VersionId, versions.TableVersions![0]!.VersionId);
    await rejects(
      f.glue.send(
        new GetTableVersionCommand({
          DatabaseName: names.database,
          TableName: "transformed",
          VersionId: "999",
        }),
      ),
      "EntityNotFoundException",
    );
  });
});

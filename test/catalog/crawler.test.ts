// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { GlueDatabase, GluePartitionList, GlueTable } from "../../src/catalog/catalog-model.js";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { transformedColumns } from "../../src/contract/data-contract.js";
import { NoLocalPathStorage } from "../support/no-local-path-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, partitionOf, writeTransformedFixture } from "../support/transformed-fixture.js";

const events = generateEvents({ seed: 3, startDate: "2026-11-03", days: 4, users: 15 });
const onDay = (day: string) => events.filter((e) => partitionOf(e).day === day);
const config = parseConfig({ warehouse: { dir: "unused" } });
const fixedNow = () => new Date("2026-11-08T02:00:00.000Z");

async function readJson<T>(root: string, key: string): Promise<T> {
  return JSON.parse(await readFile(join(root, key), "utf8")) as T;
}

test("a first crawl creates the database, the table and its partitions as Glue-shaped JSON files", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  const keys = await writeTransformedFixture(storage, events, { filesPerDay: 2 });
  const report = await runCrawler({ storage, config, now: fixedNow });

  assert.equal(report.database, "clickstream_db");
  assert.equal(report.databaseCreated, true);
  assert.equal(report.tables.length, 1);
  const t = report.tables[0]!;
  assert.equal(t.name, "transformed");
  assert.equal(t.action, "created");
  assert.equal(t.files, keys.length);
  assert.equal(t.rows, events.length);
  assert.deepEqual(
    t.partitionsAdded,
    ["03", "04", "05", "06"].map((d) => `year=2026/month=11/day=${d}`),
  );

  const db = await readJson<GlueDatabase>(root, "_state/catalog/databases/clickstream_db.json");
  assert.equal(db.Name, "clickstream_db");
  const table = await readJson<GlueTable>(root, "_state/catalog/tables/clickstream_db/transformed.json");
  assert.equal(table.TableType, "EXTERNAL_TABLE");
  assert.deepEqual(
    table.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
    transformedColumns.map((c) => [c.name, c.athena]),
  );
  assert.deepEqual(table.PartitionKeys, [
    { Name: "year", Type: "string" },
    { Name: "month", Type: "string" },
    { Name: "day", Type: "string" },
  ]);
  assert.equal(
    table.StorageDescriptor.SerdeInfo.SerializationLibrary,
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
  );
  assert.equal(
    table.StorageDescriptor.InputFormat,
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  );
  assert.match(table.StorageDescriptor.Location, /^file:\/\/.*\/transformed\/$/);
  assert.equal(table.Parameters.classification, "parquet");
  assert.equal(table.Parameters.compressionType, "zstd");
  assert.equal(table.Parameters.recordCount, String(events.length));
  assert.equal(table.CreateTime, "2026-11-08T02:00:00.000Z");

  const partitions = await readJson<GluePartitionList>(
    root,
    "_state/catalog/partitions/clickstream_db/transformed.json",
  );
  assert.equal(partitions.Partitions.length, 4);
  for (const p of partitions.Partitions) {
    const day = p.Values[2]!;
    assert.deepEqual(p.Values, ["2026", "11", day]);
    const dayKeys = keys.filter((k) => k.includes(`/day=${day}/`));
    const bytes = (await Promise.all(dayKeys.map((k) => storage.stat("transformed", k)))).reduce(
      (s, o) => s + o!.size,
      0,
    );
    assert.deepEqual(p.Parameters, {
      fileCount: String(dayKeys.length),
      rowCount: String(onDay(day).length),
      sizeBytes: String(bytes),
    });
    assert.ok(p.StorageDescriptor.Location.endsWith(`/transformed/year=2026/month=11/day=${day}/`));
  }

  const again = await runCrawler({ storage, config });
  assert.equal(again.databaseCreated, false);
  assert.equal(again.tables[0]!.action, "unchanged");
  assert.deepEqual(again.tables[0]!.partitionsAdded, []);
});

test("schema changes: new columns are added, int → bigint → double widen, incompatible changes are reported and the table keeps its type", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  await writeTransformedFixture(storage, [...onDay("03"), ...onDay("04")]);
  await runCrawler({ storage, config });

  await writeTransformedFixture(storage, onDay("05"), {
    columns: { hour: "BIGINT", quantity: "DOUBLE" },
    extraColumns: { campaign: "'black-friday'" },
  });
  const evolved = (await runCrawler({ storage, config })).tables[0]!;
  assert.equal(evolved.action, "updated");
  assert.deepEqual(evolved.columnsAdded, [{ Name: "campaign", Type: "string" }]);
  assert.deepEqual(evolved.columnsWidened, [
    { name: "hour", from: "int", to: "bigint" },
    { name: "quantity", from: "bigint", to: "double" },
  ]);
  assert.deepEqual(evolved.partitionsAdded, ["year=2026/month=11/day=05"]);
  const table = await readJson<GlueTable>(root, "_state/catalog/tables/clickstream_db/transformed.json");
  const type = (name: string) => table.StorageDescriptor.Columns.find((c) => c.Name === name)?.Type;
  assert.equal(type("hour"), "bigint");
  assert.equal(type("quantity"), "double");
  assert.equal(type("campaign"), "string");
  assert.equal(table.VersionId, "1");

  // Old and new files read alike through the widened types; the new column is NULL in old files.
  const engine = await openQueryEngine({ storage, config });
  try {
    const result = await engine.run(
      "SELECT typeof(hour), typeof(quantity), count(campaign), count(*), sum(quantity) FROM transformed GROUP BY 1, 2",
    );
    const quantities = [...onDay("03"), ...onDay("04"), ...onDay("05")].reduce(
      (s, e) => s + (e.quantity ?? 0),
      0,
    );
    assert.deepEqual(result.rows, [
      [
        "BIGINT",
        "DOUBLE",
        onDay("05").length,
        onDay("03").length + onDay("04").length + onDay("05").length,
        quantities,
      ],
    ]);
  } finally {
    engine.close();
  }

  const conflicting = await writeTransformedFixture(storage, onDay("06"), {
    columns: { event_sequence: "VARCHAR" },
  });
  const conflict = (await runCrawler({ storage, config })).tables[0]!;
  assert.deepEqual(conflict.typeConflicts, [
    { name: "event_sequence", tableType: "bigint", fileType: "string", files: conflicting },
  ]);
  const after = await readJson<GlueTable>(root, "_state/catalog/tables/clickstream_db/transformed.json");
  assert.equal(after.StorageDescriptor.Columns.find((c) => c.Name === "event_sequence")?.Type, "bigint");
});

test("vanished partitions and columns are logged and kept (DeleteBehavior LOG); stray objects are skipped with a reason", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  const keys = await writeTransformedFixture(storage, events);
  await runCrawler({ storage, config });

  for (const key of keys.filter((k) => k.includes("/day=03/"))) await storage.delete("transformed", key);
  await writeTransformedFixture(storage, onDay("04"), { omit: ["referrer"], fileName: "v2" });
  for (const key of keys.filter((k) => !k.includes("/day=03/"))) await storage.delete("transformed", key);
  await writeTransformedFixture(storage, [...onDay("05"), ...onDay("06")], {
    omit: ["referrer"],
    fileName: "v2",
  });
  await storage.writeAtomic("transformed", "transformed/_SUCCESS", "");
  await storage.writeAtomic("transformed", "transformed/year=2026/month=11/day=04/notes.txt", "hello");
  await storage.writeAtomic("transformed", "transformed/stray.parquet", "x");

  const report = await runCrawler({ storage, config });
  const t = report.tables[0]!;
  assert.deepEqual(t.partitionsMissing, ["year=2026/month=11/day=03"]);
  assert.deepEqual(t.columnsMissing, ["referrer"]);
  assert.deepEqual(
    report.skippedObjects.map((s) => s.key),
    ["transformed/_SUCCESS", "transformed/stray.parquet", "transformed/year=2026/month=11/day=04/notes.txt"],
  );
  assert.match(report.skippedObjects[1]!.reason, /partition folders/);
  const partitions = await readJson<GluePartitionList>(
    root,
    "_state/catalog/partitions/clickstream_db/transformed.json",
  );
  assert.equal(partitions.Partitions.length, 4, "the vanished partition stays in the catalog");
  const table = await readJson<GlueTable>(root, "_state/catalog/tables/clickstream_db/transformed.json");
  assert.ok(table.StorageDescriptor.Columns.some((c) => c.Name === "referrer"));

  const engine = await openQueryEngine({ storage, config });
  try {
    const result = await engine.run("SELECT count(*), count(referrer), count(DISTINCT day) FROM transformed");
    assert.deepEqual(result.rows, [[events.length - onDay("03").length, 0, 3]]);
  } finally {
    engine.close();
  }
});

test("storage without local paths (S3): files are copied into the local cache and everything works the same", async () => {
  const root = await tempDir();
  const cacheDir = await tempDir();
  const local = new LocalStorage(root);
  const keys = await writeTransformedFixture(local, events, { filesPerDay: 2 });
  const remote = new NoLocalPathStorage(local);
  const remoteConfig = parseConfig({ warehouse: { dir: "unused" }, catalog: { cacheDir } });

  const report = await runCrawler({ storage: remote, config: remoteConfig });
  assert.equal(report.tables[0]!.rows, events.length);
  const cached = await readdir(join(cacheDir, "transformed", "year=2026", "month=11", "day=05"));
  assert.deepEqual(cached.sort(), ["part-0.parquet", "part-1.parquet"]);
  assert.match(
    (await readJson<GlueTable>(root, "_state/catalog/tables/clickstream_db/transformed.json"))
      .StorageDescriptor.Location,
    /^s3:\/\/transformed\/$/,
  );

  const engine = await openQueryEngine({ storage: remote, config: remoteConfig });
  try {
    assert.deepEqual((await engine.run("SELECT count(*) FROM transformed WHERE day = '05'")).rows, [
      [onDay("05").length],
    ]);
    const profile = await engine.profile("SELECT count(*) FROM transformed WHERE day = '05'");
    assert.deepEqual(profile.filesRead.sort(), keys.filter((k) => k.includes("/day=05/")).sort());
  } finally {
    engine.close();
  }
});

test("a corrupt catalog file and an unreadable Parquet file fail with their codes, leaving the catalog as it was", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  await writeTransformedFixture(storage, onDay("03"));
  await runCrawler({ storage, config });
  const before = await readFile(join(root, "_state/catalog/tables/clickstream_db/transformed.json"), "utf8");

  await storage.writeAtomic(
    "transformed",
    "transformed/year=2026/month=11/day=04/broken.parquet",
    "not parquet",
  );
  await assert.rejects(runCrawler({ storage, config }), (error: ClickstreamError) => {
    assert.equal(error.code, "CS_ERR_CATALOG_CRAWL_FAILED");
    assert.match(error.message, /broken\.parquet/);
    return true;
  });
  assert.equal(
    await readFile(join(root, "_state/catalog/tables/clickstream_db/transformed.json"), "utf8"),
    before,
  );

  await storage.delete("transformed", "transformed/year=2026/month=11/day=04/broken.parquet");
  await storage.writeAtomic("state", "_state/catalog/tables/clickstream_db/transformed.json", "{ not json");
  await assert.rejects(
    runCrawler({ storage, config }),
    (error: ClickstreamError) => error.code === "CS_ERR_CATALOG_CORRUPT",
  );
});

test("only table data under transformed/ is crawled and served: both engines' Parquet names, no logs, temp or hidden files", async () => {
  const root = await tempDir();
  const storage = new LocalStorage(root);
  // The local engine's name for day 03, Spark's (part-<n>-<uuid>.c000.zstd.parquet) for day 04.
  await writeTransformedFixture(storage, onDay("03"), { fileName: "part-20261108T020000Z" });
  const [spark] = await writeTransformedFixture(storage, onDay("04"));
  const sparkKey =
    "transformed/year=2026/month=11/day=04/part-00000-6f1c2f0e-3b7a-4c55-9a43-0d1f7e2b9c11.c000.zstd.parquet";
  await storage.rename("transformed", spark!, sparkKey);
  // What a query engine's log, a Spark job and an editor may leave beside the data.
  const junk: [string, RegExp][] = [
    ["transformed/x/duckdb_log_entries.csv", /not a \.parquet file/],
    ["transformed/year=2026/month=11/day=03/duckdb_log_contexts.csv", /not a \.parquet file/],
    ["transformed/year=2026/month=11/day=04/.part-00000-6f1c2f0e.c000.zstd.parquet.crc", /hidden/],
    ["transformed/_temporary/0/_temporary/attempt_1/part-00001.c000.zstd.parquet", /hidden/],
    ["transformed/year=2026/month=11/day=04/_SUCCESS", /hidden/],
    ["transformed/.DS_Store", /hidden/],
    ["transformed/year=2026/month=11/day=03/part-0.parquet.tmp", /not a \.parquet file/],
  ];
  for (const [key] of junk) await storage.writeAtomic("transformed", key, "id,message\n1,hello\n");

  const report = await runCrawler({ storage, config });
  const t = report.tables[0]!;
  assert.equal(t.files, 2);
  assert.equal(t.rows, onDay("03").length + onDay("04").length);
  assert.deepEqual(t.partitionsAdded, ["year=2026/month=11/day=03", "year=2026/month=11/day=04"]);
  assert.deepEqual(
    report.skippedObjects.map((s) => s.key),
    junk.map(([key]) => key).sort(),
  );
  for (const [key, reason] of junk) {
    assert.match(report.skippedObjects.find((s) => s.key === key)!.reason, reason, key);
  }
  const engine = await openQueryEngine({ storage, config });
  try {
    assert.deepEqual((await engine.run("SELECT day, count(*) FROM transformed GROUP BY 1 ORDER BY 1")).rows, [
      ["03", onDay("03").length],
      ["04", onDay("04").length],
    ]);
  } finally {
    engine.close();
  }
});

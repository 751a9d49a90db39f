import assert from "node:assert/strict";
import { test } from "node:test";
import type { GlueTable } from "../../src/catalog/catalog-model.js";
import { CatalogStore } from "../../src/catalog/catalog-store.js";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { saveResult } from "../../src/query/result-store.js";
import { useS3rverWarehouse } from "../support/s3rver-server.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, partitionOf, writeTransformedFixture } from "../support/transformed-fixture.js";

// Crawl and query with the warehouse on an S3-protocol server: no local paths, so the Parquet files go
// through the local cache, and the catalog and query results are S3 objects.
const s3rver = useS3rverWarehouse("q");

test("crawl and query a warehouse on S3: catalog in the state bucket, files through the local cache", async () => {
  const storage = s3rver.storage();
  const events = generateEvents({ seed: 9, startDate: "2026-11-03", days: 3, users: 10 });
  const onDay = (day: string) => events.filter((e) => partitionOf(e).day === day).length;
  await writeTransformedFixture(
    storage,
    events.filter((e) => partitionOf(e).day !== "05"),
  );
  const config = parseConfig({ warehouse: { dir: await tempDir() }, catalog: { cacheDir: await tempDir() } });

  const report = await runCrawler({ storage, config });
  assert.equal(report.tables[0]!.rows, events.length - onDay("05"));
  const table = (await new CatalogStore(storage).getTable("clickstream_db", "transformed")) as GlueTable;
  assert.equal(table.StorageDescriptor.Location, "s3://q-transformed/transformed/");

  await writeTransformedFixture(
    storage,
    events.filter((e) => partitionOf(e).day === "05"),
  );
  const engine = await openQueryEngine({ storage, config });
  try {
    assert.deepEqual((await engine.run("SELECT count(*) FROM transformed")).rows, [
      [events.length - onDay("05")],
    ]);
    assert.deepEqual((await engine.run("MSCK REPAIR TABLE transformed")).rows, [
      ["year=2026/month=11/day=05", "added"],
    ]);
    const perDay = await engine.run(
      "SELECT day, count(*) FROM clickstream_db.transformed GROUP BY day ORDER BY day",
    );
    assert.deepEqual(perDay.rows, [
      ["03", onDay("03")],
      ["04", onDay("04")],
      ["05", onDay("05")],
    ]);
    const saved = await saveResult(storage, perDay, "SELECT …", "test-query");
    assert.equal(saved.key, "athena-results/test-query.csv");
    assert.equal(
      (await storage.readBytes("athena-results", saved.key)).toString("utf8"),
      `day,_col1\r\n03,${onDay("03")}\r\n04,${onDay("04")}\r\n05,${onDay("05")}\r\n`.replace(
        "_col1",
        perDay.columns[1]!.name,
      ),
    );
  } finally {
    engine.close();
  }
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { writeRawObjects } from "../../src/generator/index.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { parseQueryFile } from "../../src/query/query-file.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { transformedColumns } from "../../src/contract/data-contract.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { groupBy } from "../support/expect-rows.js";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed } from "../support/warehouse-reader.js";

// The real pipeline: generated raw objects → transform → crawl → query. The crawler must see exactly the
// transform's output, and every analytics query must run on it.
test("generate → transform → crawl → query: the catalog and the engine see exactly what the transform wrote", async () => {
  const warehouse = await tempDir();
  const storage = new LocalStorage(warehouse);
  const config = parseConfig({ warehouse: { dir: warehouse }, query: { duckdbThreads: 2 } });
  await writeRawObjects(storage, {
    events: 6_000,
    users: 200,
    days: 3,
    start: new Date("2026-11-20T00:00:00Z"),
    seed: 21,
    dirtyRate: 0.02,
  });
  const transform = await runTransform({
    storage,
    config: config.transform,
    workDir: warehouse,
    now: new Date("2026-11-23T12:00:00Z"),
  });

  const crawl = await runCrawler({ storage, config });
  const table = crawl.tables.find((t) => t.name === "transformed")!;
  assert.equal(table.rows, transform.records.written);
  assert.deepEqual(table.partitionsAdded, [
    "year=2026/month=11/day=20",
    "year=2026/month=11/day=21",
    "year=2026/month=11/day=22",
  ]);
  assert.deepEqual(table.typeConflicts, []);
  assert.deepEqual(
    table.columnsAdded.map((c) => [c.Name, c.Type]),
    transformedColumns.map((c) => [c.name, c.athena]),
  );

  const rows = await readTransformed(warehouse);
  const engine = await openQueryEngine({ storage, config, now: "2026-11-22T18:00:00Z" });
  try {
    const perDay = await engine.run("SELECT day, count(*) AS n FROM transformed GROUP BY day ORDER BY day");
    assert.deepEqual(
      perDay.rows,
      [...groupBy(rows, (r) => r.day)]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([day, list]) => [day, list.length]),
    );
    const statements = parseQueryFile(
      readFileSync(new URL("../../../queries/athena_queries.sql", import.meta.url), "utf8"),
    );
    for (const statement of statements) {
      const result = await engine.run(statement.sql);
      assert.ok(
        result.rows.length > 0,
        `Query ${statement.number} returned no rows on real transform output`,
      );
    }
  } finally {
    engine.close();
  }
});

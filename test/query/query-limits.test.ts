import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { killGraceMs } from "../../src/query/query-worker-client.js";
import { openQueryEngine, type QueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { generateEvents, writeTransformedFixture } from "../support/transformed-fixture.js";

// One day of ~1,100 events in one file, so DuckDB scans it in full vectors (2,048 rows), as in a real
// warehouse: the shape in which one projection builds every value of a chunk before anyone can look.
const events = generateEvents({ seed: 12, startDate: "2026-11-05", days: 1, users: 200 });
let storage: LocalStorage;
const engines: QueryEngine[] = [];
const open = async (query: Record<string, unknown>): Promise<QueryEngine> => {
  const engine = await openQueryEngine({
    storage,
    config: parseConfig({ query: { duckdbThreads: 2, ...query } }),
  });
  engines.push(engine);
  return engine;
};

before(async () => {
  storage = new LocalStorage(await tempDir());
  await writeTransformedFixture(storage, events);
  await runCrawler({ storage, config: parseConfig({}) });
});
after(() => {
  for (const engine of engines) engine.close();
});

test("a result over the byte cap is refused while it streams, not truncated", async () => {
  const engine = await open({ maxResultBytes: 1024 * 1024 });
  await assert.rejects(
    engine.run("SELECT event_id, lpad('x', 100000, 'y') AS padding FROM transformed"),
    (error: ClickstreamError) => {
      assert.equal(error.code, "CS_ERR_QUERY_RESULT_TOO_LARGE");
      assert.match(error.message, /1048576 bytes/);
      assert.match(error.fix, /maxResultBytes/);
      return true;
    },
  );
  // Under the cap the same shape of query answers in full.
  const small = await engine.run(
    "SELECT event_id, lpad('x', 100000, 'y') AS padding FROM transformed LIMIT 8",
  );
  assert.equal(small.rows.length, 8);
  assert.equal((small.rows[0]![1] as string).length, 100000);
  assert.equal((await engine.run("SELECT count(*) FROM transformed")).rows[0]![0], events.length);
});

test("the byte cap counts the result as serialised: NULLs and empty strings inside lists count", async () => {
  // Issue #19: a list of NULLs (or of '') counted 0 bytes as values, yet is ~5 (~3) bytes each as JSON or CSV.
  const engine = await open({ maxResultBytes: 1024 * 1024 });
  for (const member of ["CAST(NULL AS varchar)", "''"]) {
    await assert.rejects(
      engine.run(`SELECT (SELECT array_agg(${member}) FROM transformed) FROM transformed LIMIT 1500`),
      (error: ClickstreamError) => {
        assert.equal(error.code, "CS_ERR_QUERY_RESULT_TOO_LARGE", error.message);
        return true;
      },
    );
  }
  // Short lists under the cap still answer.
  const small = await engine.run("SELECT ARRAY[NULL, ''] AS pair FROM transformed LIMIT 3");
  assert.deepEqual(small.rows, [[[null, ""]], [[null, ""]], [[null, ""]]]);
});

test("the issue's query ends near its time limit, with the caller's memory untouched, and the engine recovers", async () => {
  assert.ok(events.length > 1000, `${events.length} events`);
  // The limits (--timeout-ms 2000 --max-rows 1000), DuckDB's memory limit and the worker's cap kept
  // small so the machine is spared whichever limit the query meets first.
  const timeoutMs = 2000;
  const engine = await open({
    timeoutMs,
    maxResultRows: 1000,
    duckdbMemoryLimitBytes: 256 * 1024 * 1024,
    workerMemoryLimitBytes: 768 * 1024 * 1024,
  });
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  await assert.rejects(
    engine.run("SELECT lpad('x', 5000000, 'y') FROM transformed LIMIT 600"),
    (error: ClickstreamError) => {
      // Whichever comes first on this machine: the deadline (DuckDB builds the whole chunk before it looks
      // at an interrupt, so the worker is killed) or the worker's memory cap.
      assert.ok(["CS_ERR_QUERY_TIMEOUT", "CS_ERR_QUERY_OUT_OF_MEMORY"].includes(error.code), error.message);
      return true;
    },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed < timeoutMs + killGraceMs(timeoutMs) + 1500, `took ${elapsed} ms`);
  const grown = process.memoryUsage().rss - rssBefore;
  assert.ok(grown < 200 * 1024 * 1024, `the caller's RSS grew by ${Math.round(grown / 1048576)} MiB`);
  // A new worker answers the next query.
  assert.deepEqual((await engine.run("SELECT count(*) FROM transformed")).rows, [[events.length]]);
});

test("limits are config keys with units, validated", () => {
  assert.equal(parseConfig({}).query.maxResultBytes, 64 * 1024 * 1024);
  assert.throws(
    () => parseConfig({ query: { maxResultBytes: "64MB" } }),
    (error: ClickstreamError) =>
      error.code === "CS_ERR_INVALID_CONFIG" && /maxResultBytes/.test(error.message),
  );
  assert.throws(
    () => parseConfig({ query: { workerMemoryLimitBytes: 1024 } }),
    (error: ClickstreamError) =>
      error.code === "CS_ERR_INVALID_CONFIG" && /workerMemoryLimitBytes/.test(error.message),
  );
});

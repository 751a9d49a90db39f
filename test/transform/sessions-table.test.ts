import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { sessionColumns } from "../../src/contract/data-contract.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey, stateKeys } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { loadSnapshot } from "../../src/table/table-snapshot.js";
import { event, ndjson, type TestEvent } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");

let objectCount = 0;
async function put(warehouse: string, events: readonly TestEvent[]): Promise<void> {
  const uuid = `s${String(objectCount++).padStart(5, "0")}`;
  await new LocalStorage(warehouse).writeAtomic(
    "raw",
    rawObjectKey({ stream: "t", arrival: new Date("2026-11-24T12:00:00Z"), uuid }),
    ndjson(events),
  );
}

const transform = (warehouse: string, fullRefresh = false) =>
  runTransform({ storage: new LocalStorage(warehouse), config, workDir: warehouse, now, fullRefresh });

type Row = Record<string, unknown>;

async function rows(sql: string, values: Record<string, string> = {}): Promise<Row[]> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql, values)).getRowObjectsJson() as Row[];
  } finally {
    connection.closeSync();
  }
}

/** The sessions table as written: every row, with the partition folder it sits in. */
const written = (warehouse: string) =>
  rows(
    `SELECT * EXCLUDE (processed_timestamp, filename), regexp_extract(filename, 'year=\\d+/month=\\d+/day=\\d+') AS folder
     FROM read_parquet($glob, hive_partitioning = false, filename = true) ORDER BY session_id`,
    { glob: join(warehouse, "sessions", "**", "*.parquet") },
  );

/**
 * The oracle: each session computed from scratch from every event of transformed/, with window
 * functions rather than the merge the transform uses, plus the folder its start date gives.
 */
const expected = (warehouse: string) =>
  rows(
    `WITH e AS (
       SELECT *,
         row_number() OVER (PARTITION BY session_id ORDER BY event_time, event_id) AS fwd,
         row_number() OVER (PARTITION BY session_id ORDER BY event_time DESC, event_id DESC) AS bwd
       FROM read_parquet($glob, hive_partitioning = false) WHERE session_id IS NOT NULL)
     SELECT session_id,
       any_value(coalesce(properties['anonymous_id'], user_id) ORDER BY fwd) AS visitor_id,
       any_value(user_id ORDER BY bwd) AS user_id,
       min(event_time) AS start_time, max(event_time) AS end_time,
       (epoch_ms(max(event_time)) - epoch_ms(min(event_time)))::BIGINT AS duration_ms,
       any_value(event_id ORDER BY fwd) AS first_event_id, any_value(event_id ORDER BY bwd) AS last_event_id,
       count(*)::BIGINT AS events,
       count_if(event_type = 'page_view')::BIGINT AS page_views,
       count_if(event_type = 'product_view')::BIGINT AS product_views,
       count_if(event_type = 'add_to_cart')::BIGINT AS add_to_carts,
       count_if(event_type = 'checkout_start')::BIGINT AS checkout_starts,
       count_if(event_type = 'purchase')::BIGINT AS purchases,
       max(page_url) FILTER (WHERE fwd = 1) AS entry_page, max(page_url) FILTER (WHERE bwd = 1) AS exit_page,
       max(referrer) FILTER (WHERE fwd = 1) AS referrer, max(device_type) FILTER (WHERE fwd = 1) AS device_type,
       count_if(event_type = 'purchase') > 0 AS converted,
       coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0)::DOUBLE AS revenue,
       count(*) = 1 AS is_bounce,
       strftime(min(event_time), 'year=%Y/month=%m/day=%d') AS folder
     FROM e GROUP BY session_id ORDER BY session_id`,
    { glob: join(warehouse, "transformed", "**", "*.parquet") },
  );

async function assertSessionsMatchEvents(warehouse: string): Promise<Row[]> {
  const actual = await written(warehouse);
  assert.deepEqual(actual, await expected(warehouse));
  return actual;
}

const day = (d: string, hhmm: string) => `2026-11-${d}T${hhmm}:00.000Z`;

describe("the sessions table", () => {
  it("has the contract's columns, one row per session, in the partition of its start", async () => {
    const dir = { path: await tempDir() };
    await put(dir.path, [
      event("a1", "A", day("24", "10:00"), {
        properties: { anonymous_id: "anon-A" },
        referrer: "https://x.test/",
      }),
      event("a2", "A", day("24", "10:05"), { event_type: "product_view" }),
      event("a3", "A", day("24", "10:09"), {
        event_type: "purchase",
        price: 9.5,
        quantity: 2,
        user_id: "user-demo",
        properties: { anonymous_id: "anon-A" },
      }),
      event("b1", "B", day("24", "11:00")),
      event("c1", "C", day("23", "23:58"), { device_type: "mobile" }),
      event("c2", "C", day("24", "00:03")),
      event("n1", undefined, day("24", "12:00")),
    ]);
    await transform(dir.path);
    const columns = await rows(`DESCRIBE SELECT * FROM read_parquet($glob, hive_partitioning = false)`, {
      glob: join(dir.path, "sessions", "**", "*.parquet"),
    });
    assert.deepEqual(
      columns.map((c) => [c.column_name, c.column_type]),
      sessionColumns.map((c) => [c.name, c.duckdb]),
    );
    const sessions = await assertSessionsMatchEvents(dir.path);
    assert.deepEqual(
      sessions.map((s) => [
        s.session_id,
        s.visitor_id,
        s.user_id,
        s.events,
        s.revenue,
        s.is_bounce,
        s.folder,
      ]),
      [
        ["A", "anon-A", "user-demo", "3", 19, false, "year=2026/month=11/day=24"],
        ["B", "user-B", "user-B", "1", 0, true, "year=2026/month=11/day=24"],
        ["C", "user-C", "user-C", "2", 0, false, "year=2026/month=11/day=23"],
      ],
    );
  });

  it("later runs fold new and late events into their sessions and rewrite only the partitions those start in", async () => {
    const dir = { path: await tempDir() };
    await put(dir.path, [
      event("a1", "A", day("24", "10:00")),
      event("b1", "B", day("24", "11:00")),
      event("d1", "D", day("20", "09:00")),
    ]);
    await transform(dir.path);
    const storage = new LocalStorage(dir.path);
    const first = (await loadSnapshot(storage))!.sessions!;
    assert.deepEqual(Object.keys(first), ["year=2026/month=11/day=20", "year=2026/month=11/day=24"]);

    // A continues, B gains an event a day before its start (it moves to day 23), E is new.
    await put(dir.path, [
      event("a2", "A", day("24", "10:30"), { event_type: "purchase", price: 5, quantity: 1 }),
      event("b0", "B", day("23", "22:00")),
      event("e1", "E", day("24", "15:00")),
    ]);
    await transform(dir.path);
    const sessions = await assertSessionsMatchEvents(dir.path);
    assert.deepEqual(
      sessions.map((s) => [s.session_id, s.events, s.folder]),
      [
        ["A", "2", "year=2026/month=11/day=24"],
        ["B", "2", "year=2026/month=11/day=23"],
        ["D", "1", "year=2026/month=11/day=20"],
        ["E", "1", "year=2026/month=11/day=24"],
      ],
    );
    const second = (await loadSnapshot(storage))!.sessions!;
    // Day 20 holds no touched session: its file is the first run's, untouched.
    assert.deepEqual(second["year=2026/month=11/day=20"], first["year=2026/month=11/day=20"]);
    assert.notDeepEqual(second["year=2026/month=11/day=24"], first["year=2026/month=11/day=24"]);
    for (const files of Object.values(second)) assert.equal(files.length, 1);

    // A resent event is a duplicate: the session's counts do not change.
    await put(dir.path, [
      event("a2", "A", day("24", "10:30"), { event_type: "purchase", price: 5, quantity: 1 }),
    ]);
    const report = await transform(dir.path);
    assert.equal(report.rejectedByReason.duplicate, 1);
    assert.deepEqual(await written(dir.path), sessions);
  });

  it("is built from every event when the snapshot predates it, and rebuilt by a full refresh", async () => {
    const dir = { path: await tempDir() };
    await put(dir.path, [event("a1", "A", day("24", "10:00")), event("b1", "B", day("22", "11:00"))]);
    await transform(dir.path);
    // What a warehouse written before the table looks like: a snapshot without it, no sessions/ folder.
    const key = join(dir.path, ...stateKeys.transform.snapshot.split("/"));
    const snapshot = JSON.parse(await readFile(key, "utf8")) as Record<string, unknown>;
    delete snapshot.sessions;
    await writeFile(key, JSON.stringify(snapshot));
    await rm(join(dir.path, "sessions"), { recursive: true });

    await put(dir.path, [event("a2", "A", day("24", "10:10")), event("c1", "C", day("24", "12:00"))]);
    await transform(dir.path);
    const built = await assertSessionsMatchEvents(dir.path);
    assert.deepEqual(
      built.map((s) => [s.session_id, s.events]),
      [
        ["A", "2"],
        ["B", "1"],
        ["C", "1"],
      ],
    );
    await transform(dir.path, true);
    assert.deepEqual(await assertSessionsMatchEvents(dir.path), built);
  });

  it("is catalogued by the crawler and queryable as clickstream_db.sessions", async () => {
    const dir = { path: await tempDir() };
    await put(dir.path, [event("a1", "A", day("24", "10:00")), event("a2", "A", day("24", "10:02"))]);
    await transform(dir.path);
    const full = parseConfig({ warehouse: { dir: dir.path } });
    const storage = new LocalStorage(dir.path);
    const report = await runCrawler({ storage, config: full });
    assert.deepEqual(
      report.tables.map((t) => [t.name, t.rows]),
      [
        ["sessions", 1],
        ["transformed", 2],
      ],
    );
    const engine = await openQueryEngine({ storage, config: full });
    try {
      const result = await engine.run(
        "SELECT session_id, events, duration_ms, year, month, day FROM clickstream_db.sessions",
      );
      assert.deepEqual(result.rows, [["A", 2, 120_000, "2026", "11", "24"]]);
    } finally {
      engine.close();
    }
  });
});

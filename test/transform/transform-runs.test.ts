import assert from "node:assert/strict";
import { cp, readdir } from "node:fs/promises";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { daySessions, event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed, type TransformedRow } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");

async function putRaw(storage: LocalStorage, arrival: string, id: string, body: string): Promise<string> {
  const key = rawObjectKey({ stream: "test", arrival: new Date(arrival), uuid: id });
  await storage.writeAtomic("raw", key, body);
  return key;
}

async function transform(warehouse: string, fullRefresh = false) {
  return runTransform({ storage: new LocalStorage(warehouse), config, workDir: warehouse, now, fullRefresh });
}

/** Rows without processed_timestamp, which legitimately differs between runs. */
function comparable(rows: TransformedRow[]): Omit<TransformedRow, "processed_timestamp">[] {
  return rows.map(({ processed_timestamp: _ignored, ...rest }) => rest);
}

describe("transform runs", () => {
  it("a run with nothing new changes nothing", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await putRaw(storage, "2026-11-24T10:00:00Z", "a", ndjson(daySessions("2026-11-24", 3, 4)));
    const first = await transform(warehouse);
    assert.equal(first.status, "succeeded");
    assert.equal(first.records.written, 12);
    const before = await readdir(`${warehouse}/transformed`, { recursive: true });
    const rowsBefore = await readTransformed(warehouse);
    const second = await transform(warehouse);
    assert.equal(second.status, "no_new_data");
    assert.equal(second.records.read, 0);
    assert.deepEqual(await readdir(`${warehouse}/transformed`, { recursive: true }), before);
    assert.deepEqual(await readTransformed(warehouse), rowsBefore);
  });

  it("incremental runs end with exactly the rows of one full refresh", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const day1 = daySessions("2026-11-22", 5, 6);
    const day2 = daySessions("2026-11-23", 5, 6);
    // Batch 1: most of day 1. Batch 2: day 2, the rest of day 1 (late data), a duplicate, a bad record.
    // Batch 3: a session of day 2 continued, and an event earlier than all of that session's others.
    await putRaw(storage, "2026-11-22T23:00:00Z", "b1", ndjson(day1.slice(0, 20)));
    const r1 = await transform(warehouse);
    await putRaw(
      storage,
      "2026-11-23T23:00:00Z",
      "b2",
      ndjson([...day2, ...day1.slice(20), day1[3]]) + "{oops\n",
    );
    const r2 = await transform(warehouse);
    await putRaw(
      storage,
      "2026-11-24T01:00:00Z",
      "b3",
      ndjson([
        event("late-1", "2026-11-23-s1", "2026-11-23T00:00:00.000Z"),
        event("late-2", "2026-11-23-s1", "2026-11-24T00:30:00.000Z"),
      ]),
    );
    const r3 = await transform(warehouse);
    for (const r of [r1, r2, r3]) assert.equal(r.records.read, r.records.written + r.records.rejected);
    assert.equal(r2.rejectedByReason.duplicate, 1);
    assert.equal(r2.rejectedByReason.malformed_json, 1);
    assert.ok(r3.rowsRewritten > 0, "the session's older rows were rewritten");

    const incremental = comparable(await readTransformed(warehouse));
    assert.equal(incremental.length, 60 + 2);
    const refresh = await transform(warehouse, true);
    assert.equal(refresh.records.written, 62);
    assert.equal(refresh.rejectedByReason.duplicate, 1);
    assert.deepEqual(comparable(await readTransformed(warehouse)), incremental);
    // A full refresh rebuilds errors/ too: one duplicate and one malformed line, not two of each.
    const errors = await readErrors(warehouse);
    assert.deepEqual(errors.map((e) => e.reason).sort(), ["duplicate", "malformed_json"]);
  });

  it("late events land in their own day and re-sequence their whole session", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await putRaw(
      storage,
      "2026-11-24T02:00:00Z",
      "x1",
      ndjson([
        event("a2", "S", "2026-11-23T23:50:00.000Z"),
        event("a3", "S", "2026-11-24T00:10:00.000Z"),
        event("a4", "S", "2026-11-24T00:20:00.000Z"),
      ]),
    );
    await transform(warehouse);
    // Arrives a day later, stamped before everything else in the session, and spans two partitions.
    await putRaw(
      storage,
      "2026-11-25T09:00:00Z",
      "x2",
      ndjson([event("a1", "S", "2026-11-23T23:40:00.000Z"), event("a5", "S", "2026-11-24T00:30:00.000Z")]),
    );
    const report = await transform(warehouse);
    assert.deepEqual(report.partitionsWritten, ["year=2026/month=11/day=23", "year=2026/month=11/day=24"]);
    const rows = await readTransformed(warehouse);
    assert.deepEqual(
      rows.map((r) => [r.event_id, r.event_sequence, r.is_session_start, r.day]),
      [
        ["a1", 1, true, "23"],
        ["a2", 2, false, "23"],
        ["a3", 3, false, "24"],
        ["a4", 4, false, "24"],
        ["a5", 5, false, "24"],
      ],
    );
  });

  it("a session split across two runs is numbered 1..n with one start, and untouched sessions keep their values", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const other = [
      event("o1", "O", "2026-11-24T08:00:00.000Z"),
      event("o2", "O", "2026-11-24T08:01:00.000Z"),
    ];
    await putRaw(
      storage,
      "2026-11-24T10:00:00Z",
      "s1",
      ndjson([...other, event("k1", "K", "2026-11-24T09:00:00.000Z")]),
    );
    const first = await transform(warehouse);
    const otherBefore = (await readTransformed(warehouse)).filter((r) => r.session_id === "O");
    await putRaw(
      storage,
      "2026-11-24T11:00:00Z",
      "s2",
      ndjson([event("k2", "K", "2026-11-24T09:05:00.000Z")]),
    );
    await transform(warehouse);
    const rows = await readTransformed(warehouse);
    const k = rows.filter((r) => r.session_id === "K");
    assert.deepEqual(
      k.map((r) => r.event_sequence),
      [1, 2],
    );
    assert.equal(k.filter((r) => r.is_session_start).length, 1);
    const otherAfter = rows.filter((r) => r.session_id === "O");
    assert.deepEqual(otherAfter, otherBefore, "rows of other sessions are rewritten unchanged");
    assert.equal(otherAfter[0]!.processed_timestamp, now.toISOString());
    assert.equal(first.records.written, 3);
  });

  it("an event_id seen in an earlier run is rejected as a duplicate and the first arrival stays", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await putRaw(
      storage,
      "2026-11-24T10:00:00Z",
      "d1",
      ndjson([event("dup", "S", "2026-11-24T09:00:00.000Z")]),
    );
    await transform(warehouse);
    await putRaw(
      storage,
      "2026-11-24T11:00:00Z",
      "d2",
      ndjson([event("dup", "S", "2026-11-24T09:30:00.000Z", { event_type: "purchase" })]),
    );
    const report = await transform(warehouse);
    assert.equal(report.rejectedByReason.duplicate, 1);
    const rows = await readTransformed(warehouse);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.event_type, "page_view");
    const [reject] = await readErrors(warehouse);
    assert.equal(reject!.reason, "duplicate");
    assert.match(reject!.message, /earlier run/);
    assert.match(reject!.raw, /"purchase"/);
  });

  it("a copy of a warehouse transforms to the same result (runs depend only on the warehouse)", async () => {
    const a = await tempDir();
    const storage = new LocalStorage(a);
    await putRaw(storage, "2026-11-24T10:00:00Z", "c1", ndjson(daySessions("2026-11-24", 4, 3)));
    const b = await tempDir();
    await cp(a, b, { recursive: true });
    await transform(a);
    await transform(b);
    assert.deepEqual(await readTransformed(a), await readTransformed(b));
  });
});

describe("output files", () => {
  it("a partition over maxRowsPerFile is split into several files; small partitions get one file per run", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await putRaw(
      storage,
      "2026-11-24T10:00:00Z",
      "f1",
      ndjson([...daySessions("2026-11-23", 1000, 10), ...daySessions("2026-11-24", 2, 5)]),
    );
    const report = await runTransform({
      storage,
      config: { ...config, maxRowsPerFile: 2048 },
      workDir: warehouse,
      now,
    });
    assert.equal(report.records.written, 10_010);
    const files = (await readdir(`${warehouse}/transformed`, { recursive: true })).filter((f) =>
      f.endsWith(".parquet"),
    );
    const day23 = files.filter((f) => f.includes("day=23"));
    const day24 = files.filter((f) => f.includes("day=24"));
    assert.ok(day23.length >= 3, `10,000 rows at ≤ 2,048 per file need several files, got ${day23.length}`);
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const counts = (
      await connection.runAndReadAll(
        `SELECT num_rows FROM parquet_file_metadata('${warehouse}/transformed/year=2026/month=11/day=23/*.parquet')`,
      )
    ).getRows();
    connection.closeSync();
    db.closeSync();
    assert.ok(
      counts.every(([n]) => Number(n) > 0),
      "no empty files",
    );
    assert.equal(day24.length, 1);
    const rows = await readTransformed(warehouse);
    assert.equal(rows.length, 10_010);
    const sessions = new Map<string, number[]>();
    for (const r of rows)
      sessions.set(r.session_id!, [...(sessions.get(r.session_id!) ?? []), r.event_sequence!]);
    for (const seqs of sessions.values())
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        [...seqs.keys()].map((i) => i + 1),
      );
  });
});

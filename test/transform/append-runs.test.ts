import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { retiredKey } from "../../src/transform/commit-step.js";
import { runCompaction } from "../../src/transform/run-compaction.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { loadSnapshot, snapshotObjects } from "../../src/table/table-snapshot.js";
import { event, ndjson, type TestEvent } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");

let objectCount = 0;
async function put(
  storage: LocalStorage,
  events: readonly TestEvent[],
  arrival = "2026-11-24T12:00:00Z",
): Promise<void> {
  const uuid = `o${String(objectCount++).padStart(5, "0")}`;
  await storage.writeAtomic(
    "raw",
    rawObjectKey({ stream: "t", arrival: new Date(arrival), uuid }),
    ndjson(events),
  );
}

const transform = (warehouse: string, extra: Partial<typeof config> = {}) =>
  runTransform({
    storage: new LocalStorage(warehouse),
    config: { ...config, ...extra },
    workDir: warehouse,
    now,
  });

/** Every data file of the table with its modification time. */
async function files(warehouse: string): Promise<Map<string, number>> {
  const snapshot = await loadSnapshot(new LocalStorage(warehouse));
  const out = new Map<string, number>();
  for (const o of snapshotObjects(snapshot!)) out.set(o.key, (await stat(join(warehouse, o.key))).mtimeMs);
  return out;
}

/** Rows of transformed/ read as any Hive-table tool reads a folder: every Parquet file under it. */
async function hiveGlobRows(warehouse: string): Promise<number> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet($glob, hive_partitioning = true)`,
      { glob: join(warehouse, "transformed", "**", "*.parquet") },
    );
    return Number(reader.getRowObjectsJS()[0]!.n);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

const at = (minute: number): string => `2026-11-24T10:${String(minute).padStart(2, "0")}:00.000Z`;
const sequenceOf = async (warehouse: string, session: string) =>
  (await readTransformed(warehouse))
    .filter((r) => r.session_id === session)
    .sort((a, b) => Number(a.event_sequence) - Number(b.event_sequence))
    .map((r) => [r.event_id, r.event_sequence, r.is_session_start]);

describe("appending runs", () => {
  it("events arriving in order rewrite nothing: earlier files keep their names and mtimes", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await put(storage, [event("a1", "A", at(0)), event("a2", "A", at(1)), event("b1", "B", at(2))]);
    await transform(warehouse);
    const before = await files(warehouse);
    await put(storage, [event("a3", "A", at(5)), event("b2", "B", at(6)), event("c1", "C", at(7))]);
    const second = await transform(warehouse);
    const after = await files(warehouse);
    assert.equal(second.rowsRewritten, 0);
    assert.equal(second.filesRewritten, 0);
    for (const [key, mtime] of before) assert.equal(after.get(key), mtime, `${key} untouched`);
    assert.equal(after.size, before.size + 1, "one new file in the day's partition");
    assert.deepEqual(await sequenceOf(warehouse, "A"), [
      ["a1", 1, true],
      ["a2", 2, false],
      ["a3", 3, false],
    ]);
    assert.deepEqual(await sequenceOf(warehouse, "C"), [["c1", 1, true]]);
  });

  it("a late event rewrites exactly the files holding its session's rows", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    // Three runs, three files, each with rows of sessions A and B.
    await put(storage, [event("a1", "A", at(10)), event("b1", "B", at(10))]);
    await transform(warehouse);
    await put(storage, [event("a2", "A", at(20)), event("b2", "B", at(20))]);
    await transform(warehouse);
    await put(storage, [event("c1", "C", at(30))]);
    await transform(warehouse);
    const before = await files(warehouse);
    // B gets an event before its first one: B's rows shift, A's and C's stay.
    await put(storage, [event("b0", "B", at(5))]);
    const late = await transform(warehouse);
    const after = await files(warehouse);
    assert.deepEqual(await sequenceOf(warehouse, "B"), [
      ["b0", 1, true],
      ["b1", 2, false],
      ["b2", 3, false],
    ]);
    assert.deepEqual(await sequenceOf(warehouse, "A"), [
      ["a1", 1, true],
      ["a2", 2, false],
    ]);
    assert.equal(late.rowsRewritten, 2, "b1 and b2 changed");
    assert.equal(late.filesRewritten, 2, "the two files holding B");
    const gone = [...before.keys()].filter((k) => !after.has(k));
    assert.equal(gone.length, 2);
    const untouched = [...before.keys()].filter((k) => after.has(k));
    assert.equal(untouched.length, 1, "the file with only C stays");
    for (const key of untouched) assert.equal(after.get(key), before.get(key));
    // The replaced files left the table's folders for the trash (a reader of the old snapshot retries on
    // the new one), so transformed/ read as a Hive table, by a glob, holds every row once (#16.3).
    const snapshot = await loadSnapshot(storage);
    assert.deepEqual(
      snapshot!.trash
        .filter((t) => t.key.startsWith("_state/transform/replaced/") && !t.key.includes("/sessions/"))
        .map((t) => t.key)
        .sort(),
      gone.map((key) => retiredKey(late.runId, key)).sort(),
    );
    for (const key of gone) {
      await stat(join(warehouse, retiredKey(late.runId, key)));
      await assert.rejects(stat(join(warehouse, key)), { code: "ENOENT" });
    }
    assert.equal(await hiveGlobRows(warehouse), (await readTransformed(warehouse)).length);
  });

  it("dedup across 50 runs stays exact, also for an id re-sent with another date", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const sent: string[] = [];
    let duplicates = 0;
    for (let run = 0; run < 50; run++) {
      const batch: TestEvent[] = [];
      for (let i = 0; i < 20; i++) {
        const id = `r${run}-e${i}`;
        sent.push(id);
        batch.push(
          event(
            id,
            `r${run}-s${i % 4}`,
            `2026-11-${String(10 + (run % 10)).padStart(2, "0")}T10:00:${String(i).padStart(2, "0")}.000Z`,
          ),
        );
      }
      // Re-send two ids of earlier runs, stamped on another day.
      for (const back of [run - 1, Math.floor(run / 2)]) {
        if (back < 0 || back === run) continue;
        batch.push(event(`r${back}-e3`, "resent", "2026-11-20T00:00:00.000Z"));
        duplicates++;
      }
      await put(
        storage,
        batch,
        `2026-11-24T${String(Math.floor(run / 4)).padStart(2, "0")}:${String((run % 4) * 15).padStart(2, "0")}:00Z`,
      );
      const report = await transform(warehouse);
      assert.equal(report.records.read, report.records.written + report.records.rejected);
    }
    const rows = await readTransformed(warehouse);
    assert.equal(rows.length, sent.length);
    assert.deepEqual(rows.map((r) => r.event_id).sort(), [...sent].sort());
    const errors = await readErrors(warehouse);
    assert.equal(errors.filter((e) => e.reason === "duplicate").length, duplicates);
    assert.ok(
      errors.every((e) => e.raw.includes('"resent"')),
      "each duplicate keeps its text",
    );
    // The index stays a handful of files however many runs added to it (tiers merge).
    const snapshot = await loadSnapshot(storage);
    assert.ok(snapshot!.indexes.ids!.length < 10, `${snapshot!.indexes.ids!.length} id index files`);
  });

  it("compaction keeps every row and sequence; the transform compacts by itself past compactAfterFiles", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    for (let run = 0; run < 5; run++) {
      await put(storage, [event(`x${run}`, "X", at(run)), event(`y${run}`, `Y${run}`, at(run))]);
      await transform(warehouse);
    }
    const rows = await readTransformed(warehouse);
    assert.equal((await files(warehouse)).size, 5);
    const result = await runCompaction({ storage, config, workDir: warehouse, partitions: [] });
    assert.deepEqual(
      result.compacted.map((c) => [c.filesBefore, c.filesAfter, c.rows]),
      [[5, 1, 10]],
    );
    assert.deepEqual(await readTransformed(warehouse), rows);

    // Past compactAfterFiles the run compacts the partition itself.
    for (let run = 5; run < 9; run++) {
      await put(storage, [event(`x${run}`, "X", at(run))]);
      const report = await transform(warehouse, { compactAfterFiles: 3 });
      if (run !== 7) continue;
      assert.deepEqual(report.partitionsCompacted, ["year=2026/month=11/day=24"]);
      // The report is stored once, by the run's last commit (the compaction's), and says so too.
      const stored = JSON.parse(
        (await storage.readBytes("state", "_state/transform/last-run.json")).toString("utf8"),
      ) as { runId: string; partitionsCompacted: string[] };
      assert.equal(stored.runId, report.runId);
      assert.deepEqual(stored.partitionsCompacted, report.partitionsCompacted);
    }
    assert.ok((await files(warehouse)).size <= 3);
    assert.deepEqual(
      (await sequenceOf(warehouse, "X")).map((r) => r[1]),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });
});

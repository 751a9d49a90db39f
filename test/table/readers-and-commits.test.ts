import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCrawler } from "../../src/catalog/crawler.js";
import { parseConfig } from "../../src/config/load-config.js";
import { openQueryEngine } from "../../src/query/query-engine.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import type { BucketRole, ObjectBody, ObjectInfo } from "../../src/storage/storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { commitPending } from "../../src/table/commit-log.js";
import { readerRunSuffix, RunLock, runLockPath } from "../../src/table/run-lock.js";
import { snapshotKey } from "../../src/table/table-snapshot.js";
import { readTableView } from "../../src/table/table-view.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { event, ndjson, type TestEvent } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";

const now = new Date("2026-11-25T12:00:00Z");
const at = (minute: number): string => `2026-11-24T10:${String(minute).padStart(2, "0")}:00.000Z`;

/** Real local storage that dies (as kill -9 would) when a run writes its table snapshot. */
class DiesAtSnapshotStorage extends LocalStorage {
  armed = false;
  override async writeAtomic(bucket: BucketRole, key: string, body: ObjectBody): Promise<ObjectInfo> {
    if (this.armed && key === snapshotKey) throw new Error("killed after the commit point");
    return super.writeAtomic(bucket, key, body);
  }
}

let objects = 0;
async function put(storage: LocalStorage, events: readonly TestEvent[]): Promise<void> {
  const key = rawObjectKey({ stream: "t", arrival: new Date(now), uuid: `o${objects++}` });
  await storage.writeAtomic("raw", key, ndjson(events));
}

function configFor(warehouse: string) {
  // deleteGraceMs 0: replaced files are deleted by the very commit that replaces them, the harshest
  // case for a reader holding the previous file list.
  return parseConfig({
    warehouse: { dir: warehouse },
    transform: { deleteGraceMs: 0 },
    query: { duckdbThreads: 1 },
  });
}

const transform = (storage: LocalStorage, warehouse: string) =>
  runTransform({ storage, config: configFor(warehouse).transform, workDir: warehouse, now });

/**
 * Run 1 writes sessions A and B; run 2 brings a late event of session A (its file is rewritten, the old
 * one replaced) and a new session C. Returns the ids each state of the table holds.
 */
async function twoRuns(storage: LocalStorage, warehouse: string, dieInSecond: boolean) {
  await put(storage, [event("a1", "A", at(1)), event("a2", "A", at(3)), event("b1", "B", at(2))]);
  await transform(storage, warehouse);
  await put(storage, [event("a0", "A", at(0)), event("c1", "C", at(4))]);
  if (dieInSecond && storage instanceof DiesAtSnapshotStorage) storage.armed = true;
  await transform(storage, warehouse).catch((error: Error) => {
    if (!dieInSecond) throw error;
  });
  if (storage instanceof DiesAtSnapshotStorage) storage.armed = false;
  return { before: ["a1", "a2", "b1"], after: ["a0", "a1", "a2", "b1", "c1"] };
}

async function queriedIds(warehouse: string): Promise<{ ids: string[]; sequenceOfA: string }> {
  const storage = new LocalStorage(warehouse);
  const config = configFor(warehouse);
  await runCrawler({ storage, config });
  const engine = await openQueryEngine({ storage, config });
  try {
    const ids = await engine.run("SELECT event_id FROM transformed ORDER BY event_id");
    const a = await engine.run(
      "SELECT array_join(array_agg(event_id ORDER BY event_sequence), ',') FROM transformed WHERE session_id = 'A'",
    );
    return { ids: ids.rows.map((r) => String(r[0])), sequenceOfA: String(a.rows[0]?.[0]) };
  } finally {
    engine.close();
  }
}

describe("readers and a run killed after its commit point", () => {
  it("query and crawl roll the committed run forward: every row once, the run's sequence", async () => {
    const warehouse = await tempDir();
    const storage = new DiesAtSnapshotStorage(warehouse);
    const { after } = await twoRuns(storage, warehouse, true);
    assert.ok(await commitPending(storage), "the second run died between its commit point and its snapshot");

    const seen = await queriedIds(warehouse);
    assert.deepEqual(seen.ids, after);
    assert.equal(seen.sequenceOfA, "a0,a1,a2");
    assert.equal(await commitPending(storage), false, "the reader applied the committed run");
  });

  it("while a run holds the lock, readers see the previous snapshot whole, not the published files", async () => {
    const warehouse = await tempDir();
    const storage = new DiesAtSnapshotStorage(warehouse);
    const { before } = await twoRuns(storage, warehouse, true);
    const lock = await RunLock.acquire(runLockPath(warehouse), "a-live-run", 0);
    try {
      const view = await readTableView(storage, warehouse);
      assert.ok(await commitPending(storage), "a reader never applies a commit under another run's lock");
      const listed: string[] = [];
      for await (const o of storage.list("transformed", "transformed/")) {
        if (o.key.endsWith(".parquet") && !o.key.includes("/_")) listed.push(o.key);
      }
      assert.ok(listed.length > view.files.length, "published files of the pending run are on disk");
      assert.deepEqual((await queriedIds(warehouse)).ids, before);
    } finally {
      await lock.release();
    }
  });

  it("a long-lived engine follows new snapshots: no file of an older one is opened after a commit", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const config = configFor(warehouse);
    await put(storage, [event("a1", "A", at(1)), event("a2", "A", at(3))]);
    await transform(storage, warehouse);
    await runCrawler({ storage, config });
    const engine = await openQueryEngine({ storage, config });
    try {
      assert.equal(Number((await engine.run("SELECT count(*) FROM transformed")).rows[0]?.[0]), 2);
      // A late event rewrites the one file the engine's views were built on; grace 0 deletes the old one.
      await put(storage, [event("a0", "A", at(0))]);
      await transform(storage, warehouse);
      const rows = await engine.run(
        "SELECT event_id, event_sequence FROM transformed ORDER BY event_sequence",
      );
      assert.deepEqual(
        rows.rows.map((r) => [String(r[0]), Number(r[1])]),
        [
          ["a0", 1],
          ["a1", 2],
          ["a2", 3],
        ],
      );
    } finally {
      engine.close();
    }
  });

  it("a transform starting while a reader applies a killed run's commit waits for it, then runs", async () => {
    const warehouse = await tempDir();
    const storage = new DiesAtSnapshotStorage(warehouse);
    await twoRuns(storage, warehouse, true);
    assert.ok(await commitPending(storage));
    // A reader holds the lock (as readTableView does while it rolls the commit forward) for a while.
    const reader = await RunLock.acquire(
      runLockPath(warehouse),
      `20261125-120000-abcdef12${readerRunSuffix}`,
      0,
    );
    const released = new Promise<void>((done) => setTimeout(() => void reader.release().then(done), 300));
    await put(storage, [event("d1", "D", at(5))]);
    const report = await transform(storage, warehouse);
    await released;
    assert.equal(report.records.read, 1);
    assert.deepEqual((await queriedIds(warehouse)).ids, ["a0", "a1", "a2", "b1", "c1", "d1"]);
  });

  it("a commit landing while a reader reads the snapshot is followed, not mistaken for the one read", async () => {
    const warehouse = await tempDir();
    const storage = new CommitDuringReadStorage(warehouse);
    const config = configFor(warehouse);
    await put(storage, [event("a1", "A", at(1)), event("a2", "A", at(2))]);
    await transform(storage, warehouse);
    const first = await storage.readBytes("state", snapshotKey);
    await put(storage, [event("b1", "B", at(3))]);
    await transform(storage, warehouse);
    const second = await storage.readBytes("state", snapshotKey);
    await runCrawler({ storage, config });
    // Back to the first snapshot (the second's files stay on disk); the second lands mid-read.
    await storage.writeAtomic("state", snapshotKey, first);
    storage.landing = second;
    const engine = await openQueryEngine({ storage, config });
    try {
      assert.equal(Number((await engine.run("SELECT count(*) FROM transformed")).rows[0]?.[0]), 3);
    } finally {
      engine.close();
    }
  });
});

/** Real local storage where another commit's snapshot lands just after a reader has read the snapshot. */
class CommitDuringReadStorage extends LocalStorage {
  landing: Buffer | undefined;
  override async readBytes(bucket: BucketRole, key: string): Promise<Buffer> {
    const bytes = await super.readBytes(bucket, key);
    if (key === snapshotKey && this.landing) {
      const next = this.landing;
      this.landing = undefined;
      await super.writeAtomic("state", snapshotKey, next);
    }
    return bytes;
  }
}

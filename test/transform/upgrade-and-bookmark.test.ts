import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DuckDBInstance, quotedString } from "@duckdb/node-api";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { bookmarkKey, legacyBookmarkKey, loadBookmark } from "../../src/table/bookmark-store.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { loadSnapshot } from "../../src/table/table-snapshot.js";
import { event, ndjson, type TestEvent } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;

async function put(
  storage: LocalStorage,
  arrival: string,
  uuid: string,
  events: TestEvent[],
): Promise<string> {
  const key = rawObjectKey({ stream: "t", arrival: new Date(arrival), uuid });
  await storage.writeAtomic("raw", key, ndjson(events));
  return key;
}

/**
 * Turns a warehouse into what the first release left: its bookmark (every processed key), Parquet files
 * without the columns added since (properties), and no table snapshot or indexes.
 */
async function asFirstRelease(warehouse: string, processed: string[]): Promise<void> {
  await rm(join(warehouse, "_state", "transform"), { recursive: true, force: true });
  const storage = new LocalStorage(warehouse);
  await storage.writeAtomic("state", legacyBookmarkKey, JSON.stringify({ processed }));
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  try {
    for (const entry of await readdir(join(warehouse, "transformed"), { recursive: true })) {
      if (!entry.endsWith(".parquet")) continue;
      const path = join(warehouse, "transformed", entry);
      await connection.run(
        `COPY (SELECT * EXCLUDE (properties) FROM read_parquet(${quotedString(path)}))
         TO ${quotedString(`${path}.old`)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      await rm(path);
      await storage.rename("transformed", `transformed/${entry}.old`, `transformed/${entry}`);
    }
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

describe("upgrades and bookmarks", () => {
  it("a warehouse written by the first release upgrades itself on its first run", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const now = new Date("2026-11-25T12:00:00Z");
    const k1 = await put(storage, "2026-11-24T09:00:00Z", "one", [
      event("e1", "S", "2026-11-24T08:00:00.000Z"),
      event("e2", "S", "2026-11-24T08:01:00.000Z"),
    ]);
    await runTransform({ storage, config, workDir: warehouse, now });
    await asFirstRelease(warehouse, [k1]);
    const oldFiles = (await readdir(join(warehouse, "transformed"), { recursive: true })).filter((f) =>
      f.endsWith(".parquet"),
    );

    await put(storage, "2026-11-24T10:00:00Z", "two", [
      event("e3", "S", "2026-11-24T09:00:00.000Z", { properties: { plan: "pro" } }),
      event("e1", "S", "2026-11-20T00:00:00.000Z"), // already written by the old release
    ]);
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.objectsProcessed, 1, "the old bookmark still holds: object one is not read again");
    assert.equal(report.rejectedByReason.duplicate, 1, "the id index was built from the old files");
    assert.equal(report.rowsRewritten, 0);
    const rows = (await readTransformed(warehouse)).sort(
      (a, b) => Number(a.event_sequence) - Number(b.event_sequence),
    );
    assert.deepEqual(
      rows.map((r) => [r.event_id, r.event_sequence, r.properties]),
      [
        ["e1", 1, null],
        ["e2", 2, null],
        ["e3", 3, [["plan", "pro"]]],
      ],
    );
    // Old files are kept as they are; the state has the new shapes, the old bookmark is gone.
    const snapshot = await loadSnapshot(storage);
    for (const f of oldFiles) {
      const [partition, name] = [f.split("/").slice(0, 3).join("/"), f.split("/").at(-1)!];
      assert.ok(
        snapshot!.partitions[partition]!.some((e) => e.name === name),
        `${f} still in the table`,
      );
    }
    assert.ok(await storage.stat("state", bookmarkKey));
    assert.equal(await storage.stat("state", legacyBookmarkKey), undefined);
    assert.equal((await readErrors(warehouse)).filter((e) => e.reason === "duplicate").length, 1);
  });

  it("keeps only the look-back window's names; late objects in open and sealed days are read", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    // Twenty days of objects, one a day; processing on the last day.
    for (let d = 1; d <= 20; d++) {
      const day = `2026-11-${String(d).padStart(2, "0")}`;
      await put(storage, `${day}T12:00:00Z`, `d${d}`, [event(`e${d}`, `s${d}`, `${day}T11:00:00.000Z`)]);
    }
    const now = new Date("2026-11-20T13:00:00Z");
    const first = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(first.records.written, 20);
    const { bookmark } = await loadBookmark(storage);
    assert.equal(bookmark.sealedBefore, "2026-11-17");
    assert.deepEqual(Object.keys(bookmark.days).sort(), [
      "2026-11-17",
      "2026-11-18",
      "2026-11-19",
      "2026-11-20",
    ]);

    // An object lands late under an open day, with a name that sorts before the processed one: read.
    await put(storage, "2026-11-18T00:00:00Z", "a-late", [event("late", "s18", "2026-11-18T10:00:00.000Z")]);
    // One lands in a sealed day (a backfill): its folder changed since it was sealed, so it is read too.
    await put(storage, "2026-11-02T00:00:00Z", "a-sealed", [
      event("sealed", "s2", "2026-11-02T10:00:00.000Z"),
    ]);
    const second = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(second.objectsProcessed, 2);
    assert.deepEqual(second.lateObjects, { found: 1, folders: ["2026-11-02"] });
    assert.deepEqual(
      (await readTransformed(warehouse))
        .map((r) => r.event_id)
        .filter((id) => id === "late" || id === "sealed")
        .sort(),
      ["late", "sealed"],
    );
    assert.equal((await runTransform({ storage, config, workDir: warehouse, now })).status, "no_new_data");
    const full = await runTransform({ storage, config, workDir: warehouse, now, fullRefresh: true });
    assert.equal(full.records.written, 22, "a full refresh reads every raw object");
  });

  it("a version-2 bookmark's sealed folders are recorded as processed, not read again", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    for (let d = 1; d <= 10; d++) {
      const day = `2026-11-${String(d).padStart(2, "0")}`;
      await put(storage, `${day}T12:00:00Z`, `d${d}`, [event(`e${d}`, `s${d}`, `${day}T11:00:00.000Z`)]);
    }
    const now = new Date("2026-11-10T13:00:00Z");
    await runTransform({ storage, config, workDir: warehouse, now });
    // The bookmark as the previous release wrote it: sealed folders have no records of their own.
    const { bookmark } = await loadBookmark(storage);
    const v2 = {
      version: 2,
      sealedBefore: bookmark.sealedBefore,
      days: bookmark.days,
      other: bookmark.other,
    };
    await storage.writeAtomic("state", bookmarkKey, JSON.stringify(v2));
    const upgraded = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(upgraded.status, "no_new_data");
    assert.equal((await loadBookmark(storage)).bookmark.version, 3);
    await put(storage, "2026-11-02T00:00:00Z", "late", [event("late", "s2", "2026-11-02T10:00:00.000Z")]);
    const after = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(after.objectsProcessed, 1);
    assert.equal((await readTransformed(warehouse)).length, 11);
  });
});

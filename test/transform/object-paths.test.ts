import assert from "node:assert/strict";
import { basename, dirname } from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");
const key = (uuid: string) => rawObjectKey({ stream: "t", arrival: now, uuid });

describe("a warehouse named by a relative path", () => {
  it("reads every record (links handed to DuckDB are absolute)", async () => {
    const warehouse = await tempDir();
    process.chdir(dirname(warehouse));
    const relative = basename(warehouse);
    const storage = new LocalStorage(relative);
    await storage.writeAtomic("raw", key("a"), ndjson([event("e1", "S", "2026-11-24T10:00:00Z")]));
    await storage.writeAtomic("raw", key("b"), ndjson([event("e2", "S", "2026-11-24T10:01:00Z")]));
    const report = await runTransform({ storage, config, workDir: relative, now });
    assert.deepEqual(report.records, { read: 2, written: 2, rejected: 0 });
  });

  it("an object that vanishes after it was listed fails the run; the next run reads what is there", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic("raw", key("c"), ndjson([event("e3", "S", "2026-11-24T10:00:00Z")]));
    assert.equal((await runTransform({ storage, config, workDir: warehouse, now })).records.read, 1);
    await storage.writeAtomic("raw", key("d"), ndjson([event("e4", "S", "2026-11-24T10:02:00Z")]));
    // Real files, plus one listed object that is gone by the time the run reads it.
    const listsAGhost = new (class extends LocalStorage {
      override async listFolder(bucket: Parameters<LocalStorage["listFolder"]>[0], prefix: string) {
        const listing = await super.listFolder(bucket, prefix);
        const ghost = key("gone");
        if (bucket !== "raw" || ghost.slice(0, ghost.lastIndexOf("/") + 1) !== prefix) return listing;
        return { ...listing, objects: [...listing.objects, { key: ghost, size: 10, lastModified: now }] };
      }
    })(warehouse);
    await assert.rejects(runTransform({ storage: listsAGhost, config, workDir: warehouse, now }), /vanished/);
    const next = await runTransform({ storage, config, workDir: warehouse, now });
    assert.deepEqual(next.records, { read: 1, written: 1, rejected: 0 }, "the failed run marked nothing");
  });
});

describe("raw keys holding characters DuckDB reads as a pattern", () => {
  const at = (minute: number) => `2026-11-24T10:0${minute}:00.000Z`;
  for (const [odd, twin] of [
    ["raw/manual/batch[1].json", "raw/manual/batch1.json"],
    ["raw/manual/x*.json", "raw/manual/xy.json"],
    ["raw/manual/q?.json", "raw/manual/qz.json"],
  ] as const) {
    it(`${odd} next to ${twin}: every event once`, async () => {
      const warehouse = await tempDir();
      const storage = new LocalStorage(warehouse);
      await storage.writeAtomic("raw", odd, ndjson([event("w1", "W", at(1)), event("w2", "W", at(2))]));
      await storage.writeAtomic("raw", twin, ndjson([event("t1", "T", at(3)), event("t2", "T", at(4))]));
      const report = await runTransform({ storage, config, workDir: warehouse, now });
      assert.deepEqual(report.records, { read: 4, written: 4, rejected: 0 });
      assert.deepEqual((await readTransformed(warehouse)).map((r) => r.event_id).sort(), [
        "t1",
        "t2",
        "w1",
        "w2",
      ]);
    });
  }

  it("an odd key arriving after its twin was processed is read, not taken for the twin", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic("raw", "raw/manual/batch1.json", ndjson([event("t1", "T", at(3))]));
    await runTransform({ storage, config, workDir: warehouse, now });
    await storage.writeAtomic("raw", "raw/manual/batch[1].json", ndjson([event("w1", "W", at(1))]));
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.deepEqual(report.records, { read: 1, written: 1, rejected: 0 });
    assert.deepEqual((await readTransformed(warehouse)).map((r) => r.event_id).sort(), ["t1", "w1"]);
  });
});

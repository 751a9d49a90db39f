import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { mkdir } from "node:fs/promises";
import { startCollector } from "../../src/collector/collector-server.js";
import { WalSegment } from "../../src/collector/wal-segment.js";
import { parseConfig } from "../../src/config/load-config.js";
import { writeRawObjects } from "../../src/generator/raw-object-writer.js";
import { arrivalNoticePrefix } from "../../src/storage/arrival-notice.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { event, ndjson } from "../support/sample-events.js";
import { useS3rverWarehouse } from "../support/s3rver-server.js";
import { tempDir } from "../support/temp-dir.js";
import { readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");
const keyOn = (day: string, uuid: string) =>
  rawObjectKey({ stream: "t", arrival: new Date(`${day}T12:00:00Z`), uuid });
const one = (id: string, day: string) => ndjson([event(id, `s-${id}`, `${day}T10:00:00.000Z`)]);

/** Transforms a warehouse with a folder the run seals, then uploads into that sealed folder. */
async function sealThenUploadLate(storage: Storage, warehouse: string): Promise<void> {
  await storage.writeAtomic("raw", keyOn("2026-10-01", "first"), one("first", "2026-10-01"));
  await storage.writeAtomic("raw", keyOn("2026-11-25", "today"), one("today", "2026-11-25"));
  const first = await runTransform({ storage, config, workDir: warehouse, now });
  assert.equal(first.records.written, 2);
  // 2026-10-01 is far outside the look-back window: the run sealed it.
  await storage.writeAtomic("raw", keyOn("2026-10-01", "late"), one("late", "2026-10-01"));
  await storage.writeAtomic("raw", keyOn("2026-10-02", "backfill"), one("backfill", "2026-10-02"));
}

describe("objects uploaded into sealed day folders are processed (#16.2)", () => {
  it("locally, a sealed folder whose time changed is listed again; nothing is read twice", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await sealThenUploadLate(storage, warehouse);
    const second = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(second.status, "succeeded");
    assert.equal(second.records.written, 2);
    assert.deepEqual(second.lateObjects, { found: 2, folders: ["2026-10-01", "2026-10-02"] });
    const third = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(third.status, "no_new_data");
    const ids = (await readTransformed(warehouse)).map((r) => r.event_id).sort();
    assert.deepEqual(ids, ["backfill", "first", "late", "today"]);
  });

  it("reports entries of raw/ that are not regular files instead of skipping them silently (#19.12)", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const key = keyOn("2026-11-25", "real");
    await storage.writeAtomic("raw", key, one("real", "2026-11-25"));
    const folder = join(warehouse, ...key.split("/").slice(0, -1));
    await symlink("/etc/hostname", join(folder, "link.json"));
    execFileSync("mkfifo", [join(folder, "pipe.json")]);
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.records.written, 1);
    assert.equal(report.notFiles?.count, 2);
    assert.ok(report.notFiles?.keys.some((k) => k.endsWith("/pipe.json")));
    assert.ok(report.notFiles?.keys.some((k) => k.endsWith("/link.json")));
    await writeFile(join(folder, "ignored"), ""); // an empty object: no records, still no failure
    assert.equal((await runTransform({ storage, config, workDir: warehouse, now })).records.read, 0);
  });
});

describe("objects uploaded into sealed day folders on S3 (#16.2)", () => {
  const s3 = useS3rverWarehouse("late");

  it("sealed folders are listed again every transform.reconcileEveryMs, and on --reconcile", async () => {
    const storage = s3.storage();
    const workDir = await tempDir();
    await sealThenUploadLate(storage, workDir);
    // Within the cadence (1 h by default) the sealed folders are not listed.
    const within = await runTransform({ storage, config, workDir, now });
    assert.equal(within.status, "no_new_data");
    const reconciled = await runTransform({ storage, config, workDir, now, reconcile: true });
    assert.deepEqual(reconciled.lateObjects, { found: 2, folders: ["2026-10-01", "2026-10-02"] });
    assert.equal(reconciled.records.written, 2);
    // Past the cadence a run reconciles on its own, and finds nothing twice.
    await storage.writeAtomic("raw", keyOn("2026-10-01", "later"), one("later", "2026-10-01"));
    const due = parseConfig({ transform: { reconcileEveryMs: 0 } }).transform;
    const next = await runTransform({ storage, config: due, workDir, now });
    assert.deepEqual(next.lateObjects, { found: 1, folders: ["2026-10-01"] });
    assert.equal((await runTransform({ storage, config: due, workDir, now })).status, "no_new_data");
  });
});

describe("the collector's and the generator's own writes into sealed folders are never skipped (#19.2)", () => {
  const s3 = useS3rverWarehouse("arrivals");
  const notices = async (storage: Storage): Promise<string[]> => {
    const keys: string[] = [];
    for await (const o of storage.list("state", arrivalNoticePrefix)) keys.push(o.key);
    return keys;
  };

  it("generate into a transformed warehouse: the next run reads the new objects, on S3 too", async () => {
    const storage = s3.storage();
    const workDir = await tempDir();
    const start = new Date("2026-10-01T00:00:00Z");
    const gen = (seed: number) =>
      writeRawObjects(storage, { events: 500, users: 50, days: 1, start, seed, dirtyRate: 0 });
    const first = await gen(1);
    assert.equal((await runTransform({ storage, config, workDir, now })).records.written, first.valid);
    // 2026-10-01 is sealed now, and within the reconcile cadence S3's sealed folders are not listed.
    const second = await gen(8);
    const run = await runTransform({ storage, config, workDir, now });
    assert.equal(run.status, "succeeded");
    assert.equal(run.records.written, second.valid);
    assert.deepEqual(run.lateObjects, { found: second.keys.length, folders: ["2026-10-01"] });
    assert.deepEqual(await notices(storage), [], "the notices a committed run read are deleted");
    assert.equal((await runTransform({ storage, config, workDir, now })).status, "no_new_data");
  });
});

describe("a collector's recovered WAL segment dated on a sealed day (#19.2)", () => {
  const s3 = useS3rverWarehouse("wal-arrivals");

  it("a segment recovered from the WAL after a kill is delivered into its sealed folder and transformed", async () => {
    const storage = s3.storage();
    const workDir = await tempDir();
    const sealedDay = "2026-10-03";
    await storage.writeAtomic("raw", keyOn(sealedDay, "before"), one("before", sealedDay));
    assert.equal((await runTransform({ storage, config, workDir, now })).records.written, 1);
    // What a collector killed with -9 leaves: acknowledged (fsynced) frames, dated on the sealed day.
    const walDir = join(workDir, "wal");
    const streamDir = join(walDir, "clickstream-pipeline-stream");
    await mkdir(streamDir, { recursive: true });
    const segment = await WalSegment.create(streamDir, 1);
    const ids = Array.from({ length: 10 }, (_, i) => `wal-${i}`);
    await segment.append(
      Buffer.from(ids.map((id) => one(id, sealedDay)).join("")),
      Date.parse(`${sealedDay}T18:00:00Z`),
      ids.length,
    );
    await segment.seal();
    const collector = await startCollector({ storage, walDir, port: 0, logger: false });
    await collector.close();
    const run = await runTransform({ storage, config, workDir, now });
    assert.equal(run.records.written, 10);
    assert.deepEqual(run.lateObjects, { found: 1, folders: [sealedDay] });
    assert.equal((await runTransform({ storage, config, workDir, now })).status, "no_new_data");
  });
});

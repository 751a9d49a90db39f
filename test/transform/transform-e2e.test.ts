import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { parseConfig } from "../../src/config/load-config.js";
import { writeRawObjects } from "../../src/generator/index.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;

describe("end to end over generated dirty data in mixed framings", () => {
  it("reproduces the generator's ground truth exactly, per reason, and every count adds up", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const truth = await writeRawObjects(storage, {
      events: 30_000,
      users: 500,
      days: 3,
      start: new Date("2026-11-21T00:00:00Z"),
      seed: 11,
      dirtyRate: 0.03,
      framing: "mixed",
      eventsPerObject: 2_500,
    });
    // Plus one object nobody can read: named .gz (as Firehose names compressed objects), holding a gzip
    // header followed by garbage.
    const corrupt = rawObjectKey({
      stream: "s",
      arrival: new Date("2026-11-24T00:00:00Z"),
      uuid: "corrupt",
      gzip: true,
    });
    await storage.writeAtomic("raw", corrupt, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]));
    // Hidden objects are not input.
    await storage.writeAtomic("raw", "raw/_SUCCESS", "not data");
    await storage.writeAtomic("raw", "raw/year=2026/month=11/day=24/.part-tmp", "{oops");

    const report = await runTransform({
      storage,
      config,
      workDir: warehouse,
      now: new Date("2026-11-25T12:00:00Z"),
    });

    assert.equal(report.objectsProcessed, truth.keys.length + 1);
    assert.equal(report.records.read, truth.events + 1);
    assert.equal(report.records.written, truth.valid);
    assert.equal(report.records.read, report.records.written + report.records.rejected);
    for (const [reason, count] of Object.entries(truth.rejectedByReason)) {
      assert.equal(report.rejectedByReason[reason as keyof typeof report.rejectedByReason], count, reason);
    }
    assert.equal(report.rejectedByReason.unreadable_object, 1);
    assert.deepEqual(report.unknownFields, truth.unknownFields);

    const rows = await readTransformed(warehouse);
    const errors = await readErrors(warehouse);
    assert.equal(rows.length, report.records.written);
    assert.equal(errors.length, report.records.rejected);
    assert.equal(new Set(rows.map((r) => r.event_id)).size, rows.length, "no event_id twice");
    assert.ok(errors.every((e) => truth.keys.includes(e.source) || e.source === corrupt));
    assert.ok(errors.filter((e) => e.reason !== "unreadable_object").every((e) => e.raw.length > 0));
    assert.ok(
      rows.every((r) => `${r.year}-${r.month}-${r.day}` === r.event_date),
      "partition = event date",
    );

    // Personal and free-form fields never reach transformed/.
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const columns = (
      await connection.runAndReadAll(
        `SELECT DISTINCT name FROM parquet_schema('${warehouse}/transformed/**/*.parquet')`,
      )
    )
      .getRows()
      .map((r) => String(r[0]));
    connection.closeSync();
    db.closeSync();
    for (const dropped of [
      "user_agent",
      "ip_address",
      "additional_data",
      "app_version",
      "year",
      "month",
      "day",
    ]) {
      assert.ok(!columns.includes(dropped), `${dropped} must not be stored in the files`);
    }
  });
});

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { PutRecordCommand } from "@aws-sdk/client-firehose";
import { test } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { startFixture, stopFixture } from "../collector/collector-fixture.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const event = (i: number): string =>
  JSON.stringify({
    event_id: `e-${i}`,
    user_id: "u1",
    session_id: "s1",
    event_type: "page_view",
    timestamp: `2026-11-24T10:00:${String(i % 60).padStart(2, "0")}Z`,
  });

// Finding #1 of the adversarial review: one record whose bytes start with the gzip magic made the whole
// object "gzip", so the transform discarded every acknowledged event stored with it.
for (const [name, poison] of [
  ["a gzip of a JSON record", gzipSync('{"anything":1}')],
  ["a gzip of nothing", gzipSync("")],
  ["the two magic bytes alone", Buffer.from([0x1f, 0x8b])],
  ["a truncated gzip header", Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
] as const) {
  test(`a PutRecord starting with ${name} costs only itself, never the events stored with it`, async () => {
    const fixture = await startFixture();
    try {
      const events = Array.from({ length: 50 }, (_, i) => event(i)).join("\n");
      // One buffer: the poison first, then 50 ordinary events, as one acknowledged record.
      const data = Buffer.concat([poison, Buffer.from(`\n${events}\n`)]);
      await fixture.client.send(
        new PutRecordCommand({
          DeliveryStreamName: "clickstream-pipeline-stream",
          Record: { Data: new Uint8Array(data) },
        }),
      );
      await fixture.collector.flush();
      const report = await runTransform({
        storage: fixture.storage,
        config,
        workDir: fixture.warehouse,
        now: new Date("2026-11-25T00:00:00Z"),
      });
      assert.equal(report.records.written, 50, "every acknowledged event reaches transformed/");
      assert.equal(report.rejectedByReason.unreadable_object, 0);
      assert.equal(report.records.read, report.records.written + report.records.rejected);
      const rows = await readTransformed(fixture.warehouse);
      assert.deepEqual(
        rows.map((r) => r.event_id).sort(),
        Array.from({ length: 50 }, (_, i) => `e-${i}`).sort(),
      );
      const rejects = await readErrors(fixture.warehouse);
      assert.ok(rejects.length >= 1, "the poison record is kept in errors/ with a reason");
      assert.ok(rejects.every((r) => r.reason === "malformed_json" && r.line !== null));
    } finally {
      await stopFixture(fixture);
    }
  });
}

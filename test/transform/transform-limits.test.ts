import assert from "node:assert/strict";
import { createGzip } from "node:zlib";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { limits } from "../../src/contract/data-contract.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

const config = parseConfig({}).transform;
const now = new Date("2026-11-25T12:00:00Z");
const key = (uuid: string, gzip = false) =>
  rawObjectKey({ stream: "t", arrival: new Date("2026-11-24T12:00:00Z"), uuid, gzip });

/** A gzip stream of `bytes` zeros (or of a byte), produced without holding them in memory. */
function gzipOf(bytes: number, fill = 0): Readable {
  const chunk = Buffer.alloc(1 << 20, fill);
  let left = bytes;
  const source = new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(chunk.subarray(0, n));
    },
  });
  return source.pipe(createGzip({ level: 1 }));
}

describe("hostile objects cost only themselves (#4)", () => {
  it("a gzip bomb becomes one unreadable_object reject with a bounded prefix, and the run goes on", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    // Over the contract's object limit once decompressed (a few hundred KB of gzip).
    await storage.writeAtomic("raw", key("a-bomb", true), gzipOf(limits.maxObjectBytes + (1 << 20)));
    await storage.writeAtomic("raw", key("b-fine"), ndjson([event("e1", "s", "2026-11-24T10:00:00.000Z")]));
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.rejectedByReason.unreadable_object, 1);
    assert.equal(report.records.written, 1);
    const [reject] = (await readErrors(warehouse)).filter((e) => e.reason === "unreadable_object");
    assert.match(reject!.message, /decompresses to over \d+ bytes/);
    assert.equal(reject!.line, null);
    assert.ok(reject!.raw.length > 0 && reject!.raw.length <= limits.maxRejectRawChars);
    // The bomb is bookmarked like any object: the next run does not try it again.
    const again = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(again.status, "no_new_data");
  });

  it("one huge line is record_too_large with its text cut to the contract's length; the next line survives", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const huge = `{"event_id":"big","pad":"${"x".repeat(3 * (1 << 20))}"}`;
    await storage.writeAtomic(
      "raw",
      key("huge"),
      `${huge}\n${JSON.stringify(event("ok", "s", "2026-11-24T10:00:00.000Z"))}\n`,
    );
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.rejectedByReason.record_too_large, 1);
    assert.equal(report.records.written, 1);
    const [reject] = await readErrors(warehouse);
    assert.equal(reject!.line, 1);
    assert.equal(reject!.raw.length, limits.maxRejectRawChars);
    assert.ok(huge.startsWith(reject!.raw));
  });

  it("a record with 10,000 unknown fields lists at most the contract's number of names and counts the rest", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const record: Record<string, unknown> = { ...event("wide", "s", "2026-11-24T10:00:00.000Z") };
    for (let i = 0; i < 10_000; i++) record[`f${i}`] = i;
    await storage.writeAtomic("raw", key("wide"), `${JSON.stringify(record)}\n`);
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.records.written, 1);
    assert.equal(Object.keys(report.unknownFields).length, limits.maxUnknownFieldNames);
    assert.equal(report.unknownFieldsOmitted, 10_000 - limits.maxUnknownFieldNames);
    assert.equal((await readTransformed(warehouse)).length, 1);
  });

  it("a warehouse the Spark/Glue engine processed is refused, never processed twice", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic("state", "_state/glue/processed/run-1.json", '{"objects":[]}');
    await storage.writeAtomic("raw", key("x"), ndjson([event("e1", "s", "2026-11-24T10:00:00.000Z")]));
    await assert.rejects(
      runTransform({ storage, config, workDir: warehouse, now }),
      (error: ClickstreamError) =>
        error.code === "CS_ERR_ENGINE_MISMATCH" && /--engine spark/.test(error.message),
    );
    assert.deepEqual(await readTransformed(warehouse), []);
  });
});

// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  generateEventRecords,
  writeNdjsonFile,
  writeRawObjects,
  type GeneratorOptions,
} from "../../src/generator/index.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";
import { ContractChecker, splitObject } from "./contract-checker.js";

const options: GeneratorOptions = {
  events: 6_000,
  users: 300,
  days: 3,
  start: new Date("2026-11-20T00:00:00Z"),
  seed: 3,
  dirtyRate: 0.05,
};
const nowMs = Date.parse("2026-11-24T00:00:00Z");
const keyPattern =
  /^raw\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/clickstream-pipeline-stream-1-(\d{4})-(\d{2})-(\d{2})-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.gz)?$/;

async function readBack(storage: LocalStorage, keys: string[]): Promise<Buffer[]> {
  return Promise.all(keys.map((key) => storage.readBytes("raw", key)));
}

const isGzip = (b: Buffer): boolean => b[0] === 0x1f && b[1] === 0x8b;

describe("generator: raw objects", () => {
  it("lays objects out as Firehose does, dated by their latest event, deterministic keys", async () => {
    const storage = new LocalStorage(await tempDir());
    const result = await writeRawObjects(storage, { ...options, dirtyRate: 0, eventsPerObject: 500 });
    assert.equal(result.keys.length, 12);
    const days = new Set<string>();
    for (const [index, key] of result.keys.entries()) {
      const m = keyPattern.exec(key);
      assert.ok(m, key);
      assert.equal(`${m[1]}-${m[2]}-${m[3]}`, `${m[4]}-${m[5]}-${m[6]}`, "folder = arrival date");
      days.add(`${m[1]}-${m[2]}-${m[3]}`);
      const body = await storage.readBytes("raw", key);
      const records = body.toString().trimEnd().split("\n");
      assert.equal(records.length, 500);
      const latest = Math.max(
        ...records.map((r) => Date.parse(String((JSON.parse(r) as { timestamp: string }).timestamp))),
      );
      const stamp = new Date(Math.floor(latest / 1000) * 1000)
        .toISOString()
        .replace(/[-T:]/g, "-")
        .slice(0, 19);
      assert.ok(key.includes(`-1-${stamp}-`), `${key} (object ${index}) should carry ${stamp}`);
    }
    assert.deepEqual([...days].sort(), ["2026-11-20", "2026-11-21", "2026-11-22"]);
    const again = await writeRawObjects(new LocalStorage(await tempDir()), {
      ...options,
      dirtyRate: 0,
      eventsPerObject: 500,
    });
    assert.deepEqual(again.keys, result.keys);
  });

  it("writes exactly `objects` objects, gzip with .gz and the gzip magic, fixed arrival when asked", async () => {
    const storage = new LocalStorage(await tempDir());
    const arrival = new Date("2026-11-25T14:03:07Z");
    const result = await writeRawObjects(storage, {
      ...options,
      objects: 7,
      gzip: true,
      arrival,
      stream: "s",
    });
    assert.equal(result.keys.length, 7);
    let records = 0;
    for (const key of result.keys) {
      assert.match(key, /^raw\/year=2026\/month=11\/day=25\/s-1-2026-11-25-14-03-07-[0-9a-f-]{36}\.gz$/);
      const body = await storage.readBytes("raw", key);
      assert.ok(isGzip(body));
      records += splitObject(gunzipSync(body)).length;
    }
    assert.equal(records, options.events);
  });

  for (const framing of ["ndjson", "crlf", "concatenated", "array", "mixed"] as const) {
    it(`frames records as ${framing} with a ground truth the contract checker confirms`, async () => {
      const storage = new LocalStorage(await tempDir());
      const result = await writeRawObjects(storage, { ...options, framing, eventsPerObject: 1_000 });
      const bodies = await readBack(storage, result.keys);
      const checker = new ContractChecker(nowMs);
      let bytes = 0;
      for (const [i, stored] of bodies.entries()) {
        bytes += stored.length;
        const body = isGzip(stored) ? gunzipSync(stored) : stored;
        const text = body.toString("latin1");
        if (framing === "ndjson") assert.ok(!text.includes("\r") && text.endsWith("\n"));
        if (framing === "crlf")
          assert.ok(text.endsWith("\r\n") && text.split("\n").length === text.split("\r\n").length);
        if (framing === "concatenated") assert.ok(!text.includes("\n") && text.includes("}{"));
        if (framing === "array") assert.ok(text.startsWith('[\n  {\n    "event_id"') && text.endsWith("]\n"));
        if (framing === "mixed" && i === 1) assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
        if (framing === "mixed" && i === 2) assert.ok(isGzip(stored) && result.keys[i]!.endsWith(".gz"));
        if (framing === "mixed" && i === 5) assert.ok(isGzip(stored) && !result.keys[i]!.endsWith(".gz"));
        for (const record of splitObject(body)) checker.check(record);
      }
      assert.equal(bytes, result.objectBytes);
      if (framing === "mixed") {
        assert.equal(bodies.at(-1)!.length, 0, "mixed ends with an empty object");
        assert.equal(result.keys.length, 7);
      }
      assert.equal(checker.valid, result.valid);
      assert.deepEqual(checker.counts, result.rejectedByReason);
      assert.deepEqual(checker.unknownFields, result.unknownFields);
      const lineOnly = framing === "concatenated" || framing === "array";
      assert.equal(result.rejectedByReason.malformed_json === undefined, lineOnly);
    });
  }

  it("streams an NDJSON file (plain and gzip) with the same records", async () => {
    const dir = await tempDir();
    const plain = await writeNdjsonFile(join(dir, "events.ndjson"), options);
    const zipped = await writeNdjsonFile(join(dir, "events.ndjson.gz"), { ...options, gzip: true });
    const body = await readFile(plain.path);
    assert.equal(body.length, plain.fileBytes);
    assert.equal(plain.fileBytes, plain.bytes + options.events);
    const gz = await readFile(zipped.path);
    assert.ok(isGzip(gz));
    assert.deepEqual(gunzipSync(gz), body);
    const checker = new ContractChecker(nowMs);
    for (const line of splitObject(body)) checker.check(line);
    assert.deepEqual(checker.counts, plain.rejectedByReason);
    assert.equal(checker.valid, plain.valid);
    // The byte-level fast path writes exactly what the record API yields.
    const expected = [...generateEventRecords(options, { binary: true })].map((r) =>
      Buffer.concat([r.raw ?? Buffer.from(r.text), Buffer.from("\n")]),
    );
    assert.ok(Buffer.concat(expected).equals(body), "file bytes = record API bytes");
    const crlf = await writeNdjsonFile(join(dir, "events-crlf.ndjson"), { ...options, crlf: true });
    const crlfBody = await readFile(crlf.path);
    assert.ok(crlfBody.equals(Buffer.from(body.toString("latin1").replace(/\n/g, "\r\n"), "latin1")));
    assert.deepEqual({ ...crlf, path: "", fileBytes: 0 }, { ...plain, path: "", fileBytes: 0 });
  });

  it("fails with CS_ERR_STORAGE_IO, not a crash or a hang, when the file cannot be written", async () => {
    const missing = join(await tempDir(), "no-such-folder", "events.ndjson");
    await assert.rejects(writeNdjsonFile(missing, options), { code: "CS_ERR_STORAGE_IO" });
    await assert.rejects(writeNdjsonFile(missing, { ...options, gzip: true }), { code: "CS_ERR_STORAGE_IO" });
  });
});

import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { PieceCutter } from "../../src/transform/piece-cutter.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { event, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

// A small DuckDB memory limit makes a judge batch 32 MiB: bigger objects are cut in pieces of 4 MiB.
const config = parseConfig({ transform: { duckdbMemoryLimitBytes: 128 * 1024 * 1024 } }).transform;
const now = new Date("2026-11-25T12:00:00Z");
const key = (uuid: string, gzip = false) =>
  rawObjectKey({ stream: "t", arrival: new Date("2026-11-24T12:00:00Z"), uuid, gzip });

describe("objects of any size (#16.1)", () => {
  it("cuts text into pieces only between records, losing and adding nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cutter-"));
    const lines = Array.from({ length: 400 }, (_, i) =>
      i % 7 === 3 ? `{"a":\n${i}}` : i % 11 === 5 ? `{"b":"${i}"}\r` : `{"c":${i}}`,
    );
    const text = Buffer.from(`${lines.join("\n")}\n`);
    const cutter = new PieceCutter(100, (n) => join(dir, String(n)));
    for (let i = 0; i < text.length; i += 37) await cutter.write(text.subarray(i, i + 37));
    await cutter.close();
    assert.ok(cutter.pieces.length > 10);
    const pieces = await Promise.all(cutter.pieces.map((p) => readFile(p.path)));
    assert.deepEqual(Buffer.concat(pieces), text);
    for (const [i, piece] of pieces.entries()) {
      const s = piece.toString();
      if (i > 0)
        assert.ok(s.startsWith("{"), `piece ${i} starts a record: ${JSON.stringify(s.slice(0, 20))}`);
      if (i < pieces.length - 1) assert.match(s, /\}\r?\n$/);
      assert.equal(cutter.pieces[i]!.lines, s.split("\n").length - 1);
    }
  });

  it("cuts a broken tail back to the last complete line, however long the broken line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cutter-"));
    const cutter = new PieceCutter(1 << 30, (n) => join(dir, String(n)));
    await cutter.write(Buffer.from('{"a":1}\n{"b":2}\n'));
    await cutter.write(Buffer.from(`{"c":"${"x".repeat(200_000)}`));
    const tail = await cutter.truncateToLastLine();
    await cutter.close();
    assert.equal((await readFile(cutter.pieces[0]!.path)).toString(), '{"a":1}\n{"b":2}\n');
    assert.ok(tail.toString().startsWith('{"c":"xxx'));
  });

  it("reads a plain object bigger than a judge batch, with each reject's line counted in the object", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const events = Array.from({ length: 150_000 }, (_, i) =>
      JSON.stringify(event(`e${i}`, `s${i % 500}`, "2026-11-24T10:00:00.000Z", { pad: "x".repeat(200) })),
    );
    events[120_000] = "{not json}";
    events.push(events[5]!); // a duplicate of an event in the first piece, in the last one
    const body = `${events.join("\n")}\n`;
    assert.ok(body.length > 40 * 1024 * 1024, "bigger than a 32 MiB judge batch");
    await storage.writeAtomic("raw", key("big"), body);
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.deepEqual(report.records, { read: 150_001, written: 149_999, rejected: 2 });
    const rejects = await readErrors(warehouse);
    assert.deepEqual(
      rejects.map((r) => [r.reason, r.line]),
      [
        ["malformed_json", 120_001],
        ["duplicate", 150_001],
      ],
    );
    assert.equal((await readTransformed(warehouse)).length, 149_999);
  });
});

describe("a .gz object whose gzip data breaks off (#19.14)", () => {
  const good = gzipSync(
    ndjson([event("g1", "s", "2026-11-24T10:00:00.000Z"), event("g2", "s", "2026-11-24T10:01:00.000Z")]),
  );

  it("keeps the good member's records and rejects the trailing junk on its own", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic(
      "raw",
      key("junk", true),
      Buffer.concat([good, Buffer.from("not gzip at all")]),
    );
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.deepEqual(report.records, { read: 3, written: 2, rejected: 1 });
    const [reject] = await readErrors(warehouse);
    assert.equal(reject!.reason, "unreadable_object");
    assert.match(reject!.message, /are not gzip/);
  });

  it("keeps every complete line before a member that is cut short", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const second = gzipSync(
      ndjson([event("g3", "s", "2026-11-24T10:02:00.000Z"), event("g4", "s", "2026-11-24T10:03:00.000Z")]),
    );
    await storage.writeAtomic(
      "raw",
      key("cut", true),
      Buffer.concat([good, second.subarray(0, second.length - 12)]),
    );
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.rejectedByReason.unreadable_object, 1);
    const ids = (await readTransformed(warehouse)).map((r) => r.event_id).sort();
    assert.ok(ids.includes("g1") && ids.includes("g2"), `kept: ${ids.join(",")}`);
    assert.equal(report.records.read, report.records.written + report.records.rejected);
  });
});

describe("raw keys no storage can hold (#19.4)", () => {
  it("a key with a backslash or over 1,024 characters is one unreadable_object reject, not a failed run", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    await storage.writeAtomic("raw", key("fine"), ndjson([event("ok", "s", "2026-11-24T10:00:00.000Z")]));
    const day = join(warehouse, "raw", "year=2026", "month=11", "day=24");
    await writeFile(join(day, "back\\slash.json"), ndjson([event("b", "s", "2026-11-24T10:00:00.000Z")]));
    const deep = join(day, ...Array.from({ length: 12 }, (_, i) => `${"d".repeat(90)}${i}`));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, "x.json"), ndjson([event("d", "s", "2026-11-24T10:00:00.000Z")]));
    const report = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(report.status, "succeeded");
    assert.deepEqual(report.records, { read: 3, written: 1, rejected: 2 });
    const rejects = await readErrors(warehouse);
    assert.deepEqual(
      rejects.map((r) => r.reason),
      ["unreadable_object", "unreadable_object"],
    );
    assert.ok(rejects.some((r) => r.source.includes("back\\slash") && /backslash/.test(r.message)));
    assert.ok(rejects.some((r) => r.source.length >= 1024 && /key cannot be used/.test(r.message)));
    const again = await runTransform({ storage, config, workDir: warehouse, now });
    assert.equal(again.status, "no_new_data");
  });
});

describe("very wide events (#19.1)", () => {
  it("a batch that runs out of DuckDB's memory is judged in smaller parts; every record is written", async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const small = parseConfig({ transform: { duckdbMemoryLimitBytes: 64 * 1024 * 1024 } }).transform;
    const wide = (id: string): Record<string, unknown> => {
      const record: Record<string, unknown> = { ...event(id, "w", "2026-11-24T10:00:00.000Z") };
      for (let i = 0; i < 10_000; i++) record[`f${i}`] = i;
      return record;
    };
    for (let o = 0; o < 6; o++) {
      await storage.writeAtomic(
        "raw",
        key(`wide-${o}`),
        ndjson(Array.from({ length: 50 }, (_, i) => wide(`w${o}-${i}`))),
      );
    }
    await storage.writeAtomic(
      "raw",
      key("normal"),
      ndjson([event("n1", "s", "2026-11-24T10:00:00.000Z"), event("n2", "s", "2026-11-24T10:01:00.000Z")]),
    );
    const report = await runTransform({ storage, config: small, workDir: warehouse, now });
    assert.equal(report.records.read, 302);
    assert.equal(report.records.read, report.records.written + report.records.rejected);
    const ids = new Set((await readTransformed(warehouse)).map((r) => r.event_id));
    assert.ok(ids.has("n1") && ids.has("n2"));
    assert.equal(report.records.written, 302);
  });
});

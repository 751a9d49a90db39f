import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/load-config.js";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { runTransform } from "../../src/transform/run-transform.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed } from "../support/warehouse-reader.js";

interface RuleCase {
  name: string;
  raw: string;
  pad?: { marker: string; toBytes: number };
  expect: { row?: Record<string, unknown>; reject?: { reason: string; field: string | null } };
}
interface FramingCase {
  name: string;
  text?: string;
  base64?: string;
  key?: string;
  expect: ({ line: number; event_id: string } | { line: number | null; reason: string })[];
}

const vectorsDir = new URL("../../../test/vectors/", import.meta.url);
const rules = JSON.parse(readFileSync(new URL("rules.json", vectorsDir), "utf8")) as {
  now: string;
  futureToleranceHours: number;
  cases: RuleCase[];
};
const framing = JSON.parse(readFileSync(new URL("framing.json", vectorsDir), "utf8")) as {
  now: string;
  cases: FramingCase[];
};
const config = parseConfig({}).transform;

function caseText(c: RuleCase): string {
  if (!c.pad) return c.raw;
  const fill = c.pad.toBytes - Buffer.byteLength(c.raw) + c.pad.marker.length;
  return c.raw.replace(c.pad.marker, "x".repeat(fill));
}

/**
 * Two paths frame records: DuckDB splits objects that are UTF-8 text into lines and judges them in bulk;
 * the per-record path in Node frames what DuckDB cannot. It is forced here by a `.gz` object whose text
 * ends with a line of bytes that are not UTF-8: a gzip object that is not UTF-8 text goes there whole (a
 * plain object only sends its bad lines). Every vector runs through both and must come out the same.
 */
const paths = [
  { name: "DuckDB path", tail: Buffer.alloc(0) },
  { name: "per-record path", tail: Buffer.from([0x0a, 0xff, 0xfe, 0x0a]) },
] as const;

/** The object as written for a path: plain, or gzipped under a `.gz` key with the bad-bytes tail. */
function objectFor(path: (typeof paths)[number], key: string, text: Buffer): { key: string; body: Buffer } {
  if (path.tail.length === 0) return { key, body: text };
  return { key: `${key}.gz`, body: gzipSync(Buffer.concat([text, path.tail])) };
}

for (const path of paths) {
  describe(`golden vectors: per-record rules (test/vectors/rules.json), ${path.name}`, async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const text = rules.cases.map(caseText).join("\n") + "\n";
    const object = objectFor(path, "raw/year=2026/month=11/day=25/vectors-1", Buffer.from(text));
    await storage.writeAtomic("raw", object.key, object.body);
    const report = await runTransform({
      storage,
      config: { ...config, futureToleranceMs: rules.futureToleranceHours * 3_600_000 },
      workDir: warehouse,
      now: new Date(rules.now),
    });
    const rows = new Map((await readTransformed(warehouse)).map((r) => [r.event_id, r]));
    const rejects = new Map((await readErrors(warehouse)).map((e) => [e.line, e]));

    rules.cases.forEach((c, i) => {
      it(c.name, () => {
        const line = i + 1;
        if (c.expect.reject) {
          const reject = rejects.get(line);
          assert.ok(reject, `expected a reject on line ${line}`);
          assert.equal(reject.reason, c.expect.reject.reason);
          assert.equal(reject.field, c.expect.reject.field);
          assert.equal(reject.raw, caseText(c), "the reject keeps the original text");
          assert.equal(reject.source, object.key);
          assert.ok(reject.message.length > 0);
        } else {
          const expected = { ...c.expect.row } as Record<string, unknown>;
          delete expected.unknown_fields;
          assert.equal(rejects.get(line), undefined, `line ${line} must not be rejected`);
          const row = rows.get(expected.event_id as string) as unknown as Record<string, unknown> | undefined;
          assert.ok(row, `row ${String(expected.event_id)} written`);
          for (const [column, value] of Object.entries(expected))
            assert.deepEqual(row[column], value, column);
          const [year, month, day] = (expected.event_date as string).split("-");
          assert.deepEqual(
            [row.year, row.month, row.day],
            [year, month, day],
            "partition from the event date",
          );
        }
      });
    });

    it("counts add up and unknown fields are counted by name", () => {
      const valid = rules.cases.filter((c) => c.expect.row);
      const tail = path.tail.length > 0 ? 1 : 0; // the line of bad bytes is one malformed record
      assert.equal(report.records.read, rules.cases.length + tail);
      assert.equal(report.records.written, valid.length);
      assert.equal(report.records.rejected, rules.cases.length - valid.length + tail);
      const unknown: Record<string, number> = {};
      for (const c of valid)
        for (const f of c.expect.row!.unknown_fields as string[]) unknown[f] = (unknown[f] ?? 0) + 1;
      assert.deepEqual(report.unknownFields, unknown);
    });
  });
}

/** Each case's object in one warehouse: its own key (in case order), so its rejects name it as source. */
function caseKey(c: FramingCase, i: number): string {
  const key = c.key ?? "raw/year=2026/month=11/day=25/framing-1";
  return key.replace("framing-1", `framing-${String(i).padStart(2, "0")}`);
}

/**
 * One transform per path over every case's object, as the rule vectors run. Cases share event ids, so
 * the first case (in key order) expecting an id owns its row and a later case's record with that id is
 * a `duplicate` reject of its own object at its own line: a record framed all the same.
 */
for (const path of paths) {
  describe(`golden vectors: framing of raw objects (test/vectors/framing.json), ${path.name}`, async () => {
    const warehouse = await tempDir();
    const storage = new LocalStorage(warehouse);
    const objects: { c: FramingCase; source: string; object: Buffer }[] = [];
    for (const [i, c] of framing.cases.entries()) {
      const bytes =
        c.base64 !== undefined ? Buffer.from(c.base64, "base64") : Buffer.from(c.text ?? "", "utf8");
      // Gzip objects are decoded before framing: their bytes cannot take the extra line.
      const gzip = c.key?.endsWith(".gz") || (bytes[0] === 0x1f && bytes[1] === 0x8b);
      if (path.tail.length > 0 && gzip) continue;
      const written = objectFor(path, caseKey(c, i), bytes);
      await storage.writeAtomic("raw", written.key, written.body);
      objects.push({ c, source: written.key, object: Buffer.concat([bytes, path.tail]) });
    }
    await runTransform({ storage, config, workDir: warehouse, now: new Date(framing.now) });
    const rows = await readTransformed(warehouse);
    const rejects = await readErrors(warehouse);
    const owner = new Map<string, string>(); // event id → the source of the first case expecting it
    for (const { c, source } of objects) {
      for (const e of c.expect) if ("event_id" in e && !owner.has(e.event_id)) owner.set(e.event_id, source);
    }

    it(`every row is an expected event (${path.name})`, () => {
      for (const r of rows) assert.ok(owner.has(r.event_id), `unexpected row ${r.event_id}`);
    });
    for (const { c, source, object } of objects) {
      it(`${c.name} (${path.name})`, () => {
        // The forced path's own bad line: the last line of the object.
        const tailLine = path.tail.length > 0 ? object.toString("latin1").split("\n").length - 1 : -1;
        const lineOf = new Map<string, number>();
        // Accepted rows carry no line; match them through the expectation's event ids.
        for (const e of c.expect) if ("event_id" in e) lineOf.set(e.event_id, e.line);
        const own = rejects.filter((r) => r.source === source);
        const idOf = (raw: string): string =>
          String((JSON.parse(raw) as { event_id: unknown }).event_id).trim();
        const framed = (r: (typeof own)[number]): boolean =>
          r.reason === "duplicate" && owner.get(idOf(r.raw)) !== source;
        const actual = [
          ...rows
            .filter((r) => owner.get(r.event_id) === source)
            .map((r) => `${lineOf.get(r.event_id) ?? "?"} event ${r.event_id}`),
          ...own
            .filter((r) => r.line !== tailLine)
            .map((r) => (framed(r) ? `${r.line} event ${idOf(r.raw)}` : `${r.line} reject ${r.reason}`)),
        ].sort();
        const expected = c.expect
          .map((e) => ("event_id" in e ? `${e.line} event ${e.event_id}` : `${e.line} reject ${e.reason}`))
          .sort();
        assert.deepEqual(actual, expected);
        if (path.tail.length > 0) assert.equal(own.filter((r) => r.line === tailLine).length, 1);
      });
    }
  });
}

// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { judgeRecord } from "./contract-checker.js";

interface RuleCase {
  name: string;
  raw: string;
  pad?: { marker: string; toBytes: number };
  expect: { row?: Record<string, unknown>; reject?: { reason: string; field: string | null } };
}
const rules = JSON.parse(
  readFileSync(new URL("../../../test/vectors/rules.json", import.meta.url), "utf8"),
) as { now: string; futureToleranceHours: number; cases: RuleCase[] };

const text = (c: RuleCase): string =>
  c.pad
    ? c.raw.replace(c.pad.marker, "x".repeat(c.pad.toBytes - Buffer.byteLength(c.raw) + c.pad.marker.length))
    : c.raw;

// The oracle is only worth something if it agrees with the contract's vectors, case by case.
describe("the test oracle passes every rules vector (test/vectors/rules.json)", () => {
  const nowMs = Date.parse(rules.now);
  for (const c of rules.cases) {
    it(c.name, () => {
      const verdict = judgeRecord(text(c), nowMs, rules.futureToleranceHours * 3_600_000);
      if (c.expect.reject) {
        assert.deepEqual(verdict, c.expect.reject);
        return;
      }
      assert.ok("row" in verdict, `expected a row, got ${JSON.stringify(verdict)}`);
      const expected = c.expect.row!;
      const { values, unknownFields } = verdict.row;
      for (const field of Object.keys(values)) {
        if (field === "timestamp") {
          assert.equal(new Date(values.timestamp as number).toISOString(), expected.timestamp);
        } else assert.deepEqual(values[field], expected[field], field);
      }
      assert.deepEqual(unknownFields, expected.unknown_fields);
    });
  }
});

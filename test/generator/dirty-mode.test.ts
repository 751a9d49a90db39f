// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defectKinds,
  generateEventLines,
  generateEventRecords,
  generatedReasons,
  variantKinds,
  type GeneratorOptions,
} from "../../src/generator/index.js";
import { ContractChecker } from "./contract-checker.js";

const options: GeneratorOptions = {
  events: 12_000,
  users: 500,
  days: 2,
  start: new Date("2026-11-10T00:00:00Z"),
  seed: 99,
  dirtyRate: 0.1,
};
// The transform's clock for these checks: the day after the generated range.
const nowMs = Date.parse("2026-11-12T12:00:00Z");

describe("generator: dirty mode", () => {
  it("makes exactly floor(events × dirtyRate) records defective, spread over every reason", () => {
    const iterator = generateEventRecords(options, { binary: true });
    let step = iterator.next();
    const rejected: number[] = [];
    let index = 0;
    while (!step.done) {
      if (step.value.outcome !== "valid") rejected.push(index);
      index++;
      step = iterator.next();
    }
    const summary = step.value;
    const total = Object.values(summary.rejectedByReason).reduce((a, b) => a + b, 0);
    assert.equal(total, Math.floor(options.events * options.dirtyRate));
    assert.equal(summary.valid + total, summary.events);
    assert.deepEqual(Object.keys(summary.rejectedByReason).sort(), [...generatedReasons].sort());
    // Evenly spaced, not clustered: one defect every 10 records.
    assert.equal(rejected[0], 9);
    assert.equal(rejected[1], 19);
    // Every reason gets an equal share except the rate-limited 1 MB record.
    for (const reason of generatedReasons.filter((r) => r !== "record_too_large")) {
      assert.ok(summary.rejectedByReason[reason]! >= 150, `${reason}: ${summary.rejectedByReason[reason]}`);
    }
    assert.equal(summary.rejectedByReason.record_too_large, 1);
  });

  it("exercises every defect kind and every valid variant", () => {
    const summary = generateEventRecordsSummary({ ...options, events: 30_000 });
    for (const kinds of Object.values(defectKinds)) {
      for (const kind of kinds) assert.ok(summary.defects[kind.name]! > 0, `defect ${kind.name} missing`);
    }
    assert.ok(summary.defects["duplicate:exact"]! > 0 && summary.defects["duplicate:near"]! > 0);
    for (const variant of variantKinds)
      assert.ok(summary.variants[variant.name]! > 0, `variant ${variant.name} missing`);
  });

  it("has a ground truth that an independent contract checker confirms record by record", () => {
    const checker = new ContractChecker(nowMs);
    const iterator = generateEventRecords(options, { binary: true });
    let step = iterator.next();
    let invalidUtf8 = 0;
    while (!step.done) {
      const record = step.value;
      const verdict = checker.check(record.raw ?? record.text);
      assert.equal(verdict.outcome, record.outcome, `${record.kind}: ${record.text.slice(0, 200)}`);
      if (record.raw) invalidUtf8++;
      step = iterator.next();
    }
    const summary = step.value;
    assert.ok(invalidUtf8 > 0, "binary mode emits invalid UTF-8 bytes");
    assert.equal(checker.valid, summary.valid);
    assert.deepEqual(checker.counts, summary.rejectedByReason);
    assert.deepEqual(checker.unknownFields, summary.unknownFields);
    assert.deepEqual(Object.keys(summary.unknownFields).sort(), ["app_version", "experiment_id"]);
  });

  it("keeps the same counts in text mode, where the invalid-UTF-8 defect becomes another malformed record", () => {
    const checker = new ContractChecker(nowMs);
    const iterator = generateEventLines(options);
    let step = iterator.next();
    while (!step.done) {
      assert.equal(typeof step.value, "string");
      checker.check(step.value);
      step = iterator.next();
    }
    assert.equal(checker.valid, step.value.valid);
    assert.deepEqual(checker.counts, step.value.rejectedByReason);
    const binary = generateEventRecordsSummary(options);
    assert.deepEqual(step.value.rejectedByReason, binary.rejectedByReason);
  });

  it("duplicates only earlier valid records, with the same event_id", () => {
    const seen = new Map<string, string>();
    let duplicates = 0;
    for (const record of iterate(options)) {
      if (record.outcome === "valid") {
        const id = String((JSON.parse(record.text) as { event_id: unknown }).event_id).trim();
        seen.set(id, record.text);
      } else if (record.outcome === "duplicate") {
        duplicates++;
        const copy = JSON.parse(record.text) as Record<string, unknown>;
        const original = seen.get(String(copy.event_id).trim());
        assert.ok(original, "a duplicate's twin was emitted earlier and is valid");
        const twin = JSON.parse(original) as Record<string, unknown>;
        // Exact, or a retry that differs only in a field the pipeline drops.
        assert.deepEqual({ ...copy, ip_address: null }, { ...twin, ip_address: null });
      }
    }
    assert.ok(duplicates > 100);
  });

  it("emits the record_too_large defect over 1,000 KiB and otherwise valid", () => {
    const big = [...iterate(options)].find((r) => r.outcome === "record_too_large")!;
    assert.ok(Buffer.byteLength(big.text) > 1_024_000);
    const parsed = JSON.parse(big.text) as Record<string, unknown>;
    assert.equal(typeof parsed.event_id, "string");
    assert.match(String(parsed.timestamp), /Z$/);
  });

  it("keeps line-only defects out of concatenated and array scopes", () => {
    for (const scope of ["concatenated", "array"] as const) {
      const reasons = new Set([...iterate(options, scope)].map((r) => r.outcome));
      assert.ok(!reasons.has("malformed_json") && !reasons.has("record_too_large"), scope);
      assert.equal(reasons.has("not_an_object"), scope === "array");
      assert.ok(reasons.has("missing_field") && reasons.has("duplicate"));
    }
  });
});

function* iterate(o: GeneratorOptions, scope?: "line" | "concatenated" | "array") {
  yield* generateEventRecords(o, scope ? { binary: true, scope } : { binary: true });
}

function generateEventRecordsSummary(o: GeneratorOptions) {
  const iterator = generateEventRecords(o, { binary: true });
  let step = iterator.next();
  while (!step.done) step = iterator.next();
  return step.value;
}

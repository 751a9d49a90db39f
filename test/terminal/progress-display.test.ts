// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { formatBytes, formatDuration } from "../../src/format/human-format.js";
import { createProgressDisplay } from "../../src/terminal/progress-display.js";

describe("progress display of polled AWS runs", () => {
  it("off a terminal, prints one line per state change (logs stay readable)", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const display = createProgressDisplay("glue job jr_1", stream);
    for (const state of ["STARTING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"]) display.update(state);
    display.stop();
    const lines = text.trim().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^glue job jr_1: STARTING after \d+s$/);
    assert.match(lines[1]!, /^glue job jr_1: RUNNING after \d+s$/);
    assert.match(lines[2]!, /^glue job jr_1: SUCCEEDED after \d+s$/);
  });

  it("formats durations and data sizes", () => {
    assert.equal(formatDuration(7_400), "7s");
    assert.equal(formatDuration(125_000), "2m 05s");
    assert.equal(formatDuration(3_723_000), "1h 02m 03s");
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(10_485_760), "10.00 MB");
    assert.equal(formatBytes(1_099_511_627_776), "1.00 TB");
  });
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describeRun } from "../../src/pipeline/run-scheduler.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** "1 raw objects", "1 files", "1 new partitions": a count of one with a plural noun after it. */
const oneWithPlural =
  /(?<![^\s(])1 (?:raw |new |existing )?(?:objects|files|rows|partitions|records|entries)\b/;

test("counts of one are singular and sizes read in B, KB or MB, never 0.0 MB", async () => {
  const warehouse = join(await tempDir(), "warehouse");
  const generated = await cli(["generate", "--warehouse", warehouse, "--events", "1", "--objects", "1"]);
  assert.equal(generated.code, 0, generated.stderr);
  const transform = await cli(["transform", "--warehouse", warehouse]);
  assert.equal(transform.code, 0, transform.stderr);
  const crawl = await cli(["crawl", "--warehouse", warehouse]);
  const catalog = await cli(["catalog", "--warehouse", warehouse]);
  for (const [name, out] of [
    ["generate", generated.stdout + generated.stderr],
    ["transform", transform.stdout],
    ["crawl", crawl.stdout],
    ["catalog", catalog.stdout],
  ] as const)
    assert.doesNotMatch(out, oneWithPlural, `${name}: ${out}`);
  assert.match(transform.stdout, /: 1 raw object in /);
  // A one-event object is a few hundred bytes: shown in B, not as 0.0 MB.
  assert.match(transform.stdout, /bytes read \d+ B, written \d+(\.\d+)? (B|KB)\n/);
  assert.doesNotMatch(transform.stdout + crawl.stdout, /\b0\.0+ MB\b/);
  assert.match(crawl.stdout, /1 file, 1 row, \d+(\.\d+)? (B|KB)/);

  const line = describeRun({
    trigger: "schedule",
    startedAt: "2026-11-24T10:00:00Z",
    durationMs: 1000,
    status: "succeeded",
    transform: {
      runId: "r",
      objectsProcessed: 1,
      records: { read: 1, written: 1, rejected: 0 },
      rejectedByReason: {} as never,
    },
    crawl: { partitionsAdded: 1 },
  });
  assert.doesNotMatch(line, oneWithPlural, line);
  assert.match(line, /1 object, .*1 new partition catalogued/);
});

test("a mistyped command gets the suggestion, not the whole help after it", async () => {
  const result = await cli(["qurey", "SELECT 1"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error CS_ERR_INVALID_ARGUMENT: .*unknown command 'qurey'\. Did you mean query\?\n/,
  );
  assert.match(result.stderr, /\n {2}fix: /);
  assert.doesNotMatch(result.stderr + result.stdout, /Usage:|Commands:/);
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe("clickstream generate", () => {
  it("writes raw objects into the warehouse and prints the ground truth with --json", async () => {
    const warehouse = await tempDir();
    const args = ["generate", "--events", "3000", "--users", "200", "--days", "2", "--start", "2026-11-20"];
    const result = await cli([
      ...args,
      "--seed",
      "5",
      "--dirty",
      "0.05",
      "--framing",
      "mixed",
      "--warehouse",
      warehouse,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      events: number;
      valid: number;
      rejectedByReason: Record<string, number>;
      keys: string[];
      objects: number;
    };
    assert.equal(summary.events, 3000);
    assert.equal(summary.valid + Object.values(summary.rejectedByReason).reduce((a, b) => a + b, 0), 3000);
    assert.equal(summary.objects, summary.keys.length);
    const stored: string[] = [];
    for await (const info of new LocalStorage(warehouse).list("raw")) stored.push(info.key);
    assert.deepEqual(stored, [...summary.keys].sort());
  });

  it("writes NDJSON to a file or stdout, deterministic for a seed", async () => {
    const dir = await tempDir();
    const file = join(dir, "events.ndjson");
    const toFile = await cli(["generate", "--events", "500", "--seed", "9", "--output", file]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.match(toFile.stdout, /generated 500 records → .*events\.ndjson/);
    const toStdout = await cli(["generate", "--events", "500", "--seed", "9", "--output", "-"]);
    assert.equal(toStdout.stdout, await readFile(file, "utf8"));
    assert.equal(toStdout.stdout.split("\n").length, 501);
  });

  it("fails with a coded error for flags that do not fit together", async () => {
    const result = await cli(["generate", "--events", "10", "--output", "-", "--framing", "array"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error CS_ERR_INVALID_ARGUMENT: .*--framing ndjson or crlf/);
    const badStart = await cli(["generate", "--events", "10", "--output", "-", "--start", "someday"]);
    assert.equal(badStart.code, 1);
    assert.match(badStart.stderr, /CS_ERR_INVALID_ARGUMENT: .*--start/);
    const badRate = await cli(["generate", "--dirty", "2"]);
    assert.notEqual(badRate.code, 0);
    assert.match(badRate.stderr, /--dirty must be a number in \[0, 1\]/);
  });
});

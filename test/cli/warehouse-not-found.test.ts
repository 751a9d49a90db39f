import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The commands that only read a warehouse; serve, pipeline, generate and demo create one. */
const readers: string[][] = [
  ["transform"],
  ["transform", "--engine", "spark"],
  ["compact"],
  ["crawl"],
  ["catalog"],
  ["query", "SHOW TABLES"],
  ["console", "--port", "0"],
];

test("a command that reads a warehouse refuses a folder that does not exist, and creates nothing", async () => {
  const cwd = await tempDir();
  const mistyped = join(cwd, "warehuose");
  const problems: string[] = [];
  for (const args of readers) {
    const label = `clickstream ${args.join(" ")}`;
    const result = await cli([...args, "--warehouse", mistyped], cwd);
    if (result.code !== 1) problems.push(`${label}: exit ${result.code}`);
    if (!/^error CS_ERR_WAREHOUSE_NOT_FOUND: .*warehuose/m.test(result.stderr))
      problems.push(`${label}: ${result.stderr || result.stdout}`);
    if (!/\n {2}fix: .*--warehouse.*serve.*pipeline.*generate.*demo/.test(result.stderr))
      problems.push(`${label}: the fix names neither --warehouse nor what creates one: ${result.stderr}`);
    if (existsSync(mistyped)) problems.push(`${label}: created ${mistyped}`);
  }
  // The default ./warehouse too, where none exists.
  const bare = await cli(["query", "SHOW TABLES"], cwd);
  if (!/^error CS_ERR_WAREHOUSE_NOT_FOUND: .*warehouse/m.test(bare.stderr))
    problems.push(`clickstream query (default ./warehouse): ${bare.stderr || bare.stdout}`);
  assert.deepEqual(problems, []);
});

test("an existing, empty warehouse folder is read as before", async () => {
  const warehouse = join(await tempDir(), "warehouse");
  await mkdir(warehouse);
  const result = await cli(["transform", "--warehouse", warehouse], warehouse);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /no new raw objects/);
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { localEngineState } from "../../src/spark/spark-job-runner.js";
import { tableRows, visibleFiles } from "../support/engine-parity.js";
import { pythonSide, requireTool } from "../support/optional-suite.js";
import { tempDir } from "../support/temp-dir.js";

const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));

function cli(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function generate(warehouse: string, extra: string[]): void {
  const result = cli(["generate", "--events", "600", "--users", "50", "--warehouse", warehouse, ...extra]);
  assert.equal(result.status, 0, result.stderr);
}

describe("clickstream transform --engine spark (the CLI, one JVM per run)", () => {
  it("runs an incremental pair: the second run reads only the new object and extends the table", async (t) => {
    if (!requireTool(t, pythonSide)) return;
    const warehouse = await tempDir("spark-cli-");
    generate(warehouse, ["--dirty", "0.05", "--framing", "mixed", "--gzip", "--objects", "3"]);
    const first = cli([
      "transform",
      "--engine",
      "spark",
      "--warehouse",
      warehouse,
      "--now",
      "2026-11-25T12:00:00Z",
      "--json",
    ]);
    assert.equal(first.status, 0, first.stderr);
    const report = JSON.parse(first.stdout) as {
      engine: string;
      status: string;
      objectsProcessed: number;
      records: { read: number; written: number; rejected: number };
      rejectedByReason: Record<string, number>;
      runId: string;
      processingTime: string;
    };
    assert.equal(report.engine, "spark");
    assert.equal(report.status, "succeeded");
    assert.equal(report.objectsProcessed, (await visibleFiles(warehouse, "raw", "")).length);
    assert.equal(report.records.read, 600);
    assert.equal(report.records.read, report.records.written + report.records.rejected);
    assert.ok(report.records.rejected > 0);
    assert.equal(report.processingTime, "2026-11-25T12:00:00.000Z");
    assert.ok(existsSync(join(warehouse, "_state", "glue", "runs", `${report.runId}.json`)));
    assert.ok(existsSync(join(warehouse, "_state", "glue", "processed", `${report.runId}.json`)));
    assert.equal((await tableRows(warehouse)).length, report.records.written);
    assert.deepEqual(await localEngineState(warehouse), [], "no local-engine state: the lock is gone too");

    generate(warehouse, [
      "--seed",
      "2",
      "--start",
      "2026-11-25",
      "--objects",
      "1",
      "--arrival",
      "2026-11-25T23:00:00Z",
    ]);
    const second = cli([
      "transform",
      "--engine",
      "spark",
      "--warehouse",
      warehouse,
      "--now",
      "2026-11-26T00:00:00Z",
    ]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /: 1 raw object in /);
    assert.match(second.stdout, /records read 600 = written \d+ \+ rejected \d+/);
    assert.ok((await tableRows(warehouse)).length > report.records.written);
  });

  it("says how to install the Python side when pyspark is missing", async () => {
    const warehouse = await tempDir("spark-cli-");
    for (const python of ["/nonexistent/python", "python3"]) {
      const which = spawnSync("sh", ["-c", `command -v ${python}`], { encoding: "utf8" }).stdout.trim();
      if (python === "python3" && !which) continue;
      const result = cli(["transform", "--engine", "spark", "--warehouse", warehouse], {
        CLICKSTREAM_PYTHON: which || python,
      });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /CS_ERR_SPARK_UNAVAILABLE/);
      assert.match(result.stderr, /pyspark is not installed: run npm run setup:python/);
    }
  });

  it("refuses a warehouse the local engine transformed, before starting Spark", async () => {
    const warehouse = await tempDir("spark-cli-");
    generate(warehouse, ["--objects", "1"]);
    assert.equal(cli(["transform", "--warehouse", warehouse]).status, 0);
    const result = cli(["transform", "--engine", "spark", "--warehouse", warehouse], {
      CLICKSTREAM_PYTHON: "/nonexistent/python",
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /CS_ERR_ENGINE_MISMATCH/);
    assert.match(result.stderr, /--engine local/);
  });

  it("takes the local engine's run lock: a held lock refuses the run", async () => {
    const warehouse = await tempDir("spark-cli-");
    await mkdir(join(warehouse, "_state", "transform"), { recursive: true });
    const owner = {
      pid: process.pid,
      host: hostname(),
      runId: "held-by-test",
      since: new Date().toISOString(),
    };
    await writeFile(join(warehouse, "_state", "transform", "lock"), JSON.stringify(owner));
    const result = cli(["transform", "--engine", "spark", "--warehouse", warehouse]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /CS_ERR_TRANSFORM_LOCKED/);
    assert.match(result.stderr, /held-by-test/);
    assert.equal(
      JSON.parse(readFileSync(join(warehouse, "_state", "transform", "lock"), "utf8")).runId,
      "held-by-test",
    );
  });

  it("refuses S3 storage (Spark here reads local folders only)", () => {
    const result = cli(["transform", "--engine", "spark", "--storage", "s3"]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /CS_ERR_INVALID_ARGUMENT/);
    assert.match(result.stderr, /--engine glue for S3/);
  });
});

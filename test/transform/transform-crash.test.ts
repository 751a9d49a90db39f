// test tier: slow (kill loops and process races)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { LocalStorage } from "../../src/storage/local-storage.js";
import { rawObjectKey } from "../../src/storage/warehouse-layout.js";
import { recover } from "../../src/table/commit-log.js";
import { daySessions, ndjson } from "../support/sample-events.js";
import { tempDir } from "../support/temp-dir.js";
import { readErrors, readTransformed, type TransformedRow } from "../support/warehouse-reader.js";

const cli = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
const NOW = "2026-11-25T12:00:00Z";

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], killAfterMs?: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Resolves once a run holds the warehouse lock, so the second run surely starts while the first is busy. */
async function lockTaken(warehouse: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(`${warehouse}/_state/transform/lock`)) {
    if (Date.now() > deadline) throw new Error("the first run never took the lock");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const strip = (rows: TransformedRow[]) => rows.map(({ processed_timestamp: _p, ...rest }) => rest);

describe("crash safety and concurrency (child processes)", () => {
  let template = "";
  let expected: ReturnType<typeof strip> = [];
  let fullRunMs = 0;

  before(async () => {
    template = await tempDir();
    const storage = new LocalStorage(template);
    for (let d = 0; d < 6; d++) {
      const day = `2026-11-${String(18 + d).padStart(2, "0")}`;
      const events = daySessions(day, 800, 8);
      const key = rawObjectKey({ stream: "crash", arrival: new Date(`${day}T23:00:00Z`), uuid: `u${d}` });
      await storage.writeAtomic("raw", key, ndjson(events) + '{"broken\n');
    }
    const reference = await tempDir();
    await cp(template, reference, { recursive: true });
    const started = Date.now();
    const done = await runCli(["transform", "--warehouse", reference, "--now", NOW, "--json"]);
    fullRunMs = Date.now() - started;
    assert.equal(done.code, 0, done.stderr);
    expected = strip(await readTransformed(reference));
    assert.equal(expected.length, 6 * 800 * 8);
  });

  it("kill -9 at random moments: after recovery the table is as before or as after; the rerun completes exactly", async () => {
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const warehouse = await tempDir();
      await cp(template, warehouse, { recursive: true });
      const killAt = Math.floor(((attempt + 0.5) / 4) * fullRunMs * 1.1);
      const killed = await runCli(["transform", "--warehouse", warehouse, "--now", NOW], killAt);
      // What the next run does first: roll a committed run forward or drop an uncommitted one.
      await recover(new LocalStorage(warehouse));
      const after = strip(await readTransformed(warehouse));
      assert.ok(
        after.length === 0 ||
          (after.length === expected.length && assert.deepEqual(after, expected) === undefined),
        `after kill at ${killAt} ms the table holds ${after.length} rows: neither before (0) nor after (${expected.length})`,
      );
      outcomes.push(
        `${killed.signal ?? `exit ${killed.code}`}@${killAt}ms→${after.length === 0 ? "before" : "after"}`,
      );
      const rerun = await runCli(["transform", "--warehouse", warehouse, "--now", NOW, "--json"]);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(strip(await readTransformed(warehouse)), expected);
      const errors = await readErrors(warehouse);
      assert.equal(errors.length, 6, `one malformed line per object, no duplicates: ${outcomes.join(", ")}`);
      assert.ok(errors.every((e) => e.reason === "malformed_json"));
    }
    assert.ok(
      outcomes.some((o) => o.startsWith("SIGKILL")),
      `at least one run was killed: ${outcomes.join(", ")}`,
    );
  });

  it("two runs at once: the second exits with CS_ERR_TRANSFORM_LOCKED, or waits with --wait-ms; no corruption", async () => {
    const warehouse = await tempDir();
    await cp(template, warehouse, { recursive: true });
    const first = runCli(["transform", "--warehouse", warehouse, "--now", NOW, "--json"]);
    await lockTaken(warehouse);
    const [a, b] = await Promise.all([
      first,
      runCli(["transform", "--warehouse", warehouse, "--now", NOW, "--json"]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 1, "the second run is refused while the first holds the lock");
    assert.match(b.stderr, /CS_ERR_TRANSFORM_LOCKED/);
    assert.match(b.stderr, /fix: /);
    assert.deepEqual(strip(await readTransformed(warehouse)), expected);

    const again = await tempDir();
    await cp(template, again, { recursive: true });
    const third = runCli(["transform", "--warehouse", again, "--now", NOW, "--json"]);
    await lockTaken(again);
    const [c, d] = await Promise.all([
      third,
      runCli(["transform", "--warehouse", again, "--now", NOW, "--json", "--wait-ms", "120000"]),
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(d.code, 0, d.stderr);
    assert.equal((JSON.parse(d.stdout) as { status: string }).status, "no_new_data");
    assert.deepEqual(strip(await readTransformed(again)), expected);
  });
});

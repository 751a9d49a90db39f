// test tier: slow (kill loops and process races)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acquireWalLock } from "../../src/collector/wal-lock.js";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { hasProcStat, liveOtherProcess, startTimeOf } from "../support/live-process.js";
import { tempDir } from "../support/temp-dir.js";

/** A WAL folder whose lock file already holds `text`. */
async function walWithLock(text: string): Promise<{ walDir: string; lockPath: string }> {
  const walDir = await tempDir("clickstream-wal-");
  const lockPath = join(walDir, "collector.lock");
  await writeFile(lockPath, text);
  return { walDir, lockPath };
}

const lockModule = new URL("../../src/collector/wal-lock.js", import.meta.url).href;

/** N processes try to lock one WAL folder at once; a winner holds it until every process has tried. */
async function race(walDir: string, processes: number): Promise<string[]> {
  const release = join(walDir, "release");
  const code = `
    const { acquireWalLock } = await import(${JSON.stringify(lockModule)});
    const { existsSync } = await import("node:fs");
    try {
      const unlock = await acquireWalLock(${JSON.stringify(walDir)});
      process.stdout.write("won");
      while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20));
      await unlock();
    } catch (error) {
      process.stdout.write(error.code === "CS_ERR_COLLECTOR_WAL_LOCKED" || error.code === "CS_ERR_COLLECTOR_WAL" ? "lost" : "error " + error.message);
    }`;
  const settled = new Set<number>();
  const outputs: string[] = Array.from({ length: processes }, () => "");
  const maybeRelease = (): void => {
    if (settled.size === processes) void writeFile(release, "");
  };
  return Promise.all(
    outputs.map(
      (_, i) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, ["--input-type=module", "-e", code]);
          child.stdout.on("data", (d: Buffer) => {
            outputs[i] += d.toString();
            if (outputs[i] === "won") settled.add(i);
            maybeRelease();
          });
          child.on("close", () => {
            settled.add(i);
            maybeRelease();
            resolve(outputs[i]!);
          });
        }),
    ),
  );
}

describe("the collector's WAL lock and reused pids", { skip: !hasProcStat && "needs /proc" }, () => {
  it("a lock naming this pid with another start time (a restart reused the pid) is taken over", async () => {
    const startTime = String(Number(startTimeOf(process.pid)) + 1);
    const { walDir, lockPath } = await walWithLock(JSON.stringify({ pid: process.pid, startTime }));
    const release = await acquireWalLock(walDir);
    assert.deepEqual(JSON.parse(await readFile(lockPath, "utf8")), {
      pid: process.pid,
      startTime: startTimeOf(process.pid),
    });
    await release();
  });

  it("a lock naming this pid that this process did not take (an old bare-pid file) is taken over", async () => {
    const { walDir } = await walWithLock(String(process.pid));
    const release = await acquireWalLock(walDir);
    await release();
  });

  it("a lock of a live other process with its true start time is respected", async () => {
    const other = await liveOtherProcess();
    try {
      const text = JSON.stringify({ pid: other.pid, startTime: startTimeOf(other.pid) });
      const { walDir, lockPath } = await walWithLock(text);
      await assert.rejects(acquireWalLock(walDir), (error: ClickstreamError) => {
        assert.equal(error.code, "CS_ERR_COLLECTOR_WAL_LOCKED");
        assert.match(error.message, new RegExp(`in use by another collector \\(pid ${other.pid}\\)`));
        return true;
      });
      assert.equal(await readFile(lockPath, "utf8"), text);
    } finally {
      await other.stop();
    }
  });

  it("a lock this process holds refuses a second collector of this process", async () => {
    const walDir = await tempDir("clickstream-wal-");
    const release = await acquireWalLock(walDir);
    await assert.rejects(acquireWalLock(walDir), /in use by another collector in this process/);
    await release();
    await (
      await acquireWalLock(walDir)
    )();
  });

  it("a stale lock is taken over by exactly one of several collectors starting at once", async () => {
    for (let round = 0; round < 3; round++) {
      // A pid above Linux's largest (pid_max is at most 2^22): never alive.
      const { walDir } = await walWithLock(JSON.stringify({ pid: 4_194_305, startTime: "1" }));
      const outcomes = await race(walDir, 6);
      assert.equal(outcomes.filter((o) => o === "won").length, 1, `round ${round}: ${outcomes.join(", ")}`);
      assert.equal(outcomes.filter((o) => o === "lost").length, 5, `round ${round}: ${outcomes.join(", ")}`);
    }
  });
});

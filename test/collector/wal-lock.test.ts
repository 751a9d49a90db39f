import assert from "node:assert/strict";
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
        assert.equal(error.code, "CS_ERR_COLLECTOR_WAL");
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
});

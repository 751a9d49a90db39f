// test tier: slow (kill loops and process races)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { RunLock } from "../../src/table/run-lock.js";
import { hasProcStat, liveOtherProcess, startTimeOf } from "../support/live-process.js";
import { tempDir } from "../support/temp-dir.js";

const lockModule = new URL("../../src/table/run-lock.js", import.meta.url).href;

/**
 * N processes race for the lock at once; each prints won or lost. A winner holds the lock until every
 * process has tried (so a slow starter on a loaded machine cannot win legitimately after a release).
 */
async function race(path: string, processes: number): Promise<string[]> {
  const release = `${path}.release`;
  const code = `
    const { RunLock } = await import(${JSON.stringify(lockModule)});
    const { existsSync } = await import("node:fs");
    try {
      const lock = await RunLock.acquire(${JSON.stringify(path)}, "run-" + process.pid, 0);
      process.stdout.write("won");
      while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20));
      await lock.release();
    } catch (error) {
      process.stdout.write(error.code === "CS_ERR_TRANSFORM_LOCKED" ? "lost" : "error " + error.message);
    }`;
  const outputs: string[] = Array.from({ length: processes }, () => "");
  const settled = new Set<number>();
  let signalled = false;
  const maybeRelease = (): void => {
    if (!signalled && settled.size === processes) {
      signalled = true;
      void writeFile(release, "");
    }
  };
  const runs = outputs.map(
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
  );
  return Promise.all(runs);
}

describe("the run lock", () => {
  it("lets exactly one of several simultaneous runs in", async () => {
    const path = join(await tempDir(), "lock");
    const outcomes = await race(path, 6);
    assert.equal(outcomes.filter((o) => o === "won").length, 1, outcomes.join(", "));
    assert.equal(outcomes.filter((o) => o === "lost").length, 5, outcomes.join(", "));
  });

  it("takeovers never let two runs in, however many race at once (repeated, several races in parallel)", async () => {
    const dead = { pid: 4_194_305, host: hostname(), runId: "killed", since: "2026-11-25T00:00:00.000Z" };
    for (let round = 0; round < 3; round++) {
      const paths = await Promise.all([0, 1, 2].map(async () => join(await tempDir(), "lock")));
      for (const path of paths) await writeFile(path, JSON.stringify(dead));
      const results = await Promise.all(paths.map((path) => race(path, 6)));
      for (const outcomes of results) {
        assert.equal(outcomes.filter((o) => o === "won").length, 1, `round ${round}: ${outcomes.join(", ")}`);
      }
    }
  });

  it("a lock left by a dead process is taken over by exactly one run", async () => {
    const path = join(await tempDir(), "lock");
    // Above the largest pid Linux hands out (pid_max is at most 2^22), so never alive.
    const dead = { pid: 4_194_305, host: hostname(), runId: "killed", since: "2026-11-25T00:00:00.000Z" };
    await writeFile(path, JSON.stringify(dead));
    const outcomes = await race(path, 6);
    assert.equal(outcomes.filter((o) => o === "won").length, 1, outcomes.join(", "));
  });
});

describe("the run lock and reused pids", { skip: !hasProcStat && "needs /proc" }, () => {
  const lockOf = async (owner: object): Promise<string> => {
    const path = join(await tempDir(), "lock");
    await writeFile(path, JSON.stringify(owner));
    return path;
  };
  const since = "2026-11-25T00:00:00.000Z";
  const takenOver = async (path: string): Promise<void> => {
    const lock = await RunLock.acquire(path, "restarted", 0);
    assert.equal(JSON.parse(await readFile(path, "utf8")).runId, "restarted");
    await lock.release();
  };

  it("a lock naming this pid with another start time (a restart reused the pid) is taken over", async () => {
    const startTime = String(Number(startTimeOf(process.pid)) + 1);
    await takenOver(await lockOf({ pid: process.pid, startTime, host: hostname(), runId: "old", since }));
  });

  it("a lock naming this pid that this process did not take (an old lock file) is taken over", async () => {
    await takenOver(await lockOf({ pid: process.pid, host: hostname(), runId: "old", since }));
  });

  it("a lock of a live other process with its true start time is respected", async () => {
    const other = await liveOtherProcess();
    try {
      const owner = {
        pid: other.pid,
        startTime: startTimeOf(other.pid),
        host: hostname(),
        runId: "live",
        since,
      };
      const path = await lockOf(owner);
      await assert.rejects(RunLock.acquire(path, "second", 0), (error: ClickstreamError) => {
        assert.equal(error.code, "CS_ERR_TRANSFORM_LOCKED");
        assert.match(error.message, new RegExp(`run live \\(pid ${other.pid} `));
        assert.match(error.fix, /--wait-ms/);
        return true;
      });
      assert.equal(JSON.parse(await readFile(path, "utf8")).runId, "live");
    } finally {
      await other.stop();
    }
  });

  it("a lock whose live pid has another start time is taken over by exactly one of several racing runs", async () => {
    // This test process is alive; the racing children are not it, so only the start time tells.
    const startTime = String(Number(startTimeOf(process.pid)) + 1);
    const path = await lockOf({ pid: process.pid, startTime, host: hostname(), runId: "old", since });
    const outcomes = await race(path, 6);
    assert.equal(outcomes.filter((o) => o === "won").length, 1, outcomes.join(", "));
  });

  it("a lock this process holds is held: a second run of this process waits and gives up", async () => {
    const path = join(await tempDir(), "lock");
    const lock = await RunLock.acquire(path, "first", 0);
    assert.equal(JSON.parse(await readFile(path, "utf8")).startTime, startTimeOf(process.pid));
    await assert.rejects(RunLock.acquire(path, "second", 0), { code: "CS_ERR_TRANSFORM_LOCKED" });
    await lock.release();
  });
});

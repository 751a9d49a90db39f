import { mkdir, open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ClickstreamError } from "../errors/clickstream-error.js";

interface LockOwner {
  pid: number;
  host: string;
  runId: string;
  since: string;
}

/**
 * An exclusive lock file (O_EXCL) for one transform run at a time. A lock whose process is gone
 * (killed with -9) is taken over, so a crash never wedges the warehouse.
 */
export class RunLock {
  private constructor(private readonly path: string) {}

  static async acquire(path: string, runId: string, waitMs: number): Promise<RunLock> {
    await mkdir(dirname(path), { recursive: true });
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const handle = await open(path, "wx");
        const owner: LockOwner = {
          pid: process.pid,
          host: hostname(),
          runId,
          since: new Date().toISOString(),
        };
        await handle.writeFile(JSON.stringify(owner));
        await handle.sync();
        await handle.close();
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = await readOwner(path);
      if (!owner || isStale(owner)) {
        // The holder died: remove its lock and retry (O_EXCL arbitrates between racing takers).
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new ClickstreamError(
          "CS_ERR_TRANSFORM_LOCKED",
          `run ${owner.runId} (pid ${owner.pid} on ${owner.host}) started at ${owner.since}`,
        );
      }
      await sleep(Math.min(200, Math.max(1, deadline - Date.now())));
    }
  }

  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LockOwner;
  } catch {
    return undefined; // unreadable or half-written by a holder that died mid-write: treat as stale
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot check a process on another machine
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ClickstreamError } from "../errors/clickstream-error.js";
import {
  createLockFile,
  holderIsLive,
  markReleased,
  removeStaleLock,
  thisProcess,
  type LockHolder,
} from "../storage/lock-file.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/** The warehouse's run lock: one transform or compaction at a time, whichever engine. */
export const runLockPath = (workDir: string): string => join(workDir, stateKeys.transform.lock);

/**
 * The run id suffix of a reader that holds the lock to apply a killed run's commit (table-view.ts). A run
 * waits for such a holder up to `readerHoldMaxMs`, whatever its own wait: a query must not make a
 * scheduled transform fail.
 */
export const readerRunSuffix = "-reader";
const readerHoldMaxMs = 30_000;

interface LockOwner extends LockHolder {
  host: string;
  runId: string;
  since: string;
}

/** A lock file that cannot be parsed is stale only once it is this old (it may be mid-write elsewhere). */
const UNREADABLE_STALE_MS = 10_000;

/**
 * An exclusive lock file for one transform run at a time. The owner's record is written to a temp file
 * first and then hard-linked into place, so the lock appears atomically and always complete.
 *
 * A lock whose process is gone (killed with -9), or whose pid now belongs to another process, is taken
 * over without ever moving or deleting a lock this process did not judge stale: the takeover of one stale
 * lock is decided by an exclusive create of a marker named after that lock's contents, and only the
 * marker's creator deletes the lock, after reading it again to check it still holds those contents.
 * Everyone else retries the normal create, which one process wins. (Both mechanisms, and how a live
 * holder is told from a reused pid, are in storage/lock-file.ts, shared with the collector's WAL lock.)
 */
export class RunLock {
  private constructor(
    private readonly path: string,
    private readonly body: string,
  ) {}

  static async acquire(path: string, runId: string, waitMs: number): Promise<RunLock> {
    await mkdir(dirname(path), { recursive: true });
    const owner: LockOwner = {
      ...(await thisProcess()),
      host: hostname(),
      runId,
      since: new Date().toISOString(),
    };
    const body = JSON.stringify(owner);
    const started = Date.now();
    const deadline = started + waitMs;
    for (;;) {
      if (await createLockFile(path, body)) return new RunLock(path, body);
      const held = await readLock(path);
      if (held === undefined) continue; // released meanwhile: try again at once
      if (await isStale(path, held)) {
        await removeStaleLock(path, held.text);
        continue;
      }
      // A run (not another reader) waits out a reader's short hold.
      const waitOutReader =
        held.owner?.runId.endsWith(readerRunSuffix) === true && !runId.endsWith(readerRunSuffix);
      if (Date.now() >= (waitOutReader ? Math.max(deadline, started + readerHoldMaxMs) : deadline)) {
        const who = held.owner
          ? `run ${held.owner.runId} (pid ${held.owner.pid} on ${held.owner.host}) started at ${held.owner.since}`
          : `an unreadable lock file ${path}`;
        throw new ClickstreamError("CS_ERR_TRANSFORM_LOCKED", who);
      }
      await sleep(waitOutReader ? 20 : Math.min(200, Math.max(1, deadline - Date.now())));
    }
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    const held = await readLock(this.path);
    if (held?.text === this.body) await rm(this.path, { force: true });
    markReleased(this.path, this.body);
  }
}

interface HeldLock {
  text: string;
  owner: LockOwner | undefined;
  ageMs: number;
}

async function readLock(path: string): Promise<HeldLock | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(text) as LockOwner;
    } catch {
      owner = undefined;
    }
    return { text, owner, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function isStale(path: string, held: HeldLock): Promise<boolean> {
  if (!held.owner) return held.ageMs > UNREADABLE_STALE_MS;
  if (held.owner.host !== hostname()) return false; // cannot check a process on another machine
  return !(await holderIsLive(held.owner, path, held.text));
}

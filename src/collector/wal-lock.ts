import { mkdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import {
  createLockFile,
  holderIsLive,
  markReleased,
  removeStaleLock,
  thisProcess,
  type LockHolder,
} from "../storage/lock-file.js";

/**
 * One collector per WAL folder: two processes appending to and delivering the same segments would
 * deliver records twice. The lock file names the owner (pid and start time, lock-file.ts); a lock whose
 * process is gone (a crash), or whose pid a restart handed to another process, is taken over.
 */
/** The collector's lock file in a WAL folder. */
export const walLockPath = (walDir: string): string => join(walDir, "collector.lock");

export async function acquireWalLock(
  walDir: string,
  /** What the running command offers to pick another folder: `--wal-dir` (serve), a config key… */
  walDirName = "collector.walDir",
): Promise<() => Promise<void>> {
  const path = walLockPath(walDir);
  try {
    await mkdir(walDir, { recursive: true });
  } catch (error) {
    throw wrapError("CS_ERR_COLLECTOR_WAL", error, `create ${walDir}`);
  }
  const text = JSON.stringify(await thisProcess());
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = await createLockFile(path, text).catch((error: unknown) => {
      throw wrapError("CS_ERR_COLLECTOR_WAL", error, `lock ${path}`);
    });
    if (created)
      return async () => {
        await unlink(path).catch(() => undefined);
        markReleased(path, text);
      };
    const held = await readFile(path, "utf8").catch(() => undefined);
    if (held === undefined) continue; // released meanwhile
    const holder = parseHolder(held);
    if (holder && (await holderIsLive(holder, path, held)))
      throw new ClickstreamError(
        "CS_ERR_COLLECTOR_WAL_LOCKED",
        holder.pid === process.pid
          ? `${walDir} is in use by another collector in this process`
          : `${walDir} is in use by another collector (pid ${holder.pid}); stop it, or use another ${walDirName}`,
      );
    // Stale (its process is gone, or the pid is another's now): removed unless another collector got
    // there first, whose own lock is then never removed by mistake.
    await removeStaleLock(path, held);
  }
  throw new ClickstreamError("CS_ERR_COLLECTOR_WAL", `cannot lock ${walDir}`);
}

/** The holder a WAL lock file names: `{"pid","startTime"}`, or a bare pid (files of earlier releases). */
export function parseHolder(text: string): LockHolder | undefined {
  const bare = text.trim();
  if (/^\d+$/.test(bare)) return { pid: Number(bare) };
  try {
    const value = JSON.parse(bare) as Partial<LockHolder>;
    if (typeof value.pid !== "number") return undefined;
    return typeof value.startTime === "string"
      ? { pid: value.pid, startTime: value.startTime }
      : { pid: value.pid };
  } catch {
    return undefined;
  }
}

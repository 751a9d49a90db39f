import { createHash, randomUUID } from "node:crypto";
import { link, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

/**
 * Creates the lock file `path` holding `text` unless it exists, and marks it held by this process (call
 * `markReleased` once it is removed). The text goes to a temp file first, hard-linked into place, so the
 * lock appears atomically and always complete (never empty to a reader). The mark is set before the
 * file appears and undone when it was not created (see `heldHere`).
 */
export async function createLockFile(path: string, text: string): Promise<boolean> {
  let created = false;
  markHeld(path, text);
  const temp = `${path}.${process.pid}.${randomUUID()}`;
  try {
    await writeFile(temp, text, { flush: true });
    await link(temp, path);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    if (!created) markReleased(path, text);
    await rm(temp, { force: true });
  }
  return created;
}

/** A takeover marker this old belongs to a taker that died (a live one is done within milliseconds). */
const MARKER_STALE_MS = 10_000;

/**
 * Deletes the stale lock whose text is `staleText`, if this process wins the right to: an exclusive
 * create of the marker named after that text. Only the marker's creator deletes the lock, after reading
 * it again to check it still holds those contents, so a lock another process created meanwhile is never
 * deleted. A marker left by a taker that died is superseded by the next generation's marker once it is
 * old enough.
 */
export async function removeStaleLock(path: string, staleText: string): Promise<void> {
  const digest = createHash("sha256").update(staleText).digest("hex").slice(0, 32);
  for (let generation = 0; generation < 16; generation++) {
    const marker = `${path}.takeover.${digest}.${generation}`;
    try {
      await writeFile(marker, String(process.pid), { flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const info = await stat(marker).catch(() => undefined);
      // Someone is taking this lock over right now: let them; a marker this old belongs to a dead taker.
      if (info && Date.now() - info.mtimeMs < MARKER_STALE_MS) return;
      continue;
    }
    try {
      const text = await readFile(path, "utf8").catch(() => undefined);
      if (text === staleText) await unlink(path).catch(() => undefined);
    } finally {
      await rm(marker, { force: true });
    }
    return;
  }
}

/**
 * Who holds a lock file: a pid, and that process's start time, so a pid the kernel handed to a new
 * process (a container restarted as PID 1 after an OOM kill) is not mistaken for the holder.
 */
export interface LockHolder {
  pid: number;
  /** Field 22 (`starttime`) of `/proc/<pid>/stat`; absent where /proc is not (macOS) and in old lock files. */
  startTime?: string;
}

/**
 * The lock files this process holds or is creating, as path and text, counted (two attempts of this
 * process may write the same text). A lock is marked before its file appears and unmarked after it is
 * gone, so another attempt of this process never sees a file naming this pid that is not marked.
 */
const heldHere = new Map<string, number>();
const keyOf = (path: string, text: string): string => `${resolve(path)}\n${text}`;

/** Marks the lock file at `path` holding `text` as this process's (createLockFile does, before creating it). */
function markHeld(path: string, text: string): void {
  const key = keyOf(path, text);
  heldHere.set(key, (heldHere.get(key) ?? 0) + 1);
}

/** Undoes one `markHeld` (call once the file is removed, or was never created). */
export function markReleased(path: string, text: string): void {
  const key = keyOf(path, text);
  const count = heldHere.get(key) ?? 0;
  if (count <= 1) heldHere.delete(key);
  else heldHere.set(key, count - 1);
}

/** This process as a lock holder. */
export async function thisProcess(): Promise<LockHolder> {
  const startTime = await processStartTime(process.pid);
  return startTime === undefined ? { pid: process.pid } : { pid: process.pid, startTime };
}

/** The start time of `pid` (clock ticks since boot, as text), or undefined when it is gone or /proc is not there. */
async function processStartTime(pid: number): Promise<string | undefined> {
  let fields: string;
  try {
    fields = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The comm field (2) is in parentheses and may hold spaces and ')': the fields after it start at
  // the last ')'. That is field 3, so starttime (22) is the 20th from there.
  return fields
    .slice(fields.lastIndexOf(")") + 1)
    .trim()
    .split(/\s+/)[22 - 3];
}

/**
 * Whether the holder recorded in the lock file at `path` (whose text is `text`) is still running. A lock
 * naming this process's pid is live only when this process took it (a pid reused across a restart is
 * not us); another pid is live when it runs with the recorded start time, or, without one to compare
 * (no /proc, an old lock file), when it runs at all.
 */
export async function holderIsLive(holder: LockHolder, path: string, text: string): Promise<boolean> {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false; // kill(0 or -n) would signal a group
  if (holder.pid === process.pid) return heldHere.has(keyOf(path, text));
  const current = await processStartTime(holder.pid);
  if (current !== undefined) return holder.startTime === undefined || holder.startTime === current;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

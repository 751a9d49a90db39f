import { createHash } from "node:crypto";
import type { Storage } from "./storage.js";
import { parsePartition, partitionDay, rawKeyPrefix, stateKeys } from "./warehouse-layout.js";

/**
 * Arrival notices: a writer that may put an object into a raw day folder the transform has already
 * sealed (the collector delivering a segment recovered from its WAL, the generator writing back-dated
 * objects) leaves a notice naming the key. The transform lists the notices first, lists the day folders
 * they name again even when sealed (on S3 sealed folders are otherwise listed only on the reconcile
 * cadence), and deletes the notices it read once its run has committed. So these writes are never
 * skipped, whatever the bookmark says and wherever the warehouse lives.
 *
 * `_state/raw-arrivals/<YYYY-MM-DD>/<sha-1 of the keys>.json`, body `{"keys": ["raw/…", …]}`: one notice
 * per day folder a write touched (the generator writes one per day, not one per object: a run reads and
 * deletes few files), named by its keys, so writing the same objects again (a redelivery after a crash)
 * rewrites the same notice.
 */
export const arrivalNoticePrefix = stateKeys.rawArrivalsPrefix;

const noticeKey = /^_state\/raw-arrivals\/(\d{4}-\d{2}-\d{2})\/[0-9a-f]{40}\.json$/;

/** The raw day folder (YYYY-MM-DD) a key is in, or undefined outside the date layout. */
function rawDay(key: string): string | undefined {
  const p = key.startsWith(`${rawKeyPrefix}year=`) ? parsePartition(key) : undefined;
  return p && partitionDay(p);
}

/**
 * Records that `rawKeys` were written. Call it after the objects are written, so a notice never names a
 * key that is not there yet. Keys outside the date layout need none: every run lists them.
 */
export async function recordArrivals(storage: Storage, rawKeys: readonly string[]): Promise<void> {
  const byDay = new Map<string, string[]>();
  for (const key of rawKeys) {
    const day = rawDay(key);
    if (day === undefined) continue;
    const keys = byDay.get(day);
    if (keys) keys.push(key);
    else byDay.set(day, [key]);
  }
  for (const [day, keys] of byDay) {
    const sorted = [...new Set(keys)].sort();
    const hash = createHash("sha1").update(sorted.join("\n")).digest("hex");
    const notice = `${arrivalNoticePrefix}${day}/${hash}.json`;
    await storage.writeAtomic("state", notice, JSON.stringify({ keys: sorted }));
  }
}

/** The notices present now: the day folders they name, and their keys (to delete after a commit). */
export interface ArrivalNotices {
  readonly days: ReadonlySet<string>;
  readonly keys: readonly string[];
}

export async function listArrivalNotices(storage: Storage): Promise<ArrivalNotices> {
  const days = new Set<string>();
  const keys: string[] = [];
  for await (const object of storage.list("state", arrivalNoticePrefix)) {
    const m = noticeKey.exec(object.key);
    // Anything else under the prefix is not ours to read or delete.
    if (!m) continue;
    days.add(m[1]!);
    keys.push(object.key);
  }
  return { days, keys };
}

/** Deletes notices a committed run has read (notices written since stay for the next run). */
export async function clearArrivalNotices(storage: Storage, notices: ArrivalNotices): Promise<void> {
  for (const key of notices.keys) await storage.delete("state", key);
}

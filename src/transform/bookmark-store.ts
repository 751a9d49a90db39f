import { z } from "zod";
import type { Storage } from "../storage/storage.js";

/**
 * The job bookmark: which raw objects earlier runs processed, in a form whose size stays bounded however
 * long the pipeline runs.
 *
 * Raw keys follow Firehose's arrival-date layout, `raw/year=YYYY/month=MM/day=DD/<name>`. A day folder
 * is *open* while it is within the look-back window: the bookmark keeps the names processed in it, and
 * every run lists it again, because an object can land there late under a name that sorts before
 * processed ones (Firehose names do not sort by time, several streams share a prefix, and an object's
 * folder is the arrival date of its oldest record). Once a run has listed a day folder older than the
 * window, the folder is *sealed*: folded into `sealedBefore`, never listed again. An object that lands in
 * a sealed folder is not seen (Firehose writes at most minutes late; `--full-refresh` reads everything).
 * Keys outside the date layout are listed on every run and kept by key.
 */
export interface Bookmark {
  readonly version: 2;
  /** Day folders before this date (YYYY-MM-DD) are sealed. */
  readonly sealedBefore: string | null;
  /** Open day folders (YYYY-MM-DD) → names of the objects processed in them, sorted. */
  readonly days: Readonly<Record<string, readonly string[]>>;
  /** Processed keys outside the date layout, sorted. */
  readonly other: readonly string[];
}

export const bookmarkKey = "_state/transform/bookmark.json";
/** The first release's bookmark (every processed key, forever): upgraded on the first run. */
export const legacyBookmarkKey = "_state/transform/bookmarks.json";

const bookmarkSchema = z
  .object({
    version: z.literal(2),
    sealedBefore: z.string().nullable(),
    days: z.record(z.string(), z.array(z.string())),
    other: z.array(z.string()),
  })
  .strict();

export const emptyBookmark: Bookmark = { version: 2, sealedBefore: null, days: {}, other: [] };

const dayKey = /^raw\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/([^/]+)$/;

/** The day folder (YYYY-MM-DD) and name of a key in the date layout, or undefined. */
export function dayOf(key: string): { day: string; name: string } | undefined {
  const m = dayKey.exec(key);
  return m ? { day: `${m[1]}-${m[2]}-${m[3]}`, name: m[4]! } : undefined;
}

/** Loads the bookmark, upgrading the first release's list of keys when that is what the warehouse has. */
export async function loadBookmark(storage: Storage): Promise<{ bookmark: Bookmark; upgraded: boolean }> {
  if (await storage.stat("state", bookmarkKey)) {
    const parsed = bookmarkSchema.parse(
      JSON.parse((await storage.readBytes("state", bookmarkKey)).toString("utf8")),
    );
    return { bookmark: parsed, upgraded: false };
  }
  if (await storage.stat("state", legacyBookmarkKey)) {
    const legacy = JSON.parse((await storage.readBytes("state", legacyBookmarkKey)).toString("utf8")) as {
      processed?: unknown;
    };
    const keys = Array.isArray(legacy.processed) ? (legacy.processed as string[]) : [];
    return { bookmark: withProcessed(emptyBookmark, keys), upgraded: true };
  }
  return { bookmark: emptyBookmark, upgraded: false };
}

/** The bookmark's names as sets, built once per bookmark: a lookup per listed object stays O(1). */
const nameSets = new WeakMap<Bookmark, { days: Map<string, Set<string>>; other: Set<string> }>();

function setsOf(bookmark: Bookmark): { days: Map<string, Set<string>>; other: Set<string> } {
  let sets = nameSets.get(bookmark);
  if (!sets) {
    sets = {
      days: new Map(Object.entries(bookmark.days).map(([day, names]) => [day, new Set(names)])),
      other: new Set(bookmark.other),
    };
    nameSets.set(bookmark, sets);
  }
  return sets;
}

/** Whether a run already processed the key (sealed folders: see reconcile-step.ts). */
export function isProcessed(bookmark: Bookmark, key: string): boolean {
  const at = dayOf(key);
  const sets = setsOf(bookmark);
  if (!at) return sets.other.has(key);
  if (bookmark.sealedBefore !== null && at.day < bookmark.sealedBefore) return true;
  return sets.days.get(at.day)?.has(at.name) ?? false;
}

/** The bookmark with more processed keys. */
export function withProcessed(bookmark: Bookmark, keys: readonly string[]): Bookmark {
  const days: Record<string, string[]> = Object.fromEntries(
    Object.entries(bookmark.days).map(([day, names]) => [day, [...names]]),
  );
  const other = new Set(bookmark.other);
  for (const key of keys) {
    const at = dayOf(key);
    if (!at) other.add(key);
    else if (bookmark.sealedBefore === null || at.day >= bookmark.sealedBefore)
      (days[at.day] ??= []).push(at.name);
  }
  for (const day of Object.keys(days)) days[day] = [...new Set(days[day])].sort();
  return { version: 2, sealedBefore: bookmark.sealedBefore, days, other: [...other].sort() };
}

/**
 * Seals the day folders before the look-back window (`cutoffDay`): their names are dropped and
 * `sealedBefore` moves up to the cutoff. Call it only after a run that listed every unsealed day folder
 * (discovery does), so nothing below the cutoff is left unseen.
 */
export function sealed(bookmark: Bookmark, cutoffDay: string): Bookmark {
  if (bookmark.sealedBefore !== null && cutoffDay <= bookmark.sealedBefore) return bookmark;
  const days = Object.fromEntries(Object.entries(bookmark.days).filter(([day]) => day >= cutoffDay));
  return { version: 2, sealedBefore: cutoffDay, days, other: bookmark.other };
}

/** The first day of the look-back window: processing date minus `lookbackDays`, YYYY-MM-DD. */
export function lookbackCutoff(processingTime: Date, lookbackDays: number): string {
  return new Date(processingTime.getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10);
}

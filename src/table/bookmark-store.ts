import { z } from "zod";
import type { Storage } from "../storage/storage.js";
import { rawDayObjectPattern, stateKeys } from "../storage/warehouse-layout.js";

/**
 * The job bookmark: which raw objects earlier runs processed, in a form whose size stays bounded however
 * long the pipeline runs.
 *
 * Raw keys follow Firehose's arrival-date layout, `raw/year=YYYY/month=MM/day=DD/<name>`. A day folder
 * is *open* while it is within the look-back window: the bookmark keeps the names processed in it, and
 * every run lists it again, because an object can land there late under a name that sorts before
 * processed ones (Firehose names do not sort by time, several streams share a prefix, and an object's
 * folder is the arrival date of its oldest record). Once a run has listed a day folder older than the
 * window, the folder is *sealed*: folded into `sealedBefore`, its names moved to a file of their own
 * (`sealedDayKey`) that runs read only when the folder changed, so the bookmark stays small. Data is
 * never skipped for it: a late upload or a backfill into a sealed folder is found by transform/discover-step.ts
 * (locally from the folder's modification time, on S3 by listing sealed folders on a slower cadence).
 * Keys outside the date layout are listed on every run and kept by key.
 */
export interface Bookmark {
  readonly version: 3;
  /** Day folders before this date (YYYY-MM-DD) are sealed. */
  readonly sealedBefore: string | null;
  /** Open day folders (YYYY-MM-DD) → names of the objects processed in them, sorted. */
  readonly days: Readonly<Record<string, readonly string[]>>;
  /** Processed keys outside the date layout, sorted. */
  readonly other: readonly string[];
  /**
   * Sealed day folders → the folder's modification time (ms) when its names were last taken (null on
   * S3, where folders have none). A local folder whose time differs changed since: it is reconciled.
   */
  readonly sealed: Readonly<Record<string, number | null>>;
  /** When a run last listed every sealed folder (S3's reconcile cadence), ISO. */
  readonly reconciledAt: string | null;
}

/** The names processed in one sealed day folder, kept out of the bookmark. */
export const sealedDayKey = stateKeys.transform.sealedDay;

const sealedDaySchema = z.object({ names: z.array(z.string()) }).strict();

/** The names processed in a sealed day folder (none when it has no file: a folder new since). */
export async function loadSealedDay(storage: Storage, day: string): Promise<Set<string>> {
  const key = sealedDayKey(day);
  if (!(await storage.stat("state", key))) return new Set();
  return new Set(
    sealedDaySchema.parse(JSON.parse((await storage.readBytes("state", key)).toString("utf8"))).names,
  );
}

export const bookmarkKey = stateKeys.transform.bookmark;
/** The first release's bookmark (every processed key, forever): upgraded on the first run. */
export const legacyBookmarkKey = stateKeys.transform.legacyBookmark;

const bookmarkV2Schema = z
  .object({
    version: z.literal(2),
    sealedBefore: z.string().nullable(),
    days: z.record(z.string(), z.array(z.string())),
    other: z.array(z.string()),
  })
  .strict();

const bookmarkSchema = bookmarkV2Schema
  .extend({
    version: z.literal(3),
    sealed: z.record(z.string(), z.number().nullable()),
    reconciledAt: z.string().nullable(),
  })
  .strict();

export const emptyBookmark: Bookmark = {
  version: 3,
  sealedBefore: null,
  days: {},
  other: [],
  sealed: {},
  reconciledAt: null,
};

/** The day folder (YYYY-MM-DD) and name of a key in the date layout, or undefined. */
export function dayOf(key: string): { day: string; name: string } | undefined {
  const m = rawDayObjectPattern.exec(key);
  return m ? { day: `${m[1]}-${m[2]}-${m[3]}`, name: m[4]! } : undefined;
}

/**
 * Loads the bookmark, upgrading the first release's list of keys when that is what the warehouse has.
 * `baseline`: the bookmark predates sealed-folder records (version 2), so whatever its sealed folders
 * hold now was processed; the run records them as they are instead of reading them as new.
 */
export async function loadBookmark(
  storage: Storage,
): Promise<{ bookmark: Bookmark; upgraded: boolean; baseline: boolean }> {
  if (await storage.stat("state", bookmarkKey)) {
    const json: unknown = JSON.parse((await storage.readBytes("state", bookmarkKey)).toString("utf8"));
    if ((json as { version?: unknown }).version === 2) {
      const v2 = bookmarkV2Schema.parse(json);
      return {
        bookmark: { ...v2, version: 3, sealed: {}, reconciledAt: null },
        upgraded: false,
        baseline: true,
      };
    }
    return { bookmark: bookmarkSchema.parse(json), upgraded: false, baseline: false };
  }
  if (await storage.stat("state", legacyBookmarkKey)) {
    const legacy = JSON.parse((await storage.readBytes("state", legacyBookmarkKey)).toString("utf8")) as {
      processed?: unknown;
    };
    const keys = Array.isArray(legacy.processed) ? (legacy.processed as string[]) : [];
    return { bookmark: withProcessed(emptyBookmark, keys), upgraded: true, baseline: false };
  }
  return { bookmark: emptyBookmark, upgraded: false, baseline: false };
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

/** Whether a run already processed the key (sealed folders: see transform/discover-step.ts). */
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
  return { ...bookmark, days, other: [...other].sort() };
}

/**
 * Seals the day folders before the look-back window (`cutoffDay`): `sealedBefore` moves up to the
 * cutoff and their names move out of the bookmark, into `sealedDays` (day → names) for the caller to
 * store (`sealedDayKey`), with the folder times the run saw before listing them (`folderMs`). Call it
 * only after a run that listed every unsealed day folder (discovery does).
 */
export function sealed(
  bookmark: Bookmark,
  cutoffDay: string,
  folderMs: ReadonlyMap<string, number | null>,
): { bookmark: Bookmark; sealedDays: Map<string, readonly string[]> } {
  const sealedDays = new Map<string, readonly string[]>();
  if (bookmark.sealedBefore !== null && cutoffDay <= bookmark.sealedBefore) return { bookmark, sealedDays };
  const days: Record<string, readonly string[]> = {};
  const sealedTimes = { ...bookmark.sealed };
  for (const [day, names] of Object.entries(bookmark.days)) {
    if (day >= cutoffDay) days[day] = names;
    else {
      sealedDays.set(day, names);
      sealedTimes[day] = folderMs.get(day) ?? null;
    }
  }
  return { bookmark: { ...bookmark, sealedBefore: cutoffDay, days, sealed: sealedTimes }, sealedDays };
}

/** The first day of the look-back window: processing date minus `lookbackDays`, YYYY-MM-DD. */
export function lookbackCutoff(processingTime: Date, lookbackDays: number): string {
  return new Date(processingTime.getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10);
}

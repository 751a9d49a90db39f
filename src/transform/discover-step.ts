import { isHiddenKey, keyProblem } from "../storage/object-key.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { dayOf, isProcessed, loadSealedDay, type Bookmark } from "../table/bookmark-store.js";
import {
  rawDayFolderPattern,
  rawMonthFolderPattern,
  rawYearFolderPattern,
} from "../storage/warehouse-layout.js";

/** A raw object a run reads, numbered in processing order (key order). */
export interface SourceObject {
  readonly obj: number;
  readonly key: string;
  readonly size: number;
}

/** A sealed day folder a run listed again, and what it held. */
interface ReconciledDay {
  readonly day: string;
  /** Every name in it after this run (processed before, or now). */
  readonly names: readonly string[];
  /** The folder's modification time seen before it was listed (null on S3). */
  readonly folderMs: number | null;
  /** Objects in it no run had processed: late uploads, backfills. */
  readonly found: number;
}

export interface Discovery {
  readonly sources: SourceObject[];
  /** Open day folders → their modification time seen before listing (null on S3): kept when sealed. */
  readonly openFolderMs: Map<string, number | null>;
  /** Sealed day folders listed again (changed locally, or S3's reconcile was due). */
  readonly reconciled: ReconciledDay[];
  /** Whether every sealed folder was listed (S3's cadence, `--reconcile`). */
  readonly fullReconcile: boolean;
  /** Entries in raw/ that are neither files nor folders (symbolic links, FIFOs): not read, reported. */
  readonly notFiles: string[];
}

export interface DiscoverOptions {
  readonly bookmark: Bookmark;
  /** The bookmark predates sealed-folder records: sealed folders are recorded as they are. */
  readonly baseline: boolean;
  /** List every sealed folder (S3: `transform.reconcileEveryMs` passed, or `--reconcile`). */
  readonly reconcile: boolean;
  /** Day folders (YYYY-MM-DD) named by arrival notices: listed again even when sealed. */
  readonly noticedDays?: ReadonlySet<string>;
}

const yearFolder = rawYearFolderPattern;
const monthFolder = rawMonthFolderPattern;
const dayFolder = rawDayFolderPattern;

/**
 * Step 1, discover: the raw objects no run has processed, in key order. Lists incrementally: the day
 * folders the bookmark has not sealed are listed in full (descending year → month → day with one-level
 * listings); a sealed one only when it may hold something new: on a local warehouse when its modification
 * time changed since it was sealed (a stat per folder), on S3 (where folders have no time) when a
 * reconcile is due, and always when the folder is new. So a run's listing cost follows the look-back
 * window, not the history, and nothing that lands late is skipped. A folder an arrival notice names
 * (storage/arrival-notice.ts: the collector's and the generator's back-dated writes) is listed again
 * at once, wherever the warehouse lives. Keys outside the date layout are
 * listed on every run. Hidden keys (a segment starting with `_` or `.`) are not data.
 */
export async function discoverRawObjects(storage: Storage, options: DiscoverOptions): Promise<Discovery> {
  const { bookmark } = options;
  const sealedBefore = bookmark.sealedBefore ?? "";
  const found: ObjectInfo[] = [];
  const notFiles: string[] = [];
  const openFolderMs = new Map<string, number | null>();
  const reconciled: ReconciledDay[] = [];
  /** Objects found new in sealed folders: the bookmark calls every key there processed. */
  const lateKeys = new Set<string>();
  const listAll = async (
    prefix: string,
    into: ObjectInfo[] = found,
    skip?: (key: string) => boolean,
  ): Promise<void> => {
    if (keyProblem(`${prefix}x`) !== undefined) {
      // A folder whose keys no storage can hold (nested past S3's 1,024 characters): one reject for it.
      into.push({ key: prefix, size: 0, lastModified: new Date(0) });
      return;
    }
    const listing = await storage.listFolder("raw", prefix, { skip });
    into.push(...listing.objects);
    notFiles.push(...(listing.others ?? []));
    for (const folder of listing.folders) await listAll(folder, into, skip);
  };
  // In open folders the processed objects are known by name: not stat'ed, not listed (a no-op run's cost).
  const processedKey = (key: string): boolean => isProcessed(bookmark, key);
  const top = await storage.listFolder("raw", "raw/");
  found.push(...top.objects);
  notFiles.push(...(top.others ?? []));
  const local = top.folderModifiedMs !== undefined;
  // Without folder times, sealed folders are looked at only when a reconcile is due.
  const visitSealed = local || options.reconcile || options.baseline;
  const noticed = [...(options.noticedDays ?? [])];
  const noticedUnder = (prefix: string): boolean => noticed.some((day) => day.startsWith(prefix));
  for (const folder of top.folders) {
    const year = yearFolder.exec(folder);
    if (!year) {
      await listAll(folder);
      continue;
    }
    if (!visitSealed && `${year[1]}-12-31` < sealedBefore && !noticedUnder(`${year[1]}-`)) continue;
    const months = await storage.listFolder("raw", folder);
    found.push(...months.objects);
    notFiles.push(...(months.others ?? []));
    for (const monthPrefix of months.folders) {
      const month = monthFolder.exec(monthPrefix);
      if (!month) {
        await listAll(monthPrefix);
        continue;
      }
      const monthEnd = `${month[1]}-${month[2]}-31`;
      if (!visitSealed && monthEnd < sealedBefore && !noticedUnder(`${month[1]}-${month[2]}-`)) continue;
      const days = await storage.listFolder("raw", monthPrefix);
      found.push(...days.objects);
      notFiles.push(...(days.others ?? []));
      for (const dayPrefix of days.folders) {
        const m = dayFolder.exec(dayPrefix);
        const folderMs = days.folderModifiedMs?.[dayPrefix] ?? null;
        if (!m) {
          await listAll(dayPrefix);
          continue;
        }
        const day = `${m[1]}-${m[2]}-${m[3]}`;
        if (day >= sealedBefore) {
          openFolderMs.set(day, folderMs);
          await listAll(dayPrefix, found, processedKey);
          continue;
        }
        const known = bookmark.sealed[day];
        // A folder new since the seal, changed (local: its time; S3: when a reconcile is due), or noticed.
        const unchanged = local ? known === folderMs : !options.reconcile;
        if (known !== undefined && unchanged && options.noticedDays?.has(day) !== true) continue;
        const objects: ObjectInfo[] = [];
        await listAll(dayPrefix, objects);
        const names = objects.map((o) => o.key.slice(dayPrefix.length));
        // A version-2 bookmark kept no names of its sealed folders: what they hold now was processed.
        const processed =
          options.baseline && known === undefined ? new Set(names) : await loadSealedDay(storage, day);
        let late = 0;
        objects.forEach((object, i) => {
          const nestedDone = dayOf(object.key) === undefined && isProcessed(bookmark, object.key);
          if (processed.has(names[i]!) || isHiddenKey(object.key) || nestedDone) return;
          lateKeys.add(object.key);
          found.push(object);
          late++;
        });
        reconciled.push({ day, names: [...new Set([...processed, ...names])].sort(), folderMs, found: late });
      }
    }
  }
  const sources = found
    .filter((o) => !isHiddenKey(o.key) && (lateKeys.has(o.key) || !isProcessed(bookmark, o.key)))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((o, obj) => ({ obj, key: o.key, size: o.size }));
  return {
    sources,
    openFolderMs,
    reconciled,
    fullReconcile: options.reconcile,
    notFiles: notFiles.filter((key) => !isHiddenKey(key)),
  };
}

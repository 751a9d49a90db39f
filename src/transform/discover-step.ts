import { isHiddenKey } from "../storage/object-key.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { isProcessed, type Bookmark } from "./bookmark-store.js";

/** A raw object a run reads, numbered in processing order (key order). */
export interface SourceObject {
  readonly obj: number;
  readonly key: string;
  readonly size: number;
}

const yearFolder = /^raw\/year=(\d{4})\/$/;
const monthFolder = /^raw\/year=(\d{4})\/month=(\d{2})\/$/;
const dayFolder = /^raw\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/$/;

/**
 * Step 1, discover: the raw objects no run has processed, in key order. Lists incrementally: only the day
 * folders the bookmark has not sealed are listed (descending year → month → day with one-level listings),
 * so a run's listing cost follows the look-back window, not the history. Keys outside the date layout
 * are listed on every run. Hidden keys (a segment starting with `_` or `.`) are not data.
 */
export async function discoverRawObjects(storage: Storage, bookmark: Bookmark): Promise<SourceObject[]> {
  const sealedBefore = bookmark.sealedBefore ?? "";
  const found: ObjectInfo[] = [];
  const listAll = async (prefix: string): Promise<void> => {
    for await (const object of storage.list("raw", prefix)) found.push(object);
  };
  const top = await storage.listFolder("raw", "raw/");
  found.push(...top.objects);
  for (const folder of top.folders) {
    const year = yearFolder.exec(folder);
    if (!year) {
      await listAll(folder);
      continue;
    }
    if (`${year[1]}-12-31` < sealedBefore) continue;
    const months = await storage.listFolder("raw", folder);
    found.push(...months.objects);
    for (const monthPrefix of months.folders) {
      const month = monthFolder.exec(monthPrefix);
      if (!month) {
        await listAll(monthPrefix);
        continue;
      }
      if (`${month[1]}-${month[2]}-31` < sealedBefore) continue;
      const days = await storage.listFolder("raw", monthPrefix);
      found.push(...days.objects);
      for (const dayPrefix of days.folders) {
        const day = dayFolder.exec(dayPrefix);
        if (day && `${day[1]}-${day[2]}-${day[3]}` < sealedBefore) continue;
        await listAll(dayPrefix);
      }
    }
  }
  return found
    .filter((o) => !isHiddenKey(o.key) && !isProcessed(bookmark, o.key))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((o, obj) => ({ obj, key: o.key, size: o.size }));
}

import { readdir, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Storage } from "../storage/storage.js";
import type { CollectorLogger } from "./delivery-stream.js";
import { rawDayObjectPattern } from "../storage/warehouse-layout.js";

/**
 * A temp file younger than this may be a write in progress (of another collector on the same raw/, or of
 * `clickstream generate`): one raw object is at most 128 MiB and takes seconds to write, not minutes.
 */
export const staleTempAgeMs = 10 * 60 * 1000;

// What the collector writes: `.tmp-<uuid>` files (LocalStorage.writeAtomic) beside its raw objects in
// raw/year=YYYY/month=MM/day=DD/. Nothing else is touched.
const ownTemp = (key: string): boolean => {
  const m = rawDayObjectPattern.exec(key);
  return m !== null && /^\.tmp-[0-9a-f-]{36}$/.test(m[4]!);
};

/**
 * Removes the temp files a killed collector left among the raw objects (a write that never reached its
 * rename), once they are old enough not to be a live write. Local storage only: S3 writes leave none.
 * Returns the keys removed.
 */
export async function removeStaleTempFiles(
  storage: Storage,
  logger: CollectorLogger,
  now = Date.now(),
): Promise<string[]> {
  const probe = storage.localPath("raw", "raw/probe");
  if (probe === undefined) return [];
  const root = dirname(probe);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.startsWith(".tmp-")) continue;
    const path = join(entry.parentPath, entry.name);
    const key = `raw/${relative(root, path).split(sep).join("/")}`;
    if (!ownTemp(key)) continue;
    const info = await stat(path).catch(() => undefined);
    if (!info || now - info.mtimeMs < staleTempAgeMs) continue;
    await unlink(path).catch(() => undefined);
    removed.push(key);
  }
  if (removed.length > 0)
    logger.warn(
      { removed: removed.length, keys: removed.slice(0, 10) },
      "removed temp files a stopped collector left in raw/ (writes that never completed; their records are still in the WAL or were never acknowledged)",
    );
  return removed.sort();
}

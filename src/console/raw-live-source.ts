import { gunzipSync } from "node:zlib";
import type { LiveEvent, LiveEventSource } from "../collector/recent-events.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { isProcessed, loadBookmark } from "../table/bookmark-store.js";
import type { DataQuality } from "./data-quality.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";

/** Raw objects bigger than this are skipped (the panel shows a few records, not whole batches of GBs). */
const maxObjectBytes = 32 * 1024 * 1024;
/** Listing raw/ walks every object: do it at most this often. */
const listCacheMs = 2000;
/** Run reports whose rejects are matched against the records shown. */
const recentRuns = 5;
const maxTextChars = 2000;

/**
 * The live panel's source for a standalone console (no collector in the process): the newest raw
 * objects in raw/, newest record first. A record's state comes from the transform: `pending` until a
 * run has processed its object (the bookmark), then `rejected` with the reason when a recent run's errors/
 * object names its object and line, otherwise `accepted`.
 */
export class RawObjectsLiveSource implements LiveEventSource {
  readonly description =
    "the newest raw objects in raw/ (newest first), judged by the transform when it has processed them";
  private listed: { at: number; objects: ObjectInfo[] } | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly quality: DataQuality,
  ) {}

  async recent(limit: number): Promise<LiveEvent[]> {
    const objects = await this.newestObjects();
    const events: LiveEvent[] = [];
    const { bookmark } = await loadBookmark(this.storage);
    const rejects = await this.recentRejects();
    for (const object of objects) {
      if (events.length >= limit) break;
      if (object.size > maxObjectBytes) continue;
      let bytes = await this.storage.readBytes("raw", object.key).catch(() => undefined);
      if (!bytes) continue;
      if (startsWithGzipMagic(bytes)) {
        try {
          bytes = gunzipSync(bytes, { maxOutputLength: maxObjectBytes * 8 });
        } catch {
          continue;
        }
      }
      const lines = bytes.toString("utf8").split("\n");
      for (let i = lines.length - 1; i >= 0 && events.length < limit; i--) {
        const text = lines[i]!.replace(/\r$/, "");
        if (!text.trim()) continue;
        const reject = rejects.get(`${object.key}\n${i + 1}`);
        events.push({
          receivedAt: object.lastModified.toISOString(),
          source: "raw",
          state: !isProcessed(bookmark, object.key) ? "pending" : reject ? "rejected" : "accepted",
          ...(reject ? { reason: reject.reason, message: reject.message } : {}),
          text: text.length > maxTextChars ? `${text.slice(0, maxTextChars)}…` : text,
        });
      }
    }
    return events;
  }

  private async newestObjects(): Promise<ObjectInfo[]> {
    if (!this.listed || Date.now() - this.listed.at > listCacheMs) {
      const objects: ObjectInfo[] = [];
      for await (const object of this.storage.list("raw", "raw/")) objects.push(object);
      objects.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime() || (a.key < b.key ? 1 : -1));
      this.listed = { at: Date.now(), objects: objects.slice(0, 50) };
    }
    return this.listed.objects;
  }

  /** `source\nline` → reject, over the errors/ objects of the newest runs. */
  private async recentRejects(): Promise<Map<string, { reason: string; message: string }>> {
    const out = new Map<string, { reason: string; message: string }>();
    for (const report of await this.quality.newestReports(recentRuns)) {
      for (const key of report.errorObjects ?? []) {
        for (const reject of await this.quality.rejectsIn(key)) {
          if (reject.line !== null) out.set(`${reject.source}\n${reject.line}`, reject);
        }
      }
    }
    return out;
  }
}

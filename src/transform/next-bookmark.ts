import {
  lookbackCutoff,
  sealed,
  sealedDayKey,
  withProcessed,
  type Bookmark,
} from "../table/bookmark-store.js";
import type { RunContext } from "./run-context.js";

/**
 * The bookmark a run leaves, and the sealed-day files it writes with it: the run's objects marked
 * processed, the day folders that left the look-back window sealed (their names moved to files of their
 * own), and the sealed folders the run listed again recorded with the folder time it saw.
 */
export function nextBookmark(
  ctx: Pick<RunContext, "bookmark" | "sources" | "discovery" | "processingTime" | "config" | "startedAt">,
): { bookmark: Bookmark; files: { key: string; body: string }[] } {
  const { discovery } = ctx;
  const files: { key: string; body: string }[] = [];
  const processed = withProcessed(
    ctx.bookmark,
    ctx.sources.map((s) => s.key),
  );
  const { bookmark, sealedDays } = sealed(
    processed,
    lookbackCutoff(ctx.processingTime, ctx.config.bookmarkLookbackDays),
    discovery.openFolderMs,
  );
  for (const [day, names] of sealedDays)
    files.push({ key: sealedDayKey(day), body: JSON.stringify({ names }) });
  const sealedTimes = { ...bookmark.sealed };
  for (const day of discovery.reconciled) {
    files.push({ key: sealedDayKey(day.day), body: JSON.stringify({ names: day.names }) });
    sealedTimes[day.day] = day.folderMs;
  }
  return {
    bookmark: {
      ...bookmark,
      sealed: Object.fromEntries(Object.entries(sealedTimes).sort()),
      reconciledAt: discovery.fullReconcile ? ctx.startedAt.toISOString() : bookmark.reconciledAt,
    },
    files,
  };
}

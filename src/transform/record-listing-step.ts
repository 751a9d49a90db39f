import { clearArrivalNotices } from "../storage/arrival-notice.js";
import { bookmarkKey } from "../table/bookmark-store.js";
import { nextBookmark } from "./next-bookmark.js";
import type { RunContext, StepResult } from "./run-context.js";
import { buildRunReport } from "./run-report-builder.js";

/**
 * The one step of a run with nothing new: it still keeps what its listing learnt (sealed folders listed
 * again, the time of a reconcile), so the next run does not list them again. Written outside a commit:
 * it only records names already processed, and this run holds the lock.
 */
export async function recordListing(ctx: RunContext): Promise<StepResult> {
  const { discovery, storage } = ctx;
  if (discovery.reconciled.length > 0 || discovery.fullReconcile) {
    const { bookmark, files } = nextBookmark(ctx);
    for (const file of files) await storage.writeAtomic("state", file.key, file.body);
    await storage.writeAtomic("state", bookmarkKey, JSON.stringify(bookmark));
  }
  await clearArrivalNotices(storage, ctx.notices);
  ctx.outputs.report = buildRunReport(ctx, "no_new_data", []);
  return {};
}

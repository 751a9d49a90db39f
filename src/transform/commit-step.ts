import { clearArrivalNotices } from "../storage/arrival-notice.js";
import { bookmarkKey, legacyBookmarkKey } from "../table/bookmark-store.js";
import { applyManifest, writeManifest } from "../table/commit-log.js";
import type { RunReport } from "../table/run-report.js";
import {
  sessionObjects,
  sessionsKey,
  snapshotObjects,
  type IndexFile,
  type TableFile,
  type TableSnapshot,
  type TrashEntry,
} from "../table/table-snapshot.js";
import { compactionTargets } from "./compaction-targets.js";
import { nextBookmark } from "./next-bookmark.js";
import type { RunContext } from "./run-context.js";
import type { StepResult } from "./step-result.js";
import { buildRunReport } from "./run-report-builder.js";
import { bucketHomePrefix } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/**
 * The snapshot a commit leaves: the previous one's partitions with `added` files and without
 * `replaced` ones, the indexes as given, replaced files put in the trash until their grace time is over,
 * and expired trash handed back for deletion. Replaced data files leave the table's folders at the
 * commit (`retire`: moved to `_state/transform/replaced/<run>/`), so `transformed/` read as a Hive
 * table (Spark, Athena, a Glue crawler, a DuckDB glob) holds every row once; a reader still holding
 * the previous snapshot finds them moved and retries on the current one.
 */
export function nextSnapshot(
  ctx: Pick<RunContext, "runId" | "processingTime" | "config">,
  previous: TableSnapshot,
  changes: {
    added: Map<string, TableFile[]>;
    replacedData: string[];
    /** The sessions table's changes (a compaction leaves it as it is). */
    sessions?: { added: Map<string, TableFile[]>; replaced: string[] };
    indexes: Record<string, readonly IndexFile[]>;
    replacedState: TrashEntry[];
    now: Date;
  },
): { snapshot: TableSnapshot; expired: TrashEntry[]; retire: { from: string; to: string }[] } {
  const replaced = new Set(changes.replacedData);
  const retire = [...changes.replacedData, ...(changes.sessions?.replaced ?? [])].map((key) => ({
    from: key,
    to: retiredKey(ctx.runId, key),
  }));
  const partitions: Record<string, TableFile[]> = {};
  for (const [partition, files] of Object.entries(previous.partitions)) {
    const kept = files.filter((f) => !replaced.has(`transformed/${partition}/${f.name}`));
    if (kept.length > 0) partitions[partition] = kept;
  }
  for (const [partition, files] of changes.added)
    partitions[partition] = [...(partitions[partition] ?? []), ...files];
  const sessions = changes.sessions
    ? nextFiles(previous.sessions ?? {}, changes.sessions, sessionsKey)
    : previous.sessions;
  const after = new Date(changes.now.getTime() + ctx.config.deleteGraceMs).toISOString();
  const trash = [
    ...previous.trash,
    ...retire.map(({ to }) => ({ bucket: "state" as const, key: to, after })),
    ...changes.replacedState.map((t) => ({ ...t, after })),
  ];
  const nowIso = changes.now.toISOString();
  const expired = trash.filter((t) => t.after <= nowIso);
  return {
    snapshot: {
      version: 1,
      writtenBy: ctx.runId,
      writtenAt: nowIso,
      commits: previous.commits + 1,
      partitions: Object.fromEntries(Object.entries(partitions).sort()),
      ...(sessions === undefined ? {} : { sessions }),
      indexes: changes.indexes,
      trash: trash.filter((t) => t.after > nowIso),
    },
    expired,
    retire,
  };
}

/** A table's files by partition after a commit: without the replaced keys, with the added files. */
function nextFiles(
  previous: Readonly<Record<string, readonly TableFile[]>>,
  changes: { added: Map<string, TableFile[]>; replaced: readonly string[] },
  keyOf: (partition: string, name: string) => string,
): Record<string, TableFile[]> {
  const replaced = new Set(changes.replaced);
  const files: Record<string, TableFile[]> = {};
  for (const [partition, entries] of Object.entries(previous)) {
    const kept = entries.filter((f) => !replaced.has(keyOf(partition, f.name)));
    if (kept.length > 0) files[partition] = kept;
  }
  for (const [partition, entries] of changes.added)
    files[partition] = [...(files[partition] ?? []), ...entries];
  return Object.fromEntries(Object.entries(files).sort());
}

/**
 * Where a replaced data file waits out its grace time: in the state bucket, outside every folder a
 * table reader lists (a glob over `transformed/**` included). Sessions files keep their `sessions/`.
 */
export const retiredKey = (runId: string, key: string): string =>
  `${stateKeys.transform.replaced(runId)}${key.startsWith(bucketHomePrefix.transformed) ? key.slice(bucketHomePrefix.transformed.length) : key}`;

/**
 * Step 9, commit: the new snapshot, bookmark and (unless a compaction commits after it) the run report
 * go into the manifest, which is written atomically (the commit point) and then applied (commit-log.ts).
 */
export async function commitRun(ctx: RunContext): Promise<StepResult> {
  const { storage, manifest, previous, outputs } = ctx;
  ctx.onProgress({ phase: "commit" });
  if (ctx.fullRefresh) {
    // The full refresh replaces everything the previous snapshot listed, and its rejects.
    for await (const object of storage.list("errors", "errors/transform/")) {
      manifest.delete.push({ bucket: "errors", key: object.key });
    }
  }
  const replacedData = ctx.fullRefresh ? snapshotObjects(previous).map((o) => o.key) : outputs.replaced;
  const replacedSessions = ctx.fullRefresh
    ? sessionObjects(previous).map((o) => o.key)
    : outputs.sessionsReplaced;
  const { snapshot, expired, retire } = nextSnapshot(ctx, previous, {
    added: outputs.added,
    replacedData,
    sessions: { added: outputs.sessionsAdded, replaced: replacedSessions },
    indexes: outputs.indexes,
    replacedState: outputs.replacedIndexes,
    now: new Date(),
  });
  manifest.snapshot = snapshot;
  for (const r of retire) manifest.retire.push({ bucket: "transformed", toBucket: "state", ...r });
  for (const t of expired) manifest.delete.push({ bucket: t.bucket, key: t.key });

  const { bookmark, files } = nextBookmark(ctx);
  manifest.state.push(...files, { key: bookmarkKey, body: JSON.stringify(bookmark) });
  // The report goes into the run's last commit: the compaction's, when this one leaves partitions to merge.
  if (compactionTargets(ctx.config, snapshot).length === 0) {
    outputs.report = buildRunReport(ctx, "succeeded", []);
    manifest.state.push(...reportFiles(outputs.report));
  }
  if (ctx.legacyBookmark) manifest.delete.push({ bucket: "state", key: legacyBookmarkKey });
  await writeManifest(storage, manifest);
  await applyManifest(storage, manifest);
  await clearArrivalNotices(storage, ctx.notices);
  return {};
}

/** The state files of a run report: its own, and the last run's. */
export function reportFiles(report: RunReport): { key: string; body: string }[] {
  return [
    { key: stateKeys.transform.runReport(report.runId), body: JSON.stringify(report, null, 2) },
    { key: stateKeys.transform.lastRun, body: JSON.stringify(report, null, 2) },
  ];
}

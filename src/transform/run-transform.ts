import { join } from "node:path";
import type { TransformConfig } from "../config/config-schema.js";
import { limits } from "../contract/data-contract.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { clearArrivalNotices, listArrivalNotices } from "../storage/arrival-notice.js";
import type { Storage } from "../storage/storage.js";
import { bookmarkKey, emptyBookmark, loadBookmark } from "../table/bookmark-store.js";
import { newManifest } from "../table/commit-log.js";
import type { RunReport } from "../table/run-report.js";
import { emptySnapshot, type TableSnapshot } from "../table/table-snapshot.js";
import { loadOrBootstrapSnapshot } from "./bootstrap-step.js";
import { nextBookmark } from "./next-bookmark.js";
import { commitRun } from "./commit-step.js";
import { compactPartitions } from "./compact-partitions.js";
import { dedupeRecords } from "./dedupe-step.js";
import { discoverRawObjects } from "./discover-step.js";
import { fallbackRecords } from "./fallback-step.js";
import { frameObjects } from "./frame-step.js";
import { FramingRejects } from "./framing-rejects.js";
import { indexRun } from "./index-step.js";
import { judgeRecords } from "./judge-step.js";
import { RunTally, type RunContext, type TransformProgress } from "./run-context.js";
import { withRunSession, type RunSession } from "./run-session.js";
import { sequenceEvents } from "./sequence-step.js";
import type { SqlRunner } from "./sql-runner.js";
import { runStep } from "./step-error.js";
import { writeOutputs } from "./write-step.js";

export type { TransformProgress };

export interface TransformOptions {
  readonly storage: Storage;
  readonly config: TransformConfig;
  /** Local folder for scratch files, caches and the run lock (the warehouse folder for local storage). */
  readonly workDir: string;
  /** Pins the processing time (processed_timestamp, future check); defaults to the run's start. */
  readonly now?: Date;
  readonly fullRefresh?: boolean;
  /** List every sealed raw folder again (S3 does on its own every `transform.reconcileEveryMs`). */
  readonly reconcile?: boolean;
  readonly onProgress?: (event: TransformProgress) => void;
  /** Called with the run's DuckDB session after the write step, before the commit (tests read its tables). */
  readonly onTables?: (sql: SqlRunner) => Promise<void>;
}

/**
 * Runs the transform: new raw objects → validated, deduplicated, sequenced rows appended to
 * `transformed/` (Parquet, partitioned by event date) and rejects to `errors/`. One run at a time
 * (lock), all-or-nothing (commit manifest), incremental (bookmark), with a cost that follows the new
 * data (indexes instead of scans of the history). Rejected records are results, not exceptions.
 *
 * lock → recover → discover → frame → judge → per-record path → dedupe → sequence → write → index → commit
 */
export async function runTransform(options: TransformOptions): Promise<RunReport> {
  return withRunSession(options, (session) => transformRun(options, session));
}

async function transformRun(options: TransformOptions, run: RunSession): Promise<RunReport> {
  const { storage, config } = options;
  const fullRefresh = options.fullRefresh ?? false;
  const { cache } = run;
  const tally = new RunTally();
  const step = <T>(name: string, work: () => Promise<T>): Promise<T> => runStep(name, work, tally.stepsMs);
  const current = await step("snapshot", () =>
    loadOrBootstrapSnapshot({ storage, sql: run.sql, cache, scratch: run.scratch, runId: run.runId }),
  );
  const { bookmark, upgraded, baseline } = fullRefresh
    ? { bookmark: emptyBookmark, upgraded: false, baseline: false }
    : await step("bookmark", () => loadBookmark(storage));
  const reconcileDue =
    bookmark.reconciledAt === null ||
    run.startedAt.getTime() - Date.parse(bookmark.reconciledAt) >= config.reconcileEveryMs;
  const { notices, discovery } = await step("discover", async () => {
    // Read before listing raw/: a notice is written after its object, so the listing sees the object.
    const notices = await listArrivalNotices(storage);
    const discovery = await discoverRawObjects(storage, {
      bookmark,
      baseline,
      noticedDays: notices.days,
      // A local folder's time tells whether it changed; S3's folders have none, so they are listed on a cadence.
      reconcile: options.reconcile === true || (storage.kind !== "local" && reconcileDue),
    });
    return { notices, discovery };
  });
  const { sources } = discovery;
  const ctx: RunContext = {
    storage,
    config,
    runId: run.runId,
    startedAt: run.startedAt,
    processingTime: options.now ?? run.startedAt,
    fullRefresh,
    scratch: run.scratch,
    cache,
    sql: run.sql,
    onProgress: options.onProgress ?? (() => undefined),
    snapshot: fullRefresh ? { ...emptySnapshot, commits: current.commits, trash: current.trash } : current,
    bookmark,
    sources,
    discovery,
    parts: [],
    tally,
    manifest: newManifest(run.runId),
  };
  if (sources.length === 0 && !fullRefresh) {
    await step("commit", async () => {
      await recordListing(ctx);
      await clearArrivalNotices(storage, notices);
    });
    return report(ctx, "no_new_data", []);
  }

  const rejects = new FramingRejects(tally);
  await step("frame", () => frameObjects(ctx, rejects));
  await step("judge", () => judgeRecords(ctx, rejects));
  await step("per-record path", async () => {
    await fallbackRecords(ctx, rejects);
    await rejects.writeTable(ctx.sql);
    await countJudged(ctx);
  });
  await step("dedupe", () => dedupeRecords(ctx));
  await step("sequence", () => sequenceEvents(ctx));
  const written = await step("write", () => writeOutputs(ctx));
  await options.onTables?.(ctx.sql);
  // Counted where found, where dropped and where written: a record lost anywhere fails the run here.
  if (tally.recordsFound !== tally.written + tally.rejectedTotal) {
    throw new ClickstreamError(
      "CS_ERR_INTERNAL",
      `records read ${tally.recordsFound} ≠ written ${tally.written} + rejected ${tally.rejectedTotal}; nothing was committed`,
    );
  }
  const index = await step("index", () => indexRun(ctx, current.commits + 1));
  // The full refresh replaces everything the previous snapshot listed.
  const committed = { ...ctx, snapshot: current };
  const done = report(committed, "succeeded", []);
  if (fullRefresh) {
    for await (const object of storage.list("errors", "errors/transform/")) {
      ctx.manifest.delete.push({ bucket: "errors", key: object.key });
    }
  }
  await step("commit", async () => {
    await commitRun(committed, written, index, done, upgraded);
    await clearArrivalNotices(storage, notices);
  });
  done.stepsMs = { ...tally.stepsMs }; // the stored report was written inside the commit

  // Many small files in a partition: merge them, in a commit of its own.
  const after: TableSnapshot = ctx.manifest.snapshot ?? emptySnapshot;
  const compaction = await step("compact", () =>
    compactPartitions({
      storage,
      config,
      sql: ctx.sql,
      cache,
      scratch: join(run.scratch, "compaction"),
      runId: `${run.runId}-compact`,
      snapshot: after,
      partitions: "auto",
    }),
  );
  if (compaction.compacted.length === 0) return done;
  done.partitionsCompacted = compaction.compacted.map((c) => c.partition);
  await storage.writeAtomic(
    "state",
    `_state/transform/runs/${done.runId}.json`,
    JSON.stringify(done, null, 2),
  );
  await storage.writeAtomic("state", "_state/transform/last-run.json", JSON.stringify(done, null, 2));
  return done;
}

/**
 * A run with nothing new still keeps what its listing learnt (sealed folders listed again, the time of
 * a reconcile), so the next run does not list them again. Written outside a commit: it only records
 * names already processed, and this run holds the lock.
 */
async function recordListing(ctx: RunContext): Promise<void> {
  const { discovery } = ctx;
  if (discovery.reconciled.length === 0 && !discovery.fullReconcile) return;
  const { bookmark, files } = nextBookmark(ctx);
  for (const file of files) await ctx.storage.writeAtomic("state", file.key, file.body);
  await ctx.storage.writeAtomic("state", bookmarkKey, JSON.stringify(bookmark));
}

/**
 * Counts what the judge and the per-record path decided (rule rejects by reason, unknown fields) and
 * checks that every record found is in `judged` or among the framing rejects: a record lost between
 * framing and the tables fails the run before it commits anything.
 */
async function countJudged(ctx: RunContext): Promise<void> {
  const { sql, tally } = ctx;
  for (const row of await sql.rows(
    `SELECT reason, count(*)::BIGINT AS n FROM judged WHERE reason IS NOT NULL GROUP BY reason`,
  )) {
    tally.reject(row.reason as Parameters<RunTally["reject"]>[0], Number(row.n));
  }
  const [counts] =
    await sql.rows(`SELECT count(*)::BIGINT AS total, count(*) FILTER (WHERE reason IS NULL)::BIGINT AS valid,
      (SELECT count(*) FROM framing_rejects)::BIGINT AS framing FROM judged`);
  const inTables = Number(counts!.total) + Number(counts!.framing);
  if (inTables !== tally.recordsFound) {
    throw new ClickstreamError(
      "CS_ERR_INTERNAL",
      `records found ${tally.recordsFound} ≠ records judged ${inTables}; nothing was committed`,
    );
  }
  const names = await sql.rows(
    `SELECT k, count(*)::BIGINT AS n FROM (SELECT unnest(unknown_fields) AS k FROM judged WHERE reason IS NULL)
     GROUP BY k ORDER BY n DESC, k`,
  );
  tally.unknownFields = Object.fromEntries(
    names
      .slice(0, limits.maxUnknownFieldNames)
      .map((r) => [String(r.k), Number(r.n)])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  tally.unknownFieldsOmitted = Math.max(0, names.length - limits.maxUnknownFieldNames);
}

function report(ctx: RunContext, status: RunReport["status"], compacted: string[]): RunReport {
  const { tally } = ctx;
  const finished = new Date();
  return {
    engine: "local",
    runId: ctx.runId,
    status,
    fullRefresh: ctx.fullRefresh,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - ctx.startedAt.getTime(),
    processingTime: ctx.processingTime.toISOString(),
    objectsProcessed: ctx.sources.length,
    records: { read: tally.recordsFound, written: tally.written, rejected: tally.rejectedTotal },
    rejectedByReason: { ...tally.rejected },
    unknownFields: tally.unknownFields,
    unknownFieldsOmitted: tally.unknownFieldsOmitted,
    partitionsWritten: [...tally.partitionsWritten].sort(),
    rowsRewritten: tally.rowsRewritten,
    filesRewritten: tally.filesRewritten,
    partitionsCompacted: compacted,
    bytesRead: tally.bytesRead,
    bytesWritten: tally.bytesWritten,
    errorObjects: tally.errorObjects,
    lateObjects: {
      found: ctx.discovery.reconciled.reduce((sum, d) => sum + d.found, 0),
      folders: ctx.discovery.reconciled.filter((d) => d.found > 0).map((d) => d.day),
    },
    notFiles: { count: ctx.discovery.notFiles.length, keys: ctx.discovery.notFiles.slice(0, 100) },
    stepsMs: { ...tally.stepsMs },
  };
}

import { join } from "node:path";
import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { listArrivalNotices } from "../storage/arrival-notice.js";
import type { Storage } from "../storage/storage.js";
import { emptyBookmark, loadBookmark } from "../table/bookmark-store.js";
import { newManifest } from "../table/commit-log.js";
import type { RunReport } from "../table/run-report.js";
import { emptySnapshot } from "../table/table-snapshot.js";
import { checkBalance } from "./balance-step.js";
import { loadOrBootstrapSnapshot } from "./bootstrap-step.js";
import { commitRun } from "./commit-step.js";
import { compactAfterRun } from "./compact-step.js";
import { countJudged } from "./count-judged-step.js";
import { dedupeRecords } from "./dedupe-step.js";
import { discoverRawObjects } from "./discover-step.js";
import { resolveExactNumbers } from "./exact-numbers-step.js";
import { rejectLenientJson } from "./lenient-json-step.js";
import { resolveProperties } from "./properties-step.js";
import { fallbackRecords } from "./fallback-step.js";
import { frameObjects } from "./frame-step.js";
import { FramingRejects } from "./framing-rejects.js";
import { indexRun } from "./index-step.js";
import { judgeRecords } from "./judge-step.js";
import { recordListing } from "./record-listing-step.js";
import { RunTally, type RunContext, type Step, type TransformProgress } from "./run-context.js";
import { withRunSession, type RunSession } from "./run-session.js";
import { sequenceEvents } from "./sequence-step.js";
import { writeSessions } from "./sessions-step.js";
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
  /**
   * Stops the run when aborted (Glue's BatchStopJobRun on the local endpoint): checked before each step
   * up to the commit, so a stopped run publishes nothing (CS_ERR_TRANSFORM_STOPPED); once the commit has
   * begun the run completes.
   */
  readonly signal?: AbortSignal;
  /** Called with the run's DuckDB session after the write step, before the commit (tests read its tables). */
  readonly onTables?: (sql: SqlRunner) => Promise<void>;
}

/**
 * Runs the transform: new raw objects → validated, deduplicated, sequenced rows appended to
 * `transformed/` (Parquet, partitioned by event date) and rejects to `errors/`. One run at a time
 * (lock), all-or-nothing (commit manifest), incremental (bookmark), with a cost that follows the new
 * data (indexes instead of scans of the history). Rejected records are results, not exceptions.
 *
 * lock → recover → snapshot, bookmark, discover → the steps below (frame … commit, compact)
 */
export async function runTransform(options: TransformOptions): Promise<RunReport> {
  return withRunSession(options, (session) => transformRun(options, session));
}

/** The steps of a run with new data, in order; each returns its counts, which the tally adds. */
const transformSteps: readonly NamedStep[] = [
  { name: "frame", run: frameObjects },
  { name: "judge", run: judgeRecords },
  { name: "per-record path", run: fallbackRecords },
  { name: "exact numbers", run: resolveExactNumbers },
  { name: "strict json", run: rejectLenientJson },
  { name: "properties", run: resolveProperties },
  { name: "count", run: countJudged },
  { name: "dedupe", run: dedupeRecords },
  { name: "sequence", run: sequenceEvents },
  { name: "write", run: writeOutputs },
  { name: "sessions", run: writeSessions },
  { name: "balance", run: checkBalance },
  { name: "index", run: indexRun },
  { name: "commit", run: commitRun },
  { name: "compact", run: compactAfterRun },
];

/** A run that found nothing new only records what its listing learnt. */
const noNewDataSteps: readonly NamedStep[] = [{ name: "commit", run: recordListing }];

interface NamedStep {
  readonly name: string;
  readonly run: Step;
}

async function transformRun(options: TransformOptions, run: RunSession): Promise<RunReport> {
  const ctx = await openRun(options, run);
  // A table from before the sessions table existed gets it on its next run, new data or not.
  const sessionsDue = ctx.previous.sessions === undefined && Object.keys(ctx.previous.partitions).length > 0;
  const nothingNew = ctx.sources.length === 0 && !ctx.fullRefresh && !sessionsDue;
  let committed = false;
  for (const step of nothingNew ? noNewDataSteps : transformSteps) {
    if (step.name === "commit") committed = true;
    if (!committed && options.signal?.aborted)
      throw new ClickstreamError("CS_ERR_TRANSFORM_STOPPED", `before step "${step.name}"`);
    ctx.tally.add(await runStep(step.name, () => step.run(ctx), ctx.tally.stepsMs));
    if (step.name === "write") await options.onTables?.(ctx.sql);
  }
  const { report } = ctx.outputs;
  if (!report) throw new ClickstreamError("CS_ERR_INTERNAL", "the run ended without a report");
  // The stored report was built inside the last commit; the one returned also times that commit.
  return { ...report, stepsMs: { ...ctx.tally.stepsMs } };
}

/** The run's context: the table as the last commit left it, the bookmark, and the raw objects to read. */
async function openRun(options: TransformOptions, run: RunSession): Promise<RunContext> {
  const { storage, config } = options;
  const fullRefresh = options.fullRefresh ?? false;
  const { cache } = run;
  const tally = new RunTally();
  const step = <T>(name: string, work: () => Promise<T>): Promise<T> => runStep(name, work, tally.stepsMs);
  const previous = await step("snapshot", () =>
    loadOrBootstrapSnapshot({ storage, sql: run.sql, cache, scratch: run.scratch, runId: run.runId }),
  );
  const loaded = fullRefresh
    ? { bookmark: emptyBookmark, upgraded: false, baseline: false }
    : await step("bookmark", () => loadBookmark(storage));
  const { bookmark } = loaded;
  const reconcileDue =
    bookmark.reconciledAt === null ||
    run.startedAt.getTime() - Date.parse(bookmark.reconciledAt) >= config.reconcileEveryMs;
  const { notices, discovery } = await step("discover", async () => {
    // Read before listing raw/: a notice is written after its object, so the listing sees the object.
    const notices = await listArrivalNotices(storage);
    const discovery = await discoverRawObjects(storage, {
      bookmark,
      baseline: loaded.baseline,
      noticedDays: notices.days,
      // A local folder's time tells whether it changed; S3's folders have none, so they are listed on a cadence.
      reconcile: options.reconcile === true || (storage.kind !== "local" && reconcileDue),
    });
    return { notices, discovery };
  });
  return {
    storage,
    config,
    runId: run.runId,
    startedAt: run.startedAt,
    processingTime: options.now ?? run.startedAt,
    fullRefresh,
    scratch: run.scratch,
    stagingPath: join(run.scratch, "staged.txt"),
    cache,
    sql: run.sql,
    onProgress: options.onProgress ?? (() => undefined),
    previous,
    // A full refresh builds on an empty table (keeping the commit count and the trash).
    baseline: fullRefresh ? { ...emptySnapshot, commits: previous.commits, trash: previous.trash } : previous,
    bookmark,
    legacyBookmark: loaded.upgraded,
    notices,
    sources: discovery.sources,
    discovery,
    parts: [],
    rejects: new FramingRejects(),
    tally,
    manifest: newManifest(run.runId),
    outputs: {
      added: new Map(),
      replaced: [],
      sessionsAdded: new Map(),
      sessionsReplaced: [],
      indexes: { ids: [], sessions: [] },
      replacedIndexes: [],
    },
  };
}

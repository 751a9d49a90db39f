import type { TransformConfig } from "../config/config-schema.js";
import { rejectReasonCodes, type RejectReason } from "../contract/data-contract.js";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import type { Bookmark } from "../table/bookmark-store.js";
import type { ArrivalNotices } from "../storage/arrival-notice.js";
import type { CommitManifest } from "../table/commit-log.js";
import type { RunReport } from "../table/run-report.js";
import type { IndexFile, TableFile, TableSnapshot, TrashEntry } from "../table/table-snapshot.js";
import type { Discovery, SourceObject } from "./discover-step.js";
import type { FramingRejects } from "./framing-rejects.js";
import type { SqlRunner } from "./sql-runner.js";
import type { StepResult } from "./step-result.js";
import type { IndexName } from "./table-index.js";

export type TransformProgress =
  | { phase: "read"; objectsDone: number; objectsTotal: number; bytesRead: number }
  | { phase: "validate" | "write" | "commit" };

/**
 * What the later steps number records by: a raw object, or a piece of a big one (`obj` in every table).
 * Pieces of one object are numbered in order, so (obj, line) still orders records as they arrived; a
 * reject's line in its object is `firstLine + line`.
 */
interface ObjectPart {
  readonly obj: number;
  readonly key: string;
  /** Lines of the object before this piece. */
  readonly firstLine: number;
  /** Whether the file holds gunzipped text (a `.gz` object), not the object's own bytes. */
  readonly gunzipped: boolean;
}

/**
 * What every step of one run shares: where to read and write, the run's clock, its DuckDB session, and
 * its tallies. Steps take it, add tables to the DuckDB session (each created from its declaration,
 * table-definition.ts) and return what they found, wrote or rejected (`StepResult`).
 */
export interface RunContext {
  readonly storage: Storage;
  readonly config: TransformConfig;
  readonly runId: string;
  readonly startedAt: Date;
  /** processed_timestamp and the future check use it (`--now` pins it). */
  readonly processingTime: Date;
  readonly fullRefresh: boolean;
  /** This run's scratch folder (removed when the run ends). */
  readonly scratch: string;
  /** The per-record path's staging file (staging-writer.ts), in the scratch folder; it may not exist. */
  readonly stagingPath: string;
  /** Local copies of objects DuckDB must read (in place for a local warehouse). */
  readonly cache: LocalFileCache;
  readonly sql: SqlRunner;
  readonly onProgress: (event: TransformProgress) => void;
  /** The table as the last commit left it: what this run's commit replaces or adds to. */
  readonly previous: TableSnapshot;
  /** What the run builds on (dedup, session counts, indexes): `previous`, or an empty table for a full refresh. */
  readonly baseline: TableSnapshot;
  readonly bookmark: Bookmark;
  /** The bookmark was read from its legacy key, which the commit deletes. */
  readonly legacyBookmark: boolean;
  /** Arrival notices read before the listing; the commit clears them. */
  readonly notices: ArrivalNotices;
  /** The raw objects this run reads, in processing order (`discovery.sources`). */
  readonly sources: readonly SourceObject[];
  /** What the listing found besides: folder times, sealed folders listed again, entries not files. */
  readonly discovery: Discovery;
  /** What records are numbered by (`obj`): the sources, big ones cut in pieces; the frame step fills it. */
  readonly parts: ObjectPart[];
  /** Records rejected before DuckDB judged them; the steps that find them count them. */
  readonly rejects: FramingRejects;
  readonly tally: RunTally;
  /** What the commit publishes; steps add to it. */
  readonly manifest: CommitManifest;
  /** What steps leave for later ones besides DuckDB tables. */
  readonly outputs: RunOutputs;
}

/** Files and indexes the write and index steps leave for the commit, and the report the last commit stored. */
interface RunOutputs {
  /** Partition → data files this run adds (staged; the commit publishes them). */
  readonly added: Map<string, TableFile[]>;
  /** Keys of data files replaced by rewritten copies (they leave the table at the commit). */
  readonly replaced: string[];
  /** Partition → sessions table files this run adds (staged), and the keys of those it replaces. */
  readonly sessionsAdded: Map<string, TableFile[]>;
  readonly sessionsReplaced: string[];
  /** The indexes as the next snapshot lists them (the index step sets them). */
  indexes: Record<IndexName, IndexFile[]>;
  /** Index files the merges replaced (to the trash). */
  readonly replacedIndexes: TrashEntry[];
  /** The run report, built once by the step that stores it (the last commit). */
  report?: RunReport;
}

/** One step of a run: reads and adds to the context, returns its counts. */
export type Step = (ctx: RunContext) => Promise<StepResult>;

/**
 * Counts kept while the run goes. Records found, written and rejected change only by the steps' results
 * (`add`); bytes, rewrites, partitions and unknown fields are set by the steps that see them.
 */
export class RunTally {
  private found = 0;
  private writtenRows = 0;
  private readonly rejectedByReason: Record<RejectReason, number> = Object.fromEntries(
    rejectReasonCodes.map((r) => [r, 0]),
  ) as Record<RejectReason, number>;
  bytesRead = 0;
  bytesWritten = 0;
  rowsRewritten = 0;
  filesRewritten = 0;
  unknownFields: Record<string, number> = {};
  unknownFieldsOmitted = 0;
  /** Wall time per step (ms): where a run's time goes, in its report. */
  readonly stepsMs: Record<string, number> = {};
  readonly partitionsWritten = new Set<string>();
  readonly errorObjects: string[] = [];

  /** Adds what a step counted. */
  add(result: StepResult): void {
    this.found += result.found ?? 0;
    this.writtenRows += result.written ?? 0;
    for (const [reason, n] of Object.entries(result.rejected ?? {}) as [RejectReason, number][]) {
      this.rejectedByReason[reason] += n;
    }
  }

  /** Records found in the raw objects (each later written or rejected). */
  get recordsFound(): number {
    return this.found;
  }

  get written(): number {
    return this.writtenRows;
  }

  get rejected(): Readonly<Record<RejectReason, number>> {
    return this.rejectedByReason;
  }

  get rejectedTotal(): number {
    return Object.values(this.rejectedByReason).reduce((a, b) => a + b, 0);
  }
}

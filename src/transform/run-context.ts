import type { TransformConfig } from "../config/config-schema.js";
import { rejectReasonCodes, type RejectReason } from "../contract/data-contract.js";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import type { Bookmark } from "../table/bookmark-store.js";
import type { CommitManifest } from "../table/commit-log.js";
import type { TableSnapshot } from "../table/table-snapshot.js";
import type { Discovery, SourceObject } from "./discover-step.js";
import type { SqlRunner } from "./sql-runner.js";

export type TransformProgress =
  | { phase: "read"; objectsDone: number; objectsTotal: number; bytesRead: number }
  | { phase: "validate" | "write" | "commit" };

/**
 * What the later steps number records by: a raw object, or a piece of a big one (`obj` in every table).
 * Pieces of one object are numbered in order, so (obj, line) still orders records as they arrived; a
 * reject's line in its object is `firstLine + line`.
 */
export interface ObjectPart {
  readonly obj: number;
  readonly key: string;
  /** Lines of the object before this piece. */
  readonly firstLine: number;
  /** Whether the file holds gunzipped text (a `.gz` object), not the object's own bytes. */
  readonly gunzipped: boolean;
}

/**
 * What every step of one run shares: where to read and write, the run's clock, its DuckDB session, and
 * its tallies. Steps take it, add tables to the DuckDB session (each step declares the columns of the
 * tables it makes) and count what they find or drop where they find or drop it.
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
  /** Local copies of objects DuckDB must read (in place for a local warehouse). */
  readonly cache: LocalFileCache;
  readonly sql: SqlRunner;
  readonly onProgress: (event: TransformProgress) => void;
  /** The table as the last committed run left it (an empty one for a full refresh). */
  readonly snapshot: TableSnapshot;
  readonly bookmark: Bookmark;
  /** The raw objects this run reads, in processing order (`discovery.sources`). */
  readonly sources: readonly SourceObject[];
  /** What the listing found besides: folder times, sealed folders listed again, entries not files. */
  readonly discovery: Discovery;
  /** What records are numbered by (`obj`): the sources, big ones cut in pieces; the frame step fills it. */
  readonly parts: ObjectPart[];
  readonly tally: RunTally;
  /** What the commit publishes; steps add to it. */
  readonly manifest: CommitManifest;
}

/** Counts kept while the run goes: records found, rejects by reason, bytes, unknown fields. */
export class RunTally {
  /** Records found in the raw objects (each later written or rejected). */
  recordsFound = 0;
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(
    rejectReasonCodes.map((r) => [r, 0]),
  ) as Record<RejectReason, number>;
  bytesRead = 0;
  bytesWritten = 0;
  written = 0;
  rowsRewritten = 0;
  filesRewritten = 0;
  unknownFields: Record<string, number> = {};
  unknownFieldsOmitted = 0;
  /** Wall time per step (ms): where a run's time goes, in its report. */
  readonly stepsMs: Record<string, number> = {};
  readonly partitionsWritten = new Set<string>();
  readonly errorObjects: string[] = [];

  reject(reason: RejectReason, count = 1): void {
    this.rejected[reason] += count;
  }

  get rejectedTotal(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }
}

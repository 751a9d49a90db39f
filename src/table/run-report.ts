import type { RejectReason } from "../contract/data-contract.js";

/** What a transform run did; printed with --json and kept under `_state/transform/runs/`. */
export interface RunReport {
  /** Which engine ran (the Glue job and `--engine spark` write the same report). */
  engine: "local" | "spark" | "glue";
  runId: string;
  status: "succeeded" | "no_new_data";
  fullRefresh: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The processing time: processed_timestamp and the future-timestamp check use it. */
  processingTime: string;
  objectsProcessed: number;
  /** read = written + rejected, counted where records are found and where they are written or dropped. */
  records: { read: number; written: number; rejected: number };
  rejectedByReason: Record<RejectReason, number>;
  /** Fields not in the contract, dropped from written records, counted per name (the most frequent ones). */
  unknownFields: Record<string, number>;
  /** Distinct unknown field names left out of `unknownFields` (the contract caps the list). */
  unknownFieldsOmitted: number;
  /** Partitions (year=YYYY/month=MM/day=DD) that gained or rewrote files. */
  partitionsWritten: string[];
  /** Rows already in the table whose event_sequence changed because a late event joined their session. */
  rowsRewritten: number;
  /** Existing data files rewritten for that (only the files holding such rows). */
  filesRewritten: number;
  /** Partitions the run compacted after its commit (too many small files). */
  partitionsCompacted: string[];
  bytesRead: number;
  bytesWritten: number;
  /** Keys of the errors/ objects this run wrote. */
  errorObjects: string[];
  /**
   * Objects found in sealed day folders (uploaded after their folder left the look-back window: a
   * backfill, a late upload), processed by this run, and the folders (YYYY-MM-DD). Local engine only.
   */
  lateObjects?: { found: number; folders: string[] };
  /** Entries in raw/ that are neither files nor folders (symbolic links, FIFOs): not read (first 100 keys). */
  notFiles?: { count: number; keys: string[] };
  /** Wall time of each step (ms), local engine only: where the run's time went (the stored report's stops before the commit). */
  stepsMs?: Record<string, number>;
}

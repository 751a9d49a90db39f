import { rejectReasonCodes as rejectReasons, type RejectReason } from "../contract/data-contract.js";

/** What a transform run did; printed with --json and kept under `_state/transform/runs/`. */
export interface RunReport {
  runId: string;
  status: "succeeded" | "no_new_data";
  fullRefresh: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The processing time: processed_timestamp and the future-timestamp check use it. */
  processingTime: string;
  objectsProcessed: number;
  records: { read: number; written: number; rejected: number };
  rejectedByReason: Record<RejectReason, number>;
  /** Fields not in the contract, dropped from written records, counted per name. */
  unknownFields: Record<string, number>;
  /** Partitions (year=YYYY/month=MM/day=DD) whose files were (re)written. */
  partitionsWritten: string[];
  /** Rows rewritten in place because late or new events changed their session's sequence. */
  rowsRewritten: number;
  bytesRead: number;
  bytesWritten: number;
  /** Keys of the errors/ objects this run wrote. */
  errorObjects: string[];
}

export function emptyReasonCounts(): Record<RejectReason, number> {
  return Object.fromEntries(rejectReasons.map((r) => [r, 0])) as Record<RejectReason, number>;
}

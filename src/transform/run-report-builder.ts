import type { RunReport } from "../table/run-report.js";
import type { RunContext } from "./run-context.js";

/** The run report from the context's tallies; the step that stores it builds it (once). */
export function buildRunReport(
  ctx: RunContext,
  status: RunReport["status"],
  partitionsCompacted: readonly string[],
): RunReport {
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
    partitionsCompacted: [...partitionsCompacted],
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

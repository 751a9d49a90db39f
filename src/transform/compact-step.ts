import { join } from "node:path";
import { emptySnapshot } from "../table/table-snapshot.js";
import { reportFiles } from "./commit-step.js";
import { compactPartitions } from "./compact-partitions.js";
import type { RunContext, StepResult } from "./run-context.js";
import { buildRunReport } from "./run-report-builder.js";

/**
 * Step 10, compact: partitions the commit left with many small files are merged, in a commit of its own
 * (compact-partitions.ts), which also stores the run report: the run's last commit holds it.
 */
export async function compactAfterRun(ctx: RunContext): Promise<StepResult> {
  const { outputs } = ctx;
  if (outputs.report) return {}; // the run's commit left nothing to merge and stored the report
  await compactPartitions({
    storage: ctx.storage,
    config: ctx.config,
    sql: ctx.sql,
    cache: ctx.cache,
    scratch: join(ctx.scratch, "compaction"),
    runId: `${ctx.runId}-compact`,
    snapshot: ctx.manifest.snapshot ?? emptySnapshot,
    partitions: "auto",
    stateFiles: (compacted) => {
      outputs.report = buildRunReport(
        ctx,
        "succeeded",
        compacted.map((c) => c.partition),
      );
      return reportFiles(outputs.report);
    },
  });
  return {};
}

import { ClickstreamError } from "../errors/clickstream-error.js";
import type { RunContext, StepResult } from "./run-context.js";

/**
 * Records read = written + rejected, each counted by the step that found, wrote or dropped it: a record
 * lost anywhere fails the run here, before its commit.
 */
export async function checkBalance(ctx: RunContext): Promise<StepResult> {
  const { tally } = ctx;
  if (tally.recordsFound !== tally.written + tally.rejectedTotal) {
    throw new ClickstreamError(
      "CS_ERR_INTERNAL",
      `records read ${tally.recordsFound} ≠ written ${tally.written} + rejected ${tally.rejectedTotal}; nothing was committed`,
    );
  }
  return Promise.resolve({});
}

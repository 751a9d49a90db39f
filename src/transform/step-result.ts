import type { RejectReason } from "../contract/data-contract.js";

/** What one step counted, where it counted it: records found, written, rejected by reason. */
export interface StepResult {
  /** Records found in the raw objects (net of placeholders an earlier step counted and this one re-framed). */
  readonly found?: number;
  readonly written?: number;
  readonly rejected?: Partial<Record<RejectReason, number>>;
}

/** Several counts as one step's result. */
export function combinedResult(...results: readonly StepResult[]): StepResult {
  const rejected: Partial<Record<RejectReason, number>> = {};
  for (const r of results) {
    for (const [reason, n] of Object.entries(r.rejected ?? {}) as [RejectReason, number][]) {
      rejected[reason] = (rejected[reason] ?? 0) + n;
    }
  }
  return {
    found: results.reduce((sum, r) => sum + (r.found ?? 0), 0),
    written: results.reduce((sum, r) => sum + (r.written ?? 0), 0),
    rejected,
  };
}

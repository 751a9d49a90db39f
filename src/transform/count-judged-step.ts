import { limits, type RejectReason } from "../contract/data-contract.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { RunContext, StepResult } from "./run-context.js";

/**
 * Step 4e, count: the framing rejects join DuckDB's tables (`framing_rejects`); the rule rejects are
 * counted by reason and the unknown fields by name. Every record found must be in `judged` or among the
 * framing rejects: a record lost between framing and the tables fails the run before it commits anything.
 */
export async function countJudged(ctx: RunContext): Promise<StepResult> {
  const { sql, tally } = ctx;
  await ctx.rejects.writeTable(sql);
  const rejected: Partial<Record<RejectReason, number>> = {};
  for (const row of await sql.rows(
    `SELECT reason, count(*)::BIGINT AS n FROM judged WHERE reason IS NOT NULL GROUP BY reason`,
  )) {
    rejected[row.reason as RejectReason] = Number(row.n);
  }
  const [counts] = await sql.rows(`SELECT count(*)::BIGINT AS total,
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
  return { rejected };
}

import { contract } from "../contract/data-contract.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";
import { indexPaths, probedIndex } from "./table-index.js";

/** The records that lose to an earlier arrival of their event_id. */
export const losersTable = defineTable("losers", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  event_id: "VARCHAR",
  earlier_run: "BOOLEAN",
});

const duplicateMessage = contract.reasons.find((r) => r.code === "duplicate")!.message;

/**
 * Step 5, dedupe: first arrival wins. Within the run, arrival is (object in key order, line, place on
 * the line); against earlier runs, whatever they wrote wins. Earlier runs are found through the id
 * index (a probe, not a scan of the table). Losers become `duplicate` rejects, counted here.
 */
export async function dedupeRecords(ctx: RunContext): Promise<StepResult> {
  const { sql, baseline, storage, cache } = ctx;
  // Only ids that occur twice need ranking: a window over every row would sort them all.
  await losersTable.create(sql);
  await sql.run(`INSERT INTO losers
    SELECT obj, line, sub, event_id, false AS earlier_run FROM (
      SELECT obj, line, sub, event_id, row_number() OVER (PARTITION BY event_id ORDER BY obj, line, sub) AS arrival
      FROM judged
      WHERE reason IS NULL
        AND event_id IN (SELECT event_id FROM judged WHERE reason IS NULL GROUP BY event_id HAVING count(*) > 1))
    WHERE arrival > 1`);

  const files = ctx.fullRefresh ? [] : (baseline.indexes.ids ?? []);
  if (files.length > 0) {
    await sql.run(`CREATE TABLE run_ids AS
      SELECT DISTINCT event_id, md5_number_upper(event_id) AS h1, md5_number_lower(event_id) AS h2
      FROM judged WHERE reason IS NULL`);
    const index = await probedIndex(sql, await indexPaths(storage, cache, files), "run_ids");
    const horizon = horizonDate(ctx);
    await sql.run(
      `INSERT INTO losers
       SELECT j.obj, j.line, j.sub, j.event_id, true FROM judged j
       WHERE j.reason IS NULL AND j.event_id IN (
         SELECT r.event_id FROM run_ids r JOIN ${index.sql} i ON i.h1 = r.h1 AND i.h2 = r.h2
         ${horizon ? "WHERE i.event_date >= $horizon::DATE" : ""})
         AND NOT EXISTS (SELECT 1 FROM losers l WHERE l.obj = j.obj AND l.line = j.line AND l.sub = j.sub)`,
      horizon ? { ...index.values, horizon } : index.values,
    );
  }

  const [row] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM losers`);
  const n = Number(row!.n);
  if (n === 0) return {};
  await sql.run(
    `UPDATE judged SET reason = 'duplicate', field = 'event_id',
       message = CASE WHEN l.earlier_run THEN replace($across, '{id}', l.event_id) ELSE replace($within, '{id}', l.event_id) END
     FROM losers l WHERE judged.obj = l.obj AND judged.line = l.line AND judged.sub = l.sub`,
    { within: duplicateMessage, across: contract.duplicateAcrossRunsMessage },
  );
  return { rejected: { duplicate: n } };
}

/** With a dedup horizon, the earliest event date whose ids still count (YYYY-MM-DD); else null. */
export function horizonDate(ctx: RunContext): string | null {
  const days = ctx.config.dedupHorizonDays;
  if (days === 0) return null;
  return new Date(ctx.processingTime.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

import { stagingPrefix } from "../table/commit-log.js";
import type { IndexFile } from "../table/table-snapshot.js";
import type { RunContext, StepResult } from "./run-context.js";
import {
  indexFileKey,
  indexPaths,
  mergedRelation,
  mergePlan,
  scratchIndexPath,
  tierOf,
  writeIndexFile,
  type BoundRelation,
  type IndexName,
} from "./table-index.js";
import { horizonDate } from "./dedupe-step.js";

/** This run's additions to the id and session indexes, as relations over the run's tables. */
const runIdsSql = `(SELECT md5_number_upper(event_id) AS h1, md5_number_lower(event_id) AS h2,
  event_time::DATE AS event_date FROM judged WHERE reason IS NULL)`;

/** Each touched session's state after this run: what it held before plus what the run adds. */
const runSessionsSql = `(
  SELECT t.h1, t.h2, n.session_id,
    coalesce(b.events, 0) + n.events AS events,
    greatest(n.last, CASE WHEN b.session_id IS NULL THEN NULL ELSE {'t': b.last_time, 'i': b.last_id} END).t AS last_time,
    greatest(n.last, CASE WHEN b.session_id IS NULL THEN NULL ELSE {'t': b.last_time, 'i': b.last_id} END).i AS last_id,
    least(b.first_date, n.first_date) AS first_date,
    greatest(b.last_date, n.last_date) AS last_date,
    $version::BIGINT AS version
  FROM (
    SELECT session_id, count(*) AS events, max({'t': event_time, 'i': event_id}) AS last,
      min(event_time)::DATE AS first_date, max(event_time)::DATE AS last_date
    FROM judged WHERE reason IS NULL AND session_id IS NOT NULL GROUP BY session_id) n
  JOIN touched_sessions t USING (session_id)
  LEFT JOIN sessions_before b USING (session_id))`;

/**
 * Step 8, index: this run's entries of the id and session indexes as one small file each, then the
 * merges of full tiers (table-index.ts). Leaves the indexes as the snapshot will list them and the
 * index files they replace (to the trash) in `ctx.outputs`.
 */
export async function indexRun(ctx: RunContext): Promise<StepResult> {
  const { baseline } = ctx;
  // Session states carry the commit that wrote them: the newest wins when index files merge.
  const version = ctx.previous.commits + 1;
  const base: Record<IndexName, IndexFile[]> = {
    ids: ctx.fullRefresh ? [] : [...(baseline.indexes.ids ?? [])],
    sessions: ctx.fullRefresh ? [] : [...(baseline.indexes.sessions ?? [])],
  };
  const replaced = ctx.outputs.replacedIndexes;
  if (ctx.fullRefresh) {
    for (const f of [...(baseline.indexes.ids ?? []), ...(baseline.indexes.sessions ?? [])]) {
      replaced.push({ bucket: "state", key: f.key, after: "" });
    }
  }
  // New files stay in the scratch folder until the merges are done: a merge may consume them.
  const pending = new Map<string, string>(); // index key → scratch path
  let n = 0;
  const write = async (name: IndexName, relation: BoundRelation): Promise<void> => {
    const path = scratchIndexPath(ctx.scratch, name, n);
    const rows = await writeIndexFile(ctx.sql, relation, path);
    const key = indexFileKey(name, ctx.runId, n++);
    if (rows === 0) return;
    pending.set(key, path);
    base[name].push({ key, rows, tier: tierOf(rows) });
  };
  await write("ids", { sql: runIdsSql, values: {} });
  await write("sessions", { sql: runSessionsSql, values: { version } });

  // Merge every full tier; a merge can fill the next tier, so repeat.
  for (const name of ["ids", "sessions"] as const) {
    for (let groups = mergePlan(base[name]); groups.length > 0; groups = mergePlan(base[name])) {
      for (const files of groups) {
        const published = files.filter((f) => !pending.has(f.key));
        const paths = [
          ...(await indexPaths(ctx.storage, ctx.cache, published)),
          ...files.filter((f) => pending.has(f.key)).map((f) => pending.get(f.key)!),
        ];
        const keys = new Set(files.map((f) => f.key));
        base[name] = base[name].filter((f) => !keys.has(f.key));
        for (const f of published) replaced.push({ bucket: "state", key: f.key, after: "" });
        for (const f of files) pending.delete(f.key);
        await write(name, mergedRelation(name, paths, name === "ids" ? horizonDate(ctx) : null));
      }
    }
  }
  for (const [key, path] of pending) {
    const staged = `${stagingPrefix("state", ctx.runId)}${key.slice("_state/".length)}`;
    await ctx.storage.moveFileIn("state", staged, path);
    ctx.manifest.publish.push({ bucket: "state", from: staged, to: key });
  }
  ctx.outputs.indexes = base;
  return {};
}

import { join } from "node:path";
import { DuckDBListValue, quotedIdentifier, quotedString } from "@duckdb/node-api";
import { transformedColumns } from "../contract/data-contract.js";
import { dataKey, sessionsKey } from "../table/table-snapshot.js";
import type { RunContext } from "./run-context.js";
import { eventPartialRowsSql, mergedSessionsSql, sessionColumnListSql } from "./session-rows-sql.js";
import { stagePartitionFiles } from "./stage-partition-files.js";
import type { StepResult } from "./step-result.js";
import {
  parquetCompressionSql,
  partitionColumnsFrom,
  partitionListSql,
  partitionPathSql,
} from "./table-format-sql.js";

/** Sessions merged by one statement at most (a few hundred bytes of aggregate state each). */
const SESSIONS_PER_BATCH = 250_000;

/**
 * Step 8, sessions: the sessions table's rows for every session this run's accepted events belong to,
 * staged for the same commit as the events, so a reader sees both tables at one version. A session the
 * table already holds is merged with its new events (a late event updates its row, and may move it to
 * an earlier day). Only the partitions those rows start in, before or after the merge, are rewritten:
 * each becomes one file of its untouched rows plus the merged ones. A snapshot from before the table
 * existed gets it built from every event once.
 */
export async function writeSessions(ctx: RunContext): Promise<StepResult> {
  const { sql, baseline } = ctx;
  const previous = baseline.sessions;
  const rebuild = previous === undefined;
  const newEvents = `(SELECT * FROM judged WHERE reason IS NULL)`;

  // The partitions to rewrite: where touched sessions started before, and where their new events start.
  const touchedPartitions = rebuild
    ? []
    : (
        await sql.rows(
          `SELECT DISTINCT ${partitionPathSql} AS p FROM (
            SELECT ${partitionColumnsFrom("first_date")} FROM sessions_before
            UNION ALL
            SELECT ${partitionColumnsFrom("start_time")} FROM (
              SELECT min(event_time) AS start_time FROM ${newEvents}
              WHERE session_id IS NOT NULL GROUP BY session_id))`,
        )
      ).map((r) => String(r.p));
  if (!rebuild && touchedPartitions.length === 0) return {};

  const oldFiles = touchedPartitions.flatMap((partition) =>
    (previous?.[partition] ?? []).map((file) => ({ key: sessionsKey(partition, file.name), file })),
  );
  const oldPaths: string[] = [];
  for (const { key, file } of oldFiles) {
    oldPaths.push(await ctx.cache.path("transformed", { key, size: file.bytes, lastModified: new Date(0) }));
  }
  await sql.run(
    oldPaths.length === 0
      ? `CREATE TEMP TABLE sessions_old AS SELECT * FROM ${mergedSessionsSql(eventPartialRowsSql(newEvents))} WHERE false`
      : `CREATE TEMP TABLE sessions_old AS
         SELECT ${sessionColumnListSql} FROM read_parquet($paths, hive_partitioning = false)`,
    oldPaths.length === 0 ? {} : { paths: new DuckDBListValue(oldPaths) },
  );

  // Partial rows of the sessions to merge: their rows so far, and one per event (every event of the
  // table when the table is built for the first time).
  const partials = [
    `SELECT * FROM sessions_old WHERE session_id IN (SELECT session_id FROM touched_sessions)`,
    `SELECT * FROM ${eventPartialRowsSql(newEvents)}`,
  ];
  const values: Record<string, DuckDBListValue> = {};
  if (rebuild) {
    const eventPaths: string[] = [];
    for (const [partition, files] of Object.entries(baseline.partitions)) {
      for (const file of files) {
        eventPaths.push(
          await ctx.cache.path("transformed", {
            key: dataKey(partition, file.name),
            size: file.bytes,
            lastModified: new Date(0),
          }),
        );
      }
    }
    if (eventPaths.length > 0) {
      values.event_paths = new DuckDBListValue(eventPaths);
      const files = `read_parquet($event_paths, hive_partitioning = false, union_by_name = true)`;
      // Files of an older release may lack a column: it reads as NULL.
      const present = new Set(
        (await sql.rows(`DESCRIBE SELECT * FROM ${files}`, { event_paths: values.event_paths })).map((r) =>
          String(r.column_name),
        ),
      );
      const columns = transformedColumns
        .map(({ name, duckdb }) =>
          present.has(name) ? quotedIdentifier(name) : `NULL::${duckdb} AS ${quotedIdentifier(name)}`,
        )
        .join(", ");
      partials.push(`SELECT * FROM ${eventPartialRowsSql(`(SELECT ${columns} FROM ${files})`)}`);
    }
  }
  // Merged in batches of sessions (by hash), so the aggregate's memory stays bounded however many
  // sessions a run touches; each batch writes its own file per partition.
  const [touched] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM touched_sessions`);
  const indexed = rebuild ? (baseline.indexes.sessions ?? []).reduce((sum, f) => sum + f.rows, 0) : 0;
  const batches = Math.max(1, Math.ceil((Number(touched!.n) + indexed) / SESSIONS_PER_BATCH));
  const outDir = join(ctx.scratch, "sessions");
  for (let batch = 0; batch < batches; batch++) {
    const inBatch = batches === 1 ? "" : `WHERE hash(session_id) % ${batches} = ${batch}`;
    const of = (relation: string) => `(SELECT * FROM ${relation} ${inBatch})`;
    await sql.run(
      `COPY (
        SELECT *, ${partitionColumnsFrom("start_time")} FROM (
          SELECT * FROM ${of("sessions_old")} WHERE session_id NOT IN (SELECT session_id FROM touched_sessions)
          UNION ALL
          SELECT * FROM ${mergedSessionsSql(of(`(${partials.join(" UNION ALL BY NAME ")})`))})
        ORDER BY start_time, session_id)
       TO $out_dir (FORMAT parquet, ${parquetCompressionSql}, PARTITION_BY (${partitionListSql}),
         OVERWRITE_OR_IGNORE, FILENAME_PATTERN ${quotedString(`sessions-${ctx.runId}-${batch}-{i}`)})`,
      { ...values, out_dir: outDir },
    );
  }

  const { sessionsAdded, sessionsReplaced } = ctx.outputs;
  sessionsReplaced.push(...oldFiles.map((f) => f.key));
  for (const { partition, file } of await stagePartitionFiles(ctx, outDir, "sessions")) {
    sessionsAdded.set(partition, [...(sessionsAdded.get(partition) ?? []), file]);
  }
  return {};
}

import { DuckDBListValue } from "@duckdb/node-api";
import { dataKey, type TableFile } from "../table/table-snapshot.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";
import { indexPaths, probedIndex } from "./table-index.js";

/** What the table held of each session this run touches. */
export const sessionsBeforeTable = defineTable("sessions_before", {
  session_id: "VARCHAR",
  events: "BIGINT",
  last_time: "TIMESTAMP",
  last_id: "VARCHAR",
  first_date: "DATE",
  last_date: "DATE",
});

/**
 * The run's accepted records with their event_sequence, as a relation over `judged` (alias `j`): a
 * session's count continues from what the table held; late sessions take their resequenced numbers.
 * Not materialised: the write step streams it into Parquet.
 */
export const sequencedRowsSql = `(
  SELECT j.*,
    CASE WHEN j.session_id IS NULL THEN NULL
         WHEN s.event_sequence IS NOT NULL THEN s.event_sequence
         ELSE coalesce(b.events, 0) + row_number() OVER (PARTITION BY j.session_id ORDER BY j.event_time, j.event_id)
    END::BIGINT AS event_sequence
  FROM judged j
  LEFT JOIN sessions_before b ON b.session_id = j.session_id
  LEFT JOIN late_sequence s ON s.origin = 'new' AND s.obj = j.obj AND s.line = j.line AND s.sub = j.sub
  WHERE j.reason IS NULL)`;

/** Old rows whose event_sequence changes (key: file and row within it). */
export const rewritesTable = defineTable("rewrites", {
  file_key: "VARCHAR",
  event_id: "VARCHAR",
  event_sequence: "BIGINT",
});

/** The files holding such rows, and their local paths: the write step rewrites them. */
export const filesToRewriteTable = defineTable("files_to_rewrite", { file_key: "VARCHAR", path: "VARCHAR" });

/** Data files in the date range of the late sessions, which may hold their rows. */
export const candidateFilesTable = defineTable("candidate_files", { file_key: "VARCHAR", path: "VARCHAR" });

/** Late sessions numbered whole: their old rows (`old`, by file) and this run's (`new`, by record). */
export const lateSequenceTable = defineTable("late_sequence", {
  origin: "VARCHAR",
  file_key: "VARCHAR",
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  event_id: "VARCHAR",
  event_sequence: "BIGINT",
  old_sequence: "BIGINT",
});

/**
 * Step 6, sequence: event_sequence over whole sessions, across runs. The session index says, for each
 * session this run touches, how many events the table holds and its last (event_time, event_id). Events
 * that come after that (the normal case) simply continue the count: nothing written before changes.
 * A session that gains an event sorting before its last one (a late event) is resequenced whole: its
 * rows are found in the partitions of its date range, and the files holding them are rewritten
 * (`rewrites`, `files_to_rewrite`); other files stay untouched.
 */
export async function sequenceEvents(ctx: RunContext): Promise<StepResult> {
  const { sql, baseline, storage, cache } = ctx;
  await sql.run(`CREATE TABLE touched_sessions AS
    SELECT session_id, md5_number_upper(session_id) AS h1, md5_number_lower(session_id) AS h2
    FROM judged WHERE reason IS NULL AND session_id IS NOT NULL GROUP BY session_id`);
  await sessionsBeforeTable.create(sql);
  const files = ctx.fullRefresh ? [] : (baseline.indexes.sessions ?? []);
  if (files.length > 0) {
    const index = await probedIndex(sql, await indexPaths(storage, cache, files), "touched_sessions");
    await sql.run(
      `INSERT INTO sessions_before
      SELECT t.session_id, arg_max(i.events, i.version), arg_max(i.last_time, i.version),
        arg_max(i.last_id, i.version), arg_max(i.first_date, i.version), arg_max(i.last_date, i.version)
      FROM touched_sessions t JOIN ${index.sql} i ON i.h1 = t.h1 AND i.h2 = t.h2
      GROUP BY t.session_id`,
      index.values,
    );
  }

  // Sessions with an event sorting before what the table already holds of them.
  await sql.run(`CREATE TABLE late_sessions AS
    SELECT DISTINCT j.session_id FROM judged j JOIN sessions_before b USING (session_id)
    WHERE j.reason IS NULL AND (j.event_time < b.last_time OR (j.event_time = b.last_time AND j.event_id < b.last_id))`);
  const late = Number((await sql.rows(`SELECT count(*)::BIGINT AS n FROM late_sessions`))[0]!.n);

  await rewritesTable.create(sql);
  await filesToRewriteTable.create(sql);
  await lateSequenceTable.create(sql);
  if (late === 0) return {};

  // Late: find the files holding rows of late sessions, within each session's date range.
  const [range] = await sql.rows(`SELECT min(b.first_date)::VARCHAR AS lo, max(b.last_date)::VARCHAR AS hi
    FROM late_sessions l JOIN sessions_before b USING (session_id)`);
  const candidates: { key: string; file: TableFile }[] = [];
  for (const [partition, entries] of Object.entries(baseline.partitions)) {
    const day = partition.replace(/^year=(\d{4})\/month=(\d{2})\/day=(\d{2})$/, "$1-$2-$3");
    if (day < String(range!.lo) || day > String(range!.hi)) continue;
    for (const file of entries) candidates.push({ key: dataKey(partition, file.name), file });
  }
  if (candidates.length === 0) return {};
  await candidateFilesTable.create(sql);
  const rows: [string, string][] = [];
  for (const c of candidates) {
    rows.push([
      c.key,
      await cache.path("transformed", { key: c.key, size: c.file.bytes, lastModified: new Date(0) }),
    ]);
  }
  await candidateFilesTable.append(sql, rows);
  await sql.run(
    `CREATE TABLE late_old_rows AS
    SELECT c.file_key, o.event_id, o.session_id, o.event_time, o.event_sequence
    FROM read_parquet($paths, filename = true) o JOIN candidate_files c ON c.path = o.filename
    WHERE o.session_id IN (SELECT session_id FROM late_sessions)`,
    { paths: new DuckDBListValue(rows.map(([, p]) => p)) },
  );

  // Resequence late sessions whole: their old rows and this run's together.
  await sql.run(`INSERT INTO late_sequence
    SELECT origin, file_key, obj, line, sub, event_id,
      row_number() OVER (PARTITION BY session_id ORDER BY event_time, event_id)::BIGINT AS event_sequence, old_sequence
    FROM (
      SELECT 'old' AS origin, file_key, NULL::INTEGER AS obj, NULL::INTEGER AS line, NULL::INTEGER AS sub,
        event_id, session_id, event_time, event_sequence AS old_sequence FROM late_old_rows
      UNION ALL
      SELECT 'new', NULL, obj, line, sub, event_id, session_id, event_time, NULL
      FROM judged WHERE reason IS NULL AND session_id IN (SELECT session_id FROM late_sessions))`);
  await sql.run(`INSERT INTO rewrites SELECT file_key, event_id, event_sequence FROM late_sequence
    WHERE origin = 'old' AND event_sequence IS DISTINCT FROM old_sequence`);
  // Only files holding a row whose value changes are rewritten.
  await sql.run(`INSERT INTO files_to_rewrite SELECT DISTINCT c.file_key, c.path FROM candidate_files c
    WHERE c.file_key IN (SELECT file_key FROM rewrites)`);
  ctx.tally.rowsRewritten = Number((await sql.rows(`SELECT count(*)::BIGINT AS n FROM rewrites`))[0]!.n);
  return {};
}

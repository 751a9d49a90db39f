import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBListValue, quotedIdentifier, quotedString } from "@duckdb/node-api";
import { contract, limits, transformedColumns } from "../contract/data-contract.js";
import { datePartitionPath } from "../storage/warehouse-layout.js";
import { stagingPrefix } from "../table/commit-log.js";
import { judgeBatchBytes, linesSql, textFileBatches, textFileValues } from "./judge-step.js";
import type { RunContext } from "./run-context.js";
import type { StepResult } from "./step-result.js";
import { sequencedRowsSql } from "./sequence-step.js";
import { stagePartitionFiles } from "./stage-partition-files.js";
import { stagedRecordsSql, stagingValues } from "./staging-writer.js";
import type { SqlRunner } from "./sql-runner.js";
import { defineTable } from "./table-definition.js";
import {
  parquetCompressionSql,
  partitionColumnsSql,
  partitionKeySql,
  partitionListSql,
  partitionNames,
} from "./table-format-sql.js";

/**
 * The contract's columns over a relation holding the judged columns plus event_sequence (alias-free),
 * with is_session_start and processed_timestamp derived.
 */
function outputColumnsSql(): string {
  return transformedColumns
    .map(({ name }) => {
      if (name === "is_session_start") {
        return `CASE WHEN session_id IS NULL THEN NULL ELSE event_sequence = 1 END AS is_session_start`;
      }
      if (name === "processed_timestamp")
        return `(SELECT processed_timestamp FROM run_clock) AS processed_timestamp`;
      return quotedIdentifier(name);
    })
    .join(", ");
}

/**
 * Step 7, write: the run's new rows as new Parquet files in the partitions of their event dates (files
 * already there are not touched), copies of the files whose rows a late event resequenced, and the
 * rejects as one NDJSON object. Everything is staged under `_staging/` for the commit (`ctx.outputs`);
 * the rows written are counted here, from the files.
 */
export async function writeOutputs(ctx: RunContext): Promise<StepResult> {
  const { sql } = ctx;
  ctx.onProgress({ phase: "write" });
  const outDir = join(ctx.scratch, "out");
  await sql.run(`CREATE TABLE run_clock AS SELECT $processed::TIMESTAMP AS processed_timestamp`, {
    processed: ctx.processingTime.toISOString().replace("T", " ").replace("Z", ""),
  });
  await sql.run(
    `CREATE TEMP VIEW output_rows AS SELECT ${outputColumnsSql()}, ${partitionColumnsSql} FROM ${sequencedRowsSql}`,
  );
  // The rows per partition are the valid judged rows': counting them skips the session sequence's window.
  const partitions = `(SELECT ${partitionColumnsSql} FROM judged WHERE reason IS NULL)`;
  await copyPartitions(ctx, "output_rows", outDir, `part-${ctx.runId}-{i}`, partitions);

  const { added, replaced } = ctx.outputs;
  let written = 0;
  const rewriteDir = join(ctx.scratch, "rewritten");
  const rewrites = (await sql.rows(`SELECT file_key, path FROM files_to_rewrite ORDER BY file_key`)) as {
    file_key: string;
    path: string;
  }[];
  for (const [n, { file_key: key, path }] of rewrites.entries()) {
    const partition = key.split("/").slice(1, 4).join("/");
    await mkdir(join(rewriteDir, ...partition.split("/")), { recursive: true });
    const target = join(rewriteDir, ...partition.split("/"), `part-${ctx.runId}-r${n}.parquet`);
    const present = await fileColumns(sql, path);
    const columns = transformedColumns
      .map(({ name, duckdb }) => {
        if (name === "event_sequence")
          return `coalesce(r.event_sequence, o.event_sequence) AS event_sequence`;
        if (name === "is_session_start") {
          return `CASE WHEN o.session_id IS NULL THEN NULL ELSE coalesce(r.event_sequence, o.event_sequence) = 1 END AS is_session_start`;
        }
        // A file written before a column existed (an older release) gets it as NULL.
        return present.has(name)
          ? `o.${quotedIdentifier(name)}`
          : `NULL::${duckdb} AS ${quotedIdentifier(name)}`;
      })
      .join(", ");
    await sql.run(
      `COPY (SELECT ${columns} FROM read_parquet($path) o
        LEFT JOIN (SELECT * FROM rewrites WHERE file_key = $key) r ON r.event_id = o.event_id)
       TO $target (FORMAT parquet, ${parquetCompressionSql})`,
      { path, key, target },
    );
    replaced.push(key);
    ctx.tally.filesRewritten++;
  }

  for (const dir of [outDir, rewriteDir]) {
    const newRows = dir === outDir;
    for (const { partition, file } of await stagePartitionFiles(ctx, dir, "transformed")) {
      added.set(partition, [...(added.get(partition) ?? []), file]);
      ctx.tally.partitionsWritten.add(partition);
      if (newRows) written += file.rows;
    }
  }
  await writeRejects(ctx);
  return { written };
}

/** The columns a Parquet file has. */
async function fileColumns(sql: SqlRunner, path: string): Promise<Set<string>> {
  const rows = await sql.rows(`SELECT name FROM parquet_schema($path)`, { path });
  return new Set(rows.map((r) => String(r.name)));
}

/**
 * Writes rows as Parquet, one folder per partition. DuckDB cannot split files while partitioning, so a
 * partition with more than `maxRowsPerFile` rows is written on its own, split into files of that size:
 * no file grows past a few hundred MB however busy a day is.
 */
async function copyPartitions(
  ctx: RunContext,
  view: string,
  outDir: string,
  pattern: string,
  /** A cheaper relation with the view's partition columns and row counts (default: the view itself). */
  partitionsOf: string = view,
): Promise<void> {
  const { sql } = ctx;
  const maxRows = ctx.config.maxRowsPerFile;
  const rowGroup = Math.min(122_880, maxRows);
  const options = `FORMAT parquet, ${parquetCompressionSql}, ROW_GROUP_SIZE ${rowGroup}, FILENAME_PATTERN ${quotedString(pattern)}`;
  const big = (await sql.rows(
    `SELECT ${partitionListSql} FROM ${partitionsOf} GROUP BY ALL HAVING count(*) > $max`,
    { max: maxRows },
  )) as Record<string, string>[];
  if (big.length === 0) {
    await sql.run(`COPY ${view} TO $out_dir (${options}, PARTITION_BY (${partitionListSql}))`, {
      out_dir: outDir,
    });
    return;
  }
  // The sequence numbers need every row of a session at once: compute them once, then split the writes.
  await sql.run(`CREATE TEMP TABLE output_final AS SELECT * FROM ${view}`);
  const bigKeys = new DuckDBListValue(big.map((p) => partitionNames.map((n) => p[n]).join("-")));
  await sql.run(
    `COPY (SELECT * FROM output_final WHERE NOT list_contains($big, ${partitionKeySql}))
     TO $out_dir (${options}, PARTITION_BY (${partitionListSql}), OVERWRITE_OR_IGNORE)`,
    { big: bigKeys, out_dir: outDir },
  );
  for (const p of big) {
    const dir = join(outDir, ...partitionNames.map((n) => `${n}=${p[n]}`));
    await mkdir(dir, { recursive: true }); // COPY creates the last folder only
    await sql.run(
      `COPY (SELECT * EXCLUDE (${partitionListSql}) FROM output_final WHERE ${partitionKeySql} = $key)
       TO $out_dir (${options}, ROW_GROUPS_PER_FILE ${Math.ceil(maxRows / rowGroup)})`,
      { key: partitionNames.map((n) => p[n]).join("-"), out_dir: dir },
    );
    // File rotation can leave a last file with no rows: it would only cost readers an open.
    const empty = await sql.rows(`SELECT file_name FROM parquet_file_metadata($glob) WHERE num_rows = 0`, {
      glob: `${dir}/*.parquet`,
    });
    for (const row of empty) await rm(String(row.file_name), { force: true });
  }
}

/** Each record's object (or piece of one) by number: a reject names its source key and line there. */
export const sourcesTable = defineTable("sources", { obj: "INTEGER", key: "VARCHAR", first_line: "INTEGER" });

/** One NDJSON object of rejects per run, in source order, under errors/transform/<run date>/. */
async function writeRejects(ctx: RunContext): Promise<void> {
  const { sql, tally } = ctx;
  if (tally.rejectedTotal === 0) return;
  await fillDuplicateRaw(ctx);
  const path = join(ctx.scratch, "rejects.ndjson");
  await sourcesTable.create(sql);
  await sourcesTable.append(
    sql,
    ctx.parts.map((p) => [p.obj, p.key, p.firstLine]),
  );
  const line = rejectLineSql;
  // Lines are complete JSON texts already, so the CSV writer is told to add nothing (no quotes, no escapes).
  await sql.run(
    `COPY (
      SELECT ${line} FROM (
        SELECT obj, line, sub, reason, field, message, raw FROM judged WHERE reason IS NOT NULL
        UNION ALL SELECT obj, line, sub, reason, NULL, message, raw FROM framing_rejects) r
      JOIN sources s USING (obj)
      ORDER BY r.obj, r.line NULLS FIRST, r.sub)
    TO $path (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01')`,
    { path },
  );
  const relativeKey = `transform/${datePartitionPath(ctx.processingTime)}${ctx.runId}.ndjson`;
  const staged = `${stagingPrefix("errors", ctx.runId)}${relativeKey}`;
  const info = await ctx.storage.moveFileIn("errors", staged, path);
  tally.bytesWritten += info.size;
  ctx.manifest.publish.push({ bucket: "errors", from: staged, to: `errors/${relativeKey}` });
  tally.errorObjects.push(`errors/${relativeKey}`);
}

/** Each field of an errors/ line, from the rejects (`r`) and their sources (`s`). */
const rejectValueSql: Readonly<Record<string, string>> = {
  reason: "r.reason",
  field: "r.field",
  message: "r.message",
  source: "s.key",
  line: "r.line + s.first_line",
  raw: `coalesce(left(r.raw, ${limits.maxRejectRawChars}), '')`,
};

/** One errors/ line as JSON, its keys in the contract's `rejectFields` order. */
const rejectLineSql = `to_json({${contract.rejectFields
  .map((field) => {
    const value = rejectValueSql[field];
    if (value === undefined)
      throw new Error(`data contract: reject field ${field} has no value in the transform`);
    return `${quotedString(field)}: ${value}`;
  })
  .join(", ")}})`;

/**
 * Duplicates looked valid, so their text was not carried: read just those records again, from their
 * objects' lines or from the per-record path's staging file.
 */
async function fillDuplicateRaw(ctx: RunContext): Promise<void> {
  const { sql } = ctx;
  await sql.run(`CREATE TEMP TABLE duplicate_lines AS SELECT DISTINCT obj, line FROM judged
      WHERE reason = 'duplicate' AND raw IS NULL AND sub = 0`);
  const files = (
    await sql.rows(`SELECT DISTINCT t.obj, t.path, t.bytes FROM duplicate_lines d JOIN text_files t USING (obj)
      ORDER BY t.obj`)
  ).map((r) => ({ path: String(r.path), bytes: Number(r.bytes) }));
  // A batch of objects at a time, keeping only the lines wanted: a join against every line of every
  // object at once needs them all in memory.
  for (const batch of textFileBatches(files, judgeBatchBytes(ctx))) {
    await sql.run(
      `UPDATE judged SET raw = x.raw
       FROM (SELECT l.obj, l.line, l.raw FROM (${linesSql}) l SEMI JOIN duplicate_lines d USING (obj, line)) x
       WHERE judged.reason = 'duplicate' AND judged.raw IS NULL AND judged.sub = 0
         AND judged.obj = x.obj AND judged.line = x.line`,
      textFileValues(batch),
    );
  }
  await sql.run(`DROP TABLE duplicate_lines`);
  if (await stat(ctx.stagingPath).catch(() => undefined)) {
    await sql.run(
      `UPDATE judged SET raw = x.raw FROM ${stagedRecordsSql()} x
      WHERE judged.reason = 'duplicate' AND judged.raw IS NULL AND judged.sub > 0
        AND judged.obj = x.obj AND judged.line = x.line AND judged.sub = x.sub`,
      stagingValues(ctx.stagingPath),
    );
  }
}

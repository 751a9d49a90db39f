import { DuckDBListValue } from "@duckdb/node-api";
import { limits } from "../contract/data-contract.js";
import type { FramingRejects } from "./framing-rejects.js";
import { oneObjectLineSql } from "./one-object-line.js";
import { buildRulesSql, judgedTable } from "./record-rules-sql.js";
import { combinedResult, type RunContext, type StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";

/**
 * The lines of every text file (`text_files`) as candidate records `(obj, line, sub, checked, raw, kind)`:
 * DuckDB reads each object, drops a UTF-8 byte order mark, splits it at LF and trims each line's blanks,
 * as the framing rules of the contract do. A line that looks like one object (one-object-line.ts) is `fast`; any other non-blank line is `other`; an object
 * that is not UTF-8 text (bad bytes, or gzip bytes under a name without `.gz`) is one `object` row.
 */
export const linesSql = `
SELECT obj, line, 0 AS sub, false AS checked, raw,
  CASE WHEN text_missing THEN 'object' WHEN ${oneObjectLineSql("raw")} THEN 'fast' ELSE 'other' END AS kind
FROM (
  SELECT obj, text_missing, (CASE WHEN text_missing THEN 0 ELSE line END)::INTEGER AS line,
    -- Trimming only the lines that need it: trim() with a set of characters costs more than the checks.
    CASE WHEN starts_with(l, '{') AND ends_with(l, '}') THEN l ELSE trim(l, ' ' || chr(9) || chr(13)) END AS raw
  FROM (
    SELECT obj, text_missing, generate_subscripts(ls, 1) AS line, unnest(ls) AS l
    FROM (
      SELECT obj, t IS NULL AS text_missing,
        CASE WHEN t IS NULL THEN [NULL::VARCHAR]
             ELSE string_split(CASE WHEN starts_with(t, chr(65279)) THEN t[2:] ELSE t END, chr(10)) END AS ls
      FROM (
        SELECT f.obj, try(decode(b.content)) AS t
        FROM read_blob($paths) b JOIN text_files f ON f.path = b.filename
      )
    )
  )
)
WHERE text_missing OR raw <> ''`;

/** The `$paths` value of `linesSql` for some rows of text_files. */
export function textFileValues(files: readonly { readonly path?: unknown }[]): { paths: DuckDBListValue } {
  return { paths: new DuckDBListValue(files.map((f) => String(f.path))) };
}

/** The configured event_type → event_category mapping, which the rules SQL joins. */
export const eventCategoriesTable = defineTable("event_categories", {
  event_type: "VARCHAR",
  event_category: "VARCHAR",
});

/** The values the rules SQL binds (see record-rules-sql.ts). */
export function ruleValues(ctx: RunContext): Record<string, string | number> {
  return {
    max_event_ms: ctx.processingTime.getTime() + ctx.config.futureToleranceMs,
    tolerance_hours: Math.round(ctx.config.futureToleranceMs / 3_600_000),
    other_category: ctx.config.otherCategory,
  };
}

/**
 * Text judged per batch: a batch's lines are materialised in one table, at most about this much text
 * (a quarter of DuckDB's memory limit, at most 128 MiB). Read straight from read_blob, each small object
 * reaches the rules as its own tiny vector, and their per-vector cost made 20,000 objects of 10 lines 14×
 * slower than one object of 200,000; a table hands them over in full vectors, in parallel. Batches keep
 * that table (and so memory) bounded on big runs.
 */
export const judgeBatchBytes = (ctx: Pick<RunContext, "config">): number =>
  Math.max(1 << 20, Math.min(128 * 1024 * 1024, Math.floor(ctx.config.duckdbMemoryLimitBytes / 4)));

/**
 * Step 3, judge: every line of every object through the contract's rules in DuckDB, a batch of objects
 * per statement, into `judged` (declared in record-rules-sql.ts). What DuckDB cannot frame
 * is left as placeholders for the per-record path (fallback-step.ts).
 */
export async function judgeRecords(ctx: RunContext): Promise<StepResult> {
  const { sql, config } = ctx;
  ctx.onProgress({ phase: "validate" });
  await eventCategoriesTable.create(sql);
  await eventCategoriesTable.append(sql, Object.entries(config.eventCategories));
  await judgedTable.create(sql);
  const files = (await sql.rows(`SELECT path, bytes FROM text_files ORDER BY obj`)).map((r) => ({
    path: String(r.path),
    bytes: Number(r.bytes),
  }));
  const found = await judgeTextFiles(ctx, files);
  return combinedResult({ found }, ctx.rejects.takeCounts());
}

interface TextFile {
  readonly path: string;
  readonly bytes: number;
}

/**
 * Judges the lines of some text files (rows of `text_files`) into `judged`, a batch at a time; returns
 * how many lines DuckDB took as one record each (`fast`). A batch that runs out of DuckDB's memory (very
 * wide records cost far more than their bytes) is split in halves, down to one file, then to ranges of
 * its lines, so a record's cost stays its own: a lone record that still does not fit is rejected.
 */
export async function judgeTextFiles(ctx: RunContext, files: readonly TextFile[]): Promise<number> {
  const before = await fastRows(ctx);
  for (const batch of textFileBatches(files, judgeBatchBytes(ctx))) await judgeBatch(ctx, batch, ctx.rejects);
  return (await fastRows(ctx)) - before;
}

async function judgeBatch(
  ctx: RunContext,
  batch: readonly TextFile[],
  rejects: FramingRejects,
): Promise<void> {
  const { sql } = ctx;
  try {
    await sql.run(`CREATE TEMP TABLE lines AS ${linesSql}`, textFileValues(batch));
    await sql.run(`INSERT INTO judged BY NAME ${buildRulesSql("lines")}`, ruleValues(ctx));
  } catch (error) {
    if (!outOfMemory(error)) throw error;
    await sql.run(`DROP TABLE IF EXISTS lines`);
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await judgeBatch(ctx, batch.slice(0, half), rejects);
      await judgeBatch(ctx, batch.slice(half), rejects);
      return;
    }
    // One file whose lines fit but whose records do not: the rules over ranges of its lines.
    await sql.run(`CREATE TEMP TABLE lines AS ${linesSql}`, textFileValues(batch));
    const [range] = await sql.rows(`SELECT min(line) AS lo, max(line) AS hi FROM lines`);
    if (range?.lo !== null && range?.lo !== undefined)
      await judgeLineRange(ctx, Number(range.lo), Number(range.hi), rejects);
  }
  await sql.run(`DROP TABLE lines`);
}

async function judgeLineRange(
  ctx: RunContext,
  lo: number,
  hi: number,
  rejects: FramingRejects,
): Promise<void> {
  const { sql } = ctx;
  const range = `(SELECT * FROM lines WHERE line BETWEEN $lo AND $hi)`;
  try {
    await sql.run(`INSERT INTO judged BY NAME ${buildRulesSql(range)}`, { ...ruleValues(ctx), lo, hi });
  } catch (error) {
    if (!outOfMemory(error)) throw error;
    if (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      await judgeLineRange(ctx, lo, mid, rejects);
      await judgeLineRange(ctx, mid + 1, hi, rejects);
      return;
    }
    const [row] = await sql.rows(
      `SELECT obj, left(raw, $chars) AS raw, octet_length(raw) AS bytes
      FROM lines WHERE line = $line`,
      { chars: limits.maxRejectRawChars, line: lo },
    );
    if (!row) return;
    rejects.add(
      Number(row.obj),
      {
        line: lo,
        reason: "record_too_large",
        message: `record of ${Number(row.bytes)} bytes needs more memory to judge than transform.duckdbMemoryLimitBytes allows (it has very many fields)`,
        raw: Buffer.from(String(row.raw)),
      },
      1,
    );
  }
}

/** DuckDB's error when a statement needs more than its memory limit. */
function outOfMemory(error: unknown): boolean {
  return /Out of Memory Error/i.test(error instanceof Error ? error.message : String(error));
}

async function fastRows(ctx: RunContext): Promise<number> {
  const [row] = await ctx.sql.rows(`SELECT count(*)::BIGINT AS n FROM judged WHERE kind = 'fast'`);
  return Number(row!.n);
}

/** Consecutive files in groups of at most `maxBytes` (a bigger file is a group of its own). */
export function textFileBatches<T extends { bytes: number }>(files: readonly T[], maxBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && bytes + Number(file.bytes) > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += Number(file.bytes);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

import { join } from "node:path";
import { DuckDBListValue } from "@duckdb/node-api";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import type { IndexFile } from "../table/table-snapshot.js";
import type { SqlRunner, SqlValues } from "./sql-runner.js";

/**
 * The transform's two indexes over everything it has written, so a run finds what it needs about the
 * history in time that grows with its new data and only slowly with the history:
 *  - `ids`: a 128-bit hash (md5) of every event_id written, with its event date (exact dedup across
 *    all runs; a false match needs an md5 collision);
 *  - `sessions`: per session, how many events the table holds, its last (event_time, event_id) and the
 *    range of its event dates (event_sequence continues across runs; a late event finds its session's
 *    files).
 * Each index is a set of Parquet files sorted by the hash, in size tiers like a log-structured merge
 * tree: every run adds one small file, and four files of one tier are merged into one of the next, so
 * each entry is rewritten O(log n) times over its life. A probe reads, per file, only the row groups
 * whose hash range holds a probed hash (a constant IN filter, which DuckDB checks against each row
 * group's min/max), so it costs about (probes × files × row group), not the size of the index.
 */
export type IndexName = "ids" | "sessions";

/** A relation's SQL text and the values bound to its parameters (file paths are never pasted in). */
export interface BoundRelation {
  readonly sql: string;
  readonly values: SqlValues;
}

/** Rows per row group of index files: small, so a probe reads little around each hash. */
const INDEX_ROW_GROUP_ROWS = 4096;
/** Above this many distinct probe hashes, one scan of the index is cheaper than the IN filter. */
const MAX_IN_FILTER = 4096;
/** Files of one tier merged together. */
const MERGE_FANOUT = 4;

/** Size tier of an index file: files within a factor of 4 in rows share a tier. */
export function tierOf(rows: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(1, rows) / 1024) / Math.log(MERGE_FANOUT)));
}

/** Local paths DuckDB can read for index files (in place, or cached copies of remote ones). */
export async function indexPaths(
  storage: Storage,
  cache: LocalFileCache,
  files: readonly IndexFile[],
): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const info = await storage.stat("state", f.key);
    if (!info) throw new Error(`index file ${f.key} is missing`);
    out.push(await cache.path("state", info));
  }
  return out;
}

/**
 * A relation over index files (paths bound as `$index_paths`) restricted to the row groups that can
 * hold the hashes of `probe` (a table with column h1). The distinct h1 values are written into the SQL
 * as numbers because DuckDB prunes Parquet row groups only for constant IN filters; they are hashes
 * DuckDB computed, never user input.
 */
export async function probedIndex(sql: SqlRunner, paths: string[], probe: string): Promise<BoundRelation> {
  const hashes = (await sql.rows(`SELECT DISTINCT h1::VARCHAR AS h FROM ${probe} ORDER BY 1`)).map((r) =>
    String(r.h),
  );
  if (paths.length === 0) return { sql: `(SELECT * FROM read_parquet([]) WHERE false)`, values: {} };
  const files = `read_parquet($index_paths)`;
  const values = { index_paths: new DuckDBListValue(paths) };
  if (hashes.length === 0) return { sql: `(SELECT * FROM ${files} WHERE false)`, values };
  if (hashes.length > MAX_IN_FILTER) return { sql: files, values };
  if (!hashes.every((h) => /^\d+$/.test(h))) throw new Error("index hashes must be numbers");
  return {
    sql: `(SELECT * FROM ${files} WHERE h1 IN (${hashes.map((h) => `${h}::UBIGINT`).join(", ")}))`,
    values,
  };
}

/** Writes an index file from a relation (sorted by hash, small row groups). Returns its row count. */
export async function writeIndexFile(sql: SqlRunner, relation: BoundRelation, path: string): Promise<number> {
  await sql.run(
    `COPY (SELECT * FROM ${relation.sql} ORDER BY h1, h2) TO $index_file
     (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${INDEX_ROW_GROUP_ROWS})`,
    { ...relation.values, index_file: path },
  );
  const [row] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM read_parquet($path)`, { path });
  return Number(row!.n);
}

/** Groups of files to merge: every tier holding MERGE_FANOUT files or more. */
export function mergePlan(files: readonly IndexFile[]): IndexFile[][] {
  const byTier = new Map<number, IndexFile[]>();
  for (const f of files) byTier.set(f.tier, [...(byTier.get(f.tier) ?? []), f]);
  return [...byTier.values()].filter((group) => group.length >= MERGE_FANOUT);
}

/**
 * The relation that merges index files (paths bound as `$merge_paths`): ids keep one row per hash (and,
 * with a dedup horizon, only event dates on or after `horizonDate`); sessions keep the newest state per
 * session.
 */
export function mergedRelation(name: IndexName, paths: string[], horizonDate: string | null): BoundRelation {
  const files = `read_parquet($merge_paths)`;
  const values = { merge_paths: new DuckDBListValue(paths) };
  if (name === "ids") {
    if (horizonDate === null) {
      return { sql: `(SELECT h1, h2, max(event_date) AS event_date FROM ${files} GROUP BY h1, h2)`, values };
    }
    return {
      sql: `(SELECT h1, h2, max(event_date) AS event_date FROM ${files}
        WHERE event_date >= $horizon_date::DATE GROUP BY h1, h2)`,
      values: { ...values, horizon_date: horizonDate },
    };
  }
  return {
    sql: `(SELECT * FROM ${files} QUALIFY row_number() OVER (PARTITION BY h1, h2 ORDER BY version DESC) = 1)`,
    values,
  };
}

/** Where a run writes an index file before the commit publishes it. */
export function indexFileKey(name: IndexName, runId: string, n: number): string {
  return `_state/transform/index/${name}/${runId}-${n}.parquet`;
}

export function scratchIndexPath(scratch: string, name: IndexName, n: number): string {
  return join(scratch, `index-${name}-${n}.parquet`);
}

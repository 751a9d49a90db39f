import { DuckDBListValue } from "@duckdb/node-api";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import { applyManifest, newManifest, stagingPrefix, writeManifest } from "../table/commit-log.js";
import {
  emptySnapshot,
  isTableDataFile,
  loadSnapshot,
  splitDataKey,
  type IndexFile,
  type TableFile,
  type TableSnapshot,
} from "../table/table-snapshot.js";
import type { SqlRunner } from "./sql-runner.js";
import { indexFileKey, scratchIndexPath, tierOf, writeIndexFile } from "./table-index.js";

/** Where the Glue job (and `--engine spark`) records the objects it processed. */
export const glueLedgerPrefix = "_state/glue/processed/";

interface BootstrapOptions {
  readonly storage: Storage;
  readonly sql: SqlRunner;
  readonly cache: LocalFileCache;
  readonly scratch: string;
  readonly runId: string;
}

/**
 * The table snapshot a run starts from. A warehouse written by the first release has data files but no
 * snapshot and no indexes: its first run under this release builds them from the files there (the one
 * time a run reads the whole history) and commits that on its own, before its own work. A warehouse the
 * Glue job / `--engine spark` processes is refused: the two engines keep separate records of what they
 * processed, and mixing them would process raw objects twice.
 */
export async function loadOrBootstrapSnapshot(options: BootstrapOptions): Promise<TableSnapshot> {
  const { storage } = options;
  for await (const object of storage.list("state", glueLedgerPrefix)) {
    throw new ClickstreamError(
      "CS_ERR_ENGINE_MISMATCH",
      `the Spark/Glue engine has processed this warehouse (${object.key}); run it with --engine spark, or start a new warehouse`,
    );
  }
  const existing = await loadSnapshot(storage);
  if (existing) return existing;
  const partitions: Record<string, TableFile[]> = {};
  const files: { key: string; path: string; partition: string; name: string; bytes: number }[] = [];
  for await (const object of storage.list("transformed", "transformed/")) {
    const at = splitDataKey(object.key);
    if (!isTableDataFile(object.key) || !at) continue;
    files.push({
      key: object.key,
      path: await options.cache.path("transformed", object),
      ...at,
      bytes: object.size,
    });
  }
  if (files.length === 0) return emptySnapshot;

  const { sql, scratch, runId } = options;
  const values = { table_paths: new DuckDBListValue(files.map((f) => f.path)) };
  const counts = new Map(
    (
      await sql.rows(
        `SELECT filename, count(*)::BIGINT AS n FROM read_parquet($table_paths, filename = true) GROUP BY 1`,
        values,
      )
    ).map((r) => [String(r.filename), Number(r.n)]),
  );
  for (const f of files) {
    (partitions[f.partition] ??= []).push({ name: f.name, rows: counts.get(f.path) ?? 0, bytes: f.bytes });
  }
  const table = `read_parquet($table_paths, union_by_name = true)`;
  const manifest = newManifest(`${runId}-upgrade`);
  const indexes: Record<string, IndexFile[]> = { ids: [], sessions: [] };
  const build = async (name: "ids" | "sessions", relation: string, n: number): Promise<void> => {
    const path = scratchIndexPath(scratch, name, 100 + n);
    const rows = await writeIndexFile(sql, { sql: relation, values }, path);
    if (rows === 0) return;
    const key = indexFileKey(name, manifest.runId, n);
    const staged = `${stagingPrefix("state", manifest.runId)}${key.slice("_state/".length)}`;
    await storage.moveFileIn("state", staged, path);
    manifest.publish.push({ bucket: "state", from: staged, to: key });
    indexes[name]!.push({ key, rows, tier: tierOf(rows) });
  };
  await build(
    "ids",
    `(SELECT DISTINCT md5_number_upper(event_id) AS h1, md5_number_lower(event_id) AS h2, event_date FROM ${table})`,
    0,
  );
  await build(
    "sessions",
    `(SELECT md5_number_upper(session_id) AS h1, md5_number_lower(session_id) AS h2, session_id,
        count(*) AS events, max({'t': event_time, 'i': event_id}).t AS last_time,
        max({'t': event_time, 'i': event_id}).i AS last_id, min(event_date) AS first_date,
        max(event_date) AS last_date, 0::BIGINT AS version
      FROM ${table} WHERE session_id IS NOT NULL GROUP BY session_id)`,
    1,
  );
  const snapshot: TableSnapshot = {
    ...emptySnapshot,
    writtenBy: manifest.runId,
    writtenAt: new Date().toISOString(),
    commits: 1,
    partitions,
    indexes,
  };
  manifest.snapshot = snapshot;
  await writeManifest(storage, manifest);
  await applyManifest(storage, manifest);
  return snapshot;
}

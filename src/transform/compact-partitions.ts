import { readdir, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBListValue, quotedIdentifier, quotedString } from "@duckdb/node-api";
import type { TransformConfig } from "../config/config-schema.js";
import { transformedColumns } from "../contract/data-contract.js";
import type { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import { applyManifest, newManifest, stagingPrefix, writeManifest } from "../table/commit-log.js";
import { dataKey, type TableFile, type TableSnapshot } from "../table/table-snapshot.js";
import { nextSnapshot } from "./commit-step.js";
import { compactionTargets } from "./compaction-targets.js";
import type { SqlRunner } from "./sql-runner.js";

export interface CompactOptions {
  readonly storage: Storage;
  readonly config: TransformConfig;
  readonly sql: SqlRunner;
  readonly cache: LocalFileCache;
  readonly scratch: string;
  readonly runId: string;
  readonly snapshot: TableSnapshot;
  /** Partitions to compact; `auto`: those with more than `compactAfterFiles` files. */
  readonly partitions: readonly string[] | "auto";
  /** State files the compaction's commit writes besides the snapshot (a run's report). */
  readonly stateFiles?: (compacted: CompactResult["compacted"]) => { key: string; body: string }[];
}

export interface CompactResult {
  readonly snapshot: TableSnapshot;
  readonly compacted: { partition: string; filesBefore: number; filesAfter: number; rows: number }[];
}

/**
 * Merges a partition's files into files of at most `compactTargetFileRows` rows, rows sorted by session
 * and time, so one session's rows sit together and a late event later rewrites one bounded file, not a
 * day. Atomic like a run: the new files are staged, one manifest commits the snapshot that swaps them for
 * the old ones, and the old files stay readable (in the trash) for the grace time, so a query that
 * opened the previous snapshot never sees a missing or doubled row. Call it holding the run lock.
 */
export async function compactPartitions(options: CompactOptions): Promise<CompactResult> {
  const { storage, config, sql, cache, scratch, runId, snapshot } = options;
  const targets =
    options.partitions === "auto"
      ? compactionTargets(config, snapshot)
      : options.partitions.filter((p) => (snapshot.partitions[p]?.length ?? 0) > 0);
  if (targets.length === 0) return { snapshot, compacted: [] };

  const manifest = newManifest(runId);
  const added = new Map<string, TableFile[]>();
  const replaced: string[] = [];
  const compacted: CompactResult["compacted"] = [];
  const rowGroup = Math.min(122_880, config.compactTargetFileRows);
  // Sorted output needs the order kept across the writer's threads.
  await sql.run(`SET preserve_insertion_order = true`);
  for (const partition of targets) {
    const files = snapshot.partitions[partition]!;
    const paths: string[] = [];
    for (const f of files) {
      const key = dataKey(partition, f.name);
      paths.push(await cache.path("transformed", { key, size: f.bytes, lastModified: new Date(0) }));
    }
    const outDir = join(scratch, "compacted", ...partition.split("/"));
    await mkdir(outDir, { recursive: true });
    const list = { paths: new DuckDBListValue(paths) };
    const present = new Set(
      (await sql.rows(`SELECT name FROM parquet_schema($paths)`, list)).map((r) => String(r.name)),
    );
    // Files written before a column existed (an older release) get it as NULL.
    const columns = transformedColumns
      .map(({ name, duckdb }) =>
        present.has(name) ? quotedIdentifier(name) : `NULL::${duckdb} AS ${quotedIdentifier(name)}`,
      )
      .join(", ");
    await sql.run(
      `COPY (SELECT ${columns} FROM read_parquet($paths, union_by_name = true)
             ORDER BY session_id NULLS LAST, event_time, event_id)
       TO ${quotedString(outDir)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroup},
         ROW_GROUPS_PER_FILE ${Math.max(1, Math.ceil(config.compactTargetFileRows / rowGroup))},
         FILENAME_PATTERN ${quotedString(`part-${runId}-c{i}`)})`,
      list,
    );
    let rows = 0;
    const names = (await readdir(outDir)).filter((n) => n.endsWith(".parquet")).sort();
    for (const name of names) {
      const path = join(outDir, name);
      const [row] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM read_parquet($path)`, { path });
      const n = Number(row!.n);
      const staged = `${stagingPrefix("transformed", runId)}${partition}/${name}`;
      const info = await storage.moveFileIn("transformed", staged, path);
      if (n === 0) {
        manifest.delete.push({ bucket: "transformed", key: staged });
        continue;
      }
      rows += n;
      manifest.publish.push({ bucket: "transformed", from: staged, to: dataKey(partition, name) });
      added.set(partition, [...(added.get(partition) ?? []), { name, rows: n, bytes: info.size }]);
    }
    for (const f of files) replaced.push(dataKey(partition, f.name));
    compacted.push({
      partition,
      filesBefore: files.length,
      filesAfter: added.get(partition)?.length ?? 0,
      rows,
    });
  }
  const next = nextSnapshot({ runId, processingTime: new Date(), config }, snapshot, {
    added,
    replacedData: replaced,
    indexes: snapshot.indexes,
    replacedState: [],
    now: new Date(),
  });
  manifest.snapshot = next.snapshot;
  for (const r of next.retire) manifest.retire.push({ bucket: "transformed", toBucket: "state", ...r });
  for (const t of next.expired) manifest.delete.push({ bucket: t.bucket, key: t.key });
  manifest.state.push(...(options.stateFiles?.(compacted) ?? []));
  await writeManifest(storage, manifest);
  await applyManifest(storage, manifest);
  return { snapshot: next.snapshot, compacted };
}

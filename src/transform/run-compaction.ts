import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import { loadOrBootstrapSnapshot } from "./bootstrap-step.js";
import { recover } from "./commit-log.js";
import { compactPartitions, type CompactResult } from "./compact-partitions.js";
import { RunLock } from "./run-lock.js";
import { SqlRunner } from "./sql-runner.js";

export interface CompactionOptions {
  readonly storage: Storage;
  readonly config: TransformConfig;
  readonly workDir: string;
  /** Partitions (`year=YYYY/month=MM/day=DD`) to compact; all with more than one file when empty. */
  readonly partitions: readonly string[];
}

/**
 * `clickstream compact`: merges the small files of partitions into bounded ones, under the transform's
 * lock (a compaction and a run never interleave), atomically (compact-partitions.ts).
 */
export async function runCompaction(options: CompactionOptions): Promise<CompactResult> {
  const runId = `${new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15)}-${randomUUID().slice(0, 8)}-compact`;
  const workDir = resolve(options.workDir);
  const lock = await RunLock.acquire(
    join(workDir, "_state", "transform", "lock"),
    runId,
    options.config.lockWaitMs,
  );
  const scratch = join(workDir, "_state", "transform", "scratch", runId);
  let sql: SqlRunner | undefined;
  try {
    await recover(options.storage);
    await mkdir(scratch, { recursive: true });
    sql = await SqlRunner.open({
      memoryLimitBytes: options.config.duckdbMemoryLimitBytes,
      threads: options.config.duckdbThreads,
      tempDir: join(scratch, "duckdb-tmp"),
    });
    const cache = new LocalFileCache(options.storage, join(workDir, "_state", "transform", "cache"));
    const snapshot = await loadOrBootstrapSnapshot({ storage: options.storage, sql, cache, scratch, runId });
    for (const p of options.partitions) {
      if (!/^year=\d{4}\/month=\d{2}\/day=\d{2}$/.test(p)) {
        throw new ClickstreamError(
          "CS_ERR_INVALID_ARGUMENT",
          `--partition ${JSON.stringify(p)} is not year=YYYY/month=MM/day=DD`,
        );
      }
      if (!snapshot.partitions[p]) {
        throw new ClickstreamError(
          "CS_ERR_INVALID_ARGUMENT",
          `--partition ${p}: the table has no such partition`,
        );
      }
    }
    const partitions =
      options.partitions.length > 0
        ? options.partitions
        : Object.entries(snapshot.partitions)
            .filter(([, files]) => files.length > 1)
            .map(([p]) => p);
    return await compactPartitions({
      storage: options.storage,
      config: options.config,
      sql,
      cache,
      scratch,
      runId,
      snapshot,
      partitions,
    });
  } catch (error) {
    throw wrapError("CS_ERR_TRANSFORM_FAILED", error);
  } finally {
    sql?.close();
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

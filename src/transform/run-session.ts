import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { TransformConfig } from "../config/config-schema.js";
import { LocalFileCache } from "../storage/local-file-cache.js";
import type { Storage } from "../storage/storage.js";
import { recover } from "../table/commit-log.js";
import { newRunId } from "../table/run-id.js";
import { RunLock, runLockPath } from "../table/run-lock.js";
import { SqlRunner } from "./sql-runner.js";
import { runStep, stepError } from "./step-error.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/** What a run (or a compaction) holds while it works: the lock, a scratch folder, a DuckDB session. */
export interface RunSession {
  readonly runId: string;
  readonly startedAt: Date;
  readonly workDir: string;
  readonly scratch: string;
  readonly sql: SqlRunner;
  /** Local copies of the warehouse's objects (in place for a local warehouse). */
  readonly cache: LocalFileCache;
}

/**
 * Runs `work` holding the warehouse's run lock: first the recovery of a run killed mid-way (a committed
 * one rolled forward, staging removed), then a fresh scratch folder and DuckDB session; everything is
 * released and removed afterwards, however `work` ends. Errors carry CS_ERR_TRANSFORM_FAILED (or
 * CS_ERR_TRANSFORM_DISK_FULL) and name the step that failed (step-error.ts).
 */
export async function withRunSession<T>(
  options: { storage: Storage; config: TransformConfig; workDir: string; idSuffix?: string },
  work: (session: RunSession) => Promise<T>,
): Promise<T> {
  const startedAt = new Date();
  const runId = newRunId(startedAt, options.idSuffix);
  const workDir = resolve(options.workDir);
  const lock = await RunLock.acquire(runLockPath(workDir), runId, options.config.lockWaitMs);
  const scratchRoot = join(workDir, stateKeys.transform.scratch);
  const scratch = join(scratchRoot, runId);
  let sql: SqlRunner | undefined;
  try {
    await runStep("recover", () => recover(options.storage));
    sql = await runStep("start", async () => {
      // Scratch left by a killed run is garbage: the lock says no other run is using it.
      await rm(scratchRoot, { recursive: true, force: true });
      await mkdir(scratch, { recursive: true });
      return SqlRunner.open({
        memoryLimitBytes: options.config.duckdbMemoryLimitBytes,
        threads: options.config.duckdbThreads,
        tempDir: join(scratch, "duckdb-tmp"),
      });
    });
    const cache = new LocalFileCache(options.storage, join(workDir, stateKeys.transform.cache));
    return await work({ runId, startedAt, workDir, scratch, sql, cache });
  } catch (error) {
    throw stepError("finish", error);
  } finally {
    sql?.close();
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

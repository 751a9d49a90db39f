import type { TransformConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { Storage } from "../storage/storage.js";
import { loadOrBootstrapSnapshot } from "./bootstrap-step.js";
import { compactPartitions, type CompactResult } from "./compact-partitions.js";
import { withRunSession } from "./run-session.js";
import { partitionPathPattern } from "../storage/warehouse-layout.js";

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
  return withRunSession({ ...options, idSuffix: "-compact" }, async ({ runId, scratch, sql, cache }) => {
    const snapshot = await loadOrBootstrapSnapshot({ storage: options.storage, sql, cache, scratch, runId });
    for (const p of options.partitions) {
      if (!partitionPathPattern.test(p)) {
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
  });
}

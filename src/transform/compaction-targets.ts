import type { TransformConfig } from "../config/config-schema.js";
import type { TableSnapshot } from "../table/table-snapshot.js";

/** Partitions a run compacts after its commit: those with more than `compactAfterFiles` files. */
export function compactionTargets(
  config: Pick<TransformConfig, "compactAfterFiles">,
  snapshot: TableSnapshot,
): string[] {
  return Object.entries(snapshot.partitions)
    .filter(([, files]) => files.length > config.compactAfterFiles)
    .map(([p]) => p);
}

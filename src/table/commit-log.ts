import type { BucketRole, Storage } from "../storage/storage.js";
import { snapshotKey, type TableSnapshot } from "./table-snapshot.js";
import { stateKeys } from "../storage/warehouse-layout.js";

/**
 * The commit protocol that makes a run all-or-nothing. A run stages every file it writes under
 * `_staging/` (hidden from readers), then writes one manifest atomically: that write is the commit point.
 * Applying the manifest moves the staged files into place, then writes the new table snapshot (which is
 * what readers see: see table-snapshot.ts), then the run's state (bookmark, report). Every step is
 * idempotent, so a run killed after the commit point is rolled forward by the next one, and one killed
 * before it leaves only staging, removed then. Nothing a reader may still use is deleted: replaced files
 * move out of the table's folders into the snapshot's trash and are deleted by a later run, once their
 * grace time has passed.
 */
export interface CommitManifest {
  runId: string;
  publish: { bucket: BucketRole; from: string; to: string }[];
  /** The table snapshot this run leaves (set by the commit step). */
  snapshot: TableSnapshot | null;
  /** Files the new snapshot replaced, moved out of the table's folders once it is written. */
  retire: { bucket: BucketRole; from: string; toBucket: BucketRole; to: string }[];
  /** State objects to write after the snapshot (bookmark, run report): key → text. */
  state: { key: string; body: string }[];
  /** Objects no snapshot refers to any more (trash past its grace time, legacy state): deleted last. */
  delete: { bucket: BucketRole; key: string }[];
}

const manifestKey = stateKeys.transform.manifest;
export const stagingPrefix = (bucket: "transformed" | "errors" | "state", runId: string): string =>
  bucket === "state" ? `${stateKeys.transform.stagingPrefix}${runId}/` : `${bucket}/_staging/${runId}/`;

export function newManifest(runId: string): CommitManifest {
  return { runId, publish: [], snapshot: null, retire: [], state: [], delete: [] };
}

export async function writeManifest(storage: Storage, manifest: CommitManifest): Promise<void> {
  await storage.writeAtomic("state", manifestKey, JSON.stringify(manifest));
}

/** Applies a committed manifest; safe to repeat after a crash at any point. */
export async function applyManifest(storage: Storage, manifest: CommitManifest): Promise<void> {
  for (const item of manifest.publish) {
    if (await storage.stat(item.bucket, item.from)) await storage.rename(item.bucket, item.from, item.to);
  }
  if (manifest.snapshot) await storage.writeAtomic("state", snapshotKey, JSON.stringify(manifest.snapshot));
  // After the snapshot: readers of the new one never name these; a manifest of an older release has none.
  for (const item of manifest.retire ?? []) {
    if (await storage.stat(item.bucket, item.from))
      await storage.rename(item.bucket, item.from, item.to, item.toBucket);
  }
  for (const item of manifest.state) await storage.writeAtomic("state", item.key, item.body);
  for (const item of manifest.delete) await storage.delete(item.bucket, item.key);
  await storage.delete("state", manifestKey);
}

/** Whether a committed run waits to be applied (a run was killed after its commit point). */
export async function commitPending(storage: Storage): Promise<boolean> {
  return (await storage.stat("state", manifestKey)) !== undefined;
}

/** Rolls a committed-but-unapplied run forward, then removes staging left by runs that never committed. */
export async function recover(storage: Storage): Promise<string | undefined> {
  let rolledForward: string | undefined;
  if (await commitPending(storage)) {
    const manifest = JSON.parse(
      (await storage.readBytes("state", manifestKey)).toString("utf8"),
    ) as CommitManifest;
    await applyManifest(storage, manifest);
    rolledForward = manifest.runId;
  }
  for (const [bucket, prefix] of [
    ["transformed", "transformed/_staging/"],
    ["errors", "errors/_staging/"],
    ["state", stateKeys.transform.stagingPrefix],
  ] as const) {
    for await (const object of storage.list(bucket, prefix)) await storage.delete(bucket, object.key);
  }
  return rolledForward;
}

import type { BucketRole, Storage } from "../storage/storage.js";
import { isHiddenKey } from "../storage/object-key.js";

/**
 * The commit protocol that makes a run all-or-nothing. A run stages every output under `_staging/`
 * (hidden from readers), then writes one manifest atomically: that write is the commit point. Applying
 * the manifest (renames, deletes, state) is idempotent, so a run killed after the commit point is
 * rolled forward by the next run, and one killed before it leaves only staging garbage, removed then.
 */
export interface CommitManifest {
  runId: string;
  publish: { bucket: BucketRole; from: string; to: string }[];
  delete: { bucket: BucketRole; key: string }[];
  /** State objects to write last (bookmarks, run report): key → JSON text. */
  state: { key: string; body: string }[];
}

export const manifestKey = "_state/transform/commit.json";
export const stagingPrefix = (bucket: "transformed" | "errors", runId: string): string =>
  `${bucket}/_staging/${runId}/`;

export async function writeManifest(storage: Storage, manifest: CommitManifest): Promise<void> {
  await storage.writeAtomic("state", manifestKey, JSON.stringify(manifest));
}

/** Applies a committed manifest; safe to repeat after a crash at any point. */
export async function applyManifest(storage: Storage, manifest: CommitManifest): Promise<void> {
  for (const item of manifest.publish) {
    if (await storage.stat(item.bucket, item.from)) await storage.rename(item.bucket, item.from, item.to);
  }
  for (const item of manifest.delete) await storage.delete(item.bucket, item.key);
  for (const item of manifest.state) await storage.writeAtomic("state", item.key, item.body);
  await storage.delete("state", manifestKey);
}

/** Rolls a committed-but-unapplied run forward, then removes staging left by runs that never committed. */
export async function recover(storage: Storage): Promise<string | undefined> {
  let rolledForward: string | undefined;
  if (await storage.stat("state", manifestKey)) {
    const manifest = JSON.parse(
      (await storage.readBytes("state", manifestKey)).toString("utf8"),
    ) as CommitManifest;
    await applyManifest(storage, manifest);
    rolledForward = manifest.runId;
  }
  for (const bucket of ["transformed", "errors"] as const) {
    for await (const object of storage.list(bucket, `${bucket}/_staging/`))
      await storage.delete(bucket, object.key);
  }
  return rolledForward;
}

/** Lists the visible objects of a bucket (hidden `_`/`.` segments skipped, as Athena and Spark do). */
export async function listVisible(storage: Storage, bucket: BucketRole, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(bucket, prefix))
    if (!isHiddenKey(object.key)) keys.push(object.key);
  return keys;
}

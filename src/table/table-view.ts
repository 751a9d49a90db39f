import type { ObjectInfo, Storage } from "../storage/storage.js";
import { commitPending, recover } from "./commit-log.js";
import { readerRunSuffix, RunLock, runLockPath } from "./run-lock.js";
import { newRunId } from "./run-id.js";
import {
  isSessionsDataFile,
  isTableDataFile,
  loadSnapshot,
  sessionObjects,
  snapshotKey,
  snapshotObjects,
} from "./table-snapshot.js";

/**
 * The transformed bucket's tables (`transformed/` and `sessions/`) as readers (query, crawl, the
 * console) see them: the data files of the last applied commit, never a directory listing of whatever is
 * on disk. Files a later run replaced (waiting in the
 * trash for their grace time), files a killed run published but never recorded, and staging are not
 * part of it, so a reader sees every row once, whatever state a run was interrupted in.
 */
export interface TableView {
  /** The events table's data files (`transformed/`). */
  readonly files: readonly ObjectInfo[];
  /** The sessions table's data files (`sessions/`). */
  readonly sessionFiles: readonly ObjectInfo[];
  /** The snapshot the files come from; undefined for a warehouse without one (Spark, first release). */
  readonly version: string | undefined;
  /** Whether a listed key is one of the table's data files. */
  includes(key: string): boolean;
}

/**
 * Reads the table view, first rolling a committed-but-unapplied run forward when no run holds the lock
 * (a transform killed after its commit point): readers then see that run's rows, not the state before
 * it. While a run holds the lock, it applies its own commit; until then readers see the previous
 * snapshot, which is complete.
 */
export async function readTableView(storage: Storage, workDir: string): Promise<TableView> {
  await rollForwardPendingCommit(storage, workDir);
  // The version is taken before and after reading the snapshot: a commit landing in between would
  // otherwise pair the new version with the old files, and the reader would never look again.
  for (;;) {
    const version = await snapshotVersion(storage);
    const snapshot = await loadSnapshot(storage);
    if (!snapshot) break;
    if ((await snapshotVersion(storage)) !== version) continue;
    const files = snapshotObjects(snapshot);
    const sessionFiles = sessionObjects(snapshot);
    const keys = new Set([...files, ...sessionFiles].map((f) => f.key));
    return { files, sessionFiles, version, includes: (key) => keys.has(key) };
  }
  const files: ObjectInfo[] = [];
  const sessionFiles: ObjectInfo[] = [];
  for await (const object of storage.list("transformed")) {
    if (isTableDataFile(object.key)) files.push(object);
    else if (isSessionsDataFile(object.key)) sessionFiles.push(object);
  }
  const includes = (key: string) => isTableDataFile(key) || isSessionsDataFile(key);
  return { files, sessionFiles, version: undefined, includes };
}

/** A cheap token that changes whenever a commit writes a new snapshot (undefined: no snapshot). */
export async function snapshotVersion(storage: Storage): Promise<string | undefined> {
  const info = await storage.stat("state", snapshotKey);
  return info ? `${info.size}@${info.lastModified.getTime()}` : undefined;
}

/**
 * Applies a committed run a killed transform left, when this reader can take the run lock. Only on a
 * local warehouse: there the lock and the data are in one place. On S3 the lock is a file on one machine,
 * so a reader elsewhere could apply a manifest while its transform is applying it; it reads the last
 * applied snapshot instead. A reader that cannot take the lock (a run holds it, or the warehouse is
 * read-only to it) does the same: the previous snapshot is complete.
 */
async function rollForwardPendingCommit(storage: Storage, workDir: string): Promise<void> {
  if (storage.kind !== "local" || !(await commitPending(storage))) return;
  let lock: RunLock;
  try {
    lock = await RunLock.acquire(runLockPath(workDir), newRunId(new Date(), readerRunSuffix), 0);
  } catch {
    return;
  }
  try {
    if (await commitPending(storage)) await recover(storage);
  } finally {
    await lock.release();
  }
}

import { z } from "zod";
import { contract } from "../contract/data-contract.js";
import { isHiddenKey } from "../storage/object-key.js";
import type { BucketRole, ObjectInfo, Storage } from "../storage/storage.js";
import { stateKeys, tableDataFilePattern } from "../storage/warehouse-layout.js";

/**
 * The table snapshot: the one list of the files that make up `transformed/` (and the transform's id and
 * session indexes) after the last committed run. Readers (query, crawl, console) read the files it
 * names, never a directory listing, so they see a run either entirely or not at all: files a run is
 * still moving into place, or that a killed run left half-published, are not in it. Files a run
 * replaces (late events, compaction) are not deleted at once but put in the trash with a time after
 * which the next run deletes them, so a reader that opened the previous snapshot can still read them.
 */
export interface TableSnapshot {
  readonly version: 1;
  /** The run (or compaction) that wrote this snapshot. */
  readonly writtenBy: string | null;
  readonly writtenAt: string | null;
  /** Commits so far: orders the session index's versions. */
  readonly commits: number;
  /** Partition path (`year=YYYY/month=MM/day=DD`) → its data files. */
  readonly partitions: Readonly<Record<string, readonly TableFile[]>>;
  /**
   * The sessions table's files (`sessions/<partition>/<name>`), by partition of the session start;
   * absent in a snapshot written before the table existed (the next run builds it from the events).
   */
  readonly sessions?: Readonly<Record<string, readonly TableFile[]>>;
  /** Index name → its files (under `_state/transform/index/<name>/`). */
  readonly indexes: Readonly<Record<string, readonly IndexFile[]>>;
  readonly trash: readonly TrashEntry[];
}

export interface TableFile {
  /** File name inside the partition folder. */
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface IndexFile {
  /** Key in the state bucket. */
  readonly key: string;
  readonly rows: number;
  /** Size tier: files of the same tier are merged together (see transform/table-index.ts). */
  readonly tier: number;
}

export interface TrashEntry {
  readonly bucket: BucketRole;
  readonly key: string;
  /** ISO time after which the file may be deleted. */
  readonly after: string;
}

export const snapshotKey = stateKeys.transform.snapshot;

const tableFileSchema = z.object({ name: z.string(), rows: z.number(), bytes: z.number() }).strict();

const snapshotSchema = z
  .object({
    version: z.literal(1),
    writtenBy: z.string().nullable(),
    writtenAt: z.string().nullable(),
    commits: z.number().int().nonnegative(),
    partitions: z.record(z.string(), z.array(tableFileSchema)),
    sessions: z.record(z.string(), z.array(tableFileSchema)).optional(),
    indexes: z.record(
      z.string(),
      z.array(z.object({ key: z.string(), rows: z.number(), tier: z.number() }).strict()),
    ),
    trash: z.array(
      z
        .object({
          bucket: z.enum(["raw", "transformed", "errors", "athena-results", "state"]),
          key: z.string(),
          after: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

export const emptySnapshot: TableSnapshot = {
  version: 1,
  writtenBy: null,
  writtenAt: null,
  commits: 0,
  partitions: {},
  indexes: {},
  trash: [],
};

/** The snapshot, or undefined when the warehouse has none (written by the first release or by Spark). */
export async function loadSnapshot(storage: Storage): Promise<TableSnapshot | undefined> {
  if (!(await storage.stat("state", snapshotKey))) return undefined;
  return snapshotSchema.parse(JSON.parse((await storage.readBytes("state", snapshotKey)).toString("utf8")));
}

/**
 * Whether an object under `transformed/` is table data: a visible Parquet file, in either engine's
 * naming (`part-<run>-<n>.parquet` here, `part-00000-<uuid>.c000.zstd.parquet` from Spark). Anything
 * else (logs, CSV, `_SUCCESS`, staging) is not, and readers skip it.
 */
export function isTableDataFile(key: string): boolean {
  return key.startsWith("transformed/") && key.endsWith(".parquet") && !isHiddenKey(key);
}

/** `year=…/month=…/day=…` and the file name of a data file key, or undefined outside the layout. */
export function splitDataKey(key: string): { partition: string; name: string } | undefined {
  const m = tableDataFilePattern.exec(key);
  return m ? { partition: m[1]!, name: m[2]! } : undefined;
}

export const dataKey = (partition: string, name: string): string => `transformed/${partition}/${name}`;

/** Folder of the sessions table in the transformed bucket (beside `transformed/`), from the contract. */
const sessionsFolder = contract.sessions.folder;

export const sessionsKey = (partition: string, name: string): string =>
  `${sessionsFolder}/${partition}/${name}`;

/** Whether an object of the transformed bucket is a data file of the sessions table. */
export function isSessionsDataFile(key: string): boolean {
  return key.startsWith(`${sessionsFolder}/`) && key.endsWith(".parquet") && !isHiddenKey(key);
}

/** Every data file of a snapshot as objects of the transformed bucket. */
export function snapshotObjects(snapshot: TableSnapshot): ObjectInfo[] {
  const out: ObjectInfo[] = [];
  const at = new Date(snapshot.writtenAt ?? 0);
  for (const [partition, files] of Object.entries(snapshot.partitions).sort()) {
    for (const f of files) out.push({ key: dataKey(partition, f.name), size: f.bytes, lastModified: at });
  }
  return out;
}

/** Every file of the sessions table in a snapshot, as objects of the transformed bucket. */
export function sessionObjects(snapshot: TableSnapshot): ObjectInfo[] {
  const at = new Date(snapshot.writtenAt ?? 0);
  return Object.entries(snapshot.sessions ?? {})
    .sort()
    .flatMap(([partition, files]) =>
      files.map((f) => ({ key: sessionsKey(partition, f.name), size: f.bytes, lastModified: at })),
    );
}

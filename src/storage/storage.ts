import type { Readable } from "node:stream";
import { contract } from "../contract/data-contract.js";

/** The buckets of the AWS design; `state` holds internal state (bookmarks, run reports, locks, catalog). */
export const bucketRoles = ["raw", "transformed", "errors", "athena-results", "state"] as const;
export type BucketRole = (typeof bucketRoles)[number];

/**
 * Every key in a bucket starts with its role's folder, exactly as the AWS deployment keys them
 * (Firehose writes `raw/year=…/`, the crawler names the table after `transformed/`). So the local
 * warehouse is one folder whose sub-folders are the buckets, and a key is the same path in both worlds.
 */
export const bucketHomePrefix: Record<BucketRole, string> = {
  raw: "raw/",
  transformed: "transformed/",
  errors: "errors/",
  "athena-results": "athena-results/",
  state: "_state/",
};

/**
 * The folders a bucket's keys may start with: its home, and for the transformed bucket also the
 * sessions table's folder (`sessions/`, beside `transformed/`: the Glue crawler names each table
 * after its target folder, so the two tables are two folders of one bucket, locally too).
 */
export const bucketFolders: Record<BucketRole, readonly string[]> = {
  raw: [bucketHomePrefix.raw],
  transformed: [bucketHomePrefix.transformed, `${contract.sessions.folder}/`],
  errors: [bucketHomePrefix.errors],
  "athena-results": [bucketHomePrefix["athena-results"]],
  state: [bucketHomePrefix.state],
};

export interface ObjectInfo {
  /** Key inside the bucket, `/`-separated, starting with the bucket's home prefix, exactly as in S3. */
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export type ObjectBody = Buffer | string | Readable;

/** How an object is written. */
export interface WriteOptions {
  /**
   * For objects holding queries or their results (the console's history, athena-results/): local storage
   * creates the file 0600 and the folders it makes for it 0700, so other users of the machine cannot read
   * them. On S3 the bucket's policy decides; the option changes nothing there.
   */
  readonly ownerOnly?: boolean;
}

export interface ListFolderOptions {
  /**
   * Objects the caller does not need, by key: left out of the listing. A local folder does not stat them,
   * so a listing of a folder whose objects were nearly all processed costs names, not stats.
   */
  readonly skip?: (key: string) => boolean;
}

export interface FolderListing {
  /** Sub-folder prefixes, each ending with `/`. */
  readonly folders: string[];
  readonly objects: ObjectInfo[];
  /**
   * Local folders only: each sub-folder's modification time (ms), which changes whenever an entry is
   * added to, removed from or renamed in it. Lets a reader tell cheaply whether a folder changed.
   */
  readonly folderModifiedMs?: Readonly<Record<string, number>>;
  /** Local folders only: entries that are neither files nor folders (symbolic links, FIFOs, sockets). */
  readonly others?: string[];
}

/**
 * Where every stage reads and writes objects. Two implementations share one contract test suite:
 * `LocalStorage` (a warehouse folder) and `S3Storage` (any S3-protocol endpoint).
 */
export interface Storage {
  readonly kind: "local" | "s3";
  /** Objects under `prefix`, in ascending key order (as S3 lists them). */
  list(bucket: BucketRole, prefix?: string): AsyncIterable<ObjectInfo>;
  /**
   * One level of the key tree under `prefix` (which ends with `/`): the sub-folders (keys up to and
   * including the next `/`, as S3's CommonPrefixes with Delimiter `/`) and the objects directly in it,
   * both in ascending order. Lets a caller descend only into the folders it needs.
   */
  listFolder(bucket: BucketRole, prefix: string, options?: ListFolderOptions): Promise<FolderListing>;
  /** Metadata of one object, or undefined when it does not exist. */
  stat(bucket: BucketRole, key: string): Promise<ObjectInfo | undefined>;
  /** A stream of the object's bytes; throws CS_ERR_STORAGE_NOT_FOUND when absent. */
  readStream(bucket: BucketRole, key: string): Promise<Readable>;
  /** The whole object in memory; for small objects (state files, reports). */
  readBytes(bucket: BucketRole, key: string): Promise<Buffer>;
  /** Writes an object so that readers see either nothing or all of it, never a part. */
  writeAtomic(bucket: BucketRole, key: string, body: ObjectBody, options?: WriteOptions): Promise<ObjectInfo>;
  /** Publishes a local file as an object and takes ownership of the file (moved or uploaded then removed). */
  moveFileIn(bucket: BucketRole, key: string, localPath: string): Promise<ObjectInfo>;
  /** Renames an object, within its bucket or into `toBucket` (S3: copy then delete). */
  rename(bucket: BucketRole, fromKey: string, toKey: string, toBucket?: BucketRole): Promise<void>;
  /** Deletes an object; deleting a missing object is not an error (as in S3). */
  delete(bucket: BucketRole, key: string): Promise<void>;
  /**
   * The object's absolute path on the local filesystem when the storage is a local folder, so DuckDB can
   * read files in place; undefined for remote storage (callers then download to a scratch folder).
   */
  localPath(bucket: BucketRole, key: string): string | undefined;
}

import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomUUID } from "node:crypto";
import { wrapError } from "../errors/clickstream-error.js";
import { ownerOnlyModes } from "./local-storage.js";
import type { BucketRole, ObjectInfo, Storage } from "./storage.js";

/**
 * Gives DuckDB a local path for an object. Local storage reads files in place; remote storage (S3, where
 * `localPath()` is undefined) downloads each object once into a cache folder mirroring the keys, so the
 * Hive-style `year=/month=/day=` folders survive and a re-run only fetches what changed (size differs).
 */
export class LocalFileCache {
  readonly root: string;

  constructor(
    private readonly storage: Storage,
    cacheDir: string,
  ) {
    this.root = resolve(cacheDir);
  }

  /** The local folder that holds the bucket's files (for DuckDB's allowed_directories). */
  bucketDir(bucket: BucketRole, homePrefix: string): string {
    const inPlace = this.storage.localPath(bucket, `${homePrefix}probe`);
    return inPlace ? dirname(inPlace) : join(this.root, ...homePrefix.split("/").filter(Boolean));
  }

  /** A local path holding the object's bytes. */
  async path(bucket: BucketRole, object: ObjectInfo): Promise<string> {
    const inPlace = this.storage.localPath(bucket, object.key);
    if (inPlace !== undefined) return inPlace;
    const target = join(this.root, ...object.key.split("/"));
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isFile() && existing.size === object.size) return target;
    const temp = `${target}.${randomUUID()}.part`;
    try {
      // The copies may sit outside the warehouse (catalog.cacheDir, a shared /tmp): owner only.
      await mkdir(dirname(target), { recursive: true, mode: ownerOnlyModes.folderMode });
      await pipeline(
        await this.storage.readStream(bucket, object.key),
        createWriteStream(temp, { mode: ownerOnlyModes.fileMode }),
      );
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw wrapError("CS_ERR_STORAGE_IO", error, `copy ${object.key} to the local cache ${this.root}`);
    }
    return target;
  }
}

/** The cache folder the config names, or `<warehouse.dir>/.cache`. */
export function cacheDirFor(config: { warehouse: { dir: string }; catalog: { cacheDir: string } }): string {
  return config.catalog.cacheDir !== "" ? config.catalog.cacheDir : join(config.warehouse.dir, ".cache");
}

import { randomUUID } from "node:crypto";
import type { Stats } from "node:fs";
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { assertKeyInBucket } from "./object-key.js";
import {
  bucketFolders,
  bucketHomePrefix,
  type BucketRole,
  type FolderListing,
  type ListFolderOptions,
  type ObjectBody,
  type ObjectInfo,
  type Storage,
  type WriteOptions,
} from "./storage.js";

const TEMP_PREFIX = ".tmp-";

/** Modes before the umask: Node's defaults, and readable by the owner only (WriteOptions.ownerOnly). */
const defaultModes = { fileMode: 0o666, folderMode: 0o777 };
export const ownerOnlyModes = { fileMode: 0o600, folderMode: 0o700 };

/** Storage on a local warehouse folder. Writes are atomic: temp file, fsync, rename, fsync of the folder. */
export class LocalStorage implements Storage {
  readonly kind = "local" as const;

  /** The warehouse folder, absolute: paths handed to DuckDB and symlinks must not depend on the cwd. */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The bucket's folder: `<warehouse>/raw`, `<warehouse>/transformed`, …, `<warehouse>/_state`. */
  bucketPath(bucket: BucketRole): string {
    return join(this.root, bucketHomePrefix[bucket]);
  }

  localPath(bucket: BucketRole, key: string): string {
    assertKeyInBucket(bucket, key);
    return join(this.root, ...key.split("/"));
  }

  async *list(bucket: BucketRole, prefix = ""): AsyncIterable<ObjectInfo> {
    const files: ObjectInfo[] = [];
    // Walk only the deepest folder the prefix names, not the whole bucket.
    const homes = bucketFolders[bucket];
    const folders = homes.some((home) => prefix.startsWith(home))
      ? [prefix.slice(0, prefix.lastIndexOf("/") + 1)]
      : homes;
    for (const folder of folders) {
      await walk(this.root, join(this.root, ...folder.split("/").filter(Boolean)), files);
    }
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const file of files) if (file.key.startsWith(prefix)) yield file;
  }

  async listFolder(
    bucket: BucketRole,
    prefix: string,
    options: ListFolderOptions = {},
  ): Promise<FolderListing> {
    assertKeyInBucket(bucket, `${prefix}x`);
    const dir = join(this.root, ...prefix.split("/").filter(Boolean));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return { folders: [], objects: [] };
      throw wrapError("CS_ERR_STORAGE_IO", error, `list ${bucket}/${prefix}`);
    }
    const folders: string[] = [];
    const files: string[] = [];
    const others: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      if (entry.isDirectory()) folders.push(entry.name);
      else if (entry.isFile()) {
        if (!options.skip?.(`${prefix}${entry.name}`)) files.push(entry.name);
      } else others.push(`${prefix}${entry.name}`);
    }
    const objects: ObjectInfo[] = [];
    (await statBatched(files.map((name) => join(dir, name)))).forEach((info, i) => {
      if (info) objects.push({ key: `${prefix}${files[i]!}`, size: info.size, lastModified: info.mtime });
    });
    const folderModifiedMs: Record<string, number> = {};
    (await statBatched(folders.map((name) => join(dir, name)))).forEach((info, i) => {
      if (info) folderModifiedMs[`${prefix}${folders[i]!}/`] = info.mtimeMs;
    });
    const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    objects.sort((a, b) => byKey(a.key, b.key));
    return {
      folders: folders.map((name) => `${prefix}${name}/`).sort(byKey),
      objects,
      folderModifiedMs,
      others: others.sort(byKey),
    };
  }

  async stat(bucket: BucketRole, key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.localPath(bucket, key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw wrapError("CS_ERR_STORAGE_IO", error, `stat ${bucket}/${key}`);
    }
  }

  async readStream(bucket: BucketRole, key: string): Promise<Readable> {
    const path = this.localPath(bucket, key);
    const handle = await open(path, "r").catch((error: unknown) => {
      throw this.readError(error, bucket, key);
    });
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  }

  async readBytes(bucket: BucketRole, key: string): Promise<Buffer> {
    try {
      return await readFile(this.localPath(bucket, key));
    } catch (error) {
      throw this.readError(error, bucket, key);
    }
  }

  async writeAtomic(
    bucket: BucketRole,
    key: string,
    body: ObjectBody,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    const path = this.localPath(bucket, key);
    const temp = join(dirname(path), `${TEMP_PREFIX}${randomUUID()}`);
    // The temp file is created with the final mode: the rename keeps it, so no moment is readable.
    const { fileMode, folderMode } = options.ownerOnly ? ownerOnlyModes : defaultModes;
    try {
      await mkdir(dirname(path), { recursive: true, mode: folderMode });
      if (body instanceof Readable) {
        await pipeline(body, createWriteStream(temp, { flags: "wx", mode: fileMode }));
        await fsyncFile(temp);
      } else {
        const handle = await open(temp, "wx", fileMode);
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await rename(temp, path);
      await fsyncDir(dirname(path));
    } catch (error) {
      await rm(temp, { force: true });
      throw wrapError("CS_ERR_STORAGE_IO", error, `write ${bucket}/${key}`);
    }
    return (await this.stat(bucket, key)) as ObjectInfo;
  }

  async moveFileIn(bucket: BucketRole, key: string, localPath: string): Promise<ObjectInfo> {
    const path = this.localPath(bucket, key);
    try {
      await mkdir(dirname(path), { recursive: true });
      await fsyncFile(localPath);
      try {
        await rename(localPath, path);
      } catch (error) {
        // Another filesystem: copy to a temp name beside the target, then rename atomically.
        if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
        const temp = join(dirname(path), `${TEMP_PREFIX}${randomUUID()}`);
        await copyFile(localPath, temp);
        await fsyncFile(temp);
        await rename(temp, path);
        await unlink(localPath);
      }
      await fsyncDir(dirname(path));
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `move ${localPath} to ${bucket}/${key}`);
    }
    return (await this.stat(bucket, key)) as ObjectInfo;
  }

  async rename(bucket: BucketRole, fromKey: string, toKey: string, toBucket = bucket): Promise<void> {
    const from = this.localPath(bucket, fromKey);
    const to = this.localPath(toBucket, toKey);
    try {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      await fsyncDir(dirname(to));
    } catch (error) {
      throw this.readError(error, bucket, fromKey);
    }
    // As on S3, a folder is only its keys: one left empty goes (a Hive reader would list it as a partition).
    await removeEmptyParents(dirname(from), this.bucketPath(bucket));
  }

  async delete(bucket: BucketRole, key: string): Promise<void> {
    const path = this.localPath(bucket, key);
    try {
      await unlink(path);
    } catch (error) {
      if (isNotFound(error)) return;
      throw wrapError("CS_ERR_STORAGE_IO", error, `delete ${bucket}/${key}`);
    }
    await removeEmptyParents(dirname(path), this.bucketPath(bucket));
  }

  private readError(error: unknown, bucket: BucketRole, key: string): ClickstreamError {
    if (isNotFound(error)) return new ClickstreamError("CS_ERR_STORAGE_NOT_FOUND", `${bucket}/${key}`);
    return wrapError("CS_ERR_STORAGE_IO", error, `${bucket}/${key}`);
  }
}

async function walk(base: string, dir: string, out: ObjectInfo[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw wrapError("CS_ERR_STORAGE_IO", error, `list ${dir}`);
  }
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_PREFIX)) continue;
    if (entry.isDirectory()) folders.push(join(dir, entry.name));
    else if (entry.isFile()) files.push(join(dir, entry.name));
  }
  (await statBatched(files)).forEach((info, i) => {
    if (info)
      out.push({
        key: relative(base, files[i]!).split(sep).join("/"),
        size: info.size,
        lastModified: info.mtime,
      });
  });
  for (const folder of folders) await walk(base, folder, out);
}

/**
 * Stats of many paths, a few hundred at a time (a Firehose day folder holds thousands of objects); a
 * path gone meanwhile is undefined.
 */
async function statBatched(paths: readonly string[]): Promise<(Stats | undefined)[]> {
  const out: (Stats | undefined)[] = [];
  for (let i = 0; i < paths.length; i += 256) {
    out.push(...(await Promise.all(paths.slice(i, i + 256).map((p) => stat(p).catch(() => undefined)))));
  }
  return out;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable: without an fsync of the folder, a crash can forget the new name. */
export async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeEmptyParents(dir: string, stopAt: string): Promise<void> {
  let current = dir;
  const stop = stopAt.replace(/\/+$/, "");
  while (current.startsWith(stop) && current !== stop) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    current = dirname(current);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

import type { Readable } from "node:stream";
import type {
  BucketRole,
  FolderListing,
  ListFolderOptions,
  ObjectBody,
  ObjectInfo,
  Storage,
  WriteOptions,
} from "../../src/storage/storage.js";

/**
 * A real storage that hides its local paths, as S3 storage does: every call goes to the wrapped storage,
 * but `localPath()` is undefined, so readers must take the download-to-cache path.
 */
export class NoLocalPathStorage implements Storage {
  readonly kind = "s3" as const;
  constructor(private readonly inner: Storage) {}
  list(bucket: BucketRole, prefix?: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(bucket, prefix);
  }
  listFolder(bucket: BucketRole, prefix: string, options?: ListFolderOptions): Promise<FolderListing> {
    return this.inner.listFolder(bucket, prefix, options);
  }
  stat(bucket: BucketRole, key: string): Promise<ObjectInfo | undefined> {
    return this.inner.stat(bucket, key);
  }
  readStream(bucket: BucketRole, key: string): Promise<Readable> {
    return this.inner.readStream(bucket, key);
  }
  readBytes(bucket: BucketRole, key: string): Promise<Buffer> {
    return this.inner.readBytes(bucket, key);
  }
  writeAtomic(
    bucket: BucketRole,
    key: string,
    body: ObjectBody,
    options?: WriteOptions,
  ): Promise<ObjectInfo> {
    return this.inner.writeAtomic(bucket, key, body, options);
  }
  moveFileIn(bucket: BucketRole, key: string, localPath: string): Promise<ObjectInfo> {
    return this.inner.moveFileIn(bucket, key, localPath);
  }
  rename(bucket: BucketRole, fromKey: string, toKey: string, toBucket?: BucketRole): Promise<void> {
    return this.inner.rename(bucket, fromKey, toKey, toBucket);
  }
  delete(bucket: BucketRole, key: string): Promise<void> {
    return this.inner.delete(bucket, key);
  }
  localPath(): string | undefined {
    return undefined;
  }
}

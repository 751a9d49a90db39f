import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { ClickstreamConfig } from "../config/config-schema.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { LocalStorage } from "./local-storage.js";
import { assertKeyInBucket } from "./object-key.js";
import type { BucketNames } from "./s3-storage.js";
import type {
  BucketRole,
  FolderListing,
  ListFolderOptions,
  ObjectBody,
  ObjectInfo,
  Storage,
  WriteOptions,
} from "./storage.js";

/** Builds the storage the config names. Stages only ever see the `Storage` interface. */
export function createStorage(config: Pick<ClickstreamConfig, "warehouse">): Storage {
  const warehouse = config.warehouse;
  switch (warehouse.storage) {
    case "local":
      return new LocalStorage(resolve(warehouse.dir));
    case "s3": {
      const b = warehouse.buckets;
      if (!b) {
        throw new ClickstreamError(
          "CS_ERR_INVALID_CONFIG",
          "warehouse.buckets is required for S3 storage (or run ./deploy.sh to write terraform-outputs.json)",
        );
      }
      const buckets: BucketNames = {
        raw: b.raw,
        transformed: b.transformed,
        errors: b.errors,
        "athena-results": b.athenaResults,
        state: b.state,
      };
      return new DeferredS3Storage(async () => {
        const [{ S3Client }, { S3Storage, s3ClientConfig }] = await Promise.all([
          import("@aws-sdk/client-s3"),
          import("./s3-storage.js"),
        ]);
        // Credentials come from the SDK's default chain (env, profile, SSO, instance role).
        const client = new S3Client(s3ClientConfig(warehouse));
        return new S3Storage({ client, buckets, multipartThresholdBytes: warehouse.multipartThresholdBytes });
      });
    }
    default:
      throw new ClickstreamError(
        "CS_ERR_INVALID_CONFIG",
        `storage "${String(warehouse.storage)}" is not available`,
      );
  }
}

/**
 * S3 storage whose AWS SDK is loaded on first use: importing the SDK costs most of a second, which
 * every command on a local warehouse would otherwise pay at start-up.
 */
export class DeferredS3Storage implements Storage {
  readonly kind = "s3" as const;
  private loaded: Promise<Storage> | undefined;

  constructor(private readonly load: () => Promise<Storage>) {}

  /** The S3 storage itself (loads the SDK). */
  storage(): Promise<Storage> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  async *list(bucket: BucketRole, prefix?: string): AsyncIterable<ObjectInfo> {
    yield* (await this.storage()).list(bucket, prefix);
  }
  async listFolder(bucket: BucketRole, prefix: string, options?: ListFolderOptions): Promise<FolderListing> {
    return (await this.storage()).listFolder(bucket, prefix, options);
  }
  async stat(bucket: BucketRole, key: string): Promise<ObjectInfo | undefined> {
    return (await this.storage()).stat(bucket, key);
  }
  async readStream(bucket: BucketRole, key: string): Promise<Readable> {
    return (await this.storage()).readStream(bucket, key);
  }
  async readBytes(bucket: BucketRole, key: string): Promise<Buffer> {
    return (await this.storage()).readBytes(bucket, key);
  }
  async writeAtomic(
    bucket: BucketRole,
    key: string,
    body: ObjectBody,
    options?: WriteOptions,
  ): Promise<ObjectInfo> {
    return (await this.storage()).writeAtomic(bucket, key, body, options);
  }
  async moveFileIn(bucket: BucketRole, key: string, localPath: string): Promise<ObjectInfo> {
    return (await this.storage()).moveFileIn(bucket, key, localPath);
  }
  async rename(bucket: BucketRole, fromKey: string, toKey: string, toBucket?: BucketRole): Promise<void> {
    return (await this.storage()).rename(bucket, fromKey, toKey, toBucket);
  }
  async delete(bucket: BucketRole, key: string): Promise<void> {
    return (await this.storage()).delete(bucket, key);
  }
  localPath(bucket: BucketRole, key: string): undefined {
    assertKeyInBucket(bucket, key);
    return undefined;
  }
}

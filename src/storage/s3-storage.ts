import { createReadStream } from "node:fs";
import { readFile, stat as statFile, unlink } from "node:fs/promises";
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  ListObjectsCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ClickstreamError, wrapError } from "../errors/clickstream-error.js";
import { assertKeyInBucket } from "./object-key.js";
import {
  bucketFolders,
  bucketRoles,
  type BucketRole,
  type ObjectBody,
  type FolderListing,
  type ListFolderOptions,
  type ObjectInfo,
  type Storage,
} from "./storage.js";

/** Bucket name of each role; several roles may share a bucket (their keys never overlap). */
export type BucketNames = Readonly<Record<BucketRole, string>>;

export interface S3StorageOptions {
  readonly client: S3Client;
  readonly buckets: BucketNames;
  /** Bodies at least this big go up as multipart uploads (S3's minimum part is 5 MiB). */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads. */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once; memory held is at most queueSize × partSize. */
  readonly uploadQueueSize?: number;
  /** Keys per list request (S3 returns at most 1000). */
  readonly listPageSize?: number;
}

const MiB = 1024 * 1024;

/**
 * Storage on S3 or any S3-protocol endpoint. Keys are the same as in the local warehouse; each role
 * maps to a bucket. A PUT (or a completed multipart upload) is atomic in S3, so writes never show a
 * partial object; rename is copy then delete, as S3 has no rename.
 */
export class S3Storage implements Storage {
  readonly kind = "s3" as const;
  readonly client: S3Client;
  readonly buckets: BucketNames;
  private readonly multipartThresholdBytes: number;
  private readonly partSizeBytes: number;
  private readonly uploadQueueSize: number;
  private readonly listPageSize: number;

  constructor(options: S3StorageOptions) {
    this.client = options.client;
    this.buckets = options.buckets;
    this.multipartThresholdBytes = options.multipartThresholdBytes ?? 16 * MiB;
    this.partSizeBytes = Math.max(5 * MiB, options.partSizeBytes ?? 8 * MiB);
    this.uploadQueueSize = options.uploadQueueSize ?? 4;
    this.listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    for (const role of bucketRoles) {
      if (!this.buckets[role]) throw new ClickstreamError("CS_ERR_INVALID_CONFIG", `no bucket for ${role}`);
    }
  }

  /** Remote objects have no local path: callers download to a scratch folder. */
  localPath(bucket: BucketRole, key: string): undefined {
    assertKeyInBucket(bucket, key);
    return undefined;
  }

  async *list(bucket: BucketRole, prefix = ""): AsyncIterable<ObjectInfo> {
    // Listing under the role's folders keeps other roles sharing the bucket out of view.
    const folders = bucketFolders[bucket];
    if (!folders.some((folder) => prefix.startsWith(folder))) {
      for (const folder of folders) if (folder.startsWith(prefix)) yield* this.list(bucket, folder);
      return;
    }
    const listPrefix = prefix;
    try {
      // Pages are chained by the last key seen (ListObjects with Marker), which AWS and every S3-compatible
      // server answer alike; s3rver cannot make ListObjectsV2 continuation tokens on OpenSSL 3 (they use DES).
      let marker: string | undefined;
      for (;;) {
        const page = await this.client.send(
          new ListObjectsCommand({
            Bucket: this.buckets[bucket],
            Prefix: listPrefix,
            Marker: marker,
            MaxKeys: this.listPageSize,
          }),
        );
        const contents = page.Contents ?? [];
        for (const object of contents) {
          if (!object.Key || !object.Key.startsWith(prefix)) continue;
          yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
        }
        const last = contents.at(-1)?.Key;
        if (!page.IsTruncated || !last) break;
        marker = last;
      }
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `list ${this.url(bucket, listPrefix)}`);
    }
  }

  async listFolder(
    bucket: BucketRole,
    prefix: string,
    options: ListFolderOptions = {},
  ): Promise<FolderListing> {
    assertKeyInBucket(bucket, `${prefix}x`);
    const folders: string[] = [];
    const objects: ObjectInfo[] = [];
    try {
      let marker: string | undefined;
      for (;;) {
        const page = await this.client.send(
          new ListObjectsCommand({
            Bucket: this.buckets[bucket],
            Prefix: prefix,
            Delimiter: "/",
            Marker: marker,
            MaxKeys: this.listPageSize,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
        for (const o of page.Contents ?? []) {
          if (o.Key && !options.skip?.(o.Key))
            objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
        }
        // With a delimiter the next marker is NextMarker (the last key or common prefix of the page).
        const next = page.NextMarker ?? [objects.at(-1)?.key, folders.at(-1)].filter(Boolean).sort().at(-1);
        if (!page.IsTruncated || !next) break;
        marker = next;
      }
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `list ${this.url(bucket, prefix)}`);
    }
    return { folders, objects };
  }

  async stat(bucket: BucketRole, key: string): Promise<ObjectInfo | undefined> {
    assertKeyInBucket(bucket, key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.buckets[bucket], Key: key }));
      return { key, size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw wrapError("CS_ERR_STORAGE_IO", error, `stat ${this.url(bucket, key)}`);
    }
  }

  async readStream(bucket: BucketRole, key: string): Promise<Readable> {
    const body = await this.get(bucket, key);
    // In Node the SDK's body is an http.IncomingMessage: a Readable that streams from the socket.
    if (body instanceof Readable) return body;
    return Readable.from(Buffer.from(await body.transformToByteArray()));
  }

  async readBytes(bucket: BucketRole, key: string): Promise<Buffer> {
    const body = await this.get(bucket, key);
    try {
      return Buffer.from(await body.transformToByteArray());
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `read ${this.url(bucket, key)}`);
    }
  }

  async writeAtomic(bucket: BucketRole, key: string, body: ObjectBody): Promise<ObjectInfo> {
    assertKeyInBucket(bucket, key);
    const data = typeof body === "string" ? Buffer.from(body) : body;
    try {
      if (Buffer.isBuffer(data) && data.length < this.multipartThresholdBytes) {
        await this.client.send(new PutObjectCommand({ Bucket: this.buckets[bucket], Key: key, Body: data }));
      } else {
        await this.upload(bucket, key, data);
      }
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `write ${this.url(bucket, key)}`);
    }
    return this.statAfterWrite(bucket, key);
  }

  async moveFileIn(bucket: BucketRole, key: string, localPath: string): Promise<ObjectInfo> {
    assertKeyInBucket(bucket, key);
    try {
      const { size } = await statFile(localPath);
      if (size < this.multipartThresholdBytes) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.buckets[bucket], Key: key, Body: await readFile(localPath) }),
        );
      } else {
        await this.upload(bucket, key, createReadStream(localPath, { highWaterMark: MiB }));
      }
      await unlink(localPath);
    } catch (error) {
      throw wrapError("CS_ERR_STORAGE_IO", error, `move ${localPath} to ${this.url(bucket, key)}`);
    }
    return this.statAfterWrite(bucket, key);
  }

  async rename(bucket: BucketRole, fromKey: string, toKey: string, toBucket = bucket): Promise<void> {
    assertKeyInBucket(bucket, fromKey);
    assertKeyInBucket(toBucket, toKey);
    const name = this.buckets[bucket];
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.buckets[toBucket],
          Key: toKey,
          CopySource: `${name}/${copySourceKey(fromKey)}`,
        }),
      );
      await this.client.send(new DeleteObjectCommand({ Bucket: name, Key: fromKey }));
    } catch (error) {
      if (isNotFound(error))
        throw new ClickstreamError("CS_ERR_STORAGE_NOT_FOUND", this.url(bucket, fromKey));
      throw wrapError("CS_ERR_STORAGE_IO", error, `rename ${this.url(bucket, fromKey)} to ${toKey}`);
    }
  }

  async delete(bucket: BucketRole, key: string): Promise<void> {
    assertKeyInBucket(bucket, key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.buckets[bucket], Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw wrapError("CS_ERR_STORAGE_IO", error, `delete ${this.url(bucket, key)}`);
    }
  }

  /** `s3://bucket/key`, for messages. */
  url(bucket: BucketRole, key: string): string {
    return `s3://${this.buckets[bucket]}/${key}`;
  }

  private async get(bucket: BucketRole, key: string) {
    assertKeyInBucket(bucket, key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.buckets[bucket], Key: key }),
      );
      if (!response.Body) throw new Error("response has no body");
      return response.Body;
    } catch (error) {
      if (isNotFound(error)) throw new ClickstreamError("CS_ERR_STORAGE_NOT_FOUND", this.url(bucket, key));
      throw wrapError("CS_ERR_STORAGE_IO", error, `read ${this.url(bucket, key)}`);
    }
  }

  /** Multipart upload (lib-storage sends one PUT when the body fits in one part). Aborts on failure. */
  private async upload(bucket: BucketRole, key: string, body: Buffer | Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.buckets[bucket], Key: key, Body: body },
      partSize: this.partSizeBytes,
      queueSize: this.uploadQueueSize,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  private async statAfterWrite(bucket: BucketRole, key: string): Promise<ObjectInfo> {
    const info = await this.stat(bucket, key);
    if (!info)
      throw new ClickstreamError("CS_ERR_STORAGE_IO", `${this.url(bucket, key)} vanished after write`);
    return info;
  }
}

/** S3 client settings for AWS or an S3-compatible endpoint. */
export function s3ClientConfig(options: {
  region?: string | undefined;
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
}): S3ClientConfig {
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    // Many S3-compatible servers reject the SDK's default flexible checksums (aws-chunked bodies).
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  }
  return config;
}

/**
 * The key in x-amz-copy-source: URL-encoded per segment, with `=` left as is. AWS decodes either form;
 * some S3-compatible servers (s3rver) decode with decodeURI, which leaves `%3D` encoded, and the
 * partition folders (`year=2026/…`) would not be found.
 */
function copySourceKey(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replaceAll("%3D", "="))
    .join("/");
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e?.name === "NoSuchBucket" || e?.Code === "NoSuchBucket") return false;
  return (
    e?.name === "NoSuchKey" ||
    e?.name === "NotFound" ||
    e?.Code === "NoSuchKey" ||
    e?.$metadata?.httpStatusCode === 404
  );
}

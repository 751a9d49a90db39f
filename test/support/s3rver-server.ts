import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { after, before } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { S3Storage, s3ClientConfig } from "../../src/storage/s3-storage.js";
import { tempDir } from "./temp-dir.js";

// s3rver ships no types; this is the part of its API the tests use.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as S3rverConstructor;

interface ListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface FilesystemStoreClass {
  prototype: { listObjects(bucket: string, options: Record<string, unknown>): Promise<ListResult> };
}

// s3rver 3.7 loses the CommonPrefixes of folders that hold only deeper folders: it prunes them while
// walking its store before it records them. Real S3 (and moto) list them. Patch it once, in tests only:
// list without the delimiter, then group as S3 does.
const store = require("s3rver/lib/stores/filesystem") as FilesystemStoreClass;
const original = store.prototype.listObjects;
store.prototype.listObjects = async function (bucket, options) {
  const delimiter = options.delimiter as string | undefined;
  if (!delimiter) return original.call(this, bucket, options);
  const prefix = (options.prefix as string | undefined) ?? "";
  const maxKeys = (options.maxKeys as number | undefined) ?? Infinity;
  const all = await original.call(this, bucket, { ...options, delimiter: "", maxKeys: Infinity });
  const prefixes = new Set<string>();
  const objects: ListResult["objects"] = [];
  for (const object of all.objects) {
    const at = object.key.slice(prefix.length).indexOf(delimiter);
    if (at === -1) objects.push(object);
    else prefixes.add(object.key.slice(0, prefix.length + at + 1));
  }
  const commonPrefixes = [...prefixes].sort();
  const kept = objects.slice(0, Math.max(0, maxKeys - commonPrefixes.length));
  return { objects: kept, commonPrefixes, isTruncated: kept.length < objects.length };
};

/** s3rver's fixed credentials: it checks SigV4 signatures made with them. */
export const s3rverCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** A real S3-protocol server on a loopback port, storing into a temp folder, with the given buckets. */
export async function startS3rver(
  buckets: string[],
): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: await tempDir("clickstream-s3rver-"),
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      // Keep-alive sockets of SDK clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

/**
 * A warehouse's buckets (`<prefix>-raw`, `-transformed`, `-errors`, `-athena`; state in the errors
 * bucket) on an s3rver started before the calling file's tests and closed after them.
 */
export function useS3rverWarehouse(prefix: string): { storage: () => S3Storage } {
  const buckets = {
    raw: `${prefix}-raw`,
    transformed: `${prefix}-transformed`,
    errors: `${prefix}-errors`,
    "athena-results": `${prefix}-athena`,
    state: `${prefix}-errors`,
  };
  let server: Awaited<ReturnType<typeof startS3rver>> | undefined;
  let client: S3Client | undefined;
  before(async () => {
    server = await startS3rver([...new Set(Object.values(buckets))]);
    client = new S3Client({
      ...s3ClientConfig({ endpoint: server.endpoint }),
      credentials: s3rverCredentials,
    });
  });
  after(async () => {
    client?.destroy();
    await server?.close();
  });
  return { storage: () => new S3Storage({ client: client!, buckets }) };
}

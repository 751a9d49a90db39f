import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { keyProblem } from "../storage/object-key.js";
import { bucketHomePrefix, type BucketRole, type ObjectInfo, type Storage } from "../storage/storage.js";
import { AwsError } from "./aws-error.js";
import { xmlText, type CallContext, type RestService } from "./endpoint-router.js";
import type { LocalStack } from "./local-stack.js";
import { s3Writes } from "./s3-write-api.js";
import { decode, etag, header, notImplemented, s3Error, xml, XMLNS } from "./s3-wire.js";
import type { EndpointRequest, EndpointResponse } from "./service-endpoints.js";

/** The largest PutObject or UploadPart body: S3 clients switch to multipart above 8 MiB, in parts of 8 MiB. */
const maxPutBodyBytes = 64 * 1024 * 1024; // 64 MiB

/** When the local buckets "were created": a fixed instant, so listings are stable. */
const CREATED = "2026-01-01T00:00:00.000Z";

/**
 * S3 over the warehouse folders (path-style and virtual-hosted-style). The read side: ListBuckets,
 * HeadBucket, GetBucketLocation, ListObjectsV2 (prefix, delimiter, continuation, StartAfter, MaxKeys,
 * encoding-type=url) and ListObjects (version 1: marker), HeadObject and GetObject (Range,
 * If-None-Match). Each bucket of the local stack is its warehouse folder, keys unchanged
 * (`athena-results/<id>.csv`). Writes (s3-write-api.ts): uploads into the raw bucket's `raw/`, deletes
 * in the results bucket's `athena-results/`.
 */
export function s3Api(storage: Storage, stack: LocalStack): RestService {
  const roles = new Map<string, BucketRole>(
    Object.entries(stack.buckets).map(([role, name]) => [name, role as BucketRole]),
  );

  /** The bucket and key a request addresses: virtual-hosted (`<bucket>.<host>`) or path-style. */
  const address = (request: EndpointRequest): { bucket?: string; key?: string; query: URLSearchParams } => {
    const url = new URL(request.url, "http://localhost");
    const host = String(request.headers.host ?? "").split(":")[0] ?? "";
    // A local bucket's name before the host, or any name before `localhost` (`<bucket>.localhost`,
    // `<bucket>.s3.localhost`): a bucket that is not the local stack's is then NoSuchBucket, as on S3.
    const hosted =
      [...roles.keys()].find((name) => host.startsWith(`${name}.`)) ??
      /^(.+?)\.(?:s3\.)?localhost$/i.exec(host)?.[1];
    const segments = url.pathname.slice(1);
    if (hosted !== undefined)
      return { bucket: hosted, key: decode(segments) || undefined, query: url.searchParams };
    if (segments === "") return { query: url.searchParams };
    const slash = segments.indexOf("/");
    const bucket = decode(slash < 0 ? segments : segments.slice(0, slash));
    const key = slash < 0 ? undefined : decode(segments.slice(slash + 1)) || undefined;
    return { bucket, key, query: url.searchParams };
  };

  const roleOf = (bucket: string): BucketRole => {
    const role = roles.get(bucket);
    if (role === undefined)
      throw new AwsError("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket });
    return role;
  };

  const stat = async (role: BucketRole, bucket: string, key: string): Promise<ObjectInfo> => {
    const info =
      keyProblem(key) === undefined && key.startsWith(bucketHomePrefix[role])
        ? await storage.stat(role, key)
        : isGlueRunReport(role, key)
          ? await storage.stat("state", key)
          : undefined;
    if (!info)
      throw new AwsError("NoSuchKey", "The specified key does not exist.", 404, {
        Key: key,
        BucketName: bucket,
      });
    return info;
  };

  const listBuckets = (request: EndpointRequest): EndpointResponse => {
    const buckets = [...roles.keys()]
      .map((name) => `<Bucket><Name>${xmlText(name)}</Name><CreationDate>${CREATED}</CreationDate></Bucket>`)
      .join("");
    return xml(
      request,
      `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>${stack.accountId}</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`,
    );
  };

  /** The listing's common query members (both versions): prefix, delimiter, max-keys, encoding-type. */
  const listingQuery = (
    query: URLSearchParams,
  ): {
    prefix: string;
    delimiter: string;
    maxKeys: number;
    encoding: string | null;
    enc: (s: string) => string;
  } => {
    const maxKeysText = query.get("max-keys") ?? "1000";
    if (!/^\d+$/.test(maxKeysText))
      throw new AwsError("InvalidArgument", "Provided max-keys not an integer or within integer range");
    const encoding = query.get("encoding-type");
    if (encoding !== null && encoding !== "url")
      throw new AwsError("InvalidArgument", "Invalid Encoding Method specified in Request");
    return {
      prefix: query.get("prefix") ?? "",
      delimiter: query.get("delimiter") ?? "",
      maxKeys: Math.min(1000, Number(maxKeysText)),
      encoding,
      enc: (s) => xmlText(encoding === "url" ? encodeURIComponent(s).replaceAll("%2F", "/") : s),
    };
  };

  /**
   * Everything under the prefix after key `after`, in key order, folded into CommonPrefixes at the
   * delimiter, up to maxKeys entries. `last` is the last entry listed; `resume` the key the next page
   * continues after (past every key of a folded prefix).
   */
  const listing = async (
    role: BucketRole,
    q: { prefix: string; delimiter: string; maxKeys: number },
    after: string,
  ): Promise<{
    contents: ObjectInfo[];
    common: string[];
    truncated: boolean;
    last: string;
    resume: string;
  }> => {
    const { prefix, delimiter, maxKeys } = q;
    // A marker that is a folded prefix skips that whole prefix, as the page that folded it did.
    const from = delimiter !== "" && after.endsWith(delimiter) ? `${after}\uffff` : after;
    const contents: ObjectInfo[] = [];
    const common: string[] = [];
    let truncated = false;
    let last = "";
    const home = bucketHomePrefix[role];
    const listable = prefix.startsWith(home) || home.startsWith(prefix);
    if (listable && maxKeys > 0) {
      for await (const info of storage.list(role, prefix.startsWith(home) ? prefix : home)) {
        if (!info.key.startsWith(prefix) || info.key <= from) continue;
        const rest = info.key.slice(prefix.length);
        const cut = delimiter === "" ? -1 : rest.indexOf(delimiter);
        const entry = cut < 0 ? info.key : prefix + rest.slice(0, cut + delimiter.length);
        if (cut >= 0 && common[common.length - 1] === entry) continue;
        if (contents.length + common.length >= maxKeys) {
          truncated = true;
          break;
        }
        if (cut >= 0) common.push(entry);
        else contents.push(info);
        last = entry;
      }
    }
    const resume = last.endsWith(delimiter) && delimiter !== "" ? `${last}\uffff` : last;
    return { contents, common, truncated, last, resume };
  };

  /** The objects and common prefixes of a listing page, as both ListObjects versions answer them. */
  const entriesXml = (
    contents: readonly ObjectInfo[],
    common: readonly string[],
    enc: (s: string) => string,
  ): string =>
    contents
      .map(
        (o) =>
          `<Contents><Key>${enc(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
          `<ETag>${xmlText(etag(o))}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join("") + common.map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`).join("");

  const listObjectsV2 = async (
    request: EndpointRequest,
    bucket: string,
    role: BucketRole,
    query: URLSearchParams,
  ): Promise<EndpointResponse> => {
    const q = listingQuery(query);
    const { prefix, delimiter, maxKeys, encoding, enc } = q;
    const token = query.get("continuation-token");
    const startAfter = query.get("start-after") ?? "";
    let after = startAfter;
    if (token !== null) {
      const decoded = Buffer.from(token, "base64url").toString("utf8");
      if (!decoded.startsWith("k:"))
        throw new AwsError("InvalidArgument", "The continuation token provided is incorrect");
      after = decoded.slice(2);
    }
    const { contents, common, truncated, resume } = await listing(role, q, after);
    const body =
      `<ListBucketResult xmlns="${XMLNS}"><Name>${xmlText(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>` +
      `<KeyCount>${contents.length + common.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      (delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : "") +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (encoding ? "<EncodingType>url</EncodingType>" : "") +
      (token !== null ? `<ContinuationToken>${xmlText(token)}</ContinuationToken>` : "") +
      (truncated
        ? `<NextContinuationToken>${Buffer.from(`k:${resume}`).toString("base64url")}</NextContinuationToken>`
        : "") +
      (startAfter ? `<StartAfter>${enc(startAfter)}</StartAfter>` : "") +
      entriesXml(contents, common, enc) +
      "</ListBucketResult>";
    return xml(request, body);
  };

  /**
   * ListObjects (version 1), as boto3's `bucket.objects.filter(Prefix=…)` still calls it (dbt-athena
   * deletes a table's files so): `marker` for continuation, NextMarker only with a delimiter (otherwise
   * the client continues after the last key, as S3 documents).
   */
  const listObjectsV1 = async (
    request: EndpointRequest,
    bucket: string,
    role: BucketRole,
    query: URLSearchParams,
  ): Promise<EndpointResponse> => {
    const q = listingQuery(query);
    const { prefix, delimiter, maxKeys, encoding, enc } = q;
    const marker = query.get("marker") ?? "";
    const { contents, common, truncated, last } = await listing(role, q, marker);
    const body =
      `<ListBucketResult xmlns="${XMLNS}"><Name>${xmlText(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>` +
      `<Marker>${enc(marker)}</Marker><MaxKeys>${maxKeys}</MaxKeys>` +
      (delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : "") +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (encoding ? "<EncodingType>url</EncodingType>" : "") +
      (truncated && delimiter ? `<NextMarker>${enc(last)}</NextMarker>` : "") +
      entriesXml(contents, common, enc) +
      "</ListBucketResult>";
    return xml(request, body);
  };

  const getObject = async (
    request: EndpointRequest,
    bucket: string,
    role: BucketRole,
    key: string,
    head: boolean,
  ): Promise<EndpointResponse> => {
    const info = await stat(role, bucket, key);
    const tag = etag(info);
    const headers: Record<string, string> = {
      "x-amz-request-id": request.id,
      "last-modified": info.lastModified.toUTCString(),
      etag: tag,
      "accept-ranges": "bytes",
      "content-type": contentTypeOf(key),
    };
    const ifNoneMatch = header(request, "if-none-match");
    if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((t) => t.trim() === tag || t.trim() === "*"))
      return { service: "s3", status: 304, headers, body: Buffer.alloc(0) };
    const range = parseRange(header(request, "range"), info.size);
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    const length = Math.max(0, end - start + 1);
    headers["content-length"] = String(length);
    if (range) headers["content-range"] = `bytes ${start}-${end}/${info.size}`;
    const status = range ? 206 : 200;
    if (head || length === 0) return { service: "s3", status, headers, body: Buffer.alloc(0) };
    const from = isGlueRunReport(role, key) ? "state" : role;
    return { service: "s3", status, headers, body: await readRange(storage, from, key, start, end) };
  };

  const writes = s3Writes(storage, stack);

  return {
    signingName: "s3",
    maxPutBodyBytes,
    owns: (request) => {
      const { bucket } = address(request);
      return bucket !== undefined && roles.has(bucket);
    },
    call: async (request: EndpointRequest, _context: CallContext): Promise<EndpointResponse> => {
      try {
        await request.verify("s3");
        const { bucket, key, query } = address(request);
        const method = request.method;
        if (bucket === undefined) {
          if (method === "GET") return listBuckets(request);
          throw notImplemented(`${method} /`);
        }
        const role = roleOf(bucket);
        if (method !== "GET" && method !== "HEAD") return await writes(request, { bucket, role, key, query });
        if (key === undefined) {
          if (method === "HEAD")
            return {
              service: "s3",
              status: 200,
              headers: { "x-amz-bucket-region": stack.region },
              body: Buffer.alloc(0),
            };
          if (query.has("location"))
            return xml(
              request,
              `<LocationConstraint xmlns="${XMLNS}">${stack.region === "us-east-1" ? "" : xmlText(stack.region)}</LocationConstraint>`,
            );
          if (query.get("list-type") === "2") return listObjectsV2(request, bucket, role, query);
          const other = [...query.keys()].filter(
            (k) => !["prefix", "delimiter", "marker", "max-keys", "encoding-type"].includes(k),
          );
          if (other.length > 0) throw notImplemented(`GET bucket with ?${other.join("&")}`);
          return listObjectsV1(request, bucket, role, query);
        }
        if ([...query.keys()].some((k) => ["uploadId", "acl", "tagging", "attributes"].includes(k)))
          throw notImplemented(`GetObject with ?${[...query.keys()].join("&")}`);
        return await getObject(request, bucket, role, key, method === "HEAD");
      } catch (error) {
        return s3Error(request, error);
      }
    },
  };
}

/**
 * The Glue job's run reports are the one part of `_state/` served (read-only, in the state bucket, which the
 * local stack shares with errors): `transform --engine glue` reads its counts there, as on AWS.
 */
function isGlueRunReport(role: BucketRole, key: string): boolean {
  return role === "errors" && /^_state\/glue\/runs\/[A-Za-z0-9_-]+\.json$/.test(key);
}

function contentTypeOf(key: string): string {
  if (key.endsWith(".csv")) return "text/csv";
  if (key.endsWith(".json")) return "application/json";
  if (key.endsWith(".gz")) return "application/gzip";
  return "binary/octet-stream";
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range; S3 ignores multiple ranges), or undefined for none. */
function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // S3 ignores a Range it cannot read
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end)
    throw new AwsError("InvalidRange", "The requested range is not satisfiable", 416, {
      ActualObjectSize: size,
    });
  return { start, end };
}

async function readRange(
  storage: Storage,
  role: BucketRole,
  key: string,
  start: number,
  end: number,
): Promise<Readable> {
  const path = storage.localPath(role, key);
  if (path !== undefined) return createReadStream(path, { start, end });
  const whole = await storage.readStream(role, key);
  let offset = 0;
  return whole.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const from = Math.max(0, start - offset);
        const to = Math.min(chunk.length, end + 1 - offset);
        offset += chunk.length;
        done(null, from < to ? chunk.subarray(from, to) : undefined);
      },
    }),
  );
}

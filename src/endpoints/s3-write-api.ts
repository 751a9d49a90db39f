import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { recordArrivals } from "../storage/arrival-notice.js";
import { isHiddenKey, keyProblem } from "../storage/object-key.js";
import { bucketHomePrefix, type BucketRole, type Storage } from "../storage/storage.js";
import { stateKeys } from "../storage/warehouse-layout.js";
import { AwsError } from "./aws-error.js";
import { xmlText } from "./endpoint-router.js";
import type { LocalStack } from "./local-stack.js";
import { decodeAwsChunked, md5Hex, verifyChecksums, type ChecksumAlgorithm } from "./s3-checksums.js";
import { etag, header, notImplemented, xml, XMLNS } from "./s3-wire.js";
import type { EndpointRequest, EndpointResponse } from "./service-endpoints.js";

/** What a write request addresses (resolved by s3-api.ts). */
export interface S3Target {
  readonly bucket: string;
  readonly role: BucketRole;
  readonly key: string | undefined;
  readonly query: URLSearchParams;
}

/** S3's smallest part but the last (EntityTooSmall below it), as S3 enforces it. */
const minPartBytes = 5 * 1024 * 1024; // 5 MiB
/** S3's part numbers. */
const maxPartNumber = 10_000;
/** S3's limit of keys in one DeleteObjects. */
const maxDeleteKeys = 1000;
const uploadsPrefix = stateKeys.s3UploadsPrefix;
const uploadIdPattern = /^[0-9a-f]{32}$/;
const partName = /\/part-(\d{5})-([0-9a-f]{32})$/;

interface UploadRecord {
  readonly bucket: string;
  readonly key: string;
  readonly initiated: string;
  readonly checksumAlgorithm?: string;
}

/**
 * S3's write side, limited to what the pipeline's walk-through needs and no more: PutObject and multipart
 * uploads (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload) into the raw
 * bucket under `raw/` only, and DeleteObject / DeleteObjects in the Athena results bucket only. Any other
 * bucket or key gets `AccessDenied`, with nothing written.
 *
 * An object appears whole or not at all: a PutObject is written to a temp file and renamed; a multipart
 * upload keeps its parts under `_state/s3-uploads/<uploadId>/` until CompleteMultipartUpload writes the
 * object the same way, and AbortMultipartUpload (or a failed Complete) leaves nothing in raw/. Every object
 * written leaves an arrival notice (storage/arrival-notice.ts), so the next transform lists its day folder
 * even when that day was sealed long ago.
 */
export function s3Writes(
  storage: Storage,
  stack: LocalStack,
): (request: EndpointRequest, target: S3Target) => Promise<EndpointResponse> {
  const uploadKey = (id: string): string => `${uploadsPrefix}${id}/upload.json`;

  const readUpload = async (id: string, target: S3Target): Promise<UploadRecord> => {
    const record =
      uploadIdPattern.test(id) && (await storage.stat("state", uploadKey(id)))
        ? (JSON.parse((await storage.readBytes("state", uploadKey(id))).toString("utf8")) as UploadRecord)
        : undefined;
    if (!record || record.bucket !== target.bucket || record.key !== target.key)
      throw new AwsError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        404,
        { UploadId: id },
      );
    return record;
  };

  /** The upload's parts as written: part number → its staged key and ETag (the part's MD5). */
  const stagedParts = async (
    id: string,
  ): Promise<Map<number, { key: string; etag: string; size: number }>> => {
    const parts = new Map<number, { key: string; etag: string; size: number }>();
    for await (const o of storage.list("state", `${uploadsPrefix}${id}/`)) {
      const m = partName.exec(o.key);
      if (m) parts.set(Number(m[1]), { key: o.key, etag: `"${m[2]}"`, size: o.size });
    }
    return parts;
  };

  const dropUpload = async (id: string): Promise<void> => {
    for await (const o of storage.list("state", `${uploadsPrefix}${id}/`))
      await storage.delete("state", o.key);
  };

  const putObject = async (request: EndpointRequest, key: string): Promise<EndpointResponse> => {
    const { body, checksums } = verifiedBody(request);
    const info = await storage.writeAtomic("raw", key, body);
    await recordArrivals(storage, [key]);
    return empty(request, 200, { etag: etag(info), ...checksumHeaders(checksums) });
  };

  const createUpload = async (
    request: EndpointRequest,
    target: S3Target,
    key: string,
  ): Promise<EndpointResponse> => {
    const id = randomBytes(16).toString("hex");
    const algorithm = header(request, "x-amz-checksum-algorithm");
    const record: UploadRecord = {
      bucket: target.bucket,
      key,
      initiated: new Date().toISOString(),
      ...(algorithm ? { checksumAlgorithm: algorithm.toUpperCase() } : {}),
    };
    await storage.writeAtomic("state", uploadKey(id), JSON.stringify(record));
    return xml(
      request,
      `<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${xmlText(target.bucket)}</Bucket>` +
        `<Key>${xmlText(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      algorithm ? { "x-amz-checksum-algorithm": algorithm.toUpperCase() } : {},
    );
  };

  const uploadPart = async (
    request: EndpointRequest,
    target: S3Target,
    id: string,
    numberText: string,
  ): Promise<EndpointResponse> => {
    const number = Number(numberText);
    if (!/^\d+$/.test(numberText) || number < 1 || number > maxPartNumber)
      throw new AwsError(
        "InvalidArgument",
        `Part number must be an integer between 1 and ${maxPartNumber}, inclusive`,
      );
    await readUpload(id, target);
    const { body, checksums } = verifiedBody(request);
    const md5 = md5Hex(body);
    const staged = `${uploadsPrefix}${id}/part-${String(number).padStart(5, "0")}-${md5}`;
    const previous = (await stagedParts(id)).get(number);
    await storage.writeAtomic("state", staged, body);
    // A part uploaded again replaces the earlier one (S3 keeps the last).
    if (previous && previous.key !== staged) await storage.delete("state", previous.key);
    return empty(request, 200, { etag: `"${md5}"`, ...checksumHeaders(checksums) });
  };

  const completeUpload = async (
    request: EndpointRequest,
    target: S3Target,
    id: string,
    key: string,
  ): Promise<EndpointResponse> => {
    await readUpload(id, target);
    const asked = completedParts(request.body.toString("utf8"));
    const staged = await stagedParts(id);
    const chosen: string[] = [];
    asked.forEach((part, i) => {
      if (i > 0 && part.number <= asked[i - 1]!.number)
        throw new AwsError(
          "InvalidPartOrder",
          "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
        );
    });
    asked.forEach((part, i) => {
      const have = staged.get(part.number);
      if (!have || (part.etag !== undefined && normalEtag(part.etag) !== have.etag))
        throw new AwsError(
          "InvalidPart",
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
          { UploadId: id, PartNumber: part.number },
        );
      if (i < asked.length - 1 && have.size < minPartBytes)
        throw new AwsError(
          "EntityTooSmall",
          "Your proposed upload is smaller than the minimum allowed object size.",
          400,
          {
            PartNumber: part.number,
            ProposedSize: have.size,
            MinSizeAllowed: minPartBytes,
          },
        );
      chosen.push(have.key);
    });
    // The parts in order, streamed into one temp file that is renamed into raw/: readers see all or nothing.
    const info = await storage.writeAtomic("raw", key, Readable.from(concatenated(storage, chosen)));
    await recordArrivals(storage, [key]);
    await dropUpload(id);
    const location = `${stack.buckets.raw}/${key}`;
    return xml(
      request,
      `<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>${xmlText(location)}</Location>` +
        `<Bucket>${xmlText(target.bucket)}</Bucket><Key>${xmlText(key)}</Key><ETag>${xmlText(etag(info))}</ETag>` +
        "</CompleteMultipartUploadResult>",
    );
  };

  const abortUpload = async (
    request: EndpointRequest,
    target: S3Target,
    id: string,
  ): Promise<EndpointResponse> => {
    await readUpload(id, target);
    await dropUpload(id);
    return empty(request, 204);
  };

  const deleteObjects = async (request: EndpointRequest, target: S3Target): Promise<EndpointResponse> => {
    if (target.role !== "athena-results") throw accessDenied(deleteProblem(target.role, "")!);
    const body = verifiedBody(request).body.toString("utf8");
    const keys = [...body.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1]!));
    if (!/<Delete[\s>]/.test(body) || keys.length === 0 || keys.length > maxDeleteKeys)
      throw new AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
      );
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(body);
    let out = "";
    for (const key of keys) {
      const problem = deleteProblem(target.role, key);
      if (problem) {
        out += `<Error><Key>${xmlText(key)}</Key><Code>AccessDenied</Code><Message>${xmlText(problem)}</Message></Error>`;
        continue;
      }
      await storage.delete("athena-results", key);
      if (!quiet) out += `<Deleted><Key>${xmlText(key)}</Key></Deleted>`;
    }
    return xml(request, `<DeleteResult xmlns="${XMLNS}">${out}</DeleteResult>`);
  };

  return async (request, target) => {
    const { key, query, role } = target;
    const method = request.method;
    if (key === undefined) {
      if (method === "POST" && query.has("delete")) return deleteObjects(request, target);
      throw notImplemented(`${method} on a bucket`);
    }
    if (method === "DELETE") {
      const id = query.get("uploadId");
      if (id !== null) {
        denyWrite(role, key);
        return abortUpload(request, target, id);
      }
      const problem = deleteProblem(role, key);
      if (problem) throw accessDenied(problem);
      await storage.delete("athena-results", key);
      return empty(request, 204);
    }
    if (header(request, "x-amz-copy-source") !== undefined)
      throw notImplemented("CopyObject and UploadPartCopy");
    denyWrite(role, key);
    if (method === "POST" && query.has("uploads")) return createUpload(request, target, key);
    const id = query.get("uploadId");
    if (method === "POST" && id !== null) return completeUpload(request, target, id, key);
    if (method === "PUT" && id !== null)
      return uploadPart(request, target, id, query.get("partNumber") ?? "");
    if (method === "PUT" && ![...query.keys()].some((k) => k !== "x-id")) return putObject(request, key);
    throw notImplemented(`${method} of an object with ?${[...query.keys()].join("&")}`);
  };
}

function accessDenied(why: string): AwsError {
  return new AwsError("AccessDenied", `Access Denied: ${why}`, 403);
}

/** Throws AccessDenied unless `key` may be written: in the raw bucket, under `raw/`, a valid, visible key. */
function denyWrite(role: BucketRole, key: string): void {
  if (role !== "raw" || !key.startsWith(bucketHomePrefix.raw))
    throw accessDenied(
      `this local endpoint writes objects only under ${bucketHomePrefix.raw} in the raw bucket`,
    );
  const problem = keyProblem(key) ?? (isHiddenKey(key) ? "a segment starts with _ or ." : undefined);
  if (problem) throw accessDenied(`the key cannot be written: ${problem}`);
}

/** Why `key` may not be deleted, or undefined: only results under `athena-results/` in the results bucket. */
function deleteProblem(role: BucketRole, key: string): string | undefined {
  if (role !== "athena-results" || !key.startsWith(bucketHomePrefix["athena-results"]))
    return `this local endpoint deletes objects only under ${bucketHomePrefix["athena-results"]} in the Athena results bucket`;
  const problem = keyProblem(key);
  return problem && `the key cannot be deleted: ${problem}`;
}

/** The request's payload (aws-chunked decoded), verified against every integrity header or trailer sent. */
function verifiedBody(request: EndpointRequest): {
  body: Buffer;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
} {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers))
    headers[name] = Array.isArray(value) ? value[0] : value;
  const chunked =
    (headers["content-encoding"] ?? "").split(",").some((e) => e.trim() === "aws-chunked") ||
    (headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-");
  if (!chunked) return { body: request.body, checksums: verifyChecksums(request.body, headers) };
  const { payload, trailers } = decodeAwsChunked(request.body);
  const declared = headers["x-amz-decoded-content-length"];
  if (declared !== undefined && Number(declared) !== payload.length)
    throw new AwsError(
      "IncompleteBody",
      "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    );
  return { body: payload, checksums: verifyChecksums(payload, { ...headers, ...trailers }) };
}

function checksumHeaders(checksums: Partial<Record<ChecksumAlgorithm, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([a, v]) => [`x-amz-checksum-${a}`, v]));
}

/** The parts a CompleteMultipartUpload names, in the order given. */
function completedParts(body: string): { number: number; etag: string | undefined }[] {
  const parts = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1]!)?.[1];
    const tag = /<ETag>([^<]*)<\/ETag>/.exec(m[1]!)?.[1];
    return { number: Number(number), etag: tag === undefined ? undefined : xmlUnescape(tag) };
  });
  if (
    !/<CompleteMultipartUpload[\s>]/.test(body) ||
    parts.length === 0 ||
    parts.some((p) => !Number.isInteger(p.number))
  )
    throw new AwsError(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema",
    );
  return parts;
}

function normalEtag(tag: string): string {
  const t = tag.trim();
  return t.startsWith('"') ? t : `"${t}"`;
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

async function* concatenated(storage: Storage, keys: readonly string[]): AsyncGenerator<Buffer> {
  for (const key of keys)
    for await (const chunk of await storage.readStream("state", key)) yield chunk as Buffer;
}

function empty(
  request: EndpointRequest,
  status: number,
  headers: Record<string, string> = {},
): EndpointResponse {
  return {
    service: "s3",
    status,
    headers: { "x-amz-request-id": request.id, ...headers },
    body: Buffer.alloc(0),
  };
}

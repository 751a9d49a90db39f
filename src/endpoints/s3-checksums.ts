import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { AwsError } from "./aws-error.js";

/**
 * The integrity checks an S3 client may send with a body: `Content-MD5` and the flexible checksums
 * (`x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256`, base64 of the big-endian digest), each verified
 * when present, as S3 does. The AWS CLI v1 (botocore ≥ 1.36) sends CRC32 on every upload by default.
 */
const checksumAlgorithms = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

/** A running digest: `update` with each chunk, then `digest` (base64, as the headers carry it). */
interface Digest {
  update(chunk: Buffer): void;
  digest(): string;
}

function hashDigest(hash: Hash): Digest {
  return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest("base64") };
}

function crc32Digest(): Digest {
  let value = 0;
  return {
    update: (chunk) => void (value = crc32(chunk, value)),
    digest: () => uint32(value),
  };
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78). */
const crc32cTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32cDigest(): Digest {
  let c = 0xffffffff;
  return {
    update: (chunk) => {
      for (const byte of chunk) c = crc32cTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    },
    digest: () => uint32((c ^ 0xffffffff) >>> 0),
  };
}

/** CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), as two 32-bit halves so a byte costs no BigInt. */
const crc64Tables = (() => {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    lo[n] = Number(c & 0xffffffffn);
    hi[n] = Number(c >> 32n);
  }
  return { lo, hi };
})();

function crc64Digest(): Digest {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  return {
    update: (chunk) => {
      for (const byte of chunk) {
        const i = (lo ^ byte) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ crc64Tables.lo[i]!) >>> 0;
        hi = ((hi >>> 8) ^ crc64Tables.hi[i]!) >>> 0;
      }
    },
    digest: () => {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
      return out.toString("base64");
    },
  };
}

function uint32(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString("base64");
}

const digests: Record<ChecksumAlgorithm, () => Digest> = {
  crc32: crc32Digest,
  crc32c: crc32cDigest,
  crc64nvme: crc64Digest,
  sha1: () => hashDigest(createHash("sha1")),
  sha256: () => hashDigest(createHash("sha256")),
};

/** The base64 checksum of `body` with `algorithm`. */
function checksumOf(algorithm: ChecksumAlgorithm, body: Buffer): string {
  const d = digests[algorithm]();
  d.update(body);
  return d.digest();
}

/** The hex MD5 of a body (S3's ETag of a single-part object and of a part). */
export function md5Hex(body: Buffer): string {
  return createHash("md5").update(body).digest("hex");
}

/**
 * Verifies the body against every integrity header sent (`Content-MD5`, `x-amz-checksum-*`, or those of an
 * aws-chunked trailer): `BadDigest` / `InvalidDigest` as S3 answers a mismatch. Returns the checksums that
 * were sent and verified, by algorithm, so the answer can echo them as S3 does.
 */
export function verifyChecksums(
  body: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
): Partial<Record<ChecksumAlgorithm, string>> {
  const md5 = headers["content-md5"];
  if (md5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()))
      throw new AwsError("InvalidDigest", "The Content-MD5 you specified was invalid.");
    if (createHash("md5").update(body).digest("base64") !== md5.trim())
      throw new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  const verified: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const algorithm of checksumAlgorithms) {
    const sent = headers[`x-amz-checksum-${algorithm}`];
    if (sent === undefined) continue;
    const actual = checksumOf(algorithm, body);
    if (actual !== sent.trim())
      throw new AwsError(
        "BadDigest",
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
      );
    verified[algorithm] = actual;
  }
  return verified;
}

/**
 * The payload of an `aws-chunked` body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n`),
 * as SDKs send a streamed upload with a trailing checksum, and the trailer headers after it.
 * Chunk signatures are not checked (the request's own signature covers the seed).
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let at = 0;
  const malformed = (): AwsError =>
    new AwsError("IncompleteBody", "The aws-chunked request body could not be decoded.");
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) throw malformed();
    const sizeText = body.subarray(at, eol).toString("latin1").split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw malformed();
    const size = parseInt(sizeText, 16);
    at = eol + 2;
    if (size === 0) break;
    if (at + size + 2 > body.length) throw malformed();
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(at).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

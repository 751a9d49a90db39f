import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { limits } from "../contract/data-contract.js";
import type { Storage } from "../storage/storage.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";
import { completeMembers } from "./gzip-members.js";
import type { Piece, PieceCutter } from "./piece-cutter.js";

/** An object's bytes, or why they cannot be had within the contract's limits. */
export type ObjectBytes =
  | { ok: true; bytes: Buffer }
  | {
      ok: false;
      message: string;
      /** A bounded prefix of what was read, kept as the reject's raw text. */ prefix: Buffer;
    };

/** How far a `.gz` object may decompress (config: transform.maxCompressionRatio, maxDecompressedBytes). */
export interface DecompressionLimits {
  readonly maxCompressionRatio: number;
  readonly maxDecompressedBytes: number;
}

/** The most a `.gz` object of `compressedBytes` may decompress to (see the contract's limit notes). */
function decompressedCap(compressedBytes: number, caps: DecompressionLimits): number {
  return Math.min(
    caps.maxDecompressedBytes,
    Math.max(limits.maxObjectBytes, caps.maxCompressionRatio * compressedBytes),
  );
}

/** What streaming an object into pieces gave: its pieces, and a broken tail or why nothing is kept. */
export type StreamedObject =
  | { ok: true; pieces: Piece[]; tail?: { message: string; raw: Buffer } }
  | { ok: false; message: string; prefix: Buffer };

/**
 * Streams a raw object into pieces of text (piece-cutter.ts), gunzipping it when its name says gzip
 * (`.gz`), so an object of any size costs bounded memory. A `.gz` object that decompresses past its cap
 * (a gzip bomb) is rejected whole. One whose gzip data breaks off keeps what came before the break: every
 * member when what follows a complete member is not gzip (trailing junk), every complete line otherwise
 * (damage inside a member); the rest is a tail the caller rejects on its own.
 */
export async function streamRawObject(
  storage: Storage,
  source: { key: string; size: number },
  cutter: PieceCutter,
  caps: DecompressionLimits,
): Promise<StreamedObject> {
  const gzip = source.key.endsWith(".gz");
  let stream;
  try {
    stream = await storage.readStream("raw", source.key);
  } catch (error) {
    return { ok: false, message: describe(error), prefix: Buffer.alloc(0) };
  }
  const cap = decompressedCap(source.size, caps);
  const text = gzip ? stream.pipe(createGunzip()) : stream;
  let size = 0;
  let prefix = Buffer.alloc(0);
  try {
    for await (const chunk of chunksBeforeError(text)) {
      size += chunk.length;
      if (prefix.length < limits.maxRejectRawChars)
        prefix = Buffer.concat([prefix, chunk.subarray(0, limits.maxRejectRawChars - prefix.length)]);
      if (gzip && size > cap) {
        return {
          ok: false,
          message: `the object decompresses to over ${cap} bytes (${source.size} bytes compressed; the limits are transform.maxCompressionRatio and transform.maxDecompressedBytes)`,
          prefix,
        };
      }
      await cutter.write(chunk);
    }
  } catch (error) {
    if (!gzip) return { ok: false, message: describe(error), prefix };
    const message = error instanceof Error ? error.message : String(error);
    // zlib checks a member's header before it inflates anything: a header error means every member
    // before it was complete, and what follows is not gzip (zlib may not have handed over their text).
    const afterMember = /incorrect header check|unknown compression method/.test(message);
    if (afterMember && source.size <= limits.maxObjectBytes) {
      // Junk after complete members: read them again one by one (zlib dropped the last chunk's text).
      await cutter.reset();
      const members = completeMembers(await storage.readBytes("raw", source.key), cap);
      if (members.text.length === 0) return { ok: false, message: describe(error), prefix };
      for (const member of members.text) await cutter.write(member);
      return {
        ok: true,
        pieces: cutter.pieces,
        tail: {
          message: `the bytes after the object's last complete gzip member (from byte ${members.end}) are not gzip; the records before them are kept`,
          raw: Buffer.alloc(0),
        },
      };
    }
    if (cutter.bytes === 0) return { ok: false, message: describe(error), prefix };
    const raw = await cutter.truncateToLastLine();
    return {
      ok: true,
      pieces: cutter.pieces,
      tail: {
        message: `the gzip data breaks off after ${size} decompressed bytes (${message}); the records before it are kept`,
        raw,
      },
    };
  } finally {
    await cutter.close();
    // pipe() leaves the file stream open when gunzip fails; its FileHandle must not wait for the GC
    // (DEP0137 on Node 22 and 24).
    stream.destroy();
    text.destroy();
  }
  return { ok: true, pieces: cutter.pieces };
}

/**
 * Every chunk a stream emits, then its error. A stream's own async iterator drops the chunks still
 * buffered when it fails, and the text before a broken gzip tail must be kept.
 */
async function* chunksBeforeError(stream: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  stream.on("data", (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= 16) stream.pause();
    wake?.();
  });
  stream.on("end", () => {
    ended = true;
    wake?.();
  });
  stream.on("error", (error) => {
    failure = error;
    ended = true;
    wake?.();
  });
  for (;;) {
    const chunk = queue.shift();
    if (chunk) {
      if (queue.length < 4 && stream.isPaused()) stream.resume();
      yield chunk;
      continue;
    }
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

/** Gunzips bytes whose whole content is one or more complete gzip members, within the same cap. */
async function gunzipCapped(bytes: Buffer): Promise<ObjectBytes> {
  const gunzip = createGunzip();
  gunzip.end(bytes);
  return collectCapped(gunzip, "decompressed");
}

async function collectCapped(source: NodeJS.ReadableStream, what: string): Promise<ObjectBytes> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxObjectBytes) {
        (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        return {
          ok: false,
          message: `the object is over ${limits.maxObjectBytes} bytes${what ? ` ${what}` : ""} (the limit of one raw object)`,
          prefix: prefixOf(chunks, chunk),
        };
      }
      chunks.push(chunk);
    }
  } catch (error) {
    return { ok: false, message: describe(error), prefix: prefixOf(chunks) };
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
}

function prefixOf(chunks: Buffer[], last?: Buffer): Buffer {
  const kept: Buffer[] = [];
  let size = 0;
  for (const chunk of last ? [...chunks, last] : chunks) {
    if (size >= limits.maxRejectRawChars) break;
    kept.push(chunk.subarray(0, limits.maxRejectRawChars - size));
    size += kept.at(-1)!.length;
  }
  return Buffer.concat(kept);
}

function describe(error: unknown): string {
  return `the object cannot be read: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Decodes an object read without a `.gz` name: gunzipped only when its bytes, as a whole, are one or
 * more complete gzip members (never because of its first two bytes alone: one producer's record must
 * not decide how everyone's records in the object are read), text otherwise. A UTF-8 BOM is dropped.
 */
export async function decodeUnnamed(bytes: Buffer): Promise<ObjectBytes> {
  let out = bytes;
  if (startsWithGzipMagic(out)) {
    const gunzipped = await gunzipCapped(out);
    if (gunzipped.ok) out = gunzipped.bytes;
    else if (gunzipped.message.includes("over")) return gunzipped;
    // Otherwise not a complete gzip stream (a record that merely starts with the magic bytes): text.
  }
  return { ok: true, bytes: stripBom(out) };
}

export function stripBom(bytes: Buffer): Buffer {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
    ? bytes.subarray(3)
    : bytes;
}

import { createGunzip } from "node:zlib";
import { limits } from "../contract/data-contract.js";
import type { Storage } from "../storage/storage.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";

/** An object's bytes, or why they cannot be had within the contract's limits. */
export type ObjectBytes =
  | { ok: true; bytes: Buffer }
  | {
      ok: false;
      message: string;
      /** A bounded prefix of what was read, kept as the reject's raw text. */ prefix: Buffer;
    };

/**
 * Reads a raw object, decompressing it when its name says gzip (`.gz`), never holding more than the
 * contract's `maxObjectBytes` of decompressed text: a gzip bomb or an oversized object costs a bounded
 * amount of memory and becomes one `unreadable_object` reject, and the run goes on with the rest.
 */
export async function readRawObject(storage: Storage, key: string): Promise<ObjectBytes> {
  const gzip = key.endsWith(".gz");
  let stream;
  try {
    stream = await storage.readStream("raw", key);
  } catch (error) {
    return { ok: false, message: describe(error), prefix: Buffer.alloc(0) };
  }
  try {
    return await collectCapped(gzip ? stream.pipe(createGunzip()) : stream, gzip ? "decompressed" : "");
  } finally {
    // pipe() leaves the file stream open when gunzip fails; its FileHandle must not wait for the GC
    // (DEP0137 on Node 22 and 24).
    stream.destroy();
  }
}

/** Gunzips bytes whose whole content is one or more complete gzip members, within the same cap. */
export async function gunzipCapped(bytes: Buffer): Promise<ObjectBytes> {
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

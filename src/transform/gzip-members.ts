import { inflateRawSync } from "node:zlib";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";

/**
 * The complete gzip members at the start of some bytes, decompressed, and where they end: zlib's
 * stream API drops the output of the input chunk in which it meets trailing junk, so a `.gz` object
 * with junk after good members is read again member by member (RFC 1952's header, then raw deflate).
 */
export function completeMembers(bytes: Buffer, maxOutputBytes: number): { text: Buffer[]; end: number } {
  const text: Buffer[] = [];
  let at = 0;
  let total = 0;
  while (startsWithGzipMagic(bytes.subarray(at)) && bytes.length - at >= 18) {
    const flags = bytes[at + 3]!;
    let pos = at + 10;
    if (flags & 4) pos += 2 + bytes.readUInt16LE(pos); // FEXTRA
    if (flags & 8) pos = bytes.indexOf(0, pos) + 1; // FNAME
    if (flags & 16) pos = bytes.indexOf(0, pos) + 1; // FCOMMENT
    if (flags & 2) pos += 2; // FHCRC
    if (pos <= at || pos > bytes.length) break;
    let inflated;
    try {
      inflated = inflateRawSync(bytes.subarray(pos), {
        info: true,
        maxOutputLength: Math.max(1, maxOutputBytes - total),
      }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    } catch {
      break;
    }
    const end = pos + inflated.engine.bytesWritten + 8; // CRC32 and ISIZE
    if (end > bytes.length) break;
    text.push(inflated.buffer);
    total += inflated.buffer.length;
    at = end;
    while (at < bytes.length && bytes[at] === 0) at++; // zero padding between members is allowed
  }
  return { text, end: at };
}

/**
 * Whether bytes begin with gzip's magic number (1f 8b). Only a hint: a text record may begin with those
 * bytes too, so whether an object *is* gzip is decided elsewhere (object-reader.ts, the data contract).
 */
export function startsWithGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

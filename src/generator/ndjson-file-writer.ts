import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { wrapError } from "../errors/clickstream-error.js";
import { ChunkBuffer } from "./chunk-buffer.js";
import { EventGenerator, type GenerationSummary, type GeneratorOptions } from "./event-generator.js";

/** Records are packed into chunks of this many bytes before each write (few, large writes). */
const chunkBytes = 4 * 1024 * 1024;

export interface NdjsonWriteOptions extends GeneratorOptions {
  /** Gzip the output (level 6, as `gzip` does). */
  gzip?: boolean;
  /** End lines with CRLF instead of LF. */
  crlf?: boolean;
}

/**
 * Streams generated records as NDJSON into `out` (a file stream, stdout…), one record per line, in large
 * batched writes with backpressure. Invalid-UTF-8 defects are written as their exact bytes.
 * Does not end `out`.
 */
export async function writeNdjsonStream(
  out: Writable,
  options: NdjsonWriteOptions,
): Promise<GenerationSummary> {
  const generator = new EventGenerator(options, true);
  const lineEnd = options.crlf ? "\r\n" : "\n";
  const newlineBytes = Buffer.from(lineEnd);
  const buffer = new ChunkBuffer(chunkBytes);
  const flush = async (): Promise<void> => {
    for (const chunk of buffer.take()) if (!out.write(chunk)) await once(out, "drain");
  };
  for (let record = generator.next(); record; record = generator.next()) {
    if (record.raw) {
      // Byte-exact record (invalid UTF-8): its bytes, not its lossy text.
      buffer.appendBytes(record.raw);
      buffer.appendBytes(newlineBytes);
    } else {
      buffer.appendText(record.text, record.kind === "clean", lineEnd);
    }
    if (buffer.hasFullChunk) await flush();
  }
  await flush();
  return generator.summary;
}

/**
 * Writes generated records to an NDJSON file (gzip-compressed with `gzip: true`), fast enough for
 * benchmark inputs (about 1M events in a couple of seconds). Returns the ground truth and the file size.
 */
export async function writeNdjsonFile(
  path: string,
  options: NdjsonWriteOptions,
): Promise<GenerationSummary & { path: string; fileBytes: number }> {
  const file = createWriteStream(path, { highWaterMark: 1 << 20 });
  try {
    let summary: GenerationSummary;
    if (options.gzip) {
      const gzip = createGzip();
      gzip.pipe(file);
      summary = await writeNdjsonStream(gzip, options);
      gzip.end();
      await finished(file);
    } else {
      summary = await writeNdjsonStream(file, options);
      file.end();
      await finished(file);
    }
    return { ...summary, path, fileBytes: file.bytesWritten };
  } catch (error) {
    file.destroy();
    throw wrapError("CS_ERR_STORAGE_IO", error, `write ${path}`);
  }
}

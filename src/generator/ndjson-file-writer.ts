import { open, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
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
  const buffer = new ChunkBuffer(chunkBytes);
  const flush = async (): Promise<void> => {
    for (const chunk of buffer.take()) await writeChunk(out, chunk);
  };
  while (generator.nextInto(buffer, lineEnd)) {
    if (buffer.hasFullChunk) await flush();
  }
  await flush();
  return generator.summary;
}

/** Writes with backpressure; fails (never hangs) when the stream errors or closes early. */
async function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  if (out.errored) throw out.errored;
  if (out.destroyed || out.writableEnded) throw new Error("the output closed before all data was written");
  if (out.write(chunk)) return;
  const abort = new AbortController();
  try {
    await Promise.race([
      once(out, "drain", { signal: abort.signal }),
      once(out, "close", { signal: abort.signal }).then(() => {
        throw out.errored ?? new Error("the output closed before all data was written");
      }),
    ]);
  } finally {
    abort.abort();
  }
}

/**
 * Writes generated records to an NDJSON file (gzip-compressed with `gzip: true`), fast enough for
 * benchmark inputs (about 1M events in a few seconds). Returns the ground truth and the file size.
 * Throws CS_ERR_STORAGE_IO when the file cannot be written.
 */
export async function writeNdjsonFile(
  path: string,
  options: NdjsonWriteOptions,
): Promise<GenerationSummary & { path: string; fileBytes: number }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "w");
    const file = handle.createWriteStream({ highWaterMark: 1 << 20 });
    handle = undefined; // the stream owns and closes it now
    let summary: GenerationSummary;
    if (options.gzip) {
      const gzip = createGzip();
      const piped = pipeline(gzip, file);
      piped.catch(() => undefined); // surfaced through the writes and the await below
      summary = await writeNdjsonStream(gzip, options);
      gzip.end();
      await piped;
    } else {
      const closed = finished(file);
      closed.catch(() => undefined);
      summary = await writeNdjsonStream(file, options);
      file.end();
      await closed;
    }
    return { ...summary, path, fileBytes: file.bytesWritten };
  } catch (error) {
    await handle?.close();
    throw wrapError("CS_ERR_STORAGE_IO", error, `write ${path}`);
  }
}

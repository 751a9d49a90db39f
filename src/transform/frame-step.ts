import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { limits } from "../contract/data-contract.js";
import { readRawObject } from "./object-reader.js";
import type { RunContext } from "./run-context.js";
import type { FramingRejects } from "./framing-rejects.js";

/** Columns of `text_files`: each raw object as a local file of text DuckDB can read. */
export const textFilesColumns = { obj: "INTEGER", path: "VARCHAR" } as const;

/**
 * Step 2, frame: gives every new raw object a local file DuckDB can read. A plain object on a local
 * warehouse is read in place; a `.gz` object is decompressed (within the contract's object size) into
 * the scratch folder; remote objects are downloaded there. An object that cannot be had within the
 * limits becomes one `unreadable_object` reject. Splitting objects into records happens in DuckDB (the
 * judge step), with the per-record path in Node only for what DuckDB cannot split (fallback-step.ts).
 */
export async function frameObjects(ctx: RunContext, rejects: FramingRejects): Promise<void> {
  const { storage, sources, sql, tally } = ctx;
  await sql.run(`CREATE TABLE text_files (obj INTEGER, path VARCHAR)`);
  const files: [number, string][] = [];
  let done = 0;
  for (const source of sources) {
    tally.bytesRead += source.size;
    const inPlace = storage.localPath("raw", source.key);
    if (!source.key.endsWith(".gz") && source.size > limits.maxObjectBytes) {
      const read = await readRawObject(storage, source.key);
      rejects.unreadable(
        source.obj,
        read.ok ? "the object is over the size limit" : read.message,
        read.ok ? read.bytes : read.prefix,
      );
    } else if (!source.key.endsWith(".gz") && inPlace !== undefined) {
      files.push([source.obj, inPlace]);
    } else if (!source.key.endsWith(".gz")) {
      const path = join(ctx.scratch, `raw-${source.obj}`);
      await pipeline(await storage.readStream("raw", source.key), createWriteStream(path));
      files.push([source.obj, path]);
    } else {
      const read = await readRawObject(storage, source.key);
      if (!read.ok) rejects.unreadable(source.obj, read.message, read.prefix);
      else {
        const path = join(ctx.scratch, `raw-${source.obj}.txt`);
        await writeFile(path, read.bytes);
        files.push([source.obj, path]);
      }
    }
    done++;
    ctx.onProgress({
      phase: "read",
      objectsDone: done,
      objectsTotal: sources.length,
      bytesRead: tally.bytesRead,
    });
  }
  await sql.appendRows("text_files", files, ["INTEGER", "VARCHAR"]);
}

import { createWriteStream } from "node:fs";
import { mkdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { limits } from "../contract/data-contract.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { readRawObject } from "./object-reader.js";
import type { RunContext } from "./run-context.js";
import type { FramingRejects } from "./framing-rejects.js";

/** The folder of objects the run decompressed or downloaded: `<scratch>/objects/<obj>`. */
export const objectsDir = (scratch: string): string => join(scratch, "objects");

/** Characters DuckDB's file readers take as a glob pattern. */
const globCharacters = /[*?[{]/;

/** Columns of `text_files`: each raw object as a local file of text DuckDB can read. */
export const textFilesColumns = { obj: "INTEGER", path: "VARCHAR", bytes: "BIGINT" } as const;

/**
 * Step 2, frame: gives every new raw object a local file DuckDB can read. A plain object on a local
 * warehouse is read in place; a `.gz` object is decompressed (within the contract's object size) into
 * the scratch folder; remote objects are downloaded there. An object that cannot be had within the
 * limits becomes one `unreadable_object` reject. Splitting objects into records happens in DuckDB (the
 * judge step), with the per-record path in Node only for what DuckDB cannot split (fallback-step.ts).
 */
export async function frameObjects(ctx: RunContext, rejects: FramingRejects): Promise<void> {
  const { storage, sources, sql, tally } = ctx;
  await sql.run(`CREATE TABLE text_files (obj INTEGER, path VARCHAR, bytes BIGINT)`);
  const dir = objectsDir(ctx.scratch);
  if (globCharacters.test(dir)) {
    throw new ClickstreamError(
      "CS_ERR_INVALID_CONFIG",
      `the warehouse folder ${ctx.scratch} holds *, ? or [, which DuckDB reads as a pattern: use a folder without them`,
    );
  }
  await mkdir(dir, { recursive: true });
  const files: [number, string, number][] = [];
  const inPlaceFiles: { source: (typeof sources)[number]; path: string }[] = [];
  let done = 0;
  const progress = (): void =>
    ctx.onProgress({
      phase: "read",
      objectsDone: done,
      objectsTotal: sources.length,
      bytesRead: tally.bytesRead,
    });
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
      // DuckDB reads a path as a glob, with no escape: a name holding *, ? or [ is read through a link
      // named by its number (`[1].json` would read `1.json` instead).
      const path = globCharacters.test(inPlace) ? join(dir, String(source.obj)) : inPlace;
      if (path !== inPlace) await symlink(inPlace, path);
      inPlaceFiles.push({ source, path });
      files.push([source.obj, path, source.size]);
    } else if (!source.key.endsWith(".gz")) {
      const path = join(dir, String(source.obj));
      await pipeline(await storage.readStream("raw", source.key), createWriteStream(path));
      files.push([source.obj, path, source.size]);
    } else {
      const read = await readRawObject(storage, source.key);
      if (!read.ok) rejects.unreadable(source.obj, read.message, read.prefix);
      else {
        const path = join(dir, String(source.obj));
        await writeFile(path, read.bytes);
        files.push([source.obj, path, read.bytes.length]);
      }
    }
    done++;
    if (done % 1000 === 0) progress();
  }
  await checkInPlace(inPlaceFiles);
  progress();
  await sql.appendRows("text_files", files, ["INTEGER", "VARCHAR", "BIGINT"]);
}

/**
 * DuckDB skips a path it cannot open without a word, which would read a vanished object as empty: every
 * object read in place must still be there, at its listed size (a few hundred stats at a time).
 */
async function checkInPlace(files: { source: { key: string; size: number }; path: string }[]): Promise<void> {
  for (let i = 0; i < files.length; i += 256) {
    await Promise.all(
      files.slice(i, i + 256).map(async ({ source, path }) => {
        const found = await stat(path).catch(() => undefined);
        if (found?.size !== source.size) {
          throw new ClickstreamError(
            "CS_ERR_STORAGE_IO",
            `raw object ${source.key} ${found ? `changed size (${source.size} → ${found.size} bytes)` : "vanished"} after it was listed`,
          );
        }
      }),
    );
  }
}

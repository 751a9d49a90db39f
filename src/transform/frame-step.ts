import { createWriteStream } from "node:fs";
import { mkdir, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { limits } from "../contract/data-contract.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";
import { keyProblem } from "../storage/object-key.js";
import { judgeBatchBytes } from "./judge-step.js";
import { streamRawObject } from "./object-reader.js";
import { PieceCutter } from "./piece-cutter.js";
import type { RunContext, StepResult } from "./run-context.js";
import { defineTable } from "./table-definition.js";
import type { FramingRejects } from "./framing-rejects.js";

/** The folder of objects the run decompressed or downloaded: `<scratch>/objects/<obj>`. */
export const objectsDir = (scratch: string): string => join(scratch, "objects");

/** Characters DuckDB's file readers take as a glob pattern. */
const globCharacters = /[*?[{]/;

/** Each raw object (or piece of one) as a local file of text DuckDB can read. */
export const textFilesTable = defineTable("text_files", { obj: "INTEGER", path: "VARCHAR", bytes: "BIGINT" });

/**
 * Step 2, frame: gives every new raw object local files DuckDB can read, and each of them a number
 * (`ctx.parts`). A plain object on a local warehouse up to a judge batch in size is read in place; a
 * bigger one, a `.gz` object (decompressed within the contract's gzip-bomb limits) and a remote object
 * are streamed into the scratch folder, cut into pieces of about a judge batch each between records
 * (piece-cutter.ts), so an object of any size costs bounded memory. An object that cannot be had (a key
 * no storage can hold, a bomb, an I/O error) becomes one `unreadable_object` reject. Splitting objects
 * into records happens in DuckDB (the judge step), with the per-record path in Node only for what DuckDB
 * cannot split (fallback-step.ts).
 */
export async function frameObjects(ctx: RunContext): Promise<StepResult> {
  const { storage, sources, sql, tally, rejects } = ctx;
  await textFilesTable.create(sql);
  const dir = objectsDir(ctx.scratch);
  if (globCharacters.test(dir)) {
    throw new ClickstreamError(
      "CS_ERR_INVALID_CONFIG",
      `the warehouse folder ${ctx.scratch} holds *, ? or [, which DuckDB reads as a pattern: use a folder without them`,
    );
  }
  await mkdir(dir, { recursive: true });
  // Objects up to a judge batch are read in place; bigger ones are cut into pieces an eighth of a batch:
  // DuckDB holds a piece's text several times over while splitting it into lines.
  const inPlaceBytes = judgeBatchBytes(ctx);
  const pieceBytes = Math.max(1 << 20, Math.floor(inPlaceBytes / 8));
  const files: [number, string, number][] = [];
  const inPlaceFiles: { source: (typeof sources)[number]; path: string }[] = [];
  const part = (key: string, firstLine: number, gunzipped: boolean): number => {
    const obj = ctx.parts.length;
    ctx.parts.push({ obj, key, firstLine, gunzipped });
    return obj;
  };
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
    const gzip = source.key.endsWith(".gz");
    const problem = keyProblem(source.key);
    const inPlace = problem === undefined ? storage.localPath("raw", source.key) : undefined;
    if (problem !== undefined) {
      // A name no storage can hold (S3 refuses it, a local path would escape or differ): its own reject.
      rejects.unreadable(part(source.key, 0, false), `its key cannot be used: ${problem}`, Buffer.alloc(0));
    } else if (!gzip && inPlace !== undefined && source.size <= inPlaceBytes) {
      // DuckDB reads a path as a glob, with no escape: a name holding *, ? or [ is read through a link
      // named by its number (`[1].json` would read `1.json` instead).
      const obj = part(source.key, 0, false);
      const path = globCharacters.test(inPlace) ? join(dir, String(obj)) : inPlace;
      if (path !== inPlace) await symlink(inPlace, path);
      inPlaceFiles.push({ source, path });
      files.push([obj, path, source.size]);
    } else if (!gzip && source.size > inPlaceBytes && (await startsWithGzipMagicAt(storage, source.key))) {
      // Gzip bytes under a plain name are decoded whole (fallback-step.ts), so they keep the contract's
      // object limit.
      await frameUnnamedGzip(ctx, source, part(source.key, 0, false), files, rejects);
    } else {
      const base = join(dir, `${source.obj}`);
      const cutter = new PieceCutter(pieceBytes, (n) => `${base}-${n}`);
      const read = await streamRawObject(storage, source, cutter, ctx.config);
      if (!read.ok) {
        await Promise.all(cutter.pieces.map((p) => rm(p.path, { force: true })));
        rejects.unreadable(part(source.key, 0, gzip), read.message, read.prefix);
      } else {
        let firstLine = 0;
        let last = -1;
        for (const piece of read.pieces) {
          last = part(source.key, firstLine, gzip);
          files.push([last, piece.path, piece.bytes]);
          firstLine += piece.lines;
        }
        if (read.tail) {
          rejects.unreadable(
            last === -1 ? part(source.key, 0, gzip) : last,
            read.tail.message,
            read.tail.raw,
          );
        }
      }
    }
    done++;
    if (done % 1000 === 0) progress();
  }
  await checkInPlace(inPlaceFiles);
  progress();
  await textFilesTable.append(sql, files);
  return rejects.takeCounts();
}

async function startsWithGzipMagicAt(storage: RunContext["storage"], key: string): Promise<boolean> {
  const stream = await storage.readStream("raw", key).catch(() => undefined);
  if (!stream) return false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) return startsWithGzipMagic(chunk);
    return false;
  } finally {
    stream.destroy();
  }
}

/** A plain-named object of gzip bytes: one local file, within the contract's object limit. */
async function frameUnnamedGzip(
  ctx: RunContext,
  source: { key: string; size: number; obj: number },
  obj: number,
  files: [number, string, number][],
  rejects: FramingRejects,
): Promise<void> {
  if (source.size > limits.maxObjectBytes) {
    rejects.unreadable(
      obj,
      `the object is gzip bytes under a name without .gz and over ${limits.maxObjectBytes} bytes (name it .gz to have it streamed)`,
      Buffer.alloc(0),
    );
    return;
  }
  const path = join(objectsDir(ctx.scratch), `${source.obj}`);
  await pipeline(await ctx.storage.readStream("raw", source.key), createWriteStream(path));
  files.push([obj, path, source.size]);
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

import { isUtf8 } from "node:buffer";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";
import type { FramingPass } from "./framing-pass.js";
import { judgeTextFiles } from "./judge-step.js";
import { decodeUnnamed, stripBom } from "./object-reader.js";
import { splitObject } from "./record-splitter.js";
import type { RunContext } from "./run-context.js";
import { defineTable } from "./table-definition.js";

/** Objects with some lines that are not UTF-8, and the blanked copy DuckDB judges instead. */
export const partlyTextTable = defineTable(
  "partly_text",
  { obj: "INTEGER", path: "VARCHAR" },
  { temp: true },
);

/** The lines of those objects that are not UTF-8, for the per-record path. */
export const badLinesTable = defineTable("bad_lines", { obj: "INTEGER", line: "INTEGER" }, { temp: true });

/**
 * The per-record path's first job: whole objects DuckDB could not read as text (`kind = 'object'`). An
 * object of UTF-8 text but for a few lines goes back to DuckDB's judge without them (those lines left
 * for the line pass); bad bytes or gzip bytes under a plain name are decoded and split here, record by
 * record. Returns how many records DuckDB's judge found (the splitter's go to the staging file).
 */
export async function frameNotTextObjects(ctx: RunContext, pass: FramingPass): Promise<number> {
  const { sql, rejects } = ctx;
  const { pathOf, sinkFor, replaced } = pass;
  const gunzipped = new Set(ctx.parts.filter((p) => p.gunzipped).map((p) => p.obj));
  const partlyText: { obj: number; path: string; bytes: number; badLines: number[] }[] = [];
  for (const row of await sql.rows(`SELECT obj FROM judged WHERE kind = 'object' ORDER BY obj`)) {
    const obj = Number(row.obj);
    replaced.push([obj, 0]);
    const bytes = await readFile(pathOf.get(obj)!);
    const gzipped = gunzipped.has(obj) || startsWithGzipMagic(bytes);
    const blanked = gzipped ? undefined : blankLinesNotUtf8(bytes);
    if (blanked) {
      // Text with a few lines that are not UTF-8: DuckDB judges the rest, Node only those lines.
      const path = join(ctx.scratch, `text-${obj}`);
      await writeFile(path, blanked.text);
      partlyText.push({ obj, path, bytes: blanked.text.length, badLines: blanked.badLines });
      continue;
    }
    // A `.gz` object's file already holds its decompressed text.
    const decoded = gunzipped.has(obj)
      ? { ok: true as const, bytes: stripBom(bytes) }
      : await decodeUnnamed(bytes);
    if (!decoded.ok) rejects.unreadable(obj, decoded.message, decoded.prefix);
    else await splitObject(decoded.bytes, sinkFor(obj, new Map()), { checkFastLines: true });
  }
  return judgePartlyText(ctx, partlyText);
}

/**
 * The object with every line that is not UTF-8 made blank (its LF kept, so line numbers stay), and
 * those lines; undefined when the result is still not UTF-8 text or no line was bad.
 */
function blankLinesNotUtf8(buf: Buffer): { text: Buffer; badLines: number[] } | undefined {
  const text = Buffer.from(buf);
  const badLines: number[] = [];
  let line = 1;
  for (let start = 0; start <= text.length; line++) {
    const lf = text.indexOf(0x0a, start);
    const end = lf === -1 ? text.length : lf;
    if (!isUtf8(text.subarray(start, end))) {
      text.fill(0x20, start, end); // blanks: a line of only blanks is no record
      badLines.push(line);
    }
    if (lf === -1) break;
    start = lf + 1;
  }
  return badLines.length > 0 && isUtf8(text) ? { text, badLines } : undefined;
}
/**
 * Objects with some lines that are not UTF-8: their other lines through DuckDB's judge like any text
 * (their `text_files` path now the blanked copy, which later steps read for the same lines), and a
 * placeholder for each bad line, which the line pass (line-framing.ts) takes in its object's context.
 * Returns how many lines DuckDB took as one record each.
 */
async function judgePartlyText(
  ctx: RunContext,
  objects: { obj: number; path: string; bytes: number; badLines: number[] }[],
): Promise<number> {
  if (objects.length === 0) return 0;
  const { sql } = ctx;
  await partlyTextTable.create(sql);
  await partlyTextTable.append(
    sql,
    objects.map((o) => [o.obj, o.path]),
  );
  await sql.run(`UPDATE text_files SET path = p.path FROM partly_text p WHERE text_files.obj = p.obj`);
  const found = await judgeTextFiles(ctx, objects);
  await badLinesTable.create(sql);
  await badLinesTable.append(
    sql,
    objects.flatMap((o) => o.badLines.map((line) => [o.obj, line])),
  );
  await sql.run(`INSERT INTO judged BY NAME SELECT obj, line, 0 AS sub, 'other' AS kind FROM bad_lines`);
  await sql.run(`DROP TABLE bad_lines`);
  await sql.run(`DROP TABLE partly_text`);
  return found;
}

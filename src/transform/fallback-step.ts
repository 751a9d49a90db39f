import { isUtf8 } from "node:buffer";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reasonMessage } from "../contract/data-contract.js";
import { decodeUnnamed, stripBom } from "./object-reader.js";
import { epochMillis, isWholeLiteral } from "./exact-number.js";
import { exactNumberFields } from "./field-rules-sql.js";
import { memberText, propertiesFromText } from "./properties-text.js";
import { buildRulesSql } from "./record-rules-sql.js";
import { scanLineInContext, splitObject, type SplitSink } from "./record-splitter.js";
import { judgeTextFiles, ruleValues } from "./judge-step.js";
import { combinedResult, type RunContext, type StepResult } from "./run-context.js";
import { StagingWriter, stagedRecordsSql } from "./staging-writer.js";
import { defineTable } from "./table-definition.js";
import { startsWithGzipMagic } from "../storage/gzip-magic.js";

/** The judged placeholders the per-record path replaced. */
export const replacedLinesTable = defineTable("replaced_lines", { obj: "INTEGER", line: "INTEGER" });

/** Records judged again with their number literals' exact values (x_<field>: see exactNumberFields). */
export const exactLinesTable = defineTable("exact_lines", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  raw: "VARCHAR",
  // Epoch milliseconds for the timestamp; for a quantity whether it is whole, as 0/1 (the appender
  // takes no BOOLEAN; the relation that reads it casts it).
  ...Object.fromEntries(
    exactNumberFields.map((f) => [`x_${f.name}`, f.kind === "timestamp" ? "BIGINT" : "INTEGER"] as const),
  ),
});

/** Objects with some lines that are not UTF-8, and the blanked copy DuckDB judges instead. */
export const partlyTextTable = defineTable(
  "partly_text",
  { obj: "INTEGER", path: "VARCHAR" },
  { temp: true },
);

/** The lines of those objects that are not UTF-8, for the per-record path. */
export const badLinesTable = defineTable("bad_lines", { obj: "INTEGER", line: "INTEGER" }, { temp: true });

/** Records a strict JSON parser rejected although DuckDB's lenient one took them. */
export const lenientTable = defineTable("lenient", { obj: "INTEGER", line: "INTEGER", sub: "INTEGER" });

/** Properties objects mapped from the record's exact text, one entry a row in order (`ord`). */
export const propertyEntriesTable = defineTable("property_entries", {
  obj: "INTEGER",
  line: "INTEGER",
  sub: "INTEGER",
  k: "VARCHAR",
  v: "VARCHAR",
  ord: "INTEGER",
});

/**
 * Step 4, the per-record path: what DuckDB could not frame or judge in bulk, record by record in Node,
 * with exactly the contract's framing rules (record-splitter.ts, the same code the vectors check):
 *  - whole objects that are not UTF-8 text (bad bytes, gzip bytes under a name without `.gz`);
 *  - lines that do not look like one object (arrays, concatenated or pretty-printed objects, scalars,
 *    broken records), scanned in their object's context since a value may span lines;
 *  - lines that look like one object but do not parse (they may hold several records);
 *  - records whose text may use DuckDB's lenient JSON (NaN, trailing commas): a strict parser decides;
 *  - properties objects DuckDB could not map (numbers or nested values kept as written, repeated keys).
 * What it finds replaces the placeholders in `judged`, through the same rules SQL.
 */
export async function fallbackRecords(ctx: RunContext): Promise<StepResult> {
  const { sql, rejects } = ctx;
  let found = 0;
  const staging = await StagingWriter.create(join(ctx.scratch, "staged.txt"));
  const replaced: [number, number][] = [];
  const gunzipped = new Set(ctx.parts.filter((p) => p.gunzipped).map((p) => p.obj));
  const pathOf = new Map(
    (await sql.rows(`SELECT obj, path FROM text_files`)).map((r) => [Number(r.obj), String(r.path)]),
  );
  const sinkFor = (obj: number, subs: Map<number, number>): SplitSink => ({
    record: (line, text, checked) => {
      const sub = (subs.get(line) ?? 0) + 1;
      subs.set(line, sub);
      return staging.add(obj, line, sub, text, checked);
    },
    reject: (reject) => {
      const sub = (subs.get(reject.line ?? 0) ?? 0) + 1;
      subs.set(reject.line ?? 0, sub);
      rejects.add(obj, reject, sub);
    },
  });

  try {
    // Whole objects DuckDB could not read as text.
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
    found += await judgePartlyText(ctx, partlyText);

    // Lines DuckDB could not take as one record, object by object, in line order.
    const lines = (await sql.rows(`SELECT obj, line, kind FROM judged
        WHERE kind = 'other' OR (kind = 'fast' AND reason = 'malformed_json') ORDER BY obj, line`)) as {
      obj: number;
      line: number;
      kind: string;
    }[];
    let current:
      | { obj: number; buf: Buffer; starts: number[]; consumedBefore: number; subs: Map<number, number> }
      | undefined;
    for (const { obj, line, kind } of lines) {
      if (current?.obj !== obj) {
        const buf = stripBom(await readFile(pathOf.get(obj)!));
        current = { obj, buf, starts: lineStarts(buf), consumedBefore: 0, subs: new Map() };
      }
      if (line < current.consumedBefore) continue; // part of a value scanned from an earlier line
      const start = current.starts[line - 1]!;
      const sink = sinkFor(obj, current.subs);
      if (kind === "fast") {
        // A line that looks like one object but does not parse: its own text may hold several records.
        const end = line < current.starts.length ? current.starts[line]! - 1 : current.buf.length;
        const found: ((s: SplitSink) => void | Promise<void>)[] = [];
        let records = 0;
        let onlyMalformed = true;
        await splitObject(
          current.buf.subarray(start, end),
          {
            record: (l, text, checked) => {
              records++;
              const copy = Buffer.from(text);
              found.push((s) => s.record(l, copy, checked));
            },
            reject: (r) => {
              if (r.reason !== "malformed_json") onlyMalformed = false;
              found.push((s) => s.reject(r));
            },
          },
          { firstLine: line, scanEverything: true },
        );
        if (records === 0 && onlyMalformed && found.length === 1) continue; // DuckDB's verdict stands
        replaced.push([obj, line]);
        for (const emit of found) await emit(sink);
        continue;
      }
      const { nextLine, atEnd } = await scanLineInContext(current.buf, start, line, sink);
      const last = atEnd ? current.starts.length : nextLine - 1;
      for (let l = line; l <= last; l++) replaced.push([obj, l]);
      current.consumedBefore = atEnd ? Number.MAX_SAFE_INTEGER : nextLine;
    }
  } finally {
    await staging.close();
  }
  found += staging.records;

  if (replaced.length > 0) {
    await replacedLinesTable.create(sql);
    await replacedLinesTable.append(sql, replaced);
    // The judge counted those lines as one record each; what this step found there replaces them.
    const [row] = await sql.rows(`SELECT count(*)::BIGINT AS n FROM judged j
      WHERE j.kind = 'fast' AND EXISTS (SELECT 1 FROM replaced_lines r WHERE r.obj = j.obj AND r.line = j.line)`);
    found -= Number(row!.n);
    await sql.run(
      `DELETE FROM judged USING replaced_lines r WHERE judged.obj = r.obj AND judged.line = r.line`,
    );
  }
  if (staging.records > 0) {
    await sql.run(
      `INSERT INTO judged BY NAME ${buildRulesSql(stagedRecordsSql(staging.path))}`,
      ruleValues(ctx),
    );
  }
  await resolveExactNumbers(ctx);
  await rejectLenientJson(ctx);
  await resolveProperties(ctx);
  return combinedResult({ found }, rejects.takeCounts());
}

/**
 * Records whose timestamp or quantity is a non-integer literal, judged again with the literals' exact
 * values (exact-number.ts) through the same rules: a double rounds `1764064800.1239999999` up and reads
 * `1e-428` as 0.
 */
async function resolveExactNumbers(ctx: RunContext): Promise<void> {
  const { sql } = ctx;
  const pending = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE numbers_pending AND reason IS DISTINCT FROM 'malformed_json'`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  if (pending.length === 0) return;
  await exactLinesTable.create(sql);
  await exactLinesTable.append(
    sql,
    pending.map((p) => [
      p.obj,
      p.line,
      p.sub,
      p.raw,
      ...exactNumberFields.map((f) => {
        const text = memberText(p.raw, f.name);
        if (text === undefined || !/^-?[0-9]/.test(text)) return null;
        if (f.kind === "timestamp") return epochMillis(text)?.toString() ?? null;
        return isWholeLiteral(text) ? 1 : 0;
      }),
    ]),
  );
  await sql.run(
    `DELETE FROM judged USING exact_lines e WHERE judged.obj = e.obj AND judged.line = e.line AND judged.sub = e.sub`,
  );
  const xs = exactNumberFields.map((f) =>
    f.kind === "timestamp" ? `x_${f.name}` : `x_${f.name}::BOOLEAN AS x_${f.name}`,
  );
  const input = `(SELECT obj, line, sub, false AS checked, raw, 'fast' AS kind, ${xs.join(", ")} FROM exact_lines)`;
  await sql.run(
    `INSERT INTO judged BY NAME ${buildRulesSql(input, { exactNumbers: true })}`,
    ruleValues(ctx),
  );
  await sql.run(`DROP TABLE exact_lines`);
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
 * placeholder for each bad line, which the line-by-line pass below takes in its object's context.
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

/** Byte offset where each line (1-based: index + 1) of an object starts. */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) starts.push(i + 1);
  if (starts.at(-1) === buf.length) starts.pop();
  return starts;
}

/**
 * DuckDB's JSON reader accepts a few things RFC 8259 does not (NaN/Infinity, trailing commas). The rules
 * flag records whose text could hold them; JSON.parse, a strict parser, decides.
 */
async function rejectLenientJson(ctx: RunContext): Promise<void> {
  const { sql } = ctx;
  const suspects = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE suspect AND reason IS DISTINCT FROM 'malformed_json'`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  const bad = suspects.filter((s) => {
    try {
      JSON.parse(s.raw);
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length === 0) return;
  await lenientTable.create(sql);
  await lenientTable.append(
    sql,
    bad.map((b) => [b.obj, b.line, b.sub]),
  );
  await sql.run(
    `UPDATE judged SET reason = 'malformed_json', field = NULL, message = $message, unknown_fields = NULL,
       event_time = NULL
     FROM lenient l WHERE judged.obj = l.obj AND judged.line = l.line AND judged.sub = l.sub`,
    { message: reasonMessage("malformed_json") },
  );
}

/** Properties objects DuckDB could not map in bulk, mapped from the record's exact text. */
async function resolveProperties(ctx: RunContext): Promise<void> {
  const { sql } = ctx;
  const pending = (await sql.rows(
    `SELECT obj, line, sub, raw FROM judged WHERE properties_pending AND reason IS NULL`,
  )) as { obj: number; line: number; sub: number; raw: string }[];
  if (pending.length === 0) return;
  await propertyEntriesTable.create(sql);
  const rows: [number, number, number, string, string, number][] = [];
  for (const p of pending) {
    for (const [i, [k, v]] of (propertiesFromText(p.raw, "properties") ?? []).entries()) {
      rows.push([p.obj, p.line, p.sub, k, v, i]);
    }
  }
  await propertyEntriesTable.append(sql, rows);
  await sql.run(`UPDATE judged SET properties = e.m FROM (
      SELECT obj, line, sub, map_from_entries(list({'k': k, 'v': v} ORDER BY ord)) AS m
      FROM property_entries GROUP BY obj, line, sub) e
    WHERE judged.obj = e.obj AND judged.line = e.line AND judged.sub = e.sub`);
}

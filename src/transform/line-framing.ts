import { readFile } from "node:fs/promises";
import type { FramingPass } from "./framing-pass.js";
import { stripBom } from "./object-reader.js";
import { scanLineInContext, splitObject, type SplitSink } from "./record-splitter.js";
import type { RunContext } from "./run-context.js";

/**
 * The per-record path's second job: lines DuckDB could not take as one record, object by object, in
 * line order: lines that do not look like one object (arrays, concatenated or pretty-printed objects,
 * scalars, broken records), scanned in their object's context since a value may span lines, and lines
 * that look like one object but do not parse (they may hold several records).
 */
export async function frameLines(ctx: RunContext, pass: FramingPass): Promise<void> {
  const { sql } = ctx;
  const { pathOf, sinkFor, replaced } = pass;
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
}

/** Byte offset where each line (1-based: index + 1) of an object starts. */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) starts.push(i + 1);
  if (starts.at(-1) === buf.length) starts.pop();
  return starts;
}

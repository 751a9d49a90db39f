import { isUtf8 } from "node:buffer";
import { limits, type RejectReason } from "../contract/data-contract.js";
import {
  looksLikeOneObject,
  objectTraits,
  STAGED_CR,
  STAGED_LF,
  type ObjectTraits,
} from "./one-object-line.js";

const maxRecordBytes = limits.maxRecordBytes;

/** Where the splitter sends what it finds in one raw object. */
export interface SplitSink {
  /**
   * A candidate record: one line of JSON text starting with `{`, without `\r`, `\n`, `\x01` or NUL.
   * `checked` is true when Node already parsed it (slow path); otherwise DuckDB validates it.
   * May return a promise (back-pressure of the staging file); the splitter awaits it.
   */
  record(line: number, text: Buffer, checked: boolean): void | Promise<void>;
  /** A record rejected before it reaches DuckDB. */
  reject(reject: SplitReject): void;
}

export interface SplitReject {
  readonly reason: RejectReason;
  readonly message: string;
  readonly line: number | null;
  readonly raw: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

const isSpace = (b: number | undefined): boolean => b === SPACE || b === TAB || b === CR || b === LF;

/**
 * Splits one decoded raw object into records. Accepts newline-delimited JSON (LF or CRLF), objects
 * concatenated with no delimiter, JSON arrays (pretty-printed or not), and mixtures of these.
 *
 * Fast path: a line that looks like one object (one-object-line.ts) is handed to DuckDB as is; DuckDB
 * validates the JSON in bulk. Everything else goes through a string-aware scanner and JSON.parse.
 * A malformed record costs only up to the first newline after its start, so the next line survives.
 */
export async function splitObject(
  buf: Buffer,
  sink: SplitSink,
  options: {
    firstLine?: number;
    scanEverything?: boolean;
    /**
     * Parse lines that look like one object here instead of handing them on unchecked, and re-split a
     * line that does not parse on its own (what the bulk path does for such lines after judging them).
     */
    checkFastLines?: boolean;
  } = {},
): Promise<void> {
  // Whole-object checks are native and fast; per-line checks only run when they find something.
  const scanEverything = options.scanEverything === true;
  await new Splitter(buf, sink, {
    traits: scanEverything ? { suspicious: true, concatenated: true } : objectTraits(buf),
    firstLine: options.firstLine ?? 1,
    scanEverything,
    checkFastLines: options.checkFastLines === true,
  }).run();
}

/**
 * Scans the record(s) starting on one line of an object, in the object's context: a value that starts
 * there may continue on later lines (a pretty-printed object). Exactly what `splitObject` does with a
 * line that does not look like one object. Returns the line where scanning resumes (the lines before it,
 * from `line` on, were consumed) and whether the object's end was reached.
 */
export async function scanLineInContext(
  buf: Buffer,
  lineStart: number,
  line: number,
  sink: SplitSink,
): Promise<{ nextLine: number; atEnd: boolean }> {
  const splitter = new Splitter(buf, sink, {
    traits: { suspicious: true, concatenated: true },
    firstLine: line,
    scanEverything: false,
    checkFastLines: false,
  });
  return splitter.scanLine(lineStart);
}

interface SplitterOptions {
  /** What the whole object holds (one-object-line.ts). */
  readonly traits: ObjectTraits;
  /** The number of the buffer's first line in its object. */
  readonly firstLine: number;
  /** Send every line through the scanner (used to re-examine lines DuckDB found invalid). */
  readonly scanEverything: boolean;
  /** Parse lines that look like one object here, re-splitting one that does not parse. */
  readonly checkFastLines: boolean;
}

class Splitter {
  private pos = 0;
  private line: number;
  private readonly traits: ObjectTraits;
  private readonly scanEverything: boolean;
  private readonly checkFastLines: boolean;

  constructor(
    private readonly buf: Buffer,
    private readonly sink: SplitSink,
    options: SplitterOptions,
  ) {
    this.line = options.firstLine;
    this.traits = options.traits;
    this.scanEverything = options.scanEverything;
    this.checkFastLines = options.checkFastLines;
  }

  async run(): Promise<void> {
    const { buf } = this;
    while (this.pos < buf.length) {
      const lineStart = this.pos;
      let lineEnd = buf.indexOf(LF, lineStart);
      if (lineEnd === -1) lineEnd = buf.length;
      let start = lineStart;
      let end = lineEnd;
      while (start < end && isSpace(buf[start])) start++;
      while (end > start && isSpace(buf[end - 1])) end--;
      if (start === end) {
        this.nextLine(lineEnd);
        continue;
      }
      if (!this.scanEverything && looksLikeOneObject(buf, start, end, this.traits)) {
        if (end - start > maxRecordBytes) this.tooLarge(start, end);
        else if (this.checkFastLines) await this.checkedLine(start, end);
        else {
          const pending = this.sink.record(this.line, buf.subarray(start, end), false);
          if (pending) await pending;
        }
        this.nextLine(lineEnd);
        continue;
      }
      // Slow path: scan values from the first non-blank byte of this line.
      this.pos = start;
      await this.scanUntilLineBoundary();
    }
  }

  /** A line that looks like one object: a record if it parses, else re-split on its own. */
  private async checkedLine(start: number, end: number): Promise<void> {
    const line = this.buf.subarray(start, end);
    try {
      JSON.parse(line.toString("utf8"));
      const pending = this.sink.record(this.line, line, true);
      if (pending) await pending;
    } catch {
      await splitObject(line, this.sink, { firstLine: this.line, scanEverything: true });
    }
  }

  async scanLine(lineStart: number): Promise<{ nextLine: number; atEnd: boolean }> {
    const { buf } = this;
    let start = lineStart;
    while (start < buf.length && (buf[start] === SPACE || buf[start] === TAB || buf[start] === CR)) start++;
    this.pos = start;
    await this.scanUntilLineBoundary();
    return { nextLine: this.line, atEnd: this.pos >= buf.length };
  }

  private nextLine(lineEnd: number): void {
    this.pos = lineEnd + 1;
    this.line++;
  }

  /** Advances pos to `to`, counting newlines passed. */
  private advanceTo(to: number): void {
    // Bounded to the span passed: searching the whole buffer would be quadratic on one-line objects.
    const span = this.buf.subarray(this.pos, to);
    for (let i = span.indexOf(LF); i !== -1; i = span.indexOf(LF, i + 1)) this.line++;
    this.pos = to;
  }

  private skipSpace(): void {
    const { buf } = this;
    let p = this.pos;
    while (p < buf.length && isSpace(buf[p])) p++;
    this.advanceTo(p);
  }

  /** Scans top-level values (and array elements) until the scanner stands at the start of a fresh line. */
  private async scanUntilLineBoundary(): Promise<void> {
    const { buf } = this;
    let inArray = false;
    for (;;) {
      this.skipSpace();
      if (this.pos >= buf.length) return;
      const b = buf[this.pos];
      if (inArray) {
        if (b === COMMA) {
          this.advanceTo(this.pos + 1);
          continue;
        }
        if (b === CLOSE_BRACKET) {
          this.advanceTo(this.pos + 1);
          inArray = false;
          if (this.atLineEnd()) return;
          continue;
        }
      } else if (b === OPEN_BRACKET) {
        inArray = true;
        this.advanceTo(this.pos + 1);
        continue;
      }
      const start = this.pos;
      const startLine = this.line;
      if (!inArray && b !== OPEN_BRACE) {
        // A top-level value that is not an object counts line by line: a scalar alone on its line is
        // not_an_object, anything else there (fragments of a broken record, garbage) is malformed.
        this.scalarLine(start, startLine);
        return;
      }
      const end = scanValue(buf, start);
      if (end > 0 && end - start > maxRecordBytes) {
        this.tooLarge(start, end);
        this.advanceTo(end);
      } else if (end > 0 && (await this.emitParsed(start, end, startLine))) {
        this.advanceTo(end);
      } else {
        this.malformed(start, startLine);
        if (this.pos >= buf.length) return;
        if (!inArray) return; // resumed at a fresh line: back to line mode
        continue;
      }
      if (!inArray && this.atLineEnd()) return;
    }
  }

  /** Judges the rest of the line from `start` as one value, then resumes on the next line. */
  private scalarLine(start: number, line: number): void {
    const { buf } = this;
    let stop = buf.indexOf(LF, start);
    if (stop === -1) stop = buf.length;
    let end = stop;
    while (end > start && isSpace(buf[end - 1])) end--;
    const slice = buf.subarray(start, end);
    let parsed = false;
    let value: unknown;
    if (isUtf8(slice)) {
      try {
        value = JSON.parse(slice.toString("utf8"));
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    if (parsed) {
      this.sink.reject({
        reason: "not_an_object",
        message: `expected a JSON object, got ${describe(value)}`,
        line,
        raw: slice,
      });
      this.advanceTo(Math.min(stop + 1, buf.length));
      if (stop < buf.length) this.line = line + 1;
    } else {
      this.malformed(start, line);
    }
  }

  /** True (and moves past the newline) when only blanks remain on the current line. */
  private atLineEnd(): boolean {
    const { buf } = this;
    let p = this.pos;
    while (p < buf.length && (buf[p] === SPACE || buf[p] === TAB || buf[p] === CR)) p++;
    if (p >= buf.length) {
      this.pos = p;
      return true;
    }
    if (buf[p] === LF) {
      this.pos = p + 1;
      this.line++;
      return true;
    }
    return false;
  }

  /** Parses a scanned value; sends objects to the sink, other values become not_an_object. False if not JSON. */
  private async emitParsed(start: number, end: number, line: number): Promise<boolean> {
    const slice = this.buf.subarray(start, end);
    if (!isUtf8(slice)) return false;
    let value: unknown;
    try {
      value = JSON.parse(slice.toString("utf8"));
    } catch {
      return false;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.sink.reject({
        reason: "not_an_object",
        message: `expected a JSON object, got ${describe(value)}`,
        line,
        raw: slice,
      });
      return true;
    }
    // Valid JSON: any CR/LF in it lies outside strings. The staging file holds one record per line, so
    // they travel as two control bytes no JSON text holds, turned back into CR/LF when DuckDB reads them:
    // the record keeps its exact text (a reject's raw must be the original).
    let text = slice;
    if (text.includes(LF) || text.includes(CR)) {
      text = Buffer.from(slice);
      for (let i = 0; i < text.length; i++) {
        if (text[i] === LF) text[i] = STAGED_LF;
        else if (text[i] === CR) text[i] = STAGED_CR;
      }
    }
    const pending = this.sink.record(line, text, true);
    if (pending) await pending;
    return true;
  }

  /** Rejects from `start` to the first newline after it (or the end) and resumes on the next line. */
  private malformed(start: number, line: number): void {
    const { buf } = this;
    let stop = buf.indexOf(LF, start);
    if (stop === -1) stop = buf.length;
    let rawEnd = stop;
    while (rawEnd > start && isSpace(buf[rawEnd - 1])) rawEnd--;
    this.sink.reject({
      reason: "malformed_json",
      message: isUtf8(buf.subarray(start, rawEnd))
        ? "the text is not valid JSON"
        : "the bytes are not valid UTF-8 (JSON text must be UTF-8)",
      line,
      raw: buf.subarray(start, rawEnd),
    });
    this.advanceTo(Math.min(stop + 1, buf.length));
    if (stop < buf.length) this.line = line + 1;
  }

  private tooLarge(start: number, end: number): void {
    this.sink.reject({
      reason: "record_too_large",
      message: `record is ${end - start} bytes; the limit is ${maxRecordBytes} bytes (1,000 KiB)`,
      line: this.line,
      raw: this.buf.subarray(start, end),
    });
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * Returns the end (exclusive) of the JSON value starting at `start`, matching brackets and skipping strings,
 * or -1 when it is cut short (end of data, or a raw newline inside a string, which JSON forbids).
 * Only the structure is checked here; JSON.parse decides validity.
 */
export function scanValue(buf: Buffer, start: number): number {
  const first = buf[start];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b === QUOTE) {
        i = skipString(buf, i);
        if (i < 0) return -1;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  if (first === QUOTE) {
    const close = skipString(buf, start);
    return close < 0 ? -1 : close + 1;
  }
  // A scalar (number, true, false, null, or garbage): up to the next delimiter.
  let i = start;
  while (i < buf.length) {
    const b = buf[i]!;
    if (
      isSpace(b) ||
      b === COMMA ||
      b === CLOSE_BRACE ||
      b === CLOSE_BRACKET ||
      b === OPEN_BRACE ||
      b === OPEN_BRACKET
    )
      break;
    i++;
  }
  return i > start ? i : -1;
}

/** Index of the closing quote of the string opening at `open`, or -1 if a raw newline or the end comes first. */
function skipString(buf: Buffer, open: number): number {
  for (let i = open + 1; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) return i;
    if (b === BACKSLASH) i++;
    else if (b === LF) return -1;
  }
  return -1;
}

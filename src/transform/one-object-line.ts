import { isUtf8 } from "node:buffer";

/**
 * Whether a line "looks like one object": it starts with `{`, ends with `}`, holds no `}{` and none of
 * the bytes below. Such a line is taken as one record as it is (DuckDB parses it in bulk); any other
 * non-blank line goes to the scanner of the per-record path, which frames it in its object's context.
 * The judge decides it in SQL (`oneObjectLineSql`), the splitter in Node (`looksLikeOneObject`), both
 * from this file.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const CLOSE_OPEN = Buffer.from("}{");

/** Bytes that make a line the scanner's: a CR inside a line (CRLF is trimmed first), NUL and 0x01. */
const scannedLineBytes = [0x0d, 0x00, 0x01] as const;

/**
 * How LF and CR inside a multi-line record are written to the one-line staging file: the splitter's
 * lines holding them go to the scanner too, so what it stages decodes back to the text as written.
 */
export const STAGED_LF = 0x02;
export const STAGED_CR = 0x03;
const splitterScannedBytes = [...scannedLineBytes, STAGED_LF, STAGED_CR];

/** The rule as a SQL condition over a trimmed line of decoded text (`raw`). */
export function oneObjectLineSql(raw: string): string {
  return [
    `starts_with(${raw}, '{')`,
    `ends_with(${raw}, '}')`,
    `NOT contains(${raw}, '}{')`,
    ...scannedLineBytes.map((b) => `NOT contains(${raw}, chr(${b}))`),
  ].join(" AND ");
}

/** What the splitter knows of a whole object, so that most lines need no search of their own. */
export interface ObjectTraits {
  /** The object holds a byte that sends a line to the scanner, or is not all UTF-8. */
  readonly suspicious: boolean;
  /** The object holds a `}{` somewhere. */
  readonly concatenated: boolean;
}

/** Searches the whole object once (native searches), for `looksLikeOneObject`. */
export function objectTraits(buf: Buffer): ObjectTraits {
  return {
    suspicious: splitterScannedBytes.some((b) => buf.indexOf(b) !== -1) || !isUtf8(buf),
    concatenated: buf.indexOf(CLOSE_OPEN) !== -1,
  };
}

/** The rule in Node, over `buf[start, end)` (a trimmed line of an object with `traits`); also UTF-8. */
export function looksLikeOneObject(buf: Buffer, start: number, end: number, traits: ObjectTraits): boolean {
  if (buf[start] !== OPEN_BRACE || buf[end - 1] !== CLOSE_BRACE) return false;
  if (traits.concatenated && buf.subarray(start, end).indexOf(CLOSE_OPEN) !== -1) return false;
  if (!traits.suspicious) return true;
  for (let i = start; i < end; i++) if (splitterScannedBytes.includes(buf[i]!)) return false;
  return isUtf8(buf.subarray(start, end));
}

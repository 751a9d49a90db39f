/**
 * Finds values in JSON text without re-serialising them: a parse and `JSON.stringify` would round
 * integers above 2^53, keep the last of a repeated key (the data contract says the first counts) and
 * rewrite numbers (`1.50` → `1.5`). Every function here takes text that `JSON.parse` accepted.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** JSON's four whitespace characters (RFC 8259): the only ones allowed between tokens. */
function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
  return i;
}

/**
 * The same tokens, character for character, with the whitespace between them removed: one line
 * (JSON strings cannot hold a raw newline) that means exactly what the sender wrote.
 */
export function compactJson(text: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (isJsonWhitespace(c)) {
      if (i > from) parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.join("");
}

/** The text of each element of the JSON array `text` (which starts with `[`), in order, as written. */
export function arrayElementTexts(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (depth === 1 && (c === COMMA || c === CLOSE_BRACKET)) {
      if (start >= 0) elements.push(text.slice(start, i).trimEnd());
      start = -1;
      if (c === CLOSE_BRACKET) break;
      continue;
    }
    if (depth === 1 && start < 0 && !isJsonWhitespace(c)) start = i;
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) depth++;
    else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return elements;
}

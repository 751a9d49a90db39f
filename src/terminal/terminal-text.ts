/**
 * Text bound for an operator's terminal: event data (field names, values, keys) may carry escape
 * sequences that recolour, retitle, clear or rewrite the screen, and bidi overrides that reorder what is
 * shown. Every human-facing output passes through here; machine formats (--json, --format json/csv) do not.
 */

/** Short forms for the common controls; others become `\xHH` (up to U+00FF) or `\uHHHH`. */
const shortForms: Readonly<Record<number, string>> = { 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r" };

/** C0 (ESC included), DEL, C1, and the bidi embeddings, overrides and isolates (U+202A–E, U+2066–9). */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function visibleEscape(code: number): string {
  const short = shortForms[code];
  if (short !== undefined) return short;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

function escapeUnsafe(text: string, keepLineBreaks: boolean): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isUnsafe(code) || (keepLineBreaks && code === 0x0a)) continue;
    out += text.slice(from, i) + visibleEscape(code);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** One value shown inside a line (a table cell, a field name): every control escaped, line breaks too. */
export function terminalValue(text: string): string {
  return escapeUnsafe(text, false);
}

/** A block of human-facing text: its line breaks kept, every other control escaped. */
export function terminalText(text: string): string {
  return escapeUnsafe(text, true);
}

/** Writes human-facing text to a terminal stream (stdout, stderr), escaped. */
export function writeTerminal(stream: NodeJS.WritableStream, text: string): void {
  stream.write(terminalText(text));
}

/**
 * Which Unicode spaces DuckDB reads as spaces. Before lexing, DuckDB replaces U+00A0, U+2000–U+200B,
 * U+202F, U+205F, U+2060, U+3000 and U+FEFF with a plain space, but only where a quick pre-scan
 * (Parser::StripUnicodeSpaces) believes it is outside quotes, dollar quotes and line comments; that
 * pre-scan knows no block comments nor E'\'' escapes, and skips the last two bytes. Everywhere else
 * these characters stay, and the lexer takes them for identifier characters. The tokenizer follows
 * the same rule so that it splits the text exactly where DuckDB does.
 */
export function strippedUnicodeSpaces(sql: string): Set<number> {
  const stripped = new Set<number>();
  if (!/[\u00a0\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff]/.test(sql)) return stripped;
  // The pre-scan walks UTF-8 bytes; map each byte offset back to its character index.
  const bytes = Buffer.from(sql, "utf8");
  const charAt: number[] = [];
  let index = 0;
  for (const ch of sql) {
    const length = Buffer.byteLength(ch, "utf8");
    for (let k = 0; k < length; k++) charAt.push(index);
    index += ch.length;
  }
  const size = bytes.length;
  const tagFirst = (c: number): boolean =>
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
  const tagNext = (c: number): boolean => tagFirst(c) || (c >= 0x30 && c <= 0x39);
  let pos = 0;
  while (pos + 2 < size) {
    const b = bytes[pos]!;
    const b1 = bytes[pos + 1]!;
    const b2 = bytes[pos + 2]!;
    if (
      (b === 0xc2 && b1 === 0xa0) ||
      (b === 0xe2 && b1 === 0x80 && ((b2 >= 0x80 && b2 <= 0x8b) || b2 === 0xaf)) ||
      (b === 0xe2 && b1 === 0x81 && (b2 === 0x9f || b2 === 0xa0)) ||
      (b === 0xe3 && b1 === 0x80 && b2 === 0x80) ||
      (b === 0xef && b1 === 0xbb && b2 === 0xbf)
    ) {
      stripped.add(charAt[pos]!);
      pos++;
    } else if (b === 0x22 || b === 0x27) {
      // Quotes: '' or "" inside is an escaped quote.
      pos++;
      while (pos + 1 < size && !(bytes[pos] === b && bytes[pos + 1] !== b)) pos += bytes[pos] === b ? 2 : 1;
      if (pos + 1 >= size) return stripped;
      pos++;
    } else if (b === 0x24 && (b1 === 0x24 || tagFirst(b1))) {
      const start = ++pos;
      while (pos + 2 < size && bytes[pos] !== 0x24 && tagNext(bytes[pos]!)) pos++;
      if (pos + 2 >= size) return stripped;
      if (bytes[pos] !== 0x24) continue; // not a tag after all: scan on from here
      // The search for the closing `$tag$` starts at the opening tag's own last `$`, and the scan goes on
      // at the closing tag's last `$`: quirks of the pre-scan, kept so that this agrees with it.
      const closing = Buffer.concat([Buffer.from("$"), bytes.subarray(start, pos), Buffer.from("$")]);
      const end = bytes.indexOf(closing, pos);
      if (end === -1 || end + 2 >= size) return stripped;
      pos = end + closing.length - 1;
    } else if (b === 0x2d && b1 === 0x2d) {
      while (pos < size && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
      if (pos >= size) return stripped;
      pos++;
    } else pos++;
  }
  return stripped;
}

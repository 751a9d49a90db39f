/** A place in the editor's text, 1-based as the messages give it. */
export interface SqlPosition {
  line: number;
  column: number;
}

/**
 * Where an error message points in the SQL that was run: `line L:C` (ours and Athena's form), or DuckDB's
 * excerpt with a caret under it (`LINE 1: SELECT nosuch,` then `               ^`), whose excerpt is found
 * in that line of the SQL (DuckDB cuts long lines to a window around the caret, marked with "...").
 */
export function errorPosition(message: string, sql: string): SqlPosition | undefined {
  const plain = /\bline (\d+):(\d+)\b/.exec(message);
  if (plain) return { line: Number(plain[1]), column: Number(plain[2]) };
  const caret = /^(LINE (\d+): )(.*)\n( *)\^/m.exec(message);
  if (!caret) return undefined;
  const line = Number(caret[2]);
  const inExcerpt = caret[4]!.length - caret[1]!.length;
  const excerpt = caret[3]!.replace(/^\.\.\./, "").replace(/\.\.\.$/, "");
  const cut = caret[3]!.startsWith("...") ? 3 : 0;
  const text = sql.split("\n")[line - 1];
  if (text === undefined || inExcerpt < 0) return undefined;
  const at = text.indexOf(excerpt);
  return { line, column: (at === -1 ? 0 : at) + inExcerpt - cut + 1 };
}

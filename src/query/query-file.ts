import { ClickstreamError } from "../errors/clickstream-error.js";
import { splitStatements } from "./sql-tokenizer.js";

/** One statement of a query file, with the name its leading comment gives it. */
export interface NamedStatement {
  /** 1-based position in the file. */
  index: number;
  /** N of a `-- Query N: Title` comment. */
  number?: string;
  /** Title of `-- Query N: Title`, or the value of a `-- name: …` comment. */
  title?: string;
  sql: string;
}

const queryComment = /^--\s*Query\s+(\w+)\s*[:.-]\s*(.+?)\s*$/i;
const nameComment = /^--\s*name\s*:\s*(.+?)\s*$/i;

/** Splits a file of `;`-separated statements and names each by the last title comment before its SQL. */
export function parseQueryFile(text: string): NamedStatement[] {
  return splitStatements(text).map((statement, i) => {
    const named: NamedStatement = { index: i + 1, sql: statement.text.trim() };
    for (const token of statement.tokens) {
      if (token.kind === "space") continue;
      if (token.kind !== "comment") break;
      const q = queryComment.exec(token.text);
      const n = nameComment.exec(token.text);
      if (q) {
        named.number = q[1]!;
        named.title = q[2]!;
      } else if (n) named.title = n[1]!;
    }
    return named;
  });
}

/** A statement by `3`, `Query 3`, its title or a unique title prefix (case-insensitive). */
export function pickStatement(statements: NamedStatement[], name: string): NamedStatement {
  const wanted = name
    .trim()
    .toLowerCase()
    .replace(/^query\s+/, "");
  const exact = statements.filter(
    (s) => s.number?.toLowerCase() === wanted || s.title?.toLowerCase() === name.trim().toLowerCase(),
  );
  if (exact.length === 1) return exact[0]!;
  const prefix = statements.filter((s) => s.title?.toLowerCase().startsWith(name.trim().toLowerCase()));
  if (exact.length === 0 && prefix.length === 1) return prefix[0]!;
  const known = statements
    .map((s) => (s.number ? `${s.number}: ${s.title}` : (s.title ?? `#${s.index}`)))
    .join("; ");
  throw new ClickstreamError(
    "CS_ERR_QUERY_NOT_FOUND",
    `${JSON.stringify(name)} ${exact.length + prefix.length > 1 ? "is ambiguous" : "matches no query"} (${known})`,
  );
}

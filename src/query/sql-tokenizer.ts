import { quotedString } from "@duckdb/node-api";
import { ClickstreamError } from "../errors/clickstream-error.js";

export type TokenKind = "space" | "comment" | "string" | "quoted" | "number" | "word" | "op" | "param";

/** One lexical token; `text` is verbatim, so joining every token's text gives back the input exactly. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset in the input. */
  readonly start: number;
}

const multiCharOps = ["<=", ">=", "<>", "!=", "||", "::", "->", "=>"];

/**
 * A SQL lexer for Trino/Athena text: string literals ('' escapes), quoted identifiers ("" escapes),
 * line and block comments, numbers, words and operators. The Athena rewrite and the safety guard work
 * on these tokens, so text inside literals and comments is never mistaken for SQL.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push("space", j);
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      push("comment", end === -1 ? sql.length : end);
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end === -1) throw syntax(sql, i, "unterminated /* comment");
      push("comment", end + 2);
    } else if (c === "'" || c === '"' || c === "`") {
      push(c === "'" ? "string" : "quoted", endOfQuoted(sql, i, c));
    } else if (/[0-9]/.test(c) || (c === "." && next !== undefined && /[0-9]/.test(next))) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      push("number", i + match[0].length);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      push("word", j);
    } else if (c === "?" || c === "$") {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      push("param", j);
    } else {
      const two = sql.slice(i, i + 2);
      push("op", multiCharOps.includes(two) ? i + 2 : i + 1);
    }
  }
  return tokens;
}

function endOfQuoted(sql: string, start: number, quote: string): number {
  let j = start + 1;
  for (;;) {
    const k = sql.indexOf(quote, j);
    if (k === -1) {
      const what = quote === "'" ? "string literal" : "quoted identifier";
      throw syntax(sql, start, `unterminated ${what}`);
    }
    if (sql[k + 1] === quote) j = k + 2;
    else return k + 1;
  }
}

/** Line and column (1-based) of an offset, for messages. */
export function positionOf(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}:${column}`;
}

function syntax(sql: string, offset: number, message: string): ClickstreamError {
  return new ClickstreamError("CS_ERR_QUERY_SYNTAX", `${positionOf(sql, offset)}: ${message}`);
}

/** True for tokens that carry no meaning (spaces and comments). */
export const isTrivia = (t: Token): boolean => t.kind === "space" || t.kind === "comment";

/** Lower-cased word, or "" for other tokens. */
export const wordOf = (t: Token | undefined): string => (t?.kind === "word" ? t.text.toLowerCase() : "");

/** The value of a string literal token ('it''s' → it's). */
export function stringValue(t: Token): string {
  return t.text.slice(1, -1).replaceAll("''", "'");
}

/** A string literal for a value. */
export function stringLiteral(value: string): string {
  return quotedString(value);
}

/** Splits a script into statements at top-level `;` (never inside literals or comments). */
export function splitStatements(sql: string): { text: string; tokens: Token[]; start: number }[] {
  const tokens = tokenize(sql);
  const out: { text: string; tokens: Token[]; start: number }[] = [];
  let current: Token[] = [];
  const flush = (): void => {
    if (current.some((t) => !isTrivia(t))) {
      const start = current[0]!.start;
      out.push({ text: current.map((t) => t.text).join(""), tokens: current, start });
    }
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === "op" && token.text === ";") flush();
    else current.push(token);
  }
  flush();
  return out;
}

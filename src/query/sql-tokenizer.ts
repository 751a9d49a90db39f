// The SQL helpers alone: the package index loads the native engine, which the CLI must not pay for at start.
import { quotedString } from "@duckdb/node-api/lib/sql.js";
import { ClickstreamError } from "../errors/clickstream-error.js";
import { strippedUnicodeSpaces } from "./unicode-spaces.js";

type TokenKind = "space" | "comment" | "string" | "quoted" | "number" | "word" | "op" | "param";

/** One lexical token; `text` is verbatim, so joining every token's text gives back the input exactly. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset in the input. */
  readonly start: number;
}

const multiCharOps = ["<=", ">=", "<>", "!=", "||", "::", "->", "=>"];

// DuckDB's whitespace: the ASCII set of its Postgres scanner (no \v), plus the Unicode spaces its parser
// replaces first (unicode-spaces.ts). Other Unicode characters, U+1680 and U+2028 included, are
// identifier characters to DuckDB, as they are here.
const asciiSpace = /[ \t\n\r\f]/;
const identStart = /[A-Za-z_\u0080-\uffff]/;
const identPart = /[A-Za-z0-9_$\u0080-\uffff]/;
// `$tag$` opens a dollar-quoted string (tag empty or an identifier without `$`); `$1`, `$name` are parameters.
const dollarTag = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const parameter = /\$(?:\d+|[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)/y;
const numberPattern = /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?/y;

/** The text a sticky pattern matches at `at`, or undefined. */
function matchAt(pattern: RegExp, sql: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(sql)?.[0];
}

/**
 * A SQL lexer that splits text exactly where DuckDB's parser does, so nothing DuckDB reads as code is
 * taken for a literal or a comment here: string literals ('' escapes), escape strings (E'…', backslash
 * escapes), bit and hex strings (B'…', X'…', no escapes), dollar-quoted strings ($$…$$, $tag$…$tag$),
 * quoted identifiers ("" escapes; a backtick is an operator to DuckDB, not a quote), line comments (ending
 * at \n or \r), nested block comments, numbers (1_000, 1.5e3), words, parameters and operators. The
 * Athena rewrite and the safety guard work on these tokens.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const unicodeSpaces = strippedUnicodeSpaces(sql);
  const isSpace = (at: number): boolean => asciiSpace.test(sql[at]!) || unicodeSpaces.has(at);
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (isSpace(i)) {
      let j = i + 1;
      while (j < sql.length && isSpace(j)) j++;
      push("space", j);
    } else if (c === "-" && next === "-") {
      let j = i + 2;
      while (j < sql.length && sql[j] !== "\n" && sql[j] !== "\r") j++;
      push("comment", j);
    } else if (c === "/" && next === "*") {
      push("comment", endOfBlockComment(sql, i));
    } else if (c === "'") {
      push("string", endOfQuoted(sql, i, "'"));
    } else if (c === '"') {
      push("quoted", endOfQuoted(sql, i, '"'));
    } else if (c === "$" && matchAt(dollarTag, sql, i) !== undefined) {
      push("string", endOfDollarQuoted(sql, i));
    } else if (/[0-9]/.test(c) || (c === "." && next !== undefined && /[0-9]/.test(next))) {
      push("number", i + matchAt(numberPattern, sql, i)!.length);
    } else if (identStart.test(c)) {
      let j = i + 1;
      while (j < sql.length && identPart.test(sql[j]!) && !isSpace(j)) j++;
      if (j === i + 1 && sql[j] === "'" && /[eE]/.test(c)) push("string", endOfEscapeString(sql, i + 1));
      else if (j === i + 1 && sql[j] === "'" && /[bBxX]/.test(c)) push("string", endOfBitString(sql, i + 1));
      else push("word", j);
    } else if (c === "?") {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      push("param", j);
    } else if (c === "$" && matchAt(parameter, sql, i) !== undefined) {
      push("param", i + matchAt(parameter, sql, i)!.length);
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

/** E'…': a backslash escapes the next character, and '' is a quote too. `quote` is the opening quote. */
function endOfEscapeString(sql: string, quote: number): number {
  for (let j = quote + 1; j < sql.length; j++) {
    if (sql[j] === "\\") j++;
    else if (sql[j] === "'") {
      if (sql[j + 1] === "'") j++;
      else return j + 1;
    }
  }
  throw syntax(sql, quote - 1, "unterminated string literal");
}

/** B'…' and X'…' end at the next quote (DuckDB's scanner knows no escape in them). */
function endOfBitString(sql: string, quote: number): number {
  const k = sql.indexOf("'", quote + 1);
  if (k === -1) throw syntax(sql, quote - 1, "unterminated string literal");
  return k + 1;
}

function endOfDollarQuoted(sql: string, start: number): number {
  const tag = matchAt(dollarTag, sql, start)!;
  const k = sql.indexOf(tag, start + tag.length);
  if (k === -1) throw syntax(sql, start, "unterminated dollar-quoted string");
  return k + tag.length;
}

/** Block comments nest, as in DuckDB and Postgres: a comment ends when every opened one is closed. */
function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  for (let j = start; j < sql.length - 1; j++) {
    if (sql[j] === "/" && sql[j + 1] === "*") {
      depth++;
      j++;
    } else if (sql[j] === "*" && sql[j + 1] === "/") {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  throw syntax(sql, start, "unterminated /* comment");
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

/** The value of a string literal token: 'it''s' → it's, E'a\\'b' → a'b, $$x$$ → x; B'1'/X'1F' → b1/x1F as DuckDB parses them. */
export function stringValue(t: Token): string {
  const text = t.text;
  if (text.startsWith("$")) {
    const tag = matchAt(dollarTag, text, 0)!;
    return text.slice(tag.length, text.length - tag.length);
  }
  if (/^[bBxX]'/.test(text)) return text[0]!.toLowerCase() + text.slice(2, -1);
  if (/^[eE]'/.test(text)) return unescape(text.slice(2, -1));
  return text.slice(1, -1).replaceAll("''", "'");
}

const escapes: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** The body of an escape string: \n, \t, \b, \f, \r, octal \101 and hex \x41; any other \c is c. */
function unescape(body: string): string {
  return body.replace(/\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|([\s\S]))|''/g, (all, octal, hex, other) => {
    if (all === "''") return "'";
    if (octal !== undefined) return String.fromCharCode(parseInt(octal as string, 8));
    if (hex !== undefined) return String.fromCharCode(parseInt(hex as string, 16));
    return escapes[other as string] ?? (other as string);
  });
}

/**
 * The name an identifier token stands for: a word lower-cased, a quoted identifier unquoted and
 * lower-cased (DuckDB resolves quoted names case-insensitively), "" for any other token.
 */
export function nameOf(t: Token | undefined): string {
  if (t?.kind === "word") return t.text.toLowerCase();
  if (t?.kind === "quoted") return t.text.slice(1, -1).replaceAll('""', '"').toLowerCase();
  return "";
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

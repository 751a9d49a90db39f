import { ClickstreamError } from "../errors/clickstream-error.js";
import { isTrivia, nameOf, positionOf, wordOf, type Token } from "./sql-tokenizer.js";

/** How the engine handles a statement: DuckDB runs queries; the engine itself answers catalog statements. */
export type StatementKind = "query" | "explain" | "show" | "describe" | "msck";

const queryStarts = new Set(["select", "with", "values", "table"]);

/** Keywords after which a string literal would be a file path DuckDB reads (`FROM '/etc/passwd'`). */
const relationKeywords = new Set(["from", "join"]);
const clauseEnds = new Set([
  "where",
  "group",
  "having",
  "order",
  "limit",
  "offset",
  "union",
  "intersect",
  "except",
  "window",
  "qualify",
  "fetch",
  "on",
  "using",
]);

/**
 * The first line of defence of the read-only engine, on tokens: only SELECT/WITH/VALUES/EXPLAIN and
 * the catalog statements pass; no call of a function that reaches files or engine state (names compared
 * unquoted and case-folded, as DuckDB resolves them), no schema-qualified call, no file path in FROM.
 * DuckDB's own parse is checked next against an allow-list (parsed-query-guard.ts), and DuckDB itself is
 * locked down (external access off except the catalog's files, configuration locked).
 */
export function classifyStatement(
  sql: string,
  tokens: Token[],
  forbiddenFunctions: ReadonlySet<string>,
): StatementKind {
  const words = tokens.filter((t) => !isTrivia(t));
  const firstWord = words.find((t) => !(t.kind === "op" && t.text === "("));
  const first = wordOf(firstWord);
  if (!firstWord) throw new ClickstreamError("CS_ERR_QUERY_SYNTAX", "empty statement");
  let kind: StatementKind;
  if (queryStarts.has(first)) kind = "query";
  else if (first === "explain") kind = "explain";
  else if (first === "show") kind = "show";
  else if (first === "describe" || first === "desc") kind = "describe";
  else if (first === "msck") kind = "msck";
  else {
    const statement = firstWord.kind === "word" ? firstWord.text.toUpperCase() : firstWord.text;
    // A word that begins no statement at all (`SELEC`, `*`) is a typo, not a write: say where, as Athena does.
    if (!otherStatements.has(first)) {
      const near = closestStart(first);
      throw new ClickstreamError(
        "CS_ERR_QUERY_SYNTAX",
        `${positionOf(sql, firstWord.start)}: mismatched input '${firstWord.text}'${near ? ` (did you mean ${near.toUpperCase()}?)` : ""}; a statement begins with SELECT, WITH, VALUES, EXPLAIN, SHOW, DESCRIBE or MSCK`,
      );
    }
    throw new ClickstreamError(
      "CS_ERR_QUERY_FORBIDDEN",
      `${statement} statements are not allowed (the query engine is read-only: SELECT, WITH, VALUES, EXPLAIN, SHOW, DESCRIBE and MSCK REPAIR TABLE only)`,
    );
  }
  if (kind === "explain") {
    const inner = words.slice(1).find((t) => !["analyze", "verbose"].includes(wordOf(t)) && t.text !== "(");
    if (!queryStarts.has(wordOf(inner))) {
      throw new ClickstreamError("CS_ERR_QUERY_FORBIDDEN", "EXPLAIN is allowed for queries only");
    }
  }
  if (kind === "query" || kind === "explain") checkQueryTokens(sql, words, forbiddenFunctions);
  if (first === "with") checkWithBody(words);
  return kind;
}

/** Statement keywords of DuckDB and Athena the engine refuses (writes, engine state): named as forbidden. */
const otherStatements = new Set([
  "insert",
  "update",
  "delete",
  "merge",
  "upsert",
  "replace",
  "copy",
  "create",
  "drop",
  "alter",
  "truncate",
  "attach",
  "detach",
  "install",
  "load",
  "pragma",
  "set",
  "reset",
  "call",
  "export",
  "import",
  "checkpoint",
  "force",
  "vacuum",
  "analyze",
  "begin",
  "start",
  "commit",
  "end",
  "rollback",
  "abort",
  "transaction",
  "grant",
  "revoke",
  "use",
  "prepare",
  "execute",
  "deallocate",
  "summarize",
  "from",
  "pivot",
  "unpivot",
  "comment",
  "refresh",
  "unload",
  "declare",
  "fetch",
  "move",
  "close",
  "lock",
  "unlock",
  "listen",
  "notify",
  "cluster",
  "reindex",
  "discard",
  "deny",
  "security",
  "optimize",
  "repair",
]);

/** The allowed statement keyword a typo is closest to (at most two edits away), if any. */
function closestStart(word: string): string | undefined {
  if (!word) return undefined;
  let best: [string, number] | undefined;
  for (const start of ["select", "with", "values", "explain", "show", "describe", "msck"]) {
    const d = editDistance(word, start);
    if (d <= 2 && (!best || d < best[1])) best = [start, d];
  }
  return best?.[0];
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** `EXPLAIN [ANALYZE] [VERBOSE] <query>` split into its prefix text and the query's tokens. */
export function explainedQuery(tokens: Token[]): { prefix: string; query: Token[] } {
  let i = 0;
  while (
    i < tokens.length &&
    (isTrivia(tokens[i]!) || ["explain", "analyze", "verbose"].includes(wordOf(tokens[i])))
  )
    i++;
  return {
    prefix: tokens
      .slice(0, i)
      .map((t) => t.text)
      .join(""),
    query: tokens.slice(i),
  };
}

const writingKeywords = new Set(["insert", "update", "delete", "merge", "copy", "create", "drop", "alter"]);

/** `WITH x AS (…) INSERT …` is a write even though it starts like a query. */
function checkWithBody(words: Token[]): void {
  let depth = 0;
  for (const t of words) {
    if (t.kind === "op" && t.text === "(") depth++;
    else if (t.kind === "op" && t.text === ")") depth--;
    else if (depth === 0 && writingKeywords.has(wordOf(t))) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_FORBIDDEN",
        `${t.text.toUpperCase()} statements are not allowed (the query engine is read-only)`,
      );
    }
  }
}

function checkQueryTokens(sql: string, words: Token[], forbiddenFunctions: ReadonlySet<string>): void {
  // Depth of parentheses at which a FROM/JOIN clause is open, to spot `FROM 'file'` and `FROM a, 'file'`.
  const relationDepths: number[] = [];
  let depth = 0;
  for (let i = 0; i < words.length; i++) {
    const t = words[i]!;
    const word = wordOf(t);
    const following = words[i + 1];
    const preceding = words[i - 1];
    if (t.kind === "op" && t.text === "(") depth++;
    if (t.kind === "op" && t.text === ")") {
      depth--;
      while (relationDepths.length && relationDepths.at(-1)! > depth) relationDepths.pop();
    }
    const name = nameOf(t);
    if (name && following?.kind === "op" && following.text === "(") {
      if (forbiddenFunctions.has(name)) {
        throw new ClickstreamError(
          "CS_ERR_QUERY_FORBIDDEN",
          `${positionOf(sql, t.start)}: function ${t.text} is not allowed (only catalog tables are readable; files are read through the catalog)`,
        );
      }
      if (preceding?.kind === "op" && preceding.text === ".") {
        throw new ClickstreamError(
          "CS_ERR_QUERY_FORBIDDEN",
          `${positionOf(sql, t.start)}: function ${t.text}: function names cannot be qualified with a schema or catalog`,
        );
      }
    }
    if (relationKeywords.has(word)) relationDepths.push(depth);
    else if (clauseEnds.has(word) && relationDepths.at(-1) === depth) relationDepths.pop();
    // A path as a string ('/etc/passwd') or as a quoted name ("dir/file.parquet"): DuckDB would read the
    // file directly (a replacement scan). Catalog table names never contain / or a file extension.
    const pathLike = t.kind === "string" || (t.kind === "quoted" && /[/\\]|\.[A-Za-z0-9]+"$/.test(t.text));
    if (pathLike && relationDepths.at(-1) === depth) {
      const p = wordOf(preceding);
      if (relationKeywords.has(p) || (preceding?.kind === "op" && preceding.text === ",")) {
        throw new ClickstreamError(
          "CS_ERR_QUERY_FORBIDDEN",
          `${positionOf(sql, t.start)}: reading a file by path (${t.text}) is not allowed; query the catalog tables`,
        );
      }
    }
  }
}

// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import {
  isTrivia,
  nameOf,
  splitStatements,
  stringValue,
  tokenize,
  type Token,
} from "../../src/query/sql-tokenizer.js";
import { rng } from "../support/transformed-fixture.js";

// The oracle is DuckDB's own parser: json_serialize_sql gives the parse tree of a statement, so the test
// can ask which string constants and which function calls DuckDB sees, and compare with the tokens.
let instance: DuckDBInstance;
let connection: DuckDBConnection;
before(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
});
after(() => {
  connection?.closeSync();
  instance?.closeSync();
});

type Node = Record<string, unknown>;
interface DuckView {
  ok: boolean;
  error?: string;
  /** Function calls (not operators), in tree order. */
  calls: string[];
  /** VARCHAR constants, in tree order. */
  strings: string[];
  /** Column names of column references, and aliases. */
  columns: string[];
}

async function duckdbView(sql: string): Promise<DuckView> {
  const reader = await connection.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [sql]);
  const parsed = JSON.parse(String(reader.getRowsJS()[0]![0])) as Node;
  const view: DuckView = { ok: !parsed.error, calls: [], strings: [], columns: [] };
  if (parsed.error) return { ...view, error: String(parsed.error_message) };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const n = node as Node;
    if (n.class === "FUNCTION" && !n.is_operator) view.calls.push(String(n.function_name));
    if (n.class === "CONSTANT") {
      const value = n.value as { type: { id: string }; is_null: boolean; value: unknown };
      if (value.type.id === "VARCHAR" && !value.is_null) view.strings.push(String(value.value));
    }
    if (n.class === "COLUMN_REF") view.columns.push(...(n.column_names as string[]));
    if (typeof n.class === "string" && n.alias) view.columns.push(String(n.alias));
    for (const v of Object.values(n)) walk(v);
  };
  walk(parsed.statements);
  return view;
}

/** JSON with every non-ASCII character escaped, so a failing case can be pasted back. */
const shown = (s: string): string =>
  JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

const plainSpaces = (s: string): string =>
  s.replace(/[\u00a0\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff]/g, " ");

/** What the tokens say: calls are a name token followed by `(`. */
function tokenView(tokens: Token[]): { calls: string[]; strings: string[] } {
  const words = tokens.filter((t) => !isTrivia(t));
  const calls = words
    .filter((t, i) => nameOf(t) !== "" && words[i + 1]?.kind === "op" && words[i + 1]!.text === "(")
    .map(nameOf);
  return { calls, strings: words.filter((t) => t.kind === "string").map(stringValue) };
}

describe("string and comment forms DuckDB accepts", () => {
  // Each case hides `current_setting(…)` from a tokenizer that misreads the literal, and shows it to one
  // that reads it right (or the other way round): the tokens must see exactly the calls DuckDB sees.
  const cases: [string, string][] = [
    ["escape string with \\'", "SELECT E'\\'', current_setting('a') --'"],
    ["escape string with \\\\ before the quote", "SELECT E'a\\\\', current_setting('a') --'"],
    ["lower-case escape string", "SELECT e'\\'', current_setting('a') --'"],
    ["escape string with '' inside", "SELECT E'it''s', current_setting('a')"],
    ["dollar quoting", "SELECT $$ it's $$, current_setting('a') --'"],
    ["tagged dollar quoting", "SELECT $tag$ $$ ' $tag$, current_setting('a') --'"],
    ["dollar tag with a digit and non-ASCII", "SELECT $t1$ ' $t1$, $é$ ' $é$, current_setting('a') --'"],
    ["hidden call inside dollar quotes", "SELECT $x$ current_setting('a') $x$"],
    ["'' doubling", "SELECT 'it''s', current_setting('a')"],
    ['"" in identifiers', 'SELECT "a""b", current_setting(\'a\')'],
    ["nested block comments", "SELECT 1 /* /* */ ' */, current_setting('a') --'"],
    ["line comment ended by CR", "SELECT 1 --x\r, current_setting('a')"],
    ["backtick is no quote", "SELECT 1 `, current_setting('a') --`"],
    ["identifier with $ is no dollar quote", "SELECT a$$b, current_setting('a') --$$"],
    ["named parameter", "SELECT $name, current_setting('a')"],
    ["number with underscores", "SELECT 1_000, current_setting('a')"],
    ["Unicode space between tokens", "SELECT\u00a01,\u2003current_setting('a')"],
    ["Unicode space after a quote in a block comment", "SELECT 1 /* ' */,\u00a0current_setting('a') --'"],
    ["E is a prefix only right before the quote", "SELECT 1 AS e, 'x' --'\n, current_setting('a')"],
  ];
  for (const [name, sql] of cases) {
    test(name, async () => {
      const tokens = tokenize(sql);
      assert.equal(tokens.map((t) => t.text).join(""), sql, "tokens give back the input");
      const duck = await duckdbView(sql);
      assert.ok(duck.ok, `DuckDB parses it: ${duck.error}`);
      const ours = tokenView(tokens);
      assert.deepEqual(ours.calls, duck.calls, "the same function calls");
      assert.deepEqual(ours.strings, duck.strings, "the same string values");
    });
  }

  test("string values decode like DuckDB's", async () => {
    const sql =
      "SELECT 'it''s', E'a\\nb\\t\\\\\\'', E'\\101\\x42', $$x'y$$, $q$$$ $q$, N'n''s', e'\\q', 'back\\slash'";
    const tokens = tokenize(sql);
    assert.deepEqual(tokenView(tokens).strings, (await duckdbView(sql)).strings);
    assert.deepEqual(tokenView(tokens).strings, [
      "it's",
      "a\nb\t\\'",
      "AB",
      "x'y",
      "$$ ",
      "n's",
      "q",
      "back\\slash",
    ]);
  });

  test("bit and hex strings end at the next quote, as DuckDB reads them (it fails at the '0')", () => {
    const tokens = tokenize("SELECT B'1''0', X'1F'").filter((t) => !isTrivia(t));
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.text]),
      [
        ["word", "SELECT"],
        ["string", "B'1'"],
        ["string", "'0'"],
        ["op", ","],
        ["string", "X'1F'"],
      ],
    );
  });

  test("quoted names compare unquoted and case-folded", () => {
    const [a, , b, , c] = tokenize('"Current_Setting" x "a""B"');
    assert.equal(nameOf(a), "current_setting");
    assert.equal(nameOf(b), "x");
    assert.equal(nameOf(c), 'a"b');
  });

  test("unterminated forms fail with CS_ERR_QUERY_SYNTAX", () => {
    for (const sql of ["SELECT E'\\'", "SELECT $a$ x", "SELECT /* /* */", "SELECT B'1", 'SELECT "x']) {
      assert.throws(
        () => tokenize(sql),
        (e: ClickstreamError) => e.code === "CS_ERR_QUERY_SYNTAX" && /unterminated/.test(e.message),
        sql,
      );
    }
  });
});

describe("fuzzed against DuckDB's parser", () => {
  // Random statements of literals in every form, with hostile contents (quotes, dollars, backslashes,
  // comment openers, CR, Unicode spaces, calls), separated by comments and odd spaces. DuckDB is the
  // oracle: for every statement it parses, the tokens must see the same calls and string values.
  const random = rng(20261112);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const pieces = [
    "'",
    '"',
    "$",
    "$$",
    "$t$",
    "\\",
    "-",
    "--",
    "/*",
    "*/",
    "*",
    "\n",
    "\r",
    "e",
    "E",
    ";",
    " ",
    "\u00a0",
    "\u2003",
    "\u2028",
    "probe_99(1)",
    ",",
    "(",
    "`",
    "é",
  ];
  const content = (): string => Array.from({ length: Math.floor(random() * 8) }, () => pick(pieces)).join("");
  const literal = (): string => {
    const value = content();
    switch (pick(["standard", "escape", "dollar", "tagged", "national", "quoted"])) {
      case "standard":
        return `'${value.replaceAll("'", "''")}'`;
      case "national":
        return `N'${value.replaceAll("'", "''")}'`;
      case "quoted":
        return `"q_${value.replaceAll('"', '""')}"`;
      case "escape":
        return `${pick(["E", "e"])}'${[...value].map((c) => (c === "\\" ? "\\\\" : c === "'" ? pick(["\\'", "''"]) : c)).join("")}'`;
      case "dollar":
        return value.includes("$$") || value.endsWith("$") ? "'x'" : `$$${value}$$`;
      default: {
        const tag = pick(["a", "tag", "_x1", "é"]);
        return value.includes(`$${tag}$`) || value.endsWith("$") ? "'y'" : `$${tag}$${value}$${tag}$`;
      }
    }
  };
  const comment = (): string => {
    if (random() < 0.5) return `--${content().replace(/[\n\r]/g, "")}${pick(["\n", "\r", "\r\n"])}`;
    const inner = content()
      .replaceAll("/*", "")
      .replaceAll("*/", "")
      .replace(/^[*/]|[*/]$/g, "");
    return random() < 0.3 ? `/* ${inner} /* ${inner} */ ${inner} */` : `/*${inner} */`;
  };
  const separator = (): string =>
    (random() < 0.3 ? comment() : "") + pick([" ", "\n", "\t", "\r", "\u00a0", "\u2003", "  "]);

  test("2,000 random statements: the tokens see what DuckDB sees", async () => {
    let parsed = 0;
    for (let n = 0; n < 2000; n++) {
      const items = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, j) =>
        random() < 0.35 ? `probe_${j}(${j})` : literal(),
      );
      const sql = `SELECT${separator()}${items.map((x) => x + separator()).join(`,${separator()}`)}`;
      const duck = await duckdbView(sql);
      let tokens: Token[];
      try {
        tokens = tokenize(sql);
      } catch (error) {
        assert.ok(!duck.ok, `tokenizer refused what DuckDB parses: ${shown(sql)}: ${String(error)}`);
        continue;
      }
      assert.equal(tokens.map((t) => t.text).join(""), sql);
      if (!duck.ok) continue;
      parsed++;
      const ours = tokenView(tokens);
      assert.deepEqual(ours.calls, duck.calls, `calls in ${shown(sql)}`);
      // DuckDB's pre-pass may turn a Unicode space inside a literal into a plain one: the value differs,
      // the boundaries (what this is about) do not.
      assert.deepEqual(
        ours.strings.map(plainSpaces),
        duck.strings.map(plainSpaces),
        `strings in ${shown(sql)}`,
      );
      const quoted = tokens
        .filter((t) => t.kind === "quoted")
        .map(nameOf)
        .filter((name) => name.startsWith("q_"));
      assert.deepEqual(
        quoted.map(plainSpaces).sort(),
        duck.columns
          .filter((c) => c.startsWith("q_"))
          .map((c) => plainSpaces(c.toLowerCase()))
          .sort(),
        `quoted names in ${shown(sql)}`,
      );
    }
    // The generator must mostly produce SQL DuckDB accepts, or the comparison proves little.
    assert.ok(parsed > 1800, `only ${parsed} of 2000 statements parsed`);
  });

  test("scripts split into as many statements as DuckDB finds", async () => {
    for (let n = 0; n < 200; n++) {
      const statements = Array.from({ length: 1 + Math.floor(random() * 4) }, () => `SELECT ${literal()}`);
      const script = statements.join(`${separator()};${separator()}`);
      let ours: number;
      try {
        ours = splitStatements(script).length;
      } catch {
        continue;
      }
      const extracted = await connection.extractStatements(script).catch(() => undefined);
      if (extracted === undefined) continue;
      assert.equal(ours, extracted.count, shown(script));
    }
  });
});

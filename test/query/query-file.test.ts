// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClickstreamError } from "../../src/errors/clickstream-error.js";
import { parseQueryFile, pickStatement } from "../../src/query/query-file.js";
import { splitStatements, tokenize } from "../../src/query/sql-tokenizer.js";

test("the tokenizer gives back the input exactly and keeps literals, quoted names and comments whole", () => {
  const sql = `SELECT 'it''s; -- not a comment', "odd ""name""", 1.5e3 /* a; b */ FROM t -- tail;`;
  const tokens = tokenize(sql);
  assert.equal(tokens.map((t) => t.text).join(""), sql);
  assert.deepEqual(
    tokens
      .filter(
        (t) => t.kind === "string" || t.kind === "quoted" || t.kind === "comment" || t.kind === "number",
      )
      .map((t) => t.text),
    ["'it''s; -- not a comment'", '"odd ""name"""', "1.5e3", "/* a; b */", "-- tail;"],
  );
});

test("statements split at top-level semicolons only", () => {
  const parts = splitStatements("SELECT ';' AS a; -- c;\nSELECT 2 /* ; */;;\n");
  assert.deepEqual(
    parts.map((p) => p.text.trim()),
    ["SELECT ';' AS a", "-- c;\nSELECT 2 /* ; */"],
  );
});

test("named queries are picked by number, title or title prefix", () => {
  const file = `-- header comment\n\n-- Query 1: Daily revenue\nSELECT 1;\n\n-- Query 2: Daily active users\nSELECT 2;\n-- name: adhoc\nSELECT 3;`;
  const statements = parseQueryFile(file);
  assert.deepEqual(
    statements.map((s) => [s.number, s.title]),
    [
      ["1", "Daily revenue"],
      ["2", "Daily active users"],
      [undefined, "adhoc"],
    ],
  );
  assert.equal(pickStatement(statements, "2").sql.endsWith("SELECT 2"), true);
  assert.equal(pickStatement(statements, "Query 1").number, "1");
  assert.equal(pickStatement(statements, "daily revenue").number, "1");
  assert.equal(pickStatement(statements, "adhoc").index, 3);
  assert.throws(
    () => pickStatement(statements, "Daily"),
    (e: ClickstreamError) => e.code === "CS_ERR_QUERY_NOT_FOUND" && /ambiguous/.test(e.message),
  );
  assert.throws(
    () => pickStatement(statements, "9"),
    (e: ClickstreamError) => e.code === "CS_ERR_QUERY_NOT_FOUND",
  );
});

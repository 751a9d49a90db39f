// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { QueryResult } from "../../src/query/query-result.js";
import { formatResult, serialisedRowBytes } from "../../src/query/result-formatter.js";

const result: QueryResult = {
  columns: [
    { name: "name", type: "varchar" },
    { name: "n", type: "bigint" },
    { name: "share", type: "double" },
    { name: "ok", type: "boolean" },
  ],
  rows: [
    ["plain", 12, 0.5, true],
    ['with "quotes", commas\nand a newline', 3, null, false],
    [null, 1234567, 12.25, null],
  ],
};

test("csv is RFC 4180: header, CRLF, quoted fields with doubled quotes, NULL as an empty field", () => {
  assert.equal(
    formatResult(result, "csv"),
    'name,n,share,ok\r\nplain,12,0.5,true\r\n"with ""quotes"", commas\nand a newline",3,,false\r\n,1234567,12.25,\r\n',
  );
});

test("json keeps types: numbers are numbers, booleans booleans, NULL is null", () => {
  assert.deepEqual(JSON.parse(formatResult(result, "json")), [
    { name: "plain", n: 12, share: 0.5, ok: true },
    { name: 'with "quotes", commas\nand a newline', n: 3, share: null, ok: false },
    { name: null, n: 1234567, share: 12.25, ok: null },
  ]);
});

test("table aligns columns, numbers to the right, shows NULL and the row count", () => {
  assert.equal(
    formatResult(result, "table"),
    [
      "| name                                 |       n | share | ok    |",
      "|--------------------------------------|---------|-------|-------|",
      "| plain                                |      12 |   0.5 | true  |",
      '| with "quotes", commas\\nand a newline |       3 |  NULL | false |',
      "| NULL                                 | 1234567 | 12.25 | NULL  |",
      "(3 rows)",
      "",
    ].join("\n"),
  );
});

test("duplicate column names stay distinct in json", () => {
  const dup: QueryResult = {
    columns: [
      { name: "a", type: "bigint" },
      { name: "a", type: "bigint" },
    ],
    rows: [[1, 2]],
  };
  assert.deepEqual(JSON.parse(formatResult(dup, "json")), [{ a: 1, a_2: 2 }]);
});

test("a row counts as the larger of its CSV record and its JSON text, so NULLs and '' inside lists count", () => {
  const records = [result.columns.map((c) => c.name), ...result.rows];
  const counted = records.reduce((sum, row) => sum + serialisedRowBytes(row), 0);
  assert.ok(counted >= Buffer.byteLength(formatResult(result, "csv")));
  assert.ok(counted >= Buffer.byteLength(JSON.stringify(result.rows)));
  assert.equal(serialisedRowBytes([[null, null, null]]), Buffer.byteLength('"[null,null,null]"\r\n'));
  // CSV quotes the list's JSON text and doubles its quotes: 15 bytes with CRLF, more than the JSON's 10.
  assert.equal(serialisedRowBytes([["", ""]]), 15);
});

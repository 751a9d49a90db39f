// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { test } from "node:test";
import type { QueryResult } from "../../src/query/query-result.js";
import { formatResult } from "../../src/query/result-formatter.js";
import { spreadsheetSafeCsv, spreadsheetSafeStream } from "../../src/query/spreadsheet-safe-csv.js";

const hostile: QueryResult = {
  columns: [
    { name: "=name", type: "varchar" },
    { name: "v", type: "varchar" },
  ],
  rows: [
    ['=HYPERLINK("http://evil.example/?x","click")', "+1"],
    ["@SUM(A1)", "-2+3+cmd|' /C calc'!A0"],
    ["\tTAB", "\rCR"],
    ["-12", "-0.5e-3"],
    ["plain", null],
    ["", "a=b"],
    ['"=quoted"', "-"],
  ],
};

const expected =
  "'=name,v\r\n" +
  `"'=HYPERLINK(""http://evil.example/?x"",""click"")",'+1\r\n` +
  `'@SUM(A1),'-2+3+cmd|' /C calc'!A0\r\n` +
  `'\tTAB,"'\rCR"\r\n` +
  "-12,-0.5e-3\r\n" +
  "plain,\r\n" +
  ",a=b\r\n" +
  `"""=quoted""",'-\r\n`;

test("cells that would start a formula get a leading quote; numbers and other cells pass unchanged", () => {
  assert.equal(spreadsheetSafeCsv(formatResult(hostile, "csv")), expected);
  const harmless = formatResult({ columns: hostile.columns.slice(1), rows: [["x"], ["-7"], ["é,ü"]] }, "csv");
  assert.equal(spreadsheetSafeCsv(harmless), 'v\r\nx\r\n-7\r\n"é,ü"\r\n');
});

test("the stream gives the same text however the bytes are split, multi-byte characters included", async () => {
  const csv = Buffer.from(formatResult(hostile, "csv") + "é,-1\r\n", "utf8");
  const whole = spreadsheetSafeCsv(csv.toString("utf8"));
  for (let at = 1; at < csv.length; at++) {
    const pieces = [csv.subarray(0, at), csv.subarray(at)];
    assert.equal(await text(Readable.from(pieces).pipe(spreadsheetSafeStream())), whole, `split at ${at}`);
  }
});

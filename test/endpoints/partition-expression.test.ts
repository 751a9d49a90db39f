// test tier: fast
import assert from "node:assert/strict";
import { test } from "node:test";
import { AwsError } from "../../src/endpoints/aws-error.js";
import { parsePartitionExpression } from "../../src/endpoints/partition-expression.js";

const dateKeys = { year: "string", month: "string", day: "string" };
const day = (y: string, m: string, d: string): Record<string, string> => ({ year: y, month: m, day: d });
const days = [
  day("2025", "12", "31"),
  day("2026", "01", "09"),
  day("2026", "01", "10"),
  day("2026", "02", "01"),
];
const matching = (expression: string, keys: Record<string, string> = dateKeys): string[] => {
  const predicate = parsePartitionExpression(expression, keys);
  return days.filter(predicate).map((d) => `${d.year}-${d.month}-${d.day}`);
};

test("comparisons, AND/OR/NOT and parentheses over string keys compare as strings", () => {
  assert.deepEqual(matching("year = '2026' AND month = '01'"), ["2026-01-09", "2026-01-10"]);
  assert.deepEqual(matching("year < '2026' OR (month = '02' AND NOT day <> '01')"), [
    "2025-12-31",
    "2026-02-01",
  ]);
  assert.deepEqual(matching("day >= '10'"), ["2025-12-31", "2026-01-10"]);
  assert.deepEqual(matching("YEAR != '2026'"), ["2025-12-31"], "keys and keywords in any case");
});

test("IN, BETWEEN, LIKE, each with NOT", () => {
  assert.deepEqual(matching("day IN ('09', '31')"), ["2025-12-31", "2026-01-09"]);
  assert.deepEqual(matching("day NOT IN ('09', '31')"), ["2026-01-10", "2026-02-01"]);
  assert.deepEqual(matching("month BETWEEN '01' AND '01'"), ["2026-01-09", "2026-01-10"]);
  assert.deepEqual(matching("month NOT BETWEEN '01' AND '01'"), ["2025-12-31", "2026-02-01"]);
  assert.deepEqual(matching("day LIKE '1_'"), ["2026-01-10"]);
  assert.deepEqual(matching("day NOT LIKE '%1'"), ["2026-01-09", "2026-01-10"]);
});

test("numeric keys compare as numbers ('9' < '10'); quotes in literals are doubled", () => {
  const intKeys = { year: "int", month: "int", day: "int" };
  assert.deepEqual(matching("day > 9", intKeys), ["2025-12-31", "2026-01-10"]);
  assert.deepEqual(matching("day > '9'"), [], "as strings, no day is above '9'");
  const predicate = parsePartitionExpression("name = 'it''s'", { name: "string" });
  assert.equal(predicate({ name: "it's" }), true);
});

test("what does not parse is InvalidInputException naming the place", () => {
  for (const [expression, message] of [
    ["day = ", /at its end/],
    ["day = '01' AND", /at its end/],
    ["hour = 1", /hour is not a partition key/],
    ["day == '01'", /position/],
    ["day = '01", /Unterminated/],
    ["day ~ '01'", /unexpected character/],
    ["(day = '01'", /expected \)/],
    ["day NOT = '01'", /after NOT/],
  ] as const) {
    assert.throws(
      () => parsePartitionExpression(expression, dateKeys),
      (error: unknown) =>
        error instanceof AwsError && error.type === "InvalidInputException" && message.test(error.message),
      expression,
    );
  }
});

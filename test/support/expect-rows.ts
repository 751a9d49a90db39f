import assert from "node:assert/strict";
import type { QueryResult } from "../../src/query/query-result.js";
import { toObjects } from "../../src/query/result-formatter.js";

/**
 * Asserts a result equals rows computed independently in the test: same columns, same order, same values.
 * `decimals` names columns rounded by the SQL (ROUND(x, n)); they may differ from the JS value by half a
 * unit in the last place (binary floating point), nothing more.
 */
export function expectRows(
  result: QueryResult,
  expected: Record<string, unknown>[],
  decimals: Record<string, number> = {},
): void {
  const actual = toObjects(result);
  assert.equal(actual.length, expected.length, `row count: got ${JSON.stringify(actual.slice(0, 3))}…`);
  expected.forEach((row, i) => {
    assert.deepEqual(Object.keys(actual[i]!), Object.keys(row), `columns of row ${i}`);
    for (const [name, want] of Object.entries(row)) {
      const got = actual[i]![name];
      if (typeof want === "number" && name in decimals) {
        assert.equal(typeof got, "number", `row ${i} ${name}: ${String(got)} is not a number`);
        const tolerance = 0.5000001 * 10 ** -decimals[name]!;
        assert.ok(
          Math.abs((got as number) - want) <= tolerance,
          `row ${i} ${name}: got ${String(got)}, want ${want}`,
        );
      } else {
        assert.deepEqual(got, want, `row ${i} ${name}`);
      }
    }
  });
}

export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export const distinct = <T>(items: readonly T[]): number => new Set(items).size;

/** SQL string ordering (byte order), for ORDER BY ties. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON number literals judged exactly, as written. A double cannot: `1764064800.1239999999` reads as
 * …800.124 (the contract truncates epoch fractions: .123), `1e-428` reads as 0 and `2.0000000000000001`
 * as 2 (neither is a whole quantity). DuckDB's JSON functions and JSON.parse both give doubles, so the
 * rules flag records whose timestamp or quantity is a non-integer literal, and the per-record path
 * computes their values here, from the record's text (fallback-step.ts).
 */

const literal = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/** A literal as its sign, its digits and where the decimal point falls among them. */
function decompose(text: string): { negative: boolean; digits: string; point: number } | undefined {
  const m = literal.exec(text);
  if (!m) return undefined;
  // A huge exponent gives ±Infinity here: the value is far outside every range the contract accepts.
  return { negative: m[1] === "-", digits: m[2]! + (m[3] ?? ""), point: m[2]!.length + Number(m[4] ?? 0) };
}

/** The literal's digits after the decimal point (all of them when the point falls before the first). */
const fractionDigits = (d: { digits: string; point: number }): string =>
  d.point <= 0 ? d.digits : d.digits.slice(d.point);

/**
 * floor(value × 10^shift), exactly; undefined for a text that is not a JSON number, or past 18 integer
 * digits (such a value is outside any range the contract accepts, where a double's answer serves).
 */
function floorShifted(text: string, shift: number): bigint | undefined {
  const d = decompose(text);
  if (!d) return undefined;
  const point = d.point + shift;
  if (point > 18) return undefined;
  const whole = point <= 0 ? 0n : BigInt(d.digits.slice(0, point).padEnd(point, "0"));
  const fraction = /[1-9]/.test(fractionDigits({ digits: d.digits, point }));
  if (!d.negative) return whole;
  return fraction ? -whole - 1n : -whole;
}

/**
 * The contract's epoch timestamp of a number literal, in milliseconds: milliseconds when the value is at
 * least 1e11, seconds otherwise, extra fraction digits truncated (floor). Undefined as `floorShifted`.
 */
export function epochMillis(text: string): bigint | undefined {
  const whole = floorShifted(text, 0);
  if (whole === undefined) return undefined;
  return whole >= 100_000_000_000n ? whole : floorShifted(text, 3);
}

/** Whether a number literal is a whole number as written (`2.50e1` is, `1e-428` is not). */
export function isWholeLiteral(text: string): boolean {
  const d = decompose(text);
  return d !== undefined && !/[1-9]/.test(fractionDigits(d));
}

import { ClickstreamError } from "../errors/clickstream-error.js";

/**
 * One parser per kind of flag value, for commander's `argParser`. Each refuses a bad value with
 * CS_ERR_INVALID_ARGUMENT naming the flag and what it takes, so the CLI prints the code and the fix
 * (main.ts reports whatever a parser throws) instead of a stack trace.
 */
function invalid(flag: string, wants: string, value: string): ClickstreamError {
  return new ClickstreamError(
    "CS_ERR_INVALID_ARGUMENT",
    `${flag} must be ${wants}, got ${JSON.stringify(value)}`,
  );
}

/** A whole number in [min, max]. */
export function integerFlag(
  flag: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
      throw invalid(flag, `an integer ${range}`, value);
    }
    return n;
  };
}

/** A finite number in [min, max]. */
export function numberFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw invalid(flag, `a number in [${min}, ${max}]`, value);
    return n;
  };
}

const durationUnitsMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as `500ms`, `30s`, `5m`, `1h`, in milliseconds, at least `minMs`. */
export function durationFlag(flag: string, { minMs = 0 } = {}): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
    const ms = match ? Math.round(Number(match[1]) * durationUnitsMs[match[2]!]!) : Number.NaN;
    if (!Number.isFinite(ms) || ms < minMs) {
      throw invalid(flag, `a duration of at least ${minMs} ms such as 30s, 5m or 1h`, value);
    }
    return ms;
  };
}

/** An ISO-8601 instant (`2026-11-05T12:00:00Z`), or with `dateOnly` a day (`2026-11-05`, midnight UTC). */
export function instantFlag(flag: string, { dateOnly = false } = {}): (value: string) => Date {
  return (value) => {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const date = day && dateOnly ? new Date(`${value}T00:00:00Z`) : new Date(value);
    const looksIso =
      /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value);
    if (!looksIso || Number.isNaN(date.getTime())) {
      throw invalid(flag, dateOnly ? "YYYY-MM-DD or an ISO-8601 instant" : "an ISO-8601 instant", value);
    }
    return date;
  };
}

/** An http(s) URL. */
export function urlFlag(flag: string): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalid(flag, "an http(s) URL", value);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid(flag, "an http(s) URL", value);
    return value;
  };
}

import { ClickstreamError } from "../errors/clickstream-error.js";
import { mysqlToStrftime } from "./mysql-format.js";
import {
  isTrivia,
  nameOf,
  positionOf,
  stringLiteral,
  stringValue,
  wordOf,
  type Token,
} from "./sql-tokenizer.js";

/** What the rewrite needs to know besides the SQL. */
export interface DialectContext {
  /** The instant `current_date`, `current_timestamp`, `now()` and `localtimestamp` stand for. */
  now: Date;
  /** Partition key names (year, month, day): strings in Athena, so comparing them with numbers fails. */
  partitionKeys: ReadonlySet<string>;
}

interface Arg {
  /** The argument's SQL after rewriting. */
  sql: string;
  /** Its meaningful tokens (no spaces/comments), before rewriting. */
  tokens: Token[];
}

type Handler = (args: Arg[], call: { name: string; sql: string; offset: number }) => string;

const unitsForDiff = ["millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"];

/** A string-literal argument's value, or a clear error naming the function. */
function literal(arg: Arg | undefined, fn: string, what: string): string {
  if (!arg || arg.tokens.length !== 1 || arg.tokens[0]!.kind !== "string") {
    throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `${fn} with a non-literal ${what}`);
  }
  return stringValue(arg.tokens[0]!);
}

function arity(fn: string, args: Arg[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new ClickstreamError(
      "CS_ERR_QUERY_SYNTAX",
      `${fn} takes ${want} argument${max === 1 ? "" : "s"}, got ${args.length}`,
    );
  }
}

function unit(arg: Arg | undefined, fn: string): string {
  const value = literal(arg, fn, "unit").toLowerCase();
  if (!unitsForDiff.includes(value)) {
    throw new ClickstreamError(
      "CS_ERR_QUERY_UNSUPPORTED",
      `${fn} unit '${value}' (use one of ${unitsForDiff.join(", ")})`,
    );
  }
  return value;
}

const rename =
  (to: string, min: number, max = min): Handler =>
  (args, call) => {
    arity(call.name, args, min, max);
    return `${to}(${args.map((a) => a.sql).join(", ")})`;
  };

const unsupported =
  (hint: string): Handler =>
  (_args, call) => {
    throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `function ${call.name}: ${hint}`);
  };

/**
 * Athena (Trino) function → DuckDB implementation. Functions DuckDB has with the same name and the same
 * answers (count_if, arbitrary, lpad, rpad, try_cast, year, month, day, hour, round, …) pass through.
 * docs/query.md mirrors this table.
 */
const handlers: Record<string, Handler> = {
  date_parse: (args, call) => {
    arity(call.name, args, 2);
    const format = mysqlToStrftime(literal(args[1], call.name, "format"), call.name);
    // Athena's timestamps have millisecond precision.
    return `date_trunc('millisecond', strptime(${args[0]!.sql}, ${stringLiteral(format)}))`;
  },
  date_format: (args, call) => {
    arity(call.name, args, 2);
    const format = mysqlToStrftime(literal(args[1], call.name, "format"), call.name);
    return `strftime(${args[0]!.sql}, ${stringLiteral(format)})`;
  },
  // Trino counts whole units elapsed (DuckDB's date_sub), not boundaries crossed (DuckDB's date_diff).
  date_diff: (args, call) => {
    arity(call.name, args, 3);
    return `date_sub('${unit(args[0], call.name)}', ${args[1]!.sql}, ${args[2]!.sql})`;
  },
  date_add: (args, call) => {
    arity(call.name, args, 3);
    const u = unit(args[0], call.name);
    const n = `CAST(${args[1]!.sql} AS BIGINT)`;
    const interval =
      u === "quarter"
        ? `to_months(CAST(3 * ${n} AS INTEGER))`
        : ["day", "week", "month", "year"].includes(u)
          ? `to_${u}s(CAST(${n} AS INTEGER))`
          : `to_${u}s(${n})`;
    return `(${args[2]!.sql} + ${interval})`;
  },
  date_trunc: (args, call) => {
    arity(call.name, args, 2);
    return `date_trunc('${unit(args[0], call.name)}', ${args[1]!.sql})`;
  },
  from_iso8601_timestamp: (args, call) => {
    arity(call.name, args, 1);
    return `date_trunc('millisecond', CAST(${args[0]!.sql} AS TIMESTAMPTZ))`;
  },
  from_iso8601_date: (args, call) => {
    arity(call.name, args, 1);
    return `CAST(${args[0]!.sql} AS DATE)`;
  },
  to_iso8601: rename("athena_to_iso8601", 1),
  from_unixtime: (args, call) => {
    arity(call.name, args, 1);
    return `date_trunc('millisecond', to_timestamp(CAST(${args[0]!.sql} AS DOUBLE)))`;
  },
  to_unixtime: rename("epoch", 1),
  now: (args, call) => {
    arity(call.name, args, 0);
    return call.sql;
  },
  // Trino's concat is NULL when any argument is NULL (DuckDB's concat skips NULLs; its || does not).
  concat: (args, call) => {
    if (args.length === 0) arity(call.name, args, 1, Infinity);
    return `(${args.map((a) => `(${a.sql})`).join(" || ")})`;
  },
  // Exact answers are valid answers of the approximate functions, and make results reproducible.
  approx_distinct: (args, call) => {
    arity(call.name, args, 1, 2);
    return `count(DISTINCT ${args[0]!.sql})`;
  },
  approx_percentile: (args, call) => {
    if (args.length === 3) {
      throw new ClickstreamError("CS_ERR_QUERY_UNSUPPORTED", `${call.name} with weights (3 arguments)`);
    }
    arity(call.name, args, 2);
    return `quantile_disc(${args[0]!.sql}, ${args[1]!.sql})`;
  },
  split_part: rename("athena_split_part", 3),
  regexp_like: rename("regexp_matches", 2),
  regexp_extract: rename("athena_regexp_extract", 2, 3),
  regexp_replace: (args, call) => {
    arity(call.name, args, 2, 3);
    // Trino replaces every match and writes groups as $1; DuckDB needs the 'g' flag and \1.
    const replacement = args[2] ? literal(args[2], call.name, "replacement").replace(/\$(\d)/g, "\\$1") : "";
    return `regexp_replace(${args[0]!.sql}, ${args[1]!.sql}, ${stringLiteral(replacement)}, 'g')`;
  },
  url_extract_host: rename("athena_url_extract_host", 1),
  url_extract_path: rename("athena_url_extract_path", 1),
  url_extract_parameter: rename("athena_url_extract_parameter", 2),
  url_extract_protocol: rename("athena_url_extract_protocol", 1),
  url_extract_port: rename("athena_url_extract_port", 1),
  url_extract_query: rename("athena_url_extract_query", 1),
  url_extract_fragment: rename("athena_url_extract_fragment", 1),
  element_at: (args, call) => {
    arity(call.name, args, 2);
    return `(${args[0]!.sql})[${args[1]!.sql}]`;
  },
  cardinality: rename("len", 1),
  day_of_week: rename("isodow", 1),
  dow: rename("isodow", 1),
  day_of_year: rename("dayofyear", 1),
  doy: rename("dayofyear", 1),
  week_of_year: rename("week", 1),
  year_of_week: rename("isoyear", 1),
  yow: rename("isoyear", 1),
  json_extract_scalar: rename("json_extract_string", 2),
  array_join: rename("array_to_string", 2),
  contains: rename("list_contains", 2),
  truncate: rename("trunc", 1),
  rand: rename("random", 0),
  greatest: nullIfAnyNull("greatest"),
  least: nullIfAnyNull("least"),
  format_datetime: unsupported("Joda-Time patterns are not mapped; use date_format with MySQL specifiers"),
  parse_datetime: unsupported("Joda-Time patterns are not mapped; use date_parse with MySQL specifiers"),
  at_timezone: unsupported("time zones other than UTC are not supported locally"),
  with_timezone: unsupported("time zones other than UTC are not supported locally"),
  approx_set: unsupported("HyperLogLog sketches are not supported locally; use approx_distinct"),
  merge: unsupported("HyperLogLog sketches are not supported locally"),
  numeric_histogram: unsupported("not mapped"),
  qdigest_agg: unsupported("not mapped"),
  tdigest_agg: unsupported("not mapped"),
};

/** Athena functions the rewrite maps (or refuses with a hint): a query may call them by these names. */
export const mappedFunctions: readonly string[] = Object.keys(handlers);

function nullIfAnyNull(fn: string): Handler {
  return (args) =>
    `CASE WHEN ${args.map((a) => `(${a.sql}) IS NULL`).join(" OR ")} THEN NULL ELSE ${fn}(${args.map((a) => a.sql).join(", ")}) END`;
}

const comparison = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);

/**
 * Rewrites one Athena statement into DuckDB SQL, token by token (never inside literals or comments):
 * function mapping, pinned `current_date`/`now()`, and Athena's type rules for partition keys.
 */
export function rewriteAthena(sql: string, tokens: Token[], context: DialectContext): string {
  const nowIso = context.now.toISOString();
  const clock: Record<string, string> = {
    current_date: `DATE '${nowIso.slice(0, 10)}'`,
    current_timestamp: `TIMESTAMPTZ '${nowIso.replace("T", " ").replace("Z", "+00")}'`,
    localtimestamp: `TIMESTAMP '${nowIso.replace("T", " ").replace("Z", "")}'`,
  };
  clock.now = clock.current_timestamp!;

  const next = (i: number, to: number): number => {
    let j = i + 1;
    while (j < to && isTrivia(tokens[j]!)) j++;
    return j;
  };
  const prev = (i: number, from: number): number => {
    let j = i - 1;
    while (j >= from && isTrivia(tokens[j]!)) j--;
    return j;
  };
  const closing = (open: number, to: number): number => {
    let depth = 0;
    for (let j = open; j < to; j++) {
      const t = tokens[j]!;
      if (t.kind !== "op") continue;
      if (t.text === "(" || t.text === "[") depth++;
      else if (t.text === ")" || t.text === "]") {
        depth--;
        if (depth === 0) return j;
      }
    }
    throw new ClickstreamError(
      "CS_ERR_QUERY_SYNTAX",
      `${positionOf(sql, tokens[open]!.start)}: unbalanced parenthesis`,
    );
  };

  const checkPartitionComparison = (i: number, from: number, to: number): void => {
    // `month = 11`, `11 < day`, `year IN (2026)`, `day BETWEEN 1 AND 5`: Athena refuses varchar vs integer.
    const before = prev(i, from);
    const after = next(i, to);
    const t = tokens[after];
    const isNumberAt = (j: number): boolean => {
      let k = j;
      if (tokens[k]?.kind === "op" && tokens[k]!.text === "-") k = next(k, to);
      return tokens[k]?.kind === "number";
    };
    let bad = false;
    if (t?.kind === "op" && comparison.has(t.text) && isNumberAt(next(after, to))) bad = true;
    if (wordOf(t) === "between" && isNumberAt(next(after, to))) bad = true;
    if (wordOf(t) === "in") {
      const open = next(after, to);
      if (tokens[open]?.text === "(" && isNumberAt(next(open, to))) bad = true;
    }
    const b = tokens[before];
    if (b?.kind === "op" && comparison.has(b.text) && tokens[prev(before, from)]?.kind === "number")
      bad = true;
    if (bad) {
      throw new ClickstreamError(
        "CS_ERR_QUERY_TYPE_MISMATCH",
        `${positionOf(sql, tokens[i]!.start)}: partition key ${tokens[i]!.text} is a string (varchar) and cannot be compared with a number; write ${tokens[i]!.text} = '…'`,
      );
    }
  };

  const render = (from: number, to: number): string => {
    let out = "";
    for (let i = from; i < to; i++) {
      const t = tokens[i]!;
      const word = wordOf(t);
      // Function names compare unquoted and case-folded, as DuckDB resolves them ("Date_Parse"(…)).
      const name = nameOf(t);
      if (!name) {
        out += t.text;
        continue;
      }
      const after = next(i, to);
      const before = prev(i, from);
      const qualified = tokens[before]?.kind === "op" && tokens[before]!.text === ".";
      const isCall = tokens[after]?.kind === "op" && tokens[after]!.text === "(";
      if (isCall && !qualified && Object.hasOwn(handlers, name)) {
        const close = closing(after, to);
        const args = splitArgs(after + 1, close).map(([a, b]) => ({
          sql: render(a, b).trim(),
          tokens: tokens.slice(a, b).filter((x) => !isTrivia(x)),
        }));
        const callSql = name === "now" ? clock.now! : "";
        out += handlers[name]!(args, { name, sql: callSql, offset: t.start });
        i = close;
        continue;
      }
      if (!isCall && !qualified && Object.hasOwn(clock, word) && word !== "now") {
        out += clock[word];
        continue;
      }
      if (!isCall && context.partitionKeys.has(name)) checkPartitionComparison(i, from, to);
      if (word === "tablesample") {
        // Trino's TABLESAMPLE BERNOULLI (10) is 10 percent; DuckDB reads a bare number as a row count.
        const method = next(i, to);
        const open = next(method, to);
        const value = next(open, to);
        const close = next(value, to);
        if (
          ["bernoulli", "system"].includes(wordOf(tokens[method])) &&
          tokens[open]?.text === "(" &&
          tokens[value]?.kind === "number" &&
          tokens[close]?.text === ")"
        ) {
          out += `${t.text} ${tokens[method]!.text} (${tokens[value]!.text} PERCENT)`;
          i = close;
          continue;
        }
      }
      out += t.text;
    }
    return out;
  };

  const splitArgs = (from: number, to: number): [number, number][] => {
    const ranges: [number, number][] = [];
    let depth = 0;
    let start = from;
    for (let j = from; j < to; j++) {
      const t = tokens[j]!;
      if (t.kind !== "op") continue;
      if (t.text === "(" || t.text === "[") depth++;
      else if (t.text === ")" || t.text === "]") depth--;
      else if (t.text === "," && depth === 0) {
        ranges.push([start, j]);
        start = j + 1;
      }
    }
    if (tokens.slice(start, to).some((x) => !isTrivia(x)) || ranges.length > 0) ranges.push([start, to]);
    return ranges;
  };

  return render(0, tokens.length);
}

import { AwsError } from "./aws-error.js";

/**
 * Glue's partition `Expression` (GetPartitions): comparisons of partition keys with literals
 * (`=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`), `[NOT] IN (…)`, `[NOT] BETWEEN … AND …`, `[NOT] LIKE '…'`,
 * combined with AND, OR, NOT and parentheses. Parsed once into a predicate over a partition's values; keys
 * of a numeric type compare as numbers, others as strings, as Glue does. Nothing is pasted into SQL.
 */
export type PartitionPredicate = (values: Readonly<Record<string, string>>) => boolean;

type Tok = { kind: "word" | "string" | "number" | "op"; text: string; at: number };
type Operand = { column: string } | { literal: string };

const numericTypes = /^(tinyint|smallint|int|integer|bigint|float|double|decimal)/i;

/** Parses an expression over `keys` (name → Glue type); throws InvalidInputException naming the problem. */
export function parsePartitionExpression(
  expression: string,
  keys: Readonly<Record<string, string>>,
): PartitionPredicate {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Tok | undefined => tokens[i];
  const word = (t: Tok | undefined): string => (t?.kind === "word" ? t.text.toUpperCase() : "");
  const fail = (message: string): never => {
    const t = peek();
    throw new AwsError(
      "InvalidInputException",
      `Unsupported expression ${JSON.stringify(expression)}: ${message}${t ? ` at position ${t.at + 1} ("${t.text}")` : " at its end"}`,
    );
  };
  const expectWord = (w: string): void => {
    if (word(peek()) !== w) fail(`expected ${w}`);
    i++;
  };
  const expectOp = (op: string): void => {
    if (peek()?.kind !== "op" || peek()!.text !== op) fail(`expected ${op}`);
    i++;
  };

  const operand = (): Operand => {
    const t = peek();
    if (!t) return fail("expected a key or a literal");
    i++;
    if (t.kind === "string" || t.kind === "number") return { literal: t.text };
    if (t.kind === "word") {
      const name = t.text.replace(/^`|`$/g, "");
      const key = Object.keys(keys).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key === undefined) {
        i--;
        return fail(`${name} is not a partition key (keys: ${Object.keys(keys).join(", ")})`);
      }
      return { column: key };
    }
    i--;
    return fail("expected a key or a literal");
  };
  const literal = (): string => {
    const o = operand();
    if (!("literal" in o)) return fail("expected a literal");
    return o.literal;
  };
  const valueOf =
    (o: Operand) =>
    (values: Readonly<Record<string, string>>): string | undefined =>
      "column" in o ? values[o.column] : o.literal;
  const numeric = (o: Operand): boolean => "column" in o && numericTypes.test(keys[o.column] ?? "");
  const compare = (a: string, b: string, asNumbers: boolean): number => {
    if (asNumbers) return Number(a) - Number(b);
    return a < b ? -1 : a > b ? 1 : 0;
  };

  const primary = (): PartitionPredicate => {
    if (peek()?.kind === "op" && peek()!.text === "(") {
      i++;
      const inner = or();
      expectOp(")");
      return inner;
    }
    const left = operand();
    const get = valueOf(left);
    const asNumbers = numeric(left);
    let negate = false;
    if (word(peek()) === "NOT") {
      negate = true;
      i++;
    }
    const w = word(peek());
    if (w === "IN") {
      i++;
      expectOp("(");
      const list = [literal()];
      while (peek()?.kind === "op" && peek()!.text === ",") {
        i++;
        list.push(literal());
      }
      expectOp(")");
      return (v) => {
        const x = get(v);
        return x !== undefined && list.some((l) => compare(x, l, asNumbers) === 0) !== negate;
      };
    }
    if (w === "BETWEEN") {
      i++;
      const low = literal();
      expectWord("AND");
      const high = literal();
      return (v) => {
        const x = get(v);
        return (
          x !== undefined && (compare(x, low, asNumbers) >= 0 && compare(x, high, asNumbers) <= 0) !== negate
        );
      };
    }
    if (w === "LIKE") {
      i++;
      const pattern = likePattern(literal());
      return (v) => {
        const x = get(v);
        return x !== undefined && pattern.test(x) !== negate;
      };
    }
    if (negate) return fail("expected IN, BETWEEN or LIKE after NOT");
    const op = peek();
    if (op?.kind !== "op" || !["=", "<>", "!=", "<", "<=", ">", ">="].includes(op.text))
      return fail("expected a comparison");
    i++;
    const right = operand();
    const getRight = valueOf(right);
    const both = asNumbers || numeric(right);
    const test = (c: number): boolean =>
      op.text === "="
        ? c === 0
        : op.text === "<>" || op.text === "!="
          ? c !== 0
          : op.text === "<"
            ? c < 0
            : op.text === "<="
              ? c <= 0
              : op.text === ">"
                ? c > 0
                : c >= 0;
    return (v) => {
      const a = get(v);
      const b = getRight(v);
      return a !== undefined && b !== undefined && test(compare(a, b, both));
    };
  };
  const not = (): PartitionPredicate => {
    if (word(peek()) === "NOT") {
      i++;
      const inner = not();
      return (v) => !inner(v);
    }
    return primary();
  };
  const and = (): PartitionPredicate => {
    let left = not();
    while (word(peek()) === "AND") {
      i++;
      const l = left;
      const r = not();
      left = (v) => l(v) && r(v);
    }
    return left;
  };
  const or = (): PartitionPredicate => {
    let left = and();
    while (word(peek()) === "OR") {
      i++;
      const l = left;
      const r = and();
      left = (v) => l(v) || r(v);
    }
    return left;
  };

  const predicate = or();
  if (i < tokens.length) fail("unexpected text");
  return predicate;
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= text.length)
          throw new AwsError(
            "InvalidInputException",
            `Unterminated string in expression ${JSON.stringify(text)}`,
          );
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j];
        j++;
      }
      out.push({ kind: "string", text: value, at: i });
      i = j + 1;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (number) {
      out.push({ kind: "number", text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
    if (ident) {
      out.push({ kind: "word", text: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const op = /^(<=|>=|<>|!=|[=<>(),])/.exec(text.slice(i));
    if (op) {
      out.push({ kind: "op", text: op[0], at: i });
      i += op[0].length;
      continue;
    }
    throw new AwsError(
      "InvalidInputException",
      `Unsupported expression ${JSON.stringify(text)}: unexpected character ${JSON.stringify(c)} at position ${i + 1}`,
    );
  }
  return out;
}

/** SQL LIKE (`%`, `_`) as an anchored regular expression. */
function likePattern(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern)
    source += ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${source}$`, "s");
}
